// The local KMS's key lookups and key facts (kms.md sections 2 and 3), and keys added outside
// any request (`enclavectl kms import-key`).
#include "enclavectl/aws/arn.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/localkms/crypto.hpp"
#include "service_internal.hpp"

namespace enclavectl::localkms {
namespace internal {
namespace {

void Algorithms(const KeyRecord& key, std::vector<std::string>& encryption,
                std::vector<std::string>& signing, std::vector<std::string>& agreement) {
  if (key.usage == KeyUsage::kEncryptDecrypt) {
    encryption = {"SYMMETRIC_DEFAULT"};
  } else if (key.usage == KeyUsage::kKeyAgreement) {
    agreement = {"ECDH"};
  } else if (key.spec == KeySpec::kEccNistP384) {
    signing = {"ECDSA_SHA_384"};
  } else {
    signing = {"ECDSA_SHA_256"};
  }
}

}  // namespace

State::State(ServiceOptions options, KeyStore store, StatePersister& persister,
             const core::io::Clock& clock)
    : options_(std::move(options)),
      store_(std::move(store)),
      persister_(persister),
      clock_(clock) {}

std::string State::AliasArn(std::string_view alias) const {
  return "arn:aws:kms:" + Config().region + ":" + Config().account_id + ":" + std::string(alias);
}

KeyRecord* State::Resolve(std::string_view text, Fault& fault, bool allow_alias) {
  std::string key_id;
  if (text.rfind("arn:", 0) == 0) {
    const std::optional<aws::Arn> arn = aws::ParseArn(text);
    if (!arn || arn->service != "kms") {
      fault = MakeFault("InvalidArnException", "Invalid arn " + core::SafeExcerpt(text, 128));
      return nullptr;
    }
    if (arn->region != Config().region || arn->account != Config().account_id) {
      fault = MakeFault("NotFoundException",
                        "Key '" + core::SafeExcerpt(text, 256) + "' does not exist");
      return nullptr;
    }
    if (arn->resource.rfind("key/", 0) == 0) {
      key_id = arn->resource.substr(4);
    } else if (arn->resource.rfind("alias/", 0) == 0 && allow_alias) {
      return ResolveAlias(arn->resource, fault);
    } else {
      fault = MakeFault("InvalidArnException", "Invalid arn " + core::SafeExcerpt(text, 128));
      return nullptr;
    }
  } else if (text.rfind("alias/", 0) == 0 && allow_alias) {
    return ResolveAlias(text, fault);
  } else {
    key_id = std::string(text);
  }
  if (!IsKeyIdFormat(key_id)) {
    fault =
        MakeFault("NotFoundException", "Invalid keyId '" + core::SafeExcerpt(key_id, 128) + "'");
    return nullptr;
  }
  const auto it = store_.keys.find(key_id);
  if (it == store_.keys.end() || IsDeleted(it->second)) {
    fault = MakeFault("NotFoundException", "Key '" + ArnOf(key_id) + "' does not exist");
    return nullptr;
  }
  return &it->second;
}

KeyRecord* State::ResolveAlias(std::string_view alias, Fault& fault) {
  const auto it = store_.aliases.find(std::string(alias));
  if (it == store_.aliases.end()) {
    fault = MakeFault("NotFoundException",
                      "Alias " + AliasArn(core::SafeExcerpt(alias, 256)) + " is not found.");
    return nullptr;
  }
  return Resolve(it->second.target_key_id, fault, false);
}

KeyRecord* State::ResolveAuthorized(std::string_view text, const Call& call,
                                    const RecipientCheck* recipient,
                                    const aws::EncryptionContext* context, Fault& fault,
                                    bool allow_alias) {
  KeyRecord* key = Resolve(text, fault, allow_alias);
  if (key == nullptr) {
    return nullptr;
  }
  if (auto denied = Authorize(call, *key, recipient, context)) {
    fault = std::move(*denied);
    return nullptr;
  }
  return key;
}

bool State::IsDeleted(const KeyRecord& key) const {
  return key.state == KeyState::kPendingDeletion && key.deletion_ms && NowMs() >= *key.deletion_ms;
}

std::optional<Fault> State::CheckUsable(const KeyRecord& key) const {
  if (key.state == KeyState::kDisabled) {
    return MakeFault("DisabledException", ArnOf(key.key_id) + " is disabled.");
  }
  if (key.state == KeyState::kPendingDeletion) {
    return PendingDeletion(ArnOf(key.key_id));
  }
  return std::nullopt;
}

std::optional<Fault> State::CheckUsage(const KeyRecord& key, KeyUsage usage,
                                       std::string_view operation) const {
  if (key.usage == usage &&
      (usage != KeyUsage::kEncryptDecrypt || key.spec == KeySpec::kSymmetricDefault)) {
    return std::nullopt;
  }
  return MakeFault("InvalidKeyUsageException",
                   std::string(KeyUsageName(key.usage)) + " key usage is not compatible with " +
                       std::string(operation) + " (" + ArnOf(key.key_id) + ", " +
                       KeySpecName(key.spec) + ")");
}

aws::KeyMetadata State::Metadata(const KeyRecord& key) const {
  aws::KeyMetadata meta;
  meta.aws_account_id = Config().account_id;
  meta.key_id = key.key_id;
  meta.arn = ArnOf(key.key_id);
  meta.creation_date = EpochSeconds(key.creation_ms);
  meta.enabled = key.state == KeyState::kEnabled;
  meta.description = key.description;
  meta.key_usage = KeyUsageName(key.usage);
  meta.key_state = KeyStateName(key.state);
  meta.origin = key.origin;
  meta.key_manager = "CUSTOMER";
  meta.key_spec = KeySpecName(key.spec);
  meta.multi_region = key.multi_region;
  if (key.deletion_ms) {
    meta.deletion_date = EpochSeconds(*key.deletion_ms);
    meta.pending_deletion_window_in_days = key.pending_window_days;
  }
  Algorithms(key, meta.encryption_algorithms, meta.signing_algorithms,
             meta.key_agreement_algorithms);
  return meta;
}

void PublicKeyAlgorithms(const KeyRecord& key, aws::GetPublicKeyResult& out) {
  Algorithms(key, out.encryption_algorithms, out.signing_algorithms, out.key_agreement_algorithms);
}

}  // namespace internal

namespace {

using core::ErrorCode;

// The checks AddImportedKey makes before touching `store`: usage, key id, alias form.
core::Status CheckImportedKey(const KeyRecord& key, std::string_view alias) {
  if (!IsValidCombination(key.spec, key.usage)) {
    return core::Fail(ErrorCode::kKeyImport, std::string("KeyUsage ") + KeyUsageName(key.usage) +
                                                 " is not compatible with KeySpec " +
                                                 KeySpecName(key.spec));
  }
  if (!IsKeyIdFormat(key.key_id)) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "a key id is a lower-case UUID (8-4-4-4-12 hex digits)");
  }
  if (!alias.empty() &&
      (alias.rfind("alias/", 0) != 0 || alias.size() <= 6 || alias.rfind("alias/aws/", 0) == 0)) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "the alias must be alias/NAME, not alias/aws/...");
  }
  return core::Ok();
}

}  // namespace

