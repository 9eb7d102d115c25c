#include "policy_common.hpp"

#include <charconv>
#include <iomanip>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/kmspolicy/io/pcr_sources.hpp"

namespace enclavectl::cli {
namespace {

using core::ErrorCode;
using core::Fail;

}  // namespace

void DocumentTrustFlags::Add(CLI::App* cmd) {
  cmd->add_option("--root", root_path,
                  "Trust this root (PEM) for --attestation instead of the pinned AWS Nitro "
                  "Enclaves root G1 (e.g. the development root of the NSM simulator)");
  cmd->add_option("--at", at,
                  "Verify --attestation at: now (default), doc (its own signed timestamp) or an "
                  "RFC 3339 time / Unix seconds")
      ->default_str("now");
}

core::Result<verifier::TrustAnchor> DocumentTrustFlags::LoadRoot() const {
  if (root_path.empty()) {
    return verifier::TrustAnchor::AwsNitroRoot();
  }
  auto pem = core::io::ReadFile(root_path, core::limits::kMaxPemFileBytes);
  if (!pem) {
    return Fail(pem.error());
  }
  auto root = verifier::TrustAnchor::FromPem(*pem);
  if (!root) {
    core::Error error = root.error();
    error.detail = root_path + ": " + error.detail;
    return Fail(std::move(error));
  }
  return root;
}

core::Result<verifier::VerificationPolicy> DocumentTrustFlags::Policy(
    const core::io::Clock& clock) const {
  verifier::VerificationPolicy policy;
  if (at == "doc") {
    policy.time_source = verifier::TimeSource::kDocument;
  } else if (at == "now") {
    policy.time = clock.Now();
  } else {
    auto time = core::ParseTime(at);
    if (!time) {
      return Fail(ErrorCode::kInvalidArgument, "--at: " + time.error().detail);
    }
    policy.time = *time;
  }
  return policy;
}

void PcrSourceFlags::Add(CLI::App* cmd) {
  auto* group = cmd->add_option_group("PCR source", "Where the measurements come from (one of):");
  group->add_option("--eif", eif,
                    "An enclave image: its PCR0, PCR1, PCR2 (and PCR8 when signed) are measured "
                    "like nitro-cli describe-eif; a damaged image is refused");
  group->add_option("--pcrs", pcrs,
                    "nitro-cli pcr.json or describe-eif/build-enclave output ({\"Measurements\": "
                    "...}), or a JSON array of them: one statement per allowed image");
  group->add_option("--attestation", attestation,
                    "An attestation document of the running enclave (CBOR, hex or base64); it is "
                    "verified (--root, --at) before its PCRs are used");
  group->add_option("--pcr", pcr, "PCR N=HEX (repeatable; 96 hex digits each), e.g. 0=7a3b05...");
  cmd->add_option("--use-pcrs", use_pcrs,
                  "Which PCRs to pin, e.g. 0,1,2,8 (default: every --pcr; else PCR0, PCR1, PCR2 "
                  "and PCR8 when non-zero)");
  trust.Add(cmd);
}

core::Result<std::optional<std::vector<std::uint64_t>>> PcrSourceFlags::Indexes() const {
  if (use_pcrs.empty()) {
    return std::optional<std::vector<std::uint64_t>>();
  }
  std::vector<std::uint64_t> out;
  std::string_view rest = use_pcrs;
  while (true) {
    const std::size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    if (item.size() > 3 && (item.substr(0, 3) == "PCR" || item.substr(0, 3) == "pcr")) {
      item.remove_prefix(3);
    }
    std::uint64_t index = 0;
    const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), index);
    if (item.empty() || ec != std::errc() || ptr != item.data() + item.size() ||
        index > core::limits::kMaxPcrIndex) {
      return Fail(ErrorCode::kInvalidArgument, "--use-pcrs takes PCR indexes 0..31, e.g. 0,1,2,8");
    }
    out.push_back(index);
    if (comma == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(comma + 1);
  }
  return std::optional<std::vector<std::uint64_t>>(std::move(out));
}

