#include "enclavectl/kmspolicy/io/lock.hpp"

#include <utility>

#include "enclavectl/aws/kms_api.hpp"
#include "enclavectl/core/encoding.hpp"

namespace enclavectl::kmspolicy::io {
namespace {

using core::ErrorCode;

core::Error Prefixed(core::Error error, std::string_view prefix) {
  error.detail = std::string(prefix) + error.detail;
  return error;
}

// Replaces every occurrence of `secret` in `text`.
std::string Redact(std::string text, std::string_view secret) {
  if (secret.empty()) {
    return text;
  }
  for (std::size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), "<redacted>");
  }
  return text;
}

// Enclave-only and locked; `prefix` on the failure's detail.
core::Status CheckLocked(const LintReport& report, std::string_view prefix) {
  core::Status clean = CheckRequirements(report, {true, true});
  if (!clean) {
    return core::Fail(Prefixed(clean.error(), prefix));
  }
  return core::Ok();
}

// The key may be locked: Enabled, and no copy of its material outside this key's policy.
core::Status CheckKeyBeforeLock(aws::KmsClient& client, const std::string& key_arn) {
  auto described = client.DescribeKey(key_arn);
  if (!described) {
    return core::Fail(Prefixed(described.error(), "before locking, DescribeKey: "));
  }
  if (!described->key_state.empty() && described->key_state != "Enabled") {
    return core::Fail(ErrorCode::kKmsInvalidState,
                      "the key is " + described->key_state + ", not Enabled; nothing was sent");
  }
  // A policy cannot lock key material that exists outside this key (an importer's copy, an
  // external key store, another Region's replica): refuse before anything irreversible.
  if (const auto escapes = KeyMaterialEscapes(*described); !escapes.empty()) {
    return core::Fail(ErrorCode::kPolicyNotEnclaveOnly,
                      "no key policy can make this key "
                      "enclave-only: " +
                          escapes.front() + "; nothing was sent");
  }
  return core::Ok();
}

}  // namespace

LockPlan PlanLock(std::string key_arn, Policy policy) {
  LockPlan plan;
  plan.policy_text = EncodePolicy(policy);
  plan.report = LintPolicy(policy, LintTarget{key_arn, std::nullopt});
  plan.key_arn = std::move(key_arn);
  plan.policy = std::move(policy);
  return plan;
}

core::Status CheckLockable(const LockPlan& plan) {
  constexpr std::string_view kPrefix = "refusing to lock: ";
  ENCLAVECTL_RETURN_IF_ERROR(CheckLocked(plan.report, kPrefix));
  if (const std::size_t errors = plan.report.CountAtLeast(Severity::kError); errors > 0) {
    return core::Fail(ErrorCode::kPolicyLintErrors,
                      std::string(kPrefix) + "lint reports " + std::to_string(errors) +
                          " error(s); a lock would make them permanent");
  }
  return core::Ok();
}

core::SecretBytes LockRequestBody(const LockPlan& plan) {
  return aws::EncodePutKeyPolicyRequest(
      aws::PutKeyPolicyRequest{plan.key_arn, plan.policy_text, /*bypass=*/true});
}

core::Result<LockReadBack> ApplyLock(aws::KmsClient& client, const LockPlan& plan,
                                     const LockHooks& hooks) {
  if (hooks.confirm && !hooks.confirm()) {
    return core::Fail(ErrorCode::kLockNotConfirmed,
                      "not confirmed: the key id was not typed; nothing was sent");
  }
  ENCLAVECTL_RETURN_IF_ERROR(CheckKeyBeforeLock(client, plan.key_arn));
  auto put = client.PutKeyPolicy(
      aws::PutKeyPolicyRequest{plan.key_arn, plan.policy_text, /*bypass=*/true});
  if (!put) {
    return core::Fail(Prefixed(put.error(), "PutKeyPolicy failed, the key is unchanged: "));
  }
  if (hooks.applied) {
    hooks.applied();
  }
  auto fetched = client.GetKeyPolicy(plan.key_arn);
  if (!fetched) {
    return core::Fail(
        Prefixed(fetched.error(), "the lock was applied, but reading it back failed: "));
  }
  auto held = ParsePolicy(fetched->policy);
  if (!held) {
    return core::Fail(Prefixed(
        held.error(), "the lock was applied, but KMS returns a policy that does not parse: "));
  }
  LockReadBack read_back;
  read_back.report = LintPolicy(*held, LintTarget{plan.key_arn, std::nullopt});
  read_back.identical = *held == plan.policy;
  read_back.held = std::move(*held);
  return read_back;
}

core::Status CheckReadBack(const LockReadBack& read_back) {
  constexpr std::string_view kPrefix = "the lock was applied, but what KMS holds is not right: ";
  ENCLAVECTL_RETURN_IF_ERROR(CheckLocked(read_back.report, kPrefix));
  if (!read_back.identical) {
    return core::Fail(ErrorCode::kPolicyLintErrors,
                      std::string(kPrefix) + "KMS holds a policy that differs from the one sent");
  }
  return core::Ok();
}

ShownRequest ShowSignedRequest(const aws::PreparedRequest& prepared, const core::SecretBytes& body,
                               std::string_view session_token) {
  ShownRequest shown;
  shown.method = prepared.http.method;
  shown.url = prepared.http.url;
  for (const aws::HttpHeader& header : prepared.http.headers) {
    if (header.name == "X-Amz-Security-Token") {
      shown.headers.push_back({header.name, "<redacted>"});
    } else if (header.name == "Authorization") {
      shown.headers.push_back({header.name, Redact(header.value, prepared.signature.signature)});
    } else {
      shown.headers.push_back(header);
    }
  }
  shown.body = std::string(core::AsChars(body.View()));
  shown.canonical_request = Redact(prepared.signature.canonical_request, session_token);
  shown.string_to_sign = prepared.signature.string_to_sign;
  return shown;
}

}  // namespace enclavectl::kmspolicy::io
