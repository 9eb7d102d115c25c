// Key-policy JSON: never crashes; decode -> encode -> decode is stable; lint never fails and
// always explains its verdicts; and lint and the evaluator agree: when lint says a policy is
// enclave-only, no caller without an attestation is allowed kms:Decrypt (or any other
// decrypt-class, key-injection or replica action), and when it says locked, nobody is allowed
// kms:PutKeyPolicy, kms:CreateGrant, kms:ScheduleKeyDeletion or a replica action. The key's
// ARN is unknown to both (lint's default target, the evaluator's empty resource).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "enclavectl/kmspolicy/actions.hpp"
#include "enclavectl/kmspolicy/evaluate.hpp"
#include "enclavectl/kmspolicy/lint.hpp"
#include "enclavectl/kmspolicy/policy.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace enclavectl;  // NOLINT(google-build-using-namespace)

// Callers of every kind the evaluator distinguishes.
constexpr std::string_view kCallers[] = {
    "111122223333",
    "arn:aws:iam::111122223333:root",
    "arn:aws:sts::111122223333:assumed-role/enclave/i-0abc",
    "arn:aws:iam::111122223333:role/admin",
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:sts::444455556666:assumed-role/other/x",
    "ec2.amazonaws.com",
};

// Whether `action` can be allowed to anyone without an attestation.
bool AllowedWithoutAttestation(const kmspolicy::Policy& policy, std::string_view action) {
  for (std::string_view caller : kCallers) {
    kmspolicy::Request request{std::string(caller), std::string(action), "", {}};
    kmspolicy::AddCallerKeys(request);
    auto evaluation = kmspolicy::Evaluate(policy, request);
    if (!evaluation) {
      FUZZ_CHECK(evaluation.error().code == core::ErrorCode::kPolicyUnsupported);
      continue;
    }
    FUZZ_CHECK(evaluation->trace.size() == policy.statements.size());
    if (evaluation->decision == kmspolicy::Decision::kImplicitDeny) {
      FUZZ_CHECK(!evaluation->deciding_statement.has_value());
      continue;
    }
    FUZZ_CHECK(evaluation->deciding_statement.has_value());
    const std::size_t index = *evaluation->deciding_statement;
    FUZZ_CHECK(index < policy.statements.size() && evaluation->trace[index].applies);
    FUZZ_CHECK((policy.statements[index].effect == kmspolicy::Effect::kAllow) ==
               (evaluation->decision == kmspolicy::Decision::kAllow));
    if (evaluation->decision == kmspolicy::Decision::kAllow) {
      return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);  // NOLINT
  auto policy = kmspolicy::DecodePolicy(text);
  if (!policy) {
    const core::ErrorCode code = policy.error().code;
    FUZZ_CHECK(code == core::ErrorCode::kPolicyJson || code == core::ErrorCode::kPolicyStructure ||
               code == core::ErrorCode::kInputTooLarge);
    return 0;
  }
  auto again = kmspolicy::DecodePolicy(kmspolicy::EncodePolicy(*policy));
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == *policy);
  if (!kmspolicy::ValidatePolicy(*policy)) {
    return 0;
  }
  const kmspolicy::LintReport report = kmspolicy::LintPolicy(*policy);
  FUZZ_CHECK(!report.enclave_only.reasons.empty() && !report.locked.reasons.empty());
  if (report.enclave_only.holds) {
    for (std::string_view action : kmspolicy::EnclaveOnlyActions()) {
      FUZZ_CHECK(!AllowedWithoutAttestation(*policy, action));
    }
  }
  if (report.locked.holds) {
    for (std::string_view action : kmspolicy::LockBreakingActions()) {
      FUZZ_CHECK(!AllowedWithoutAttestation(*policy, action));
    }
  }
  return 0;
}
