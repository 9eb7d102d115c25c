#include "enclavectl/verifier/verify.hpp"

#include <string>
#include <utility>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/verifier/key_binding.hpp"

namespace enclavectl::verifier {
namespace {

using core::Error;
using core::ErrorCode;

constexpr const char* kCheckOrder[] = {"cose",         "document",   "root",     "chain",
                                       "signature",    "debug_mode", "pcrs",     "key_binding",
                                       "app_key_hash", "nonce",      "freshness"};

class ReportBuilder {
 public:
  explicit ReportBuilder(VerificationReport& report) : report_(report) {
    for (const char* name : kCheckOrder) {
      report_.checks.push_back(Check{name, CheckStatus::kSkipped, "not reached", std::nullopt});
    }
  }

  void Pass(std::string_view name, std::string reason) {
    Set(name, CheckStatus::kPass, std::move(reason), std::nullopt);
  }
  void Skip(std::string_view name, std::string reason) {
    Set(name, CheckStatus::kSkipped, std::move(reason), std::nullopt);
  }
  void FailCheck(std::string_view name, Error error) {
    std::string reason = std::string(core::ErrorCodeName(error.code)) + ": " + error.detail;
    Set(name, CheckStatus::kFail, std::move(reason), std::move(error));
  }
  // Marks every check still "not reached" as skipped with `reason`.
  void SkipRemaining(const std::string& reason) {
    for (Check& check : report_.checks) {
      if (check.status == CheckStatus::kSkipped && check.reason == "not reached") {
        check.reason = reason;
      }
    }
  }

  void Finish() {
    for (const Check& check : report_.checks) {
      if (check.status == CheckStatus::kFail) {
        report_.error = check.error;
        report_.verdict = core::InfoFor(check.error->code).exit_class == core::ExitClass::kMalformed
                              ? Verdict::kMalformed
                              : Verdict::kRejected;
        return;
      }
    }
    report_.verdict = Verdict::kAccepted;
    report_.error.reset();
  }

 private:
  void Set(std::string_view name, CheckStatus status, std::string reason,
           std::optional<Error> error) {
    for (Check& check : report_.checks) {
      if (check.name == name) {
        check.status = status;
        check.reason = std::move(reason);
        check.error = std::move(error);
        return;
      }
    }
  }