core::Result<kmspolicy::Measurements> PcrSourceFlags::Load(const core::io::Clock& clock) const {
  const int given = static_cast<int>(!eif.empty()) + static_cast<int>(!pcrs.empty()) +
                    static_cast<int>(!attestation.empty()) + static_cast<int>(!pcr.empty());
  if (given != 1) {
    return Fail(ErrorCode::kInvalidArgument,
                "give exactly one PCR source: --eif IMAGE, --pcrs FILE, --attestation DOC or "
                "--pcr N=HEX ...");
  }
  if (!eif.empty()) {
    return kmspolicy::io::MakeEifSource(eif)->Load();
  }
  if (!pcrs.empty()) {
    return kmspolicy::io::MakePcrFileSource(pcrs)->Load();
  }
  if (!pcr.empty()) {
    return kmspolicy::io::MakePcrAssignmentSource(pcr)->Load();
  }
  auto policy = trust.Policy(clock);
  if (!policy) {
    return Fail(policy.error());
  }
  auto root = trust.LoadRoot();
  if (!root) {
    return Fail(root.error());
  }
  return kmspolicy::io::MakeAttestationSource(attestation, *root, *policy)->Load();
}

core::Result<kmspolicy::Policy> ReadPolicyFile(const std::string& path) {
  // Room for a policy of the maximum size plus surrounding whitespace; the parser enforces
  // the exact limit.
  auto text = core::io::ReadFile(path, core::limits::kMaxKeyPolicyBytes + 4096);
  if (!text) {
    return Fail(text.error());
  }
  auto policy = kmspolicy::ParsePolicy(core::AsChars(*text));
  if (!policy) {
    core::Error error = policy.error();
    error.detail = path + ": " + error.detail;
    return Fail(std::move(error));
  }
  return policy;
}

std::string PinnedPcrs(const kmspolicy::Policy& policy) {
  std::string out;
  if (policy.statements.empty()) {
    return out;
  }
  for (const kmspolicy::Condition& c : policy.statements.front().conditions) {
    const std::string name = c.key.substr(c.key.rfind(':') + 1);
    out += (out.empty() ? "" : ",") + (name == "ImageSha384" ? std::string("PCR0") : name);
  }
  return out;
}

void RenderLintText(std::ostream& out, const std::string& title, const kmspolicy::Policy& policy,
                    const kmspolicy::LintReport& report) {
  out << title << ": " << policy.statements.size() << " statement"
      << (policy.statements.size() == 1 ? "" : "s") << "\n";
  auto verdict = [&out](const char* name, const kmspolicy::Verdict& v) {
    out << "  " << std::left << std::setw(14) << name << std::setw(5) << (v.holds ? "yes" : "no")
        << std::right;
    for (std::size_t i = 0; i < v.reasons.size(); ++i) {
      out << (i == 0 ? "" : std::string(21, ' ')) << v.reasons[i] << "\n";
    }
  };
  verdict("enclave-only", report.enclave_only);
  verdict("locked", report.locked);
  if (report.findings.empty()) {
    out << "findings: none\n";
    return;
  }
  out << "findings\n";
  for (const kmspolicy::Finding& f : report.findings) {
    out << "  " << std::left << std::setw(8) << kmspolicy::SeverityName(f.severity) << std::setw(31)
        << f.rule << std::right << f.message << "\n";
  }
}

nlohmann::json LintToJson(const kmspolicy::Policy& policy, const kmspolicy::LintReport& report) {
  auto verdict = [](const kmspolicy::Verdict& v) {
    return nlohmann::json{{"holds", v.holds}, {"reasons", v.reasons}};
  };
  nlohmann::json findings = nlohmann::json::array();
  for (const kmspolicy::Finding& f : report.findings) {
    nlohmann::json item = {{"rule", f.rule},
                           {"severity", kmspolicy::SeverityName(f.severity)},
                           {"statement", nullptr},
                           {"sid", nullptr},
                           {"message", f.message}};
    if (f.statement) {
      item["statement"] = *f.statement;
      if (*f.statement < policy.statements.size() && policy.statements[*f.statement].sid) {
        item["sid"] = *policy.statements[*f.statement].sid;
      }
    }
    findings.push_back(std::move(item));
  }
  return nlohmann::json{
      {"statements", policy.statements.size()},
      {"verdicts",
       {{"enclaveOnly", verdict(report.enclave_only)}, {"locked", verdict(report.locked)}}},
      {"findings", std::move(findings)}};
}

}  // namespace enclavectl::cli
