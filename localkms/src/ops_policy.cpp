// GetKeyPolicy and PutKeyPolicy (kms.md 4, 8.2, 8.3).
#include "service_internal.hpp"

namespace enclavectl::localkms::internal {

Answer GetKeyPolicy(Service& service, const Call& call) {
  auto request = aws::DecodeGetKeyPolicyRequest(core::AsBytes(call.body));
  if (!request) {
    return Error(FromDecodeError(request.error()));
  }
  return OnAuthorizedKey(service, call, request->key_id, [&](State&, const KeyRecord& key) {
    if (request->policy_name != "default") {
      return Error(MakeFault("NotFoundException", "No such policy exists"));
    }
    return Ok(aws::EncodeGetKeyPolicyResponse({key.policy, "default"}));
  });
}

Answer PutKeyPolicy(Service& service, const Call& call) {
  auto request = aws::DecodePutKeyPolicyRequest(core::AsBytes(call.body));
  if (!request) {
    return Error(FromDecodeError(request.error()));
  }
  return OnAuthorizedKey(service, call, request->key_id, [&](State& kms, KeyRecord& key) {
    if (request->policy_name != "default") {
      return Error(MakeFault("NotFoundException", "No such policy exists"));
    }
    if (key.state == KeyState::kPendingDeletion) {
      return Error(PendingDeletion(kms.ArnOf(key.key_id)));
    }
    auto checked = CheckPolicyText(request->policy);
    if (auto* policy_fault = std::get_if<Fault>(&checked)) {
      return Error(std::move(*policy_fault));
    }
    auto& policy = std::get<kmspolicy::Policy>(checked);
    if (!request->bypass_policy_lockout_safety_check) {
      if (auto lockout = kms.CheckLockout(policy, call.principal, key.key_id)) {
        return Error(std::move(*lockout));
      }
    }
    std::string previous = std::exchange(key.policy, request->policy);
    if (auto persist = kms.Persist([&key, &previous] { key.policy = std::move(previous); })) {
      return Error(std::move(*persist));
    }
    // Only a saved policy reaches the cache; the very next request is decided by it.
    kms.RememberPolicy(key, std::move(policy));
    return Ok(std::string());
  });
}

}  // namespace enclavectl::localkms::internal
