#include "enclavectl/kmspolicy/io/key_policy_audit.hpp"

#include <optional>

#include "enclavectl/aws/arn.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/kmspolicy/lint.hpp"
#include "enclavectl/kmspolicy/policy.hpp"

namespace enclavectl::kmspolicy::io {
namespace {

constexpr const char* kCheckName = "key_policy";

// `error` with `prefix` before its detail.
core::Error Prefixed(core::Error error, const std::string& prefix) {
  error.detail = prefix + error.detail;
  return error;
}

}  // namespace

verifier::Check KeyPolicyAuditFailure(core::Error error) {
  std::string reason = error.detail;
  return verifier::Check{kCheckName, verifier::CheckStatus::kFail, std::move(reason),
                         std::move(error)};
}

std::variant<KeyPolicyAudit, verifier::Check> PlanKeyPolicyAudit(const verifier::LiveReport& report,
                                                                 std::string_view expected_key_arn,
                                                                 std::string_view region) {
  // The PCR0 the policy must pin is the attested one: only from a document that passed.
  if (report.document.verdict != verifier::Verdict::kAccepted || !report.document.document ||
      report.document.document->pcrs.count(0) == 0) {
    return verifier::Check{
        kCheckName, verifier::CheckStatus::kSkipped,
        "no verified attestation document: no attested PCR0 to check the policy for", std::nullopt};
  }
  KeyPolicyAudit audit;
  audit.pcr0_hex = core::HexEncode(report.document.document->pcrs.at(0));
  audit.key_arn = std::string(expected_key_arn);
  if (audit.key_arn.empty()) {
    if (!report.claims.kms_key_arn) {
      return KeyPolicyAuditFailure(
          {core::ErrorCode::kKmsKeyMismatch,
           "GET /v1/info names no kms_key_arn: give the key with --expect-kms-key", -1});
    }
    audit.key_arn = *report.claims.kms_key_arn;
  }
  const std::optional<aws::Arn> arn = aws::ParseKmsKeyArn(audit.key_arn);
  if (!arn) {
    return KeyPolicyAuditFailure(
        {core::ErrorCode::kKmsKeyMismatch,
         "the service's kms_key_arn is not a key ARN: " + core::SafeExcerpt(audit.key_arn, 200),
         -1});
  }
  if (!region.empty() && region != arn->region) {
    return KeyPolicyAuditFailure(
        {core::ErrorCode::kInvalidArgument,
         "--region " + std::string(region) + " differs from the key's region " + arn->region, -1});
  }
  audit.region = arn->region;
  return audit;
}

verifier::Check RunKeyPolicyAudit(const KeyPolicyAudit& audit, aws::KmsClient& kms) {
  const std::string& key_arn = audit.key_arn;
  auto fetched = kms.GetKeyPolicy(key_arn);
  if (!fetched) {
    return KeyPolicyAuditFailure(Prefixed(fetched.error(), "GetKeyPolicy " + key_arn + ": "));
  }
  auto policy = ParsePolicy(fetched->policy);
  if (!policy) {
    return KeyPolicyAuditFailure(Prefixed(policy.error(), "the policy of " + key_arn + ": "));
  }
  // Enclave-only for exactly the attested image, and locked, for this key.
  LintTarget target;
  target.key_arn = key_arn;
  target.pcr0_hex = audit.pcr0_hex;
  LintReport lint = LintPolicy(*policy, target);
  // The key's material must be this key's alone (DescribeKey, with the same credentials).
  auto metadata = kms.DescribeKey(key_arn);
  if (!metadata) {
    return KeyPolicyAuditFailure(Prefixed(metadata.error(), "DescribeKey " + key_arn + ": "));
  }
  AddKeyMaterialVerdict(lint, *metadata);
  if (auto met = CheckRequirements(lint, {true, true}); !met) {
    return KeyPolicyAuditFailure(Prefixed(met.error(), "the policy of " + key_arn + ": "));
  }
  const std::string sha256 = core::HexEncode(core::Sha256(core::AsBytes(fetched->policy)));
  return verifier::Check{kCheckName, verifier::CheckStatus::kPass,
                         "the policy of " + key_arn + " (sha256 " + sha256.substr(0, 16) +
                             "...) is enclave-only for the attested PCR0 " +
                             audit.pcr0_hex.substr(0, 16) + "... and locked",
                         std::nullopt};
}

}  // namespace enclavectl::kmspolicy::io
