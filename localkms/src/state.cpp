#include "enclavectl/localkms/state.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <memory>
#include <set>

#include "enclavectl/aws/arn.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/localkms/crypto.hpp"

namespace enclavectl::localkms {
namespace {

using core::ErrorCode;
using core::Fail;
using Json = nlohmann::json;

constexpr std::array<const char*, 4> kSpecNames = {"SYMMETRIC_DEFAULT", "ECC_NIST_P256",
                                                   "ECC_NIST_P384", "ECC_SECG_P256K1"};
constexpr std::array<const char*, 3> kUsageNames = {"ENCRYPT_DECRYPT", "SIGN_VERIFY",
                                                    "KEY_AGREEMENT"};
constexpr std::array<const char*, 3> kStateNames = {"Enabled", "Disabled", "PendingDeletion"};

// Serialises `json` into wiped memory and wipes the tree and the intermediate text.
core::SecretBytes DumpSecret(Json& json) {
  std::string text = core::DumpJson(json, 1);
  text.push_back('\n');
  core::SecretBytes out(core::AsBytes(text));
  OPENSSL_cleanse(text.data(), text.size());
  core::WipeJsonStrings(json);
  return out;
}

std::string Base64Secret(const core::SecretBytes& secret) {
  return core::Base64Encode(secret.View());
}

// A parsed file whose strings are wiped when it goes away.
class WipedJson {
 public:
  explicit WipedJson(Json json) : json_(std::move(json)) {}
  ~WipedJson() { core::WipeJsonStrings(json_); }
  WipedJson(const WipedJson&) = delete;
  WipedJson& operator=(const WipedJson&) = delete;
  const Json& get() const { return json_; }