core::Result<std::string> AddImportedKey(KeyStore& store, const ServiceConfig& config,
                                         KeyRecord key, std::string_view alias,
                                         core::UnixMillis now) {
  if (key.key_id.empty()) {
    key.key_id = RandomUuid();
  }
  ENCLAVECTL_RETURN_IF_ERROR(CheckImportedKey(key, alias));
  if (const auto existing = store.keys.find(key.key_id); existing != store.keys.end()) {
    // Importing the same key again is a no-op (demo scripts rerun); other material is not.
    const auto alias_it = store.aliases.find(std::string(alias));
    if (core::Equal(existing->second.public_key, key.public_key) &&
        existing->second.spec == key.spec && existing->second.usage == key.usage &&
        (alias.empty() ||
         (alias_it != store.aliases.end() && alias_it->second.target_key_id == key.key_id))) {
      return key.key_id;
    }
    return core::Fail(ErrorCode::kInvalidArgument,
                      "key " + key.key_id + " already exists with other material or usage");
  }
  if (!alias.empty() && store.aliases.count(std::string(alias)) != 0) {
    return core::Fail(ErrorCode::kInvalidArgument, "the alias " + std::string(alias) + " is taken");
  }
  key.creation_ms = now.value;
  key.origin = "EXTERNAL";
  key.state = KeyState::kEnabled;
  if (key.policy.empty()) {
    key.policy = DefaultKeyPolicy(config.account_id);
  }
  const std::string id = key.key_id;
  store.keys.emplace(id, std::move(key));
  if (!alias.empty()) {
    store.aliases.emplace(std::string(alias), AliasRecord{id, now.value});
  }
  return id;
}

}  // namespace enclavectl::localkms
