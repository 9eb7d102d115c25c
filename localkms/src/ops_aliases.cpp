// CreateAlias, DeleteAlias and ListAliases (kms.md 4).
#include <algorithm>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "service_internal.hpp"

namespace enclavectl::localkms::internal {
namespace {

constexpr std::uint32_t kDefaultListLimit = 50;
constexpr std::uint32_t kMaxListLimit = 100;

std::optional<Fault> CheckAliasName(std::string_view name) {
  if (name.rfind("alias/", 0) != 0 || name.size() <= 6 ||
      name.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:/_-") !=
          std::string_view::npos) {
    return MakeFault("ValidationException",
                     "1 validation error detected: Value '" + core::SafeExcerpt(name, 256) +
                         "' at 'aliasName' failed to satisfy constraint: Member must satisfy "
                         "regular expression pattern: ^alias/[a-zA-Z0-9/_-]+$");
  }
  if (name.rfind("alias/aws/", 0) == 0) {
    return MakeFault("NotAuthorizedException",
                     "Cannot create or delete aliases that begin with alias/aws/");
  }
  return std::nullopt;
}

}  // namespace

Answer CreateAlias(Service& service, const Call& call) {
  auto request = aws::DecodeCreateAliasRequest(core::AsBytes(call.body));
  if (!request) {
    return Error(FromDecodeError(request.error()));
  }
  if (auto invalid = CheckAliasName(request->alias_name)) {
    return Error(std::move(*invalid));
  }
  Session kms = service.Lock();
  Fault fault;
  const KeyRecord* key =
      kms->ResolveAuthorized(request->target_key_id, call, nullptr, nullptr, fault, false);
  if (key == nullptr) {
    return Error(std::move(fault));
  }
  if (key->state == KeyState::kPendingDeletion) {
    return Error(PendingDeletion(kms->ArnOf(key->key_id)));
  }
  KeyStore& store = kms->Store();
  if (store.aliases.count(request->alias_name) != 0) {
    return Error(MakeFault(
        "AlreadyExistsException",
        "An alias with the name " + kms->AliasArn(request->alias_name) + " already exists"));
  }
  const std::string name = request->alias_name;
  store.aliases.emplace(name, AliasRecord{key->key_id, kms->NowMs()});
  if (auto persist = kms->Persist([&store, &name] { store.aliases.erase(name); })) {
    return Error(std::move(*persist));
  }
  return Ok(std::string());
}

Answer DeleteAlias(Service& service, const Call& call) {
  auto name = aws::DecodeDeleteAliasRequest(core::AsBytes(call.body));
  if (!name) {
    return Error(FromDecodeError(name.error()));
  }
  Session kms = service.Lock();
  KeyStore& store = kms->Store();
  const auto it = store.aliases.find(*name);
  if (it == store.aliases.end()) {
    return Error(
        MakeFault("NotFoundException",
                  "Alias " + kms->AliasArn(core::SafeExcerpt(*name, 256)) + " is not found."));
  }
  const auto key = store.keys.find(it->second.target_key_id);
  if (key != store.keys.end()) {
    if (auto denied = kms->Authorize(call, key->second, nullptr, nullptr)) {
      return Error(std::move(*denied));
    }
  }
  const AliasRecord previous = it->second;
  store.aliases.erase(it);
  if (auto persist =
          kms->Persist([&store, &name, &previous] { store.aliases.emplace(*name, previous); })) {
    return Error(std::move(*persist));
  }
  return Ok(std::string());
}

Answer ListAliases(Service& service, const Call& call) {
  auto request = aws::DecodeListRequest(core::AsBytes(call.body), true);
  if (!request) {
    return Error(FromDecodeError(request.error()));
  }
  Session kms = service.Lock();
  std::string target;
  if (!request->key_id.empty()) {
    Fault fault;
    const KeyRecord* key = kms->Resolve(request->key_id, fault, false);
    if (key == nullptr) {
      return Error(std::move(fault));
    }
    target = key->key_id;
  }
  const std::uint32_t limit = std::min(request->limit.value_or(kDefaultListLimit), kMaxListLimit);
  const KeyStore& store = kms->Store();
  aws::ListAliasesResult result;
  for (auto it = store.aliases.upper_bound(request->marker); it != store.aliases.end(); ++it) {
    const auto key = store.keys.find(it->second.target_key_id);
    if ((!target.empty() && it->second.target_key_id != target) ||
        (key != store.keys.end() && kms->IsDeleted(key->second))) {
      continue;
    }
    if (result.aliases.size() == limit) {
      result.next_marker = result.aliases.back().alias_name;
      break;
    }
    result.aliases.push_back(aws::AliasEntry{it->first, kms->AliasArn(it->first),
                                             it->second.target_key_id,
                                             EpochSeconds(it->second.creation_ms)});
  }
  return Ok(aws::EncodeListAliasesResponse(result));
}

}  // namespace enclavectl::localkms::internal