 private:
  Json json_;
};

core::Error Damaged(const std::string& what, int index = -1);

// A state or configuration file: strict JSON, an object with `media_type`.
core::Result<std::unique_ptr<WipedJson>> ParseFile(core::ByteView text, std::size_t max_bytes,
                                                   std::string_view media_type, const char* what) {
  auto parsed =
      core::ParseStrictJson(core::AsChars(text), max_bytes, ErrorCode::kLocalKmsState, what);
  if (!parsed) {
    return Fail(parsed.error());
  }
  auto doc = std::make_unique<WipedJson>(std::move(*parsed));
  const Json& json = doc->get();
  const auto it = json.is_object() ? json.find("mediaType") : json.end();
  if (it == json.end() || *it != media_type) {
    return Fail(Damaged(std::string(what) + ": the mediaType is not " + std::string(media_type)));
  }
  return doc;
}

core::Error Damaged(const std::string& what, int index) {
  return core::Error{ErrorCode::kLocalKmsState, what, index};
}

const Json* Member(const Json& obj, const char* name) {
  const auto it = obj.find(name);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

core::Result<std::string> Text(const Json& obj, const char* name, std::size_t max_len, int index,
                               bool required = true) {
  const Json* value = Member(obj, name);
  if (value == nullptr && !required) {
    return std::string();
  }
  if (value == nullptr || !value->is_string() ||
      value->get_ref<const std::string&>().size() > max_len) {
    return Fail(Damaged(std::string(name) + " is missing or not a string", index));
  }
  return value->get<std::string>();
}

core::Result<std::int64_t> Millis(const Json& obj, const char* name, int index) {
  const Json* value = Member(obj, name);
  if (value == nullptr || !value->is_number_integer()) {
    return Fail(Damaged(std::string(name) + " is missing or not an integer", index));
  }
  return value->get<std::int64_t>();
}

core::Result<core::SecretBytes> SecretBase64(const Json& obj, const char* name, int index,
                                             bool required = true) {
  const Json* value = Member(obj, name);
  if (value == nullptr && !required) {
    return core::SecretBytes();
  }
  if (value == nullptr || !value->is_string()) {
    return Fail(Damaged(std::string(name) + " is missing or not a string", index));
  }
  auto bytes = core::Base64Decode(value->get_ref<const std::string&>());
  if (!bytes) {
    return Fail(Damaged(std::string(name) + " is not base64", index));
  }
  core::SecretBytes out(*bytes);
  OPENSSL_cleanse(bytes->data(), bytes->size());
  return out;
}

// A key's optional members: the deletion date and window (PendingDeletion), MultiRegion, Tags.
core::Status DecodeKeyOptionals(const Json& item, int index, KeyRecord& key) {
  if (key.state == KeyState::kPendingDeletion) {
    auto deletion = Millis(item, "DeletionDate", index);
    if (!deletion) {
      return Fail(deletion.error());
    }
    key.deletion_ms = *deletion;
    const Json* window = Member(item, "PendingWindowInDays");
    if (window == nullptr || !window->is_number_unsigned() || window->get<std::uint64_t>() > 365) {
      return Fail(Damaged("PendingWindowInDays is not valid", index));
    }
    key.pending_window_days = window->get<std::uint32_t>();
  }
  if (const Json* multi = Member(item, "MultiRegion")) {
    if (!multi->is_boolean()) {
      return Fail(Damaged("MultiRegion is not a boolean", index));
    }
    key.multi_region = multi->get<bool>();
  }
  if (const Json* tags = Member(item, "Tags")) {
    if (!tags->is_array()) {
      return Fail(Damaged("Tags is not a list", index));
    }
    for (const Json& tag : *tags) {
      if (!tag.is_array() || tag.size() != 2 || !tag[0].is_string() || !tag[1].is_string()) {
        return Fail(Damaged("a tag is not [key, value]", index));
      }
      key.tags.emplace_back(tag[0].get<std::string>(), tag[1].get<std::string>());
    }
  }
  return core::Ok();
}

core::Result<KeyRecord> DecodeKey(const Json& item, int index) {
  if (!item.is_object()) {
    return Fail(Damaged("a key is not an object", index));
  }
  KeyRecord key;
  auto id = Text(item, "KeyId", 64, index);
  if (!id || !IsKeyIdFormat(*id)) {
    return Fail(Damaged("KeyId is not a UUID", index));
  }
  key.key_id = std::move(*id);
  auto created = Millis(item, "CreationDate", index);
  auto description = Text(item, "Description", 8192, index);
  auto spec = Text(item, "KeySpec", 64, index);
  auto usage = Text(item, "KeyUsage", 64, index);
  auto state = Text(item, "KeyState", 64, index);
  auto origin = Text(item, "Origin", 64, index);
  auto policy = Text(item, "Policy", core::limits::kMaxKeyPolicyBytes, index);
  for (const core::Result<std::string>* text :
       {&description, &spec, &usage, &state, &origin, &policy}) {
    if (!*text) {
      return Fail(text->error());
    }
  }
  if (!created) {
    return Fail(created.error());
  }
  key.creation_ms = *created;
  key.description = std::move(*description);
  key.origin = std::move(*origin);
  key.policy = std::move(*policy);
  const std::optional<KeySpec> parsed_spec = KeySpecFromName(*spec);
  const std::optional<KeyUsage> parsed_usage = KeyUsageFromName(*usage);
  if (!parsed_spec || !parsed_usage || !IsValidCombination(*parsed_spec, *parsed_usage)) {
    return Fail(Damaged("KeySpec/KeyUsage is not a supported combination", index));
  }
  key.spec = *parsed_spec;
  key.usage = *parsed_usage;
  bool known_state = false;
  for (std::size_t i = 0; i < kStateNames.size(); ++i) {
    if (*state == kStateNames[i]) {
      key.state = static_cast<KeyState>(i);
      known_state = true;
    }
  }
  if (!known_state || (key.origin != "AWS_KMS" && key.origin != "EXTERNAL")) {
    return Fail(Damaged("KeyState or Origin is not valid", index));
  }
  ENCLAVECTL_RETURN_IF_ERROR(DecodeKeyOptionals(item, index, key));
  auto material = SecretBase64(item, "Material", index);
  if (!material) {
    return Fail(material.error());
  }
  key.material = std::move(*material);
  auto public_key = SecretBase64(item, "PublicKey", index, false);
  if (!public_key) {
    return Fail(public_key.error());
  }
  key.public_key = core::ToBytes(public_key->View());
  if (auto checked = CheckKeyMaterial(key.spec, key.material, key.public_key); !checked) {
    return Fail(Damaged(checked.error().detail, index));
  }
  return key;
}

bool IsUpperAlnum(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

// Random characters from `alphabet`, unbiased (rejection sampling).
core::Result<std::string> RandomText(std::string_view alphabet, std::size_t count) {
  std::string out;
  const std::size_t limit = 256 - (256 % alphabet.size());
  while (out.size() < count) {
    std::array<std::uint8_t, 64> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
      return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("the CSPRNG failed"));
    }
    for (const std::uint8_t b : bytes) {
      if (b < limit && out.size() < count) {
        out.push_back(alphabet[b % alphabet.size()]);
      }
    }
    OPENSSL_cleanse(bytes.data(), bytes.size());
  }
  return out;
}

}  // namespace

const char* KeySpecName(KeySpec spec) noexcept {
  return kSpecNames.at(static_cast<std::size_t>(spec));
}
const char* KeyUsageName(KeyUsage usage) noexcept {
  return kUsageNames.at(static_cast<std::size_t>(usage));
}
const char* KeyStateName(KeyState state) noexcept {
  return kStateNames.at(static_cast<std::size_t>(state));
}

std::optional<KeySpec> KeySpecFromName(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kSpecNames.size(); ++i) {
    if (name == kSpecNames[i]) {
      return static_cast<KeySpec>(i);
    }
  }
  return std::nullopt;
}

