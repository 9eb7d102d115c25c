// The irreversible lock of a KMS key to one enclave image (`enclavectl lock-policy`), as a
// library flow: plan (the policy and its lint for the key), refuse what a lock would make
// permanent, and apply (confirmation, DescribeKey, PutKeyPolicy with
// BypassPolicyLockoutSafetyCheck, read back). The caller owns the KMS client, the prompts and
// the rendering (docs/kms-policy.md).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "enclavectl/aws/kms_client.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"
#include "enclavectl/kmspolicy/lint.hpp"
#include "enclavectl/kmspolicy/policy.hpp"

namespace enclavectl::kmspolicy::io {

// What a lock would send, and lint's judgement of it for the key.
struct LockPlan {
  std::string key_arn;  // arn:aws:kms:REGION:ACCOUNT:key/ID
  Policy policy;
  std::string policy_text;  // EncodePolicy(policy): the PutKeyPolicy body's policy
  LintReport report;        // LintPolicy(policy) for key_arn
};

// Encodes `policy` and lints it for `key_arn` (a Deny on that key counts).
LockPlan PlanLock(std::string key_arn, Policy policy);

// Refuses a plan whose policy is not enclave-only, not locked, or has lint errors: after the
// lock nobody can fix it. Fails with kPolicyNotEnclaveOnly, kPolicyNotLocked or
// kPolicyLintErrors, detail prefixed "refusing to lock: ".
[[nodiscard]] core::Status CheckLockable(const LockPlan& plan);

// The PutKeyPolicy request body of the lock (BypassPolicyLockoutSafetyCheck true).
core::SecretBytes LockRequestBody(const LockPlan& plan);

// The caller's part of ApplyLock.
struct LockHooks {
  // Asked before anything is sent; false stops with kLockNotConfirmed. Empty: confirmed.
  std::function<bool()> confirm;
  // Told once PutKeyPolicy succeeded (irreversible from here); may be empty.
  std::function<void()> applied;
};

// What KMS holds after the lock, linted for the key.
struct LockReadBack {
  Policy held;
  LintReport report;
  bool identical = false;  // equal to the plan's policy
};

// Locks plan.key_arn: asks hooks.confirm, refuses a key that is not Enabled (kKmsInvalidState)
// or whose key material escapes any key policy (kPolicyNotEnclaveOnly: imported, external,
// multi-Region), sends PutKeyPolicy with BypassPolicyLockoutSafetyCheck, tells hooks.applied,
// then reads the policy back and lints it. Check the plan with CheckLockable first. Fails
// with the KMS client's codes, each detail saying whether the key was changed; after
// hooks.applied, with GetKeyPolicy's or the parser's codes.
[[nodiscard]] core::Result<LockReadBack> ApplyLock(aws::KmsClient& client, const LockPlan& plan,
                                                   const LockHooks& hooks);

// Checks what KMS holds: enclave-only, locked and identical to what was sent. Fails with
// kPolicyNotEnclaveOnly, kPolicyNotLocked or kPolicyLintErrors, detail prefixed "the lock was
// applied, but what KMS holds is not right: ".
[[nodiscard]] core::Status CheckReadBack(const LockReadBack& read_back);

// A signed request as it may be shown (a dry run): the session token and the signature (which
// would let anyone replay the request for five minutes) are redacted, in the headers and in
// the canonical request.
struct ShownRequest {
  std::string method;
  std::string url;
  std::vector<aws::HttpHeader> headers;
  std::string body;
  std::string canonical_request;
  std::string string_to_sign;
};
ShownRequest ShowSignedRequest(const aws::PreparedRequest& prepared, const core::SecretBytes& body,
                               std::string_view session_token);

}  // namespace enclavectl::kmspolicy::io
