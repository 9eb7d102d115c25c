// Linting a key policy (policy layer: pure): a verdict on two questions and one finding per
// rule and statement.
//
//   enclave-only?  no principal can reach a decrypt-class action (actions.hpp SecretActions)
//                  without an attestation condition on the measured image
//                  (StringEquals[IgnoreCase] on kms:RecipientAttestation:ImageSha384 or PCR0
//                  with valid, non-zero 96-hex values; with LintTarget::pcr0_hex, exactly that
//                  image), nobody can encrypt under the key without an attestation
//                  (InjectionActions: key injection) and nobody can replicate it
//                  (ReplicaActions), unless a Deny for every principal blocks it;
//   locked?        no principal can change the policy, create a grant, schedule deletion or
//                  replicate the key (LockBreakingActions), unless a Deny for every principal
//                  blocks it.
//
// Both verdicts are conservative: a condition on anything but the attestation keys is taken to
// be satisfiable by somebody, an Allow counts whenever its Resource might name the key, and a
// Deny counts only when it is for every principal ("*"), certainly covers the key
// (evaluate.hpp StatementCertainlyCoversResource: Resource "*", or a pattern matching the
// LintTarget::key_arn) and its condition certainly holds for the requests in question. The
// evaluator (policy simulate, the local KMS) uses the same matching.
// Spec: ../shared/spec/kms.md sections 7, 8.3 (lockout) and 8.5 (lock policies).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "enclavectl/aws/kms_api.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/kmspolicy/policy.hpp"

namespace enclavectl::kmspolicy {

enum class Severity : std::uint8_t { kError, kWarning, kInfo };
const char* SeverityName(Severity severity) noexcept;  // "error", "warning", "info"

// Stable rule ids (docs/kms-policy.md lists them).
namespace rules {
inline constexpr const char* kWildcardPrincipal = "wildcard-principal";
inline constexpr const char* kWildcardAction = "wildcard-action";
inline constexpr const char* kAccountRootPrincipal = "account-root-principal";
inline constexpr const char* kNotPrincipal = "not-principal";
inline constexpr const char* kMissingAttestationCondition = "missing-attestation-condition";
inline constexpr const char* kWeakConditionOperator = "weak-condition-operator";
inline constexpr const char* kAttestationValueFormat = "attestation-value-format";
inline constexpr const char* kAttestationKey = "attestation-key";
inline constexpr const char* kDebugPcr = "debug-pcr";
inline constexpr const char* kAdminCanRewritePolicy = "admin-can-rewrite-policy";
inline constexpr const char* kCreateGrant = "create-grant";
inline constexpr const char* kScheduleDeletion = "schedule-deletion";
inline constexpr const char* kLockoutRisk = "lockout-risk";
inline constexpr const char* kConditionNeverSatisfied = "condition-never-satisfied";
inline constexpr const char* kUnknownAction = "unknown-action";
inline constexpr const char* kResourceNotKey = "resource-not-key";
inline constexpr const char* kStatementIneffective = "statement-ineffective";
inline constexpr const char* kUnevaluableCondition = "unevaluable-condition";
inline constexpr const char* kKeyInjection = "key-injection";
inline constexpr const char* kReplicaEscape = "replica-escape";
inline constexpr const char* kUnexpectedImage = "unexpected-image";
}  // namespace rules

struct Finding {
  std::string rule;
  Severity severity = Severity::kInfo;
  std::optional<std::size_t> statement;  // nullopt: about the whole policy
  std::string message;
};

struct Verdict {
  bool holds = false;
  // Why it does not hold (one line per offending statement and action), or how it holds.
  std::vector<std::string> reasons;
};

struct LintReport {
  Verdict enclave_only;
  Verdict locked;
  std::vector<Finding> findings;  // sorted by statement (policy-wide last), then severity
  std::size_t CountAtLeast(Severity severity) const noexcept;
};

// What the policy is linted for.
struct LintTarget {
  // The key's ARN when known ("arn:aws:kms:REGION:ACCOUNT:key/ID"); empty = unknown: then
  // only Resource "*" (or a NotResource that certainly excludes nothing) makes a Deny count,
  // while every Allow is taken to cover the key.
  std::string key_arn;
  // When set (96 lower-case hex), enclave-only additionally means: every way to a
  // decrypt-class action requires an attestation whose image (ImageSha384 / PCR0) is exactly
  // this value; an Allow that admits any other image value (or no image condition) breaks it.
  // A value that is not 96 lower-case hex digits matches no condition value that is valid, so
  // enclave-only then fails closed wherever a decrypt-class action is allowed.
  std::optional<std::string> pcr0_hex;
};

// Lints `policy` for `target` (default: the key's ARN unknown, any image). Never fails.
// Precondition: ValidatePolicy succeeded on `policy`. `target` is untrusted text.
LintReport LintPolicy(const Policy& policy, const LintTarget& target = {});

struct LintRequirements {
  bool enclave_only = false;
  bool locked = false;
};

// Parses "enclave-only,locked" (either, both, or "none"). Fails with kInvalidArgument.
[[nodiscard]] core::Result<LintRequirements> ParseLintRequirements(std::string_view text);

// Ok when the report's verdicts are as required; else kPolicyNotEnclaveOnly or
// kPolicyNotLocked (enclave-only is checked first) with the first reason as detail.
[[nodiscard]] core::Status CheckRequirements(const LintReport& report,
                                             const LintRequirements& required);

// What a key's metadata (DescribeKey, untrusted only as far as its sender is) says about
// enclave-only that no policy can: key material imported from outside (Origin EXTERNAL: the
// importer holds a copy), kept outside AWS (EXTERNAL_KEY_STORE) or in a customer-managed
// CloudHSM cluster (AWS_CLOUDHSM), or a multi-Region key (each replica in another Region has
// a policy of its own, which this policy does not govern). Only a single-Region key with
// Origin AWS_KMS can be enclave-only. Returns one reason per escape (empty: none).
std::vector<std::string> KeyMaterialEscapes(const aws::KeyMetadata& metadata);

// Folds KeyMaterialEscapes(metadata) into `report`: any escape makes enclave-only fail, with the
// escapes first among its reasons. For lints of a key whose DescribeKey answer is at hand.
void AddKeyMaterialVerdict(LintReport& report, const aws::KeyMetadata& metadata);

// True for "kms:RecipientAttestation:ImageSha384" and "kms:RecipientAttestation:PCR0"
// (case-insensitive): the keys that pin the whole image.
bool IsImageKey(std::string_view key) noexcept;

// True when `value` is a usable attestation condition value: 96 hex digits, no "0x", not all
// zero; with `lower_case_only` (a case-sensitive operator) also lower case.
bool IsValidPcrConditionValue(std::string_view value, bool lower_case_only) noexcept;

}  // namespace enclavectl::kmspolicy