std::optional<KeyUsage> KeyUsageFromName(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kUsageNames.size(); ++i) {
    if (name == kUsageNames[i]) {
      return static_cast<KeyUsage>(i);
    }
  }
  return std::nullopt;
}

bool IsValidCombination(KeySpec spec, KeyUsage usage) noexcept {
  switch (spec) {
    case KeySpec::kSymmetricDefault:
      return usage == KeyUsage::kEncryptDecrypt;
    case KeySpec::kEccNistP256:
    case KeySpec::kEccNistP384:
      return usage == KeyUsage::kSignVerify || usage == KeyUsage::kKeyAgreement;
    case KeySpec::kEccSecgP256k1:
      return usage == KeyUsage::kSignVerify;
  }
  return false;
}

bool IsKeyIdFormat(std::string_view text) noexcept {
  if (text.size() != 36) {
    return false;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

core::SecretBytes EncodeKeyStore(const KeyStore& store) {
  Json keys = Json::array();
  for (const auto& [id, key] : store.keys) {
    Json item = {{"KeyId", key.key_id},
                 {"CreationDate", key.creation_ms},
                 {"Description", key.description},
                 {"KeySpec", KeySpecName(key.spec)},
                 {"KeyUsage", KeyUsageName(key.usage)},
                 {"KeyState", KeyStateName(key.state)},
                 {"Origin", key.origin},
                 {"MultiRegion", key.multi_region},
                 {"Policy", key.policy},
                 {"Material", Base64Secret(key.material)}};
    if (key.deletion_ms) {
      item["DeletionDate"] = *key.deletion_ms;
      item["PendingWindowInDays"] = key.pending_window_days;
    }
    if (!key.public_key.empty()) {
      item["PublicKey"] = core::Base64Encode(key.public_key);
    }
    if (!key.tags.empty()) {
      Json tags = Json::array();
      for (const auto& [tag_key, tag_value] : key.tags) {
        tags.push_back(Json::array({tag_key, tag_value}));
      }
      item["Tags"] = std::move(tags);
    }
    keys.push_back(std::move(item));
  }
  Json aliases = Json::array();
  for (const auto& [name, alias] : store.aliases) {
    aliases.push_back({{"AliasName", name},
                       {"TargetKeyId", alias.target_key_id},
                       {"CreationDate", alias.creation_ms}});
  }
  Json doc = {
      {"mediaType", kStateMediaType}, {"keys", std::move(keys)}, {"aliases", std::move(aliases)}};
  return DumpSecret(doc);
}

core::Result<KeyStore> DecodeKeyStore(core::ByteView text) {
  auto doc = ParseFile(text, core::limits::kMaxLocalKmsStateBytes, kStateMediaType,
                       "the local KMS state file");
  if (!doc) {
    return Fail(doc.error());
  }
  const Json& json = (*doc)->get();
  const Json* keys = Member(json, "keys");
  const Json* aliases = Member(json, "aliases");
  if (keys == nullptr || !keys->is_array() || aliases == nullptr || !aliases->is_array()) {
    return Fail(Damaged("the state file has no keys or aliases list"));
  }
  KeyStore store;
  int index = 0;
  for (const Json& item : *keys) {
    auto key = DecodeKey(item, index);
    if (!key) {
      return Fail(key.error());
    }
    const std::string id = key->key_id;
    if (!store.keys.emplace(id, std::move(*key)).second) {
      return Fail(Damaged("a key id is repeated", index));
    }
    ++index;
  }
  for (const Json& item : *aliases) {
    if (!item.is_object()) {
      return Fail(Damaged("an alias is not an object"));
    }
    auto name = Text(item, "AliasName", 256, -1);
    auto target = Text(item, "TargetKeyId", 64, -1);
    auto created = Millis(item, "CreationDate", -1);
    if (!name || !target || !created || name->rfind("alias/", 0) != 0 ||
        store.keys.count(*target) == 0) {
      return Fail(Damaged("an alias is malformed or names no key"));
    }
    if (!store.aliases.emplace(*name, AliasRecord{*target, *created}).second) {
      return Fail(Damaged("an alias name is repeated"));
    }
  }
  return store;
}

core::SecretBytes EncodeServiceConfig(const ServiceConfig& config) {
  Json keys = Json::array();
  for (const AccessKey& key : config.access_keys) {
    Json item = {{"AccessKeyId", key.access_key_id},
                 {"SecretAccessKey", std::string(core::AsChars(key.secret_access_key.View()))},
                 {"Principal", key.principal}};
    if (!key.session_token.empty()) {
      item["SessionToken"] = std::string(core::AsChars(key.session_token.View()));
    }
    keys.push_back(std::move(item));
  }
  Json doc = {{"mediaType", kConfigMediaType},
              {"account", config.account_id},
              {"region", config.region},
              {"accessKeys", std::move(keys)}};
  return DumpSecret(doc);
}

core::Result<ServiceConfig> DecodeServiceConfig(core::ByteView text) {
  auto doc = ParseFile(text, core::limits::kMaxLocalKmsConfigBytes, kConfigMediaType,
                       "the local KMS configuration file");
  if (!doc) {
    return Fail(doc.error());
  }
  const Json& json = (*doc)->get();
  ServiceConfig config;
  auto account = Text(json, "account", 12, -1);
  auto region = Text(json, "region", 32, -1);
  if (!account || !aws::IsAccountId(*account)) {
    return Fail(Damaged("account is not a 12-digit account id"));
  }
  if (!region || region->empty() ||
      region->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos) {
    return Fail(Damaged("region is not a region name"));
  }
  config.account_id = std::move(*account);
  config.region = std::move(*region);
  const Json* keys = Member(json, "accessKeys");
  if (keys == nullptr || !keys->is_array()) {
    return Fail(Damaged("accessKeys is not a list"));
  }
  std::set<std::string> seen;
  int index = 0;
  for (const Json& item : *keys) {
    if (!item.is_object()) {
      return Fail(Damaged("an access key is not an object", index));
    }
    AccessKey key;
    auto id = Text(item, "AccessKeyId", 128, index);
    auto principal = Text(item, "Principal", 2048, index);
    auto secret = Text(item, "SecretAccessKey", 128, index);
    auto token = Text(item, "SessionToken", 4096, index, false);
    if (!id || id->size() < 16 || !IsUpperAlnum(*id) || !seen.insert(*id).second) {
      return Fail(Damaged("AccessKeyId is not 16 to 128 characters of A-Z0-9, or repeats", index));
    }
    if (!secret || secret->size() < 16 || !token) {
      return Fail(Damaged("SecretAccessKey is shorter than 16 characters", index));
    }
    if (!principal) {
      return Fail(principal.error());
    }
    const std::optional<aws::Arn> arn = aws::ParseArn(*principal);
    const std::optional<std::string> root = aws::AccountPrincipal(*principal);
    const std::string principal_account = arn ? arn->account : root.value_or("");
    if (principal_account != config.account_id ||
        (arn && arn->service != "iam" && arn->service != "sts")) {
      return Fail(Damaged(
          "Principal is not an IAM or STS principal of account " + config.account_id, index));
    }
    key.access_key_id = std::move(*id);
    key.secret_access_key = core::SecretBytes(core::AsBytes(*secret));
    key.session_token = core::SecretBytes(core::AsBytes(*token));
    OPENSSL_cleanse(secret->data(), secret->size());
    OPENSSL_cleanse(token->data(), token->size());
    key.principal = std::move(*principal);
    config.access_keys.push_back(std::move(key));
    ++index;
  }
  return config;
}

core::Result<AccessKey> MakeAccessKey(std::string principal) {
  auto id = RandomText("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16);
  auto secret = RandomText("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40);
  if (!id || !secret) {
    return Fail(!id ? id.error() : secret.error());
  }
  AccessKey key;
  key.access_key_id = "AKIA" + *id;
  key.secret_access_key = core::SecretBytes(core::AsBytes(*secret));
  OPENSSL_cleanse(secret->data(), secret->size());
  key.principal = std::move(principal);
  return key;
}

}  // namespace enclavectl::localkms
