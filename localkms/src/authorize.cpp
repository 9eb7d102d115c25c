// Key policy decisions (kms.md 8.2, 8.3): every key operation is evaluated by the kmspolicy
// evaluator on the key's policy, parsed once per policy text and cached per key.
#include "enclavectl/kmspolicy/evaluate.hpp"
#include "service_internal.hpp"

namespace enclavectl::localkms::internal {
namespace {

// KMS's key policy quota (kms.md 8.2).
constexpr std::size_t kPolicyQuotaBytes = 32768;

// The request the evaluator decides: principal, kms:<Operation> on the key ARN, and the
// context keys (attestation from a verified document, encryption context, key facts).
kmspolicy::Request PolicyRequest(const std::string& principal, const std::string& action,
                                 const std::string& arn, const KeyRecord& key,
                                 const RecipientCheck* recipient,
                                 const aws::EncryptionContext* context) {
  kmspolicy::Request request;
  request.principal = principal;
  request.action = action;
  request.resource = arn;
  if (recipient != nullptr && recipient->verified) {
    kmspolicy::AddAttestationKeys(*recipient->verified, request.context);
  }
  if (context != nullptr) {
    for (const auto& [context_key, value] : *context) {
      request.context.Set("kms:EncryptionContext:" + context_key, {value});
      request.context.Add("kms:EncryptionContextKeys", context_key);
    }
  }
  request.context.Set("kms:KeySpec", {KeySpecName(key.spec)});
  request.context.Set("kms:KeyUsage", {KeyUsageName(key.usage)});
  request.context.Set("kms:KeyOrigin", {key.origin});
  kmspolicy::AddCallerKeys(request);
  return request;
}

}  // namespace

const core::Result<kmspolicy::Policy>& State::PolicyOf(const KeyRecord& key) {
  const auto it = policies_.find(key.key_id);
  if (it != policies_.end() && it->second.text == key.policy) {
    return it->second.policy;
  }
  CachedPolicy parsed{key.policy, kmspolicy::ParsePolicy(key.policy)};
  if (it != policies_.end()) {
    it->second = std::move(parsed);
    return it->second.policy;
  }
  return policies_.emplace(key.key_id, std::move(parsed)).first->second.policy;
}

void State::RememberPolicy(const KeyRecord& key, kmspolicy::Policy policy) {
  policies_.insert_or_assign(key.key_id, CachedPolicy{key.policy, std::move(policy)});
}

std::optional<Fault> State::Authorize(const Call& call, const KeyRecord& key,
                                      const RecipientCheck* recipient,
                                      const aws::EncryptionContext* context) {
  const std::string action = "kms:" + std::string(aws::KmsOperationName(call.operation));
  const std::string arn = ArnOf(key.key_id);
  const std::string denied = "User: " + call.principal +
                             " is not authorized to perform: " + action + " on resource: " + arn;
  const Fault implicit_deny{
      "AccessDeniedException",
      denied + " because no resource-based policy allows the " + action + " action", 400, true};
  const core::Result<kmspolicy::Policy>& policy = PolicyOf(key);
  if (!policy) {
    call.note = "the key policy cannot be parsed: " + policy.error().detail;
    return implicit_deny;
  }
  auto evaluation = kmspolicy::Evaluate(
      *policy, PolicyRequest(call.principal, action, arn, key, recipient, context));
  if (!evaluation) {
    call.note = "the key policy cannot be evaluated: " + evaluation.error().detail;
    return implicit_deny;
  }
  switch (evaluation->decision) {
    case kmspolicy::Decision::kAllow:
      return std::nullopt;
    case kmspolicy::Decision::kExplicitDeny:
      return Fault{"AccessDeniedException",
                   denied + " with an explicit deny in a resource-based policy", 400, true};
    case kmspolicy::Decision::kImplicitDeny:
      break;
  }
  return implicit_deny;
}

std::optional<Fault> State::CheckLockout(const kmspolicy::Policy& policy,
                                         const std::string& principal,
                                         std::string_view key_id) const {
  kmspolicy::Request request;
  request.principal = principal;
  request.action = "kms:PutKeyPolicy";
  request.resource = ArnOf(key_id);
  kmspolicy::AddCallerKeys(request);
  auto evaluation = kmspolicy::Evaluate(policy, request);
  if (!evaluation || evaluation->decision != kmspolicy::Decision::kAllow) {
    return MakeFault("MalformedPolicyDocumentException",
                     "The new key policy will not allow you to update the key policy in the "
                     "future.");
  }
  return std::nullopt;
}

std::variant<kmspolicy::Policy, Fault> CheckPolicyText(const std::string& text) {
  if (text.size() > kPolicyQuotaBytes) {
    return MakeFault("LimitExceededException",
                     "Policy document exceeds the maximum size of 32768 bytes");
  }
  kmspolicy::PolicyElement failed = kmspolicy::PolicyElement::kOther;
  auto policy = kmspolicy::ParsePolicy(text, failed);
  if (!policy) {
    // Decided on the element that failed (a typed result), never on the error's text.
    if (failed == kmspolicy::PolicyElement::kPrincipal) {
      return MakeFault("MalformedPolicyDocumentException",
                       "Policy contains a statement with one or more invalid principals.");
    }
    return MakeFault("MalformedPolicyDocumentException", policy.error().detail);
  }
  return std::move(*policy);
}

}  // namespace enclavectl::localkms::internal
