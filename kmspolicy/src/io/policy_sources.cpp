#include "enclavectl/kmspolicy/io/policy_sources.hpp"

#include <charconv>
#include <utility>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/time.hpp"
#include "enclavectl/kmspolicy/io/pcr_sources.hpp"
#include "enclavectl/verifier/document.hpp"

namespace enclavectl::kmspolicy::io {
namespace {

using core::ErrorCode;
using core::Fail;

core::Error WithPath(core::Error error, const std::string& path) {
  error.detail = path + ": " + error.detail;
  return error;
}

}  // namespace

core::Result<verifier::TrustAnchor> LoadTrustAnchor(const DocumentTrust& trust) {
  if (trust.root_path.empty()) {
    return verifier::TrustAnchor::AwsNitroRoot();
  }
  auto pem = core::io::ReadFile(trust.root_path, core::limits::kMaxPemFileBytes);
  if (!pem) {
    return Fail(pem.error());
  }
  auto root = verifier::TrustAnchor::FromPemOrDer(*pem);
  if (!root) {
    return Fail(WithPath(root.error(), trust.root_path));
  }
  return root;
}

core::Result<verifier::VerificationPolicy> VerificationPolicyOf(const DocumentTrust& trust,
                                                                const core::io::Clock& clock) {
  verifier::VerificationPolicy policy;
  if (trust.at == "doc") {
    policy.time_source = verifier::TimeSource::kDocument;
  } else if (trust.at == "now") {
    policy.time = clock.Now();
  } else {
    auto time = core::ParseVerificationTime(trust.at);
    if (!time) {
      return Fail(ErrorCode::kInvalidArgument, "--at: " + time.error().detail);
    }
    policy.time = *time;
  }
  return policy;
}

core::Result<Measurements> LoadMeasurements(const PcrSourceSpec& source,
                                            const core::io::Clock& clock) {
  const int given = static_cast<int>(!source.eif.empty()) + static_cast<int>(!source.pcrs.empty()) +
                    static_cast<int>(!source.attestation.empty()) +
                    static_cast<int>(!source.pcr.empty());
  if (given != 1) {
    return Fail(ErrorCode::kInvalidArgument,
                "give exactly one PCR source: --eif IMAGE, --pcrs FILE, --attestation DOC or "
                "--pcr N=HEX ...");
  }
  if (!source.eif.empty()) {
    return MakeEifSource(source.eif)->Load();
  }
  if (!source.pcrs.empty()) {
    return MakePcrFileSource(source.pcrs)->Load();
  }
  if (!source.pcr.empty()) {
    return MakePcrAssignmentSource(source.pcr)->Load();
  }
  auto policy = VerificationPolicyOf(source.trust, clock);
  if (!policy) {
    return Fail(policy.error());
  }
  auto root = LoadTrustAnchor(source.trust);
  if (!root) {
    return Fail(root.error());
  }
  return MakeAttestationSource(source.attestation, *root, *policy)->Load();
}

core::Result<std::optional<std::vector<std::uint64_t>>> ParsePcrIndexes(std::string_view use_pcrs) {
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

core::Result<SourcedPolicy> GenerateFromSource(GenerateOptions options, std::string_view actions,
                                               const PcrSourceSpec& source,
                                               const core::io::Clock& clock) {
  if (!actions.empty()) {
    auto parsed = ParseEnclaveActions(actions);
    if (!parsed) {
      return Fail(parsed.error());
    }
    options.actions = std::move(*parsed);
  }
  auto indexes = ParsePcrIndexes(source.use_pcrs);
  if (!indexes) {
    return Fail(indexes.error());
  }
  options.pcr_indexes = std::move(*indexes);
  auto measurements = LoadMeasurements(source, clock);
  if (!measurements) {
    return Fail(measurements.error());
  }
  options.measurements = std::move(*measurements);
  auto policy = GeneratePolicy(options);
  if (!policy) {
    return Fail(policy.error());
  }
  return SourcedPolicy{std::move(*policy), options.measurements.origin};
}

core::Result<Policy> ReadPolicyFile(const std::string& path) {
  // Room for a policy of the maximum size plus surrounding whitespace; the parser enforces
  // the exact limit.
  auto text = core::io::ReadFile(path, core::limits::kMaxKeyPolicyBytes + 4096);
  if (!text) {
    return Fail(text.error());
  }
  auto policy = ParsePolicy(core::AsChars(*text));
  if (!policy) {
    return Fail(WithPath(policy.error(), path));
  }
  return policy;
}

namespace {

// The request's context from KEY=VALUE entries; attestation keys come only from a document.
core::Status AddContext(const std::vector<std::string>& entries, ConditionContext& context) {
  for (const std::string& item : entries) {
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Fail(ErrorCode::kInvalidArgument, "--context takes KEY=VALUE");
    }
    const std::string key = item.substr(0, eq);
    if (IsAttestationKey(key)) {
      return Fail(ErrorCode::kInvalidArgument,
                  "attestation keys come only from a verified document: use --attestation DOC");
    }
    context.Add(key, item.substr(eq + 1));
  }
  return core::Ok();
}

// Verifies `path` and adds its PCRs as attestation keys; returns the note on it.
core::Result<std::string> AddDocumentKeys(const std::string& path, const DocumentTrust& trust,
                                          const core::io::Clock& clock, Request& request) {
  auto root = LoadTrustAnchor(trust);
  if (!root) {
    return Fail(root.error());
  }
  auto verification = VerificationPolicyOf(trust, clock);
  if (!verification) {
    return Fail(verification.error());
  }
  auto document = LoadVerifiedDocument(path, *root, *verification);
  if (!document) {
    return Fail(document.error());
  }
  AddAttestationKeys(*document, request.context);
  const verifier::AttestationDocument& doc = document->Document();
  return path + ": " + doc.module_id + ", verified at " +
         core::FormatRfc3339(document->VerifiedAt()) + " against " + root->Describe() + "; PCR0 " +
         core::HexEncode(doc.pcrs.count(0) ? doc.pcrs.at(0) : core::Bytes{}).substr(0, 16) + "...";
}

}  // namespace

core::Result<Simulation> Simulate(const SimulationRequest& input, const core::io::Clock& clock) {
  if (input.action.find(':') == std::string::npos) {
    return Fail(ErrorCode::kInvalidArgument, "--action must name a service action: kms:Decrypt");
  }
  Simulation out;
  out.request = Request{input.principal, input.action, input.resource, {}};
  out.warnings = RequestWarnings(out.request);
  ENCLAVECTL_RETURN_IF_ERROR(AddContext(input.context, out.request.context));
  auto policy = ReadPolicyFile(input.policy_path);
  if (!policy) {
    return Fail(policy.error());
  }
  out.policy = std::move(*policy);
  if (!input.attestation.empty()) {
    auto note = AddDocumentKeys(input.attestation, input.trust, clock, out.request);
    if (!note) {
      return Fail(note.error());
    }
    out.attestation_note = std::move(*note);
  }
  AddCallerKeys(out.request);
  auto evaluation = Evaluate(out.policy, out.request);
  if (!evaluation) {
    return Fail(evaluation.error());
  }
  out.evaluation = std::move(*evaluation);
  return out;
}

}  // namespace enclavectl::kmspolicy::io
