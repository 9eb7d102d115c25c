#include "policy_common.hpp"

#include <iomanip>

namespace enclavectl::cli {

void AddDocumentTrustFlags(CLI::App* cmd, kmspolicy::io::DocumentTrust& trust) {
  cmd->add_option("--root", trust.root_path,
                  "Trust this root (PEM) for --attestation instead of the pinned AWS Nitro "
                  "Enclaves root G1 (e.g. the development root of the NSM simulator)");
  cmd->add_option("--at", trust.at,
                  "Verify --attestation at: now (default), doc (its own signed timestamp) or an "
                  "RFC 3339 time / Unix seconds")
      ->default_str("now");
}

void AddPcrSourceFlags(CLI::App* cmd, kmspolicy::io::PcrSourceSpec& source) {
  auto* group = cmd->add_option_group("PCR source", "Where the measurements come from (one of):");
  group->add_option("--eif", source.eif,
                    "An enclave image: its PCR0, PCR1, PCR2 (and PCR8 when signed) are measured "
                    "like nitro-cli describe-eif; a damaged image is refused");
  group->add_option("--pcrs", source.pcrs,
                    "nitro-cli pcr.json or describe-eif/build-enclave output ({\"Measurements\": "
                    "...}), or a JSON array of them: one statement per allowed image");
  group->add_option("--attestation", source.attestation,
                    "An attestation document of the running enclave (CBOR, hex or base64); it is "
                    "verified (--root, --at) before its PCRs are used");
  group->add_option("--pcr", source.pcr,
                    "PCR N=HEX (repeatable; 96 hex digits each), e.g. 0=7a3b05...");
  cmd->add_option("--use-pcrs", source.use_pcrs,
                  "Which PCRs to pin, e.g. 0,1,2,8 (default: every --pcr; else PCR0, PCR1, PCR2 "
                  "and PCR8 when non-zero)");
  AddDocumentTrustFlags(cmd, source.trust);
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