  VerificationReport& report_;
};

std::string Prefix(ByteView bytes) {
  const std::string hex = core::HexEncode(bytes);
  return hex.size() > 16 ? hex.substr(0, 16) + "..." : hex;
}

std::string FormatAge(std::int64_t millis) {
  const bool negative = millis < 0;
  std::int64_t seconds = (negative ? -millis : millis) / 1000;
  std::string out;
  if (seconds >= 86400) {
    out = std::to_string(seconds / 86400) + "d";
    seconds %= 86400;
  }
  if (seconds >= 3600 || !out.empty()) {
    out += std::to_string(seconds / 3600) + "h";
    seconds %= 3600;
  }
  if (seconds >= 60 || !out.empty()) {
    out += std::to_string(seconds / 60) + "m";
    seconds %= 60;
  }
  out += std::to_string(seconds) + "s";
  return negative ? "-" + out : out;
}

// The first difference between the document and one expected set, or nullopt.
std::optional<Error> CompareSet(const PcrMap& actual, const PcrSet& expected) {
  for (const auto& [index, value] : expected) {
    auto it = actual.find(index);
    if (it == actual.end()) {
      return Error{ErrorCode::kPcrMissing,
                   "PCR" + std::to_string(index) + " is not in the document",
                   static_cast<int>(index)};
    }
    if (!core::Equal(it->second, value)) {
      return Error{ErrorCode::kPcrMismatch,
                   "PCR" + std::to_string(index) + " is " + Prefix(it->second) + ", expected " +
                       Prefix(value),
                   static_cast<int>(index)};
    }
  }
  return std::nullopt;
}

void CheckPcrs(const AttestationDocument& doc, const VerificationPolicy& policy,
               VerificationReport& report, ReportBuilder& builder) {
  if (policy.required_pcrs.empty() && policy.allowed_pcr_sets.empty()) {
    builder.Skip("pcrs",
                 "no expected PCRs given: the document is genuine, but which image it attests "
                 "is not checked (use --expect-pcrs or --expect-pcr)");
    return;
  }
  if (auto diff = CompareSet(doc.pcrs, policy.required_pcrs)) {
    builder.FailCheck("pcrs", std::move(*diff));
    return;
  }
  std::string reason;
  if (!policy.required_pcrs.empty()) {
    reason = std::to_string(policy.required_pcrs.size()) + " required PCR(s) match";
  }
  if (!policy.allowed_pcr_sets.empty()) {
    std::optional<Error> first_diff;
    for (std::size_t i = 0; i < policy.allowed_pcr_sets.size(); ++i) {
      auto diff = CompareSet(doc.pcrs, policy.allowed_pcr_sets[i]);
      if (!diff) {
        report.matched_pcr_set = i;
        break;
      }
      if (!first_diff) {
        first_diff = std::move(diff);
      }
    }
    if (!report.matched_pcr_set) {
      if (policy.allowed_pcr_sets.size() == 1) {
        builder.FailCheck("pcrs", std::move(*first_diff));
      } else {
        builder.FailCheck("pcrs", Error{ErrorCode::kPcrSetNoMatch,
                                        "the PCRs match none of the " +
                                            std::to_string(policy.allowed_pcr_sets.size()) +
                                            " allowed measurement sets",
                                        -1});
      }
      return;
    }
    reason += std::string(reason.empty() ? "" : "; ") + "matches allowed set " +
              std::to_string(*report.matched_pcr_set) + " of " +
              std::to_string(policy.allowed_pcr_sets.size());
  }
  builder.Pass("pcrs", std::move(reason));
}

void CheckKeyBinding(const AttestationDocument& doc, const VerificationPolicy& policy,
                     ReportBuilder& builder) {
  if (!policy.key_binding_public_key) {
    builder.Skip("key_binding", "no key to bind given (--expect-key)");
    return;
  }
  auto it = doc.pcrs.find(kKeyBindingPcr);
  if (it == doc.pcrs.end()) {
    builder.FailCheck("key_binding",
                      Error{ErrorCode::kPcrMissing,
                            "PCR16 is not in the document (a PCR appears once it is locked)", 16});
    return;
  }
  const core::Sha384Digest expected = KeyBindingPcrValue(*policy.key_binding_public_key);
  if (!core::Equal(it->second, expected)) {
    builder.FailCheck(
        "key_binding",
        Error{ErrorCode::kKeyBindingMismatch,
              "PCR16 is " + Prefix(it->second) + ", the key gives " + Prefix(expected), 16});
    return;
  }
  builder.Pass("key_binding",
               "PCR16 = SHA-384(0^48 || SHA-256(" + Prefix(*policy.key_binding_public_key) + "))");
}

void CheckAppKeyHash(const AttestationDocument& doc, const VerificationPolicy& policy,
                     ReportBuilder& builder) {
  if (!policy.app_key_hash) {
    builder.Skip("app_key_hash", "no application key given (--expect-app-key)");
    return;
  }
  if (!doc.user_data) {
    builder.FailCheck("app_key_hash",
                      Error{ErrorCode::kUserDataLayout, "the document has no user_data", -1});
    return;
  }
  auto fields = ParseNitridingUserData(*doc.user_data);
  if (!fields) {
    builder.FailCheck("app_key_hash", fields.error());
    return;
  }
  if (core::IsAllZero(fields->app_key_hash)) {
    builder.FailCheck("app_key_hash",
                      Error{ErrorCode::kAppKeyHashUnset,
                            "appKeyHash is all zero: no application key was registered", -1});
    return;
  }
  if (fields->app_key_hash != *policy.app_key_hash) {
    builder.FailCheck("app_key_hash", Error{ErrorCode::kAppKeyHashMismatch,
                                            "appKeyHash is " + Prefix(fields->app_key_hash) +
                                                ", expected " + Prefix(*policy.app_key_hash),
                                            -1});
    return;
  }
  builder.Pass("app_key_hash", "user_data[36..68] is the expected application key hash");
}

void CheckNonce(const AttestationDocument& doc, const VerificationPolicy& policy,
                ReportBuilder& builder) {
  if (!policy.nonce) {
    builder.Skip("nonce", "no nonce expected (--expect-nonce): replay is not ruled out");
    return;
  }
  if (!doc.nonce) {
    builder.FailCheck("nonce", Error{ErrorCode::kNonceMissing, "the document has no nonce", -1});
    return;
  }
  if (!core::Equal(*doc.nonce, *policy.nonce)) {
    builder.FailCheck("nonce", Error{ErrorCode::kNonceMismatch,
                                     "the document's nonce (" + std::to_string(doc.nonce->size()) +
                                         " bytes) differs from the expected one",
                                     -1});
    return;
  }
  builder.Pass("nonce",
               "equals the expected " + std::to_string(policy.nonce->size()) + "-byte nonce");
}

void CheckFreshness(const AttestationDocument& doc, const VerificationPolicy& policy,
                    std::int64_t time_ms, ReportBuilder& builder) {
  if (policy.time_source == TimeSource::kDocument) {
    builder.Skip("freshness", "verified at the document's own timestamp (--at doc)");
    return;
  }
  const std::int64_t age = time_ms - static_cast<std::int64_t>(doc.timestamp_ms);
  if (age < -policy.max_future_skew_ms) {
    builder.FailCheck(
        "freshness",
        Error{ErrorCode::kDocumentFromFuture,
              "the document is dated " + FormatAge(-age) + " after the verification time", -1});
    return;
  }
  if (policy.max_age_ms && age > *policy.max_age_ms) {
    builder.FailCheck("freshness", Error{ErrorCode::kDocumentTooOld,
                                         "the document is " + FormatAge(age) + " old; at most " +
                                             FormatAge(*policy.max_age_ms) + " allowed",
                                         -1});
    return;
  }
  if (!policy.max_age_ms) {
    builder.Skip("freshness", "no --max-age given (the document is " + FormatAge(age) + " old)");
    return;
  }
  builder.Pass("freshness", "the document is " + FormatAge(age) + " old (at most " +
                                FormatAge(*policy.max_age_ms) + ")");
}

// The report's facts about the inputs: time, root, insecure options, input size and hash.
void DescribeInputs(ByteView cose_bytes, const TrustAnchor& root, const VerificationPolicy& policy,
                    VerificationReport& report) {
  report.time_source = policy.time_source;
  report.verification_time = policy.time;
  report.root_description = root.Describe();
  report.root_sha256 = root.Fingerprint();
  report.root_is_aws = root.IsAwsNitroRoot();
  if (policy.allow_debug) {
    report.insecure.emplace_back("allow-debug");
  }
  report.input_size = cose_bytes.size();
  report.input_sha256 = core::Sha256(cose_bytes);
}

// The chain from the pinned root (nsm-api attestation_process.md 3.2.3) and the COSE
// signature with the leaf key (3.2.4). The leaf key is usable for the signature check even
// when the chain fails, so the report can say both.
void CheckChainAndSignature(const ParsedAttestation& parsed, const TrustAnchor& root,
                            const VerifierConfig& config, std::int64_t time_ms,
                            VerificationReport& report, ReportBuilder& builder) {
  const AttestationDocument& doc = parsed.doc;
  auto certs = ParseChainCertificates(doc, root, config.cache);
  EVP_PKEY* leaf_key = nullptr;
  core::Result<VerifiedChain> chain = core::Fail(certs ? core::Error{} : certs.error());
  if (certs) {
    for (const core::X509Ptr& cert : *certs) {
      report.chain.push_back(DescribeCertificate(cert.get()));
    }
    leaf_key = X509_get0_pubkey(certs->back().get());
    chain = VerifyChain(doc, *certs, root, core::UnixMillis{time_ms}.Seconds(), config.cache);
  }
  const std::string at = " at " + core::FormatRfc3339(core::UnixMillis{time_ms});
  if (chain) {
    builder.Pass("root", "cabundle[0] is the trusted " + root.Describe());
    builder.Pass("chain",
                 std::to_string(certs->size()) + " certificates valid and correctly signed" + at);
    report.signatures_verified += chain->signatures_verified;
    report.signatures_cached += chain->signatures_cached;
  } else if (chain.error().code == ErrorCode::kChainRootMismatch) {
    builder.FailCheck("root", chain.error());
    builder.Skip("chain", "the bundle does not start at the pinned root");
  } else {
    builder.Pass("root", "cabundle[0] is the trusted " + root.Describe());
    core::Error error = chain.error();
    if ((error.code == ErrorCode::kCertExpired || error.code == ErrorCode::kCertNotYetValid) &&
        report.time_source != TimeSource::kDocument) {
      error.detail += at;
      report.hint = "stored document? verify it at its own time with --at doc";
    }
    builder.FailCheck("chain", std::move(error));
  }

  // COSE signature with the leaf key (3.2.4).
  if (leaf_key == nullptr) {
    builder.Skip("signature", "the leaf certificate could not be decoded");
  } else if (auto signature = core::cose::VerifyEcdsa(parsed.cose, leaf_key); !signature) {
    builder.FailCheck("signature", signature.error());
  } else {
    ++report.signatures_verified;
    builder.Pass("signature", chain ? "ES384 signature by the leaf certificate key"
                                    : "ES384 signature by the leaf key (whose chain failed)");
  }
}

void CheckDebugMode(const AttestationDocument& doc, const VerificationPolicy& policy,
                    ReportBuilder& builder) {
  if (IsDebugMode(doc.pcrs)) {
    if (policy.allow_debug) {
      builder.Pass("debug_mode",
                   "debug-mode enclave (PCR0-2 zero) accepted because of --insecure-allow-debug");
    } else {
      builder.FailCheck("debug_mode",
                        Error{ErrorCode::kDebugMode,
                              "PCR0, PCR1 and PCR2 are zero: a debug-mode enclave, whose memory "
                              "the parent instance can read (--insecure-allow-debug to accept)",
                              -1});
    }
  } else {
    builder.Pass("debug_mode", "not a debug-mode enclave");
  }
}

}  // namespace

const Check* VerificationReport::Find(std::string_view name) const noexcept {
  return core::FindCheck(checks, name);
}

bool VerificationReport::ContentVerified() const noexcept {
  for (const char* name : {"root", "chain", "signature"}) {
    const Check* check = Find(name);
    if (check == nullptr || check->status != CheckStatus::kPass) {
      return false;
    }
  }
  return document.has_value();
}

VerificationReport Verify(ByteView cose_bytes, const VerifierConfig& config,
                          const VerificationPolicy& policy) {
  VerificationReport report;
  ReportBuilder builder(report);
  const TrustAnchor& root = *config.root;
  DescribeInputs(cose_bytes, root, policy, report);
  // Decode (1xx, 2xx) and validate the fields (nsm-api attestation_process.md 3.2.1-3.2.2).
  auto parsed = DecodeAttestation(cose_bytes);
  core::Status valid =
      parsed ? ValidateAttestation(*parsed) : core::Status(core::Fail(parsed.error()));
  if (!valid) {
    const Error& error = valid.error();
    const bool envelope = static_cast<unsigned>(error.code) < 200;
    if (!envelope) {
      builder.Pass("cose", "COSE_Sign1 envelope decoded");
    }
    builder.FailCheck(envelope ? "cose" : "document", error);
    builder.SkipRemaining("the document could not be decoded");
    builder.Finish();
    return report;
  }
  const AttestationDocument& doc = parsed->doc;
  report.cose_tagged = parsed->cose.tagged;
  report.payload_indefinite = parsed->payload_indefinite;
  report.document = doc;
  builder.Pass("cose", std::string("COSE_Sign1 ") + (parsed->cose.tagged ? "tagged" : "untagged") +
                           ", ES384, 96-byte signature");
  builder.Pass("document", std::to_string(doc.pcrs.size()) + " PCRs, " +
                               std::to_string(doc.cabundle.size()) + " CA certificates, " +
                               (parsed->payload_indefinite ? "indefinite" : "definite") +
                               "-length payload map");

  const std::int64_t time_ms = policy.time_source == TimeSource::kDocument
                                   ? static_cast<std::int64_t>(doc.timestamp_ms)
                                   : policy.time.value;
  report.verification_time = core::UnixMillis{time_ms};
  report.verification_time_known = true;

  CheckChainAndSignature(*parsed, root, config, time_ms, report, builder);
  // Policy.
  CheckDebugMode(doc, policy, builder);
  CheckPcrs(doc, policy, report, builder);
  CheckKeyBinding(doc, policy, builder);
  CheckAppKeyHash(doc, policy, builder);
  CheckNonce(doc, policy, builder);
  CheckFreshness(doc, policy, time_ms, builder);
  builder.Finish();
  return report;
}

core::Result<VerifiedDocument> VerifyDocument(ByteView cose_bytes, const VerifierConfig& config,
                                              const VerificationPolicy& policy) {
  VerificationReport report = Verify(cose_bytes, config, policy);
  if (report.verdict != Verdict::kAccepted) {
    core::Error error = std::move(*report.error);
    if (!report.hint.empty()) {
      error.detail += "; " + report.hint;  // no report here to carry the hint apart
    }
    return core::Fail(std::move(error));
  }
  return VerifiedDocument(std::move(*report.document), report.verification_time);
}

}  // namespace enclavectl::verifier
