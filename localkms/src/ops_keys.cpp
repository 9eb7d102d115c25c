// The key operations (kms.md 4): CreateKey, DescribeKey, GetPublicKey, ScheduleKeyDeletion,
// CancelKeyDeletion/EnableKey/DisableKey and ListKeys.
#include <algorithm>

#include "enclavectl/core/json.hpp"
#include "enclavectl/localkms/crypto.hpp"
#include "service_internal.hpp"

namespace enclavectl::localkms::internal {
namespace {

constexpr std::int64_t kDayMs = std::int64_t{24} * 60 * 60 * 1000;
constexpr std::uint32_t kMaxListLimit = 100;

// The KeySpec and KeyUsage CreateKey asks for, with KMS's defaults and refusals.
std::variant<std::pair<KeySpec, KeyUsage>, Fault> KeyChoice(const aws::CreateKeyRequest& request) {
  if (!request.origin.empty() && request.origin != "AWS_KMS") {
    return MakeFault("UnsupportedOperationException",
                     "The local KMS only creates keys with Origin AWS_KMS; import key "
                     "material with 'enclavectl kms import-key'.");
  }
  const std::string spec_name = request.key_spec.empty() ? "SYMMETRIC_DEFAULT" : request.key_spec;
  const std::optional<KeySpec> spec = KeySpecFromName(spec_name);
  if (!spec) {
    return MakeFault("UnsupportedOperationException",
                     "The local KMS does not implement KeySpec " + spec_name +
                         " (it implements SYMMETRIC_DEFAULT, ECC_NIST_P256, "
                         "ECC_NIST_P384 and ECC_SECG_P256K1)");
  }
  std::string usage_name = request.key_usage;
  if (usage_name.empty()) {
    if (*spec != KeySpec::kSymmetricDefault) {
      return MakeFault("ValidationException",
                       "You must specify a KeyUsage value for an asymmetric KMS key.");
    }
    usage_name = "ENCRYPT_DECRYPT";
  }
  const std::optional<KeyUsage> usage = KeyUsageFromName(usage_name);
  if (!usage || !IsValidCombination(*spec, *usage)) {
    return MakeFault("ValidationException",
                     "KeyUsage " + usage_name + " is not compatible with KeySpec " + spec_name);
  }
  return std::pair{*spec, *usage};
}

}  // namespace

Answer CreateKey(Service& service, const Call& call) {
  auto request = aws::DecodeCreateKeyRequest(core::AsBytes(call.body));
  if (!request) {
    return Error(FromDecodeError(request.error()));
  }
  auto choice = KeyChoice(*request);
  if (auto* fault = std::get_if<Fault>(&choice)) {
    return Error(std::move(*fault));
  }
  const auto [spec, usage] = std::get<std::pair<KeySpec, KeyUsage>>(choice);
  KeyRecord key;
  key.key_id = RandomUuid();
  std::optional<kmspolicy::Policy> policy;
  if (request->policy) {
    auto checked = CheckPolicyText(*request->policy);
    if (auto* fault = std::get_if<Fault>(&checked)) {
      return Error(std::move(*fault));
    }
    policy = std::move(std::get<kmspolicy::Policy>(checked));
  }
  Session kms = service.Lock();
  if (policy && !request->bypass_policy_lockout_safety_check) {
    if (auto fault = kms->CheckLockout(*policy, call.principal, key.key_id)) {
      return Error(std::move(*fault));
    }
  }
  key.policy = request->policy ? *request->policy : DefaultKeyPolicy(kms->Config().account_id);
  auto material = GenerateKeyMaterial(spec);
  if (!material) {
    return Error(InternalFault("key generation failed"));
  }
  key.creation_ms = kms->NowMs();
  key.description = request->description.value_or("");
  key.spec = spec;
  key.usage = usage;
  key.multi_region = request->multi_region;
  key.tags = request->tags;
  key.material = std::move(material->material);
  key.public_key = std::move(material->public_key);
  const std::string id = key.key_id;
  KeyStore& store = kms->Store();
  const KeyRecord& added = store.keys.emplace(id, std::move(key)).first->second;
  if (auto fault = kms->Persist([&store, &id] { store.keys.erase(id); })) {
    return Error(std::move(*fault));
  }
  if (policy) {
    kms->RememberPolicy(added, std::move(*policy));
  }
  return Ok(aws::EncodeKeyMetadataResponse(kms->Metadata(added)));
}

Answer DescribeKey(Service& service, const Call& call) {
  auto key_id = aws::DecodeKeyIdRequest(core::AsBytes(call.body));
  if (!key_id) {
    return Error(FromDecodeError(key_id.error()));
  }
  return OnAuthorizedKey(service, call, *key_id, [](State& kms, const KeyRecord& key) {
    return Ok(aws::EncodeKeyMetadataResponse(kms.Metadata(key)));
  });
}

Answer GetPublicKey(Service& service, const Call& call) {
  auto key_id = aws::DecodeKeyIdRequest(core::AsBytes(call.body));
  if (!key_id) {
    return Error(FromDecodeError(key_id.error()));
  }
  return OnAuthorizedKey(service, call, *key_id, [](State& kms, const KeyRecord& key) {
    if (auto unusable = kms.CheckUsable(key)) {
      return Error(std::move(*unusable));
    }
    if (key.spec == KeySpec::kSymmetricDefault) {
      return Error(MakeFault("UnsupportedOperationException",
                             kms.ArnOf(key.key_id) +
                                 " key usage is not supported: GetPublicKey needs "
                                 "an asymmetric KMS key."));
    }
    aws::GetPublicKeyResult result;
    result.key_id = kms.ArnOf(key.key_id);
    result.public_key = key.public_key;
    result.key_spec = KeySpecName(key.spec);
    result.key_usage = KeyUsageName(key.usage);
    PublicKeyAlgorithms(key, result);
    return Ok(aws::EncodeGetPublicKeyResponse(result));
  });
}

Answer ScheduleKeyDeletion(Service& service, const Call& call) {
  auto request = aws::DecodeScheduleKeyDeletionRequest(core::AsBytes(call.body));
  if (!request) {
    return Error(FromDecodeError(request.error()));
  }
  return OnAuthorizedKey(service, call, request->key_id, [&](State& kms, KeyRecord& key) {
    if (key.state == KeyState::kPendingDeletion) {
      return Error(PendingDeletion(kms.ArnOf(key.key_id)));
    }
    const std::uint32_t days = request->pending_window_in_days.value_or(30);
    const KeyState previous = key.state;
    key.state = KeyState::kPendingDeletion;
    key.deletion_ms = kms.NowMs() + static_cast<std::int64_t>(days) * kDayMs;
    key.pending_window_days = days;
    if (auto persist = kms.Persist([&key, previous] {
          key.state = previous;
          key.deletion_ms.reset();
          key.pending_window_days = 0;
        })) {
      return Error(std::move(*persist));
    }
    return Ok(aws::EncodeScheduleKeyDeletionResponse(
        {kms.ArnOf(key.key_id), EpochSeconds(*key.deletion_ms), "PendingDeletion", days}));
  });
}

namespace {

// The state change itself, with the lock held: EnableKey enables; DisableKey and a cancelled
// deletion leave the key disabled, as in KMS.
Answer ApplyKeyState(State& kms, KeyRecord& key, aws::KmsOperation operation) {
  const bool cancel = operation == aws::KmsOperation::kCancelKeyDeletion;
  const bool pending = key.state == KeyState::kPendingDeletion;
  if (pending != cancel) {
    return Error(MakeFault(
        "KMSInvalidStateException",
        kms.ArnOf(key.key_id) + (pending ? " is pending deletion." : " is not pending deletion.")));
  }
  const KeyState previous = key.state;
  const std::optional<std::int64_t> previous_deletion = key.deletion_ms;
  const std::uint32_t previous_window = key.pending_window_days;
  key.state = operation == aws::KmsOperation::kEnableKey ? KeyState::kEnabled : KeyState::kDisabled;
  key.deletion_ms.reset();
  key.pending_window_days = 0;
  if (auto persist = kms.Persist([&key, previous, previous_deletion, previous_window] {
        key.state = previous;
        key.deletion_ms = previous_deletion;
        key.pending_window_days = previous_window;
      })) {
    return Error(std::move(*persist));
  }
  if (cancel) {
    return Ok(core::DumpJson(nlohmann::json{{"KeyId", kms.ArnOf(key.key_id)}}));
  }
  return Ok(std::string());
}

}  // namespace

Answer ChangeKeyState(Service& service, const Call& call) {
  auto key_id = aws::DecodeKeyIdRequest(core::AsBytes(call.body));
  if (!key_id) {
    return Error(FromDecodeError(key_id.error()));
  }
  return OnAuthorizedKey(service, call, *key_id, [&call](State& kms, KeyRecord& key) {
    return ApplyKeyState(kms, key, call.operation);
  });
}

Answer ListKeys(Service& service, const Call& call) {
  auto request = aws::DecodeListRequest(core::AsBytes(call.body), false);
  if (!request) {
    return Error(FromDecodeError(request.error()));
  }
  Session kms = service.Lock();
  const KeyStore& store = kms->Store();
  const std::uint32_t limit = std::min(request->limit.value_or(kMaxListLimit), 1000U);
  aws::ListKeysResult result;
  for (auto it = store.keys.upper_bound(request->marker); it != store.keys.end(); ++it) {
    if (kms->IsDeleted(it->second)) {
      continue;
    }
    if (result.keys.size() == limit) {
      result.next_marker = result.keys.back().first;
      break;
    }
    result.keys.emplace_back(it->first, kms->ArnOf(it->first));
  }
  return Ok(aws::EncodeListKeysResponse(result));
}

}  // namespace enclavectl::localkms::internal
