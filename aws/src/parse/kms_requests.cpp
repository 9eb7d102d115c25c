// KMS request decoders (the local KMS's side of kms_api.hpp): JSON types first
// (SerializationException), then the constraints of botocore's KMS model (ValidationException
// with KMS's message format).
#include <openssl/crypto.h>

#include <array>
#include <limits>

#include "enclavectl/aws/kms_api.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/limits.hpp"

namespace enclavectl::aws {
namespace {

using core::ErrorCode;
using core::Fail;
using Json = nlohmann::json;

// Model constraints (botocore KMS service-2.json) beyond those in core/limits.hpp.
using core::limits::kMaxKmsCiphertextBlobBytes;
using core::limits::kMaxKmsKeyIdChars;
using core::limits::kMaxKmsPlaintextBytes;
using core::limits::kMaxKmsPublicKeyBytes;
constexpr std::size_t kMaxAttestationDocument = 262144;
constexpr std::size_t kMaxDescription = 8192;
constexpr std::size_t kMaxContextEntries = 64;
constexpr std::size_t kMaxTags = 50;
constexpr std::size_t kMaxAliasName = 256;

// KMS's ValidationException text for one violated constraint; `member` is the model's member
// name in lower camel case, `value` is quoted when given (never for secrets).
core::Error Invalid(std::string_view member, std::string_view constraint,
                    std::optional<std::string_view> value = std::nullopt) {
  std::string text = "1 validation error detected: Value ";
  if (value) {
    text += "'" + core::SafeExcerpt(*value, 128) + "' ";
  }
  text +=
      "at '" + std::string(member) + "' failed to satisfy constraint: " + std::string(constraint);
  return core::Error{ErrorCode::kKmsValidation, std::move(text), -1};
}

core::Error Missing(std::string_view member) {
  return core::Error{ErrorCode::kKmsValidation,
                     "1 validation error detected: Value null at '" + std::string(member) +
                         "' failed to satisfy constraint: Member must not be null",
                     -1};
}

core::Error WrongType(std::string_view name, std::string_view expected) {
  return core::Error{
      ErrorCode::kKmsRequestMalformed,
      "Unexpected value type for " + std::string(name) + ": expected " + std::string(expected), -1};
}

std::string LowerCamel(std::string_view name) {
  std::string out(name);
  if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z') {
    out[0] = static_cast<char>(out[0] - 'A' + 'a');
  }
  return out;
}

// A parsed request object. Every accessor type-checks its member; absent and null are the
// same.
class Members {
 public:
  explicit Members(Json json) : json_(std::move(json)) {}
  // Members may hold base64 secrets: wiped before the tree is freed.
  ~Members() { core::WipeJsonStrings(json_); }
  Members(const Members&) = delete;
  Members& operator=(const Members&) = delete;

  const Json* Find(const char* name) const {
    const auto it = json_.find(name);
    return it == json_.end() || it->is_null() ? nullptr : &*it;
  }

  core::Result<std::optional<std::string>> String(const char* name, std::size_t min_len,
                                                  std::size_t max_len) const {
    const Json* value = Find(name);
    if (value == nullptr) {
      return std::optional<std::string>();
    }
    if (!value->is_string()) {
      return Fail(WrongType(name, "a string"));
    }
    const std::string& text = value->get_ref<const std::string&>();
    if (text.size() < min_len) {
      return Fail(Invalid(
          LowerCamel(name),
          "Member must have length greater than or equal to " + std::to_string(min_len), text));
    }
    if (text.size() > max_len) {
      return Fail(Invalid(
          LowerCamel(name),
          "Member must have length less than or equal to " + std::to_string(max_len), text));
    }
    return std::optional<std::string>(text);
  }

  core::Result<std::string> RequiredString(const char* name, std::size_t min_len,
                                           std::size_t max_len) const {
    auto value = String(name, min_len, max_len);
    if (!value) {
      return Fail(value.error());
    }
    if (!*value) {
      return Fail(Missing(LowerCamel(name)));
    }
    return std::move(**value);
  }

  // A string that must be one of `allowed` (empty when absent).
  core::Result<std::string> Enum(const char* name,
                                 std::span<const std::string_view> allowed) const {
    auto value = String(name, 0, 256);
    if (!value) {
      return Fail(value.error());
    }
    if (!*value) {
      return std::string();
    }
    for (std::string_view option : allowed) {
      if (**value == option) {
        return std::move(**value);
      }
    }
    std::string set;
    for (std::string_view option : allowed) {
      set += (set.empty() ? "" : ", ") + std::string(option);
    }
    return Fail(
        Invalid(LowerCamel(name), "Member must satisfy enum value set: [" + set + "]", **value));
  }

  core::Result<std::optional<bool>> Bool(const char* name) const {
    const Json* value = Find(name);
    if (value == nullptr) {
      return std::optional<bool>();
    }
    if (!value->is_boolean()) {
      return Fail(WrongType(name, "a boolean"));
    }
    return std::optional<bool>(value->get<bool>());
  }

  core::Result<std::optional<std::uint32_t>> Integer(const char* name, std::uint32_t min,
                                                     std::uint32_t max) const {
    const Json* value = Find(name);
    if (value == nullptr) {
      return std::optional<std::uint32_t>();
    }
    if (!value->is_number_integer()) {
      return Fail(WrongType(name, "an integer"));
    }
    const std::string text = value->dump();
    if (value->is_number_unsigned() && value->get<std::uint64_t>() > max) {
      return Fail(Invalid(LowerCamel(name),
                          "Member must have value less than or equal to " + std::to_string(max),
                          text));
    }
    if (!value->is_number_unsigned() || value->get<std::uint64_t>() < min) {
      return Fail(Invalid(LowerCamel(name),
                          "Member must have value greater than or equal to " + std::to_string(min),
                          text));
    }
    return std::optional<std::uint32_t>(value->get<std::uint32_t>());
  }

  // A base64 blob of min_len..max_len bytes written to `out` (wiped first); false when
  // absent.
  core::Result<bool> Blob(const char* name, std::size_t min_len, std::size_t max_len,
                          core::SecretBytes& out) const {
    const Json* value = Find(name);
    if (value == nullptr) {
      return false;
    }
    if (!value->is_string()) {
      return Fail(WrongType(name, "a base64 string"));
    }
    const std::string& text = value->get_ref<const std::string&>();
    if (text.size() > 4 * (max_len / 3 + 1) + 64) {
      return Fail(Invalid(LowerCamel(name), "Member must have length less than or equal to " +
                                                std::to_string(max_len)));
    }
    auto bytes = core::Base64Decode(text);
    if (!bytes) {
      return Fail(ErrorCode::kKmsRequestMalformed,
                  "Value of " + std::string(name) + " is not valid base64");
    }
    out = core::SecretBytes(*bytes);
    OPENSSL_cleanse(bytes->data(), bytes->size());
    if (out.size() < min_len) {
      return Fail(Invalid(LowerCamel(name), "Member must have length greater than or equal to " +
                                                std::to_string(min_len)));
    }
    if (out.size() > max_len) {
      return Fail(Invalid(LowerCamel(name), "Member must have length less than or equal to " +
                                                std::to_string(max_len)));
    }
    return true;
  }

  core::Result<EncryptionContext> Context() const {
    EncryptionContext out;
    const Json* value = Find("EncryptionContext");
    if (value == nullptr) {
      return out;
    }
    if (!value->is_object()) {
      return Fail(WrongType("EncryptionContext", "an object of strings"));
    }
    if (value->size() > kMaxContextEntries) {
      return Fail(
          Invalid("encryptionContext",
                  "Member must have at most " + std::to_string(kMaxContextEntries) + " entries"));
    }
    for (const auto& [key, item] : value->items()) {
      if (!item.is_string()) {
        return Fail(WrongType("EncryptionContext", "an object of strings"));
      }
      out.emplace(key, item.get<std::string>());
    }
    return out;
  }

  core::Result<std::optional<RecipientInfo>> Recipient() const {
    const Json* value = Find("Recipient");
    if (value == nullptr) {
      return std::optional<RecipientInfo>();
    }
    if (!value->is_object()) {
      return Fail(WrongType("Recipient", "a structure"));
    }
    Members recipient(*value);
    static constexpr std::array<std::string_view, 1> kAlgorithms = {"RSAES_OAEP_SHA_256"};
    auto algorithm = recipient.Enum("KeyEncryptionAlgorithm", kAlgorithms);
    if (!algorithm) {
      core::Error error = algorithm.error();
      if (error.code == ErrorCode::kKmsValidation) {
        error.detail = Invalid("recipient.keyEncryptionAlgorithm",
                               "Member must satisfy enum value set: [RSAES_OAEP_SHA_256]")
                           .detail;
      }
      return Fail(std::move(error));
    }
    core::SecretBytes document;
    auto present = recipient.Blob("AttestationDocument", 1, kMaxAttestationDocument, document);
    if (!present) {
      return Fail(present.error());
    }
    if (!*present) {
      return Fail(Missing("recipient.attestationDocument"));
    }
    return std::optional<RecipientInfo>(RecipientInfo{core::ToBytes(document.View())});
  }

 private:
  Json json_;
};

core::Result<std::unique_ptr<Members>> Parse(core::ByteView body) {
  auto json = core::ParseStrictJson(core::AsChars(body), core::limits::kMaxKmsRequestBytes,
                                    ErrorCode::kKmsRequestMalformed, "the request body");
  if (!json) {
    return Fail(json.error());
  }
  if (!json->is_object()) {
    return Fail(ErrorCode::kKmsRequestMalformed, "the request body is not a JSON object");
  }
  return std::make_unique<Members>(std::move(*json));
}

// The members every key-addressed request has.
core::Result<std::string> KeyId(const Members& members) {
  return members.RequiredString("KeyId", 1, kMaxKmsKeyIdChars);
}

// Unwraps a Result into `target` or returns its error from the enclosing function.
#define ENCLAVECTL_ASSIGN(target, expr)       \
  do {                                        \
    auto enclavectl_value_ = (expr);          \
    if (!enclavectl_value_) {                 \
      return Fail(enclavectl_value_.error()); \
    }                                         \
    target = std::move(*enclavectl_value_);   \
  } while (false)

}  // namespace

core::Result<CreateKeyRequest> DecodeCreateKeyRequest(core::ByteView body) {
  auto members = Parse(body);
  if (!members) {
    return Fail(members.error());
  }
  const Members& m = **members;
  CreateKeyRequest out;
  ENCLAVECTL_ASSIGN(out.policy, m.String("Policy", 1, core::limits::kMaxKeyPolicyBytes));
  ENCLAVECTL_ASSIGN(out.description, m.String("Description", 0, kMaxDescription));
  static constexpr std::array<std::string_view, 4> kUsages = {
      "SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"};
  ENCLAVECTL_ASSIGN(out.key_usage, m.Enum("KeyUsage", kUsages));
  static constexpr std::array<std::string_view, 17> kSpecs = {"RSA_2048",
                                                              "RSA_3072",
                                                              "RSA_4096",
                                                              "ECC_NIST_P256",
                                                              "ECC_NIST_P384",
                                                              "ECC_NIST_P521",
                                                              "ECC_SECG_P256K1",
                                                              "SYMMETRIC_DEFAULT",
                                                              "HMAC_224",
                                                              "HMAC_256",
                                                              "HMAC_384",
                                                              "HMAC_512",
                                                              "SM2",
                                                              "ECC_NIST_EDWARDS25519",
                                                              "ML_DSA_44",
                                                              "ML_DSA_65",
                                                              "ML_DSA_87"};
  // The deprecated CustomerMasterKeySpec names the same values (kms.md section 3).
  std::string spec;
  std::string cmk_spec;
  ENCLAVECTL_ASSIGN(spec, m.Enum("KeySpec", kSpecs));
  ENCLAVECTL_ASSIGN(cmk_spec, m.Enum("CustomerMasterKeySpec", kSpecs));
  if (!spec.empty() && !cmk_spec.empty()) {
    return Fail(ErrorCode::kKmsValidation,
                "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. "
                "CustomerMasterKeySpec parameter is deprecated. Use KeySpec parameter instead.");
  }
  out.key_spec = spec.empty() ? cmk_spec : spec;
  static constexpr std::array<std::string_view, 4> kOrigins = {
      "AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"};
  ENCLAVECTL_ASSIGN(out.origin, m.Enum("Origin", kOrigins));
  std::optional<bool> flag;
  ENCLAVECTL_ASSIGN(flag, m.Bool("BypassPolicyLockoutSafetyCheck"));
  out.bypass_policy_lockout_safety_check = flag.value_or(false);
  ENCLAVECTL_ASSIGN(flag, m.Bool("MultiRegion"));
  out.multi_region = flag.value_or(false);
  if (const Json* tags = m.Find("Tags")) {
    if (!tags->is_array()) {
      return Fail(WrongType("Tags", "a list of {TagKey, TagValue}"));
    }
    if (tags->size() > kMaxTags) {
      return Fail(Invalid("tags", "Member must have at most 50 entries"));
    }
    for (const Json& tag : *tags) {
      const auto key = tag.is_object() ? tag.find("TagKey") : tag.end();
      const auto value = tag.is_object() ? tag.find("TagValue") : tag.end();
      if (!tag.is_object() || key == tag.end() || value == tag.end() || !key->is_string() ||
          !value->is_string()) {
        return Fail(WrongType("Tags", "a list of {TagKey, TagValue} strings"));
      }
      const std::string& key_text = key->get_ref<const std::string&>();
      const std::string& value_text = value->get_ref<const std::string&>();
      if (key_text.empty() || key_text.size() > 128 || value_text.size() > 256) {
        return Fail(
            Invalid("tags.member.tagKey", "Member must have length between 1 and 128", key_text));
      }
      out.tags.emplace_back(key_text, value_text);
    }
  }
  return out;
}

core::Result<std::string> DecodeKeyIdRequest(core::ByteView body) {
  auto members = Parse(body);
  if (!members) {
    return Fail(members.error());
  }
  return KeyId(**members);
}

core::Result<GetKeyPolicyRequest> DecodeGetKeyPolicyRequest(core::ByteView body) {
  auto members = Parse(body);
  if (!members) {
    return Fail(members.error());
  }
  GetKeyPolicyRequest out;
  ENCLAVECTL_ASSIGN(out.key_id, KeyId(**members));
  std::optional<std::string> name;
  ENCLAVECTL_ASSIGN(name, (*members)->String("PolicyName", 1, 128));
  out.policy_name = name.value_or("default");
  return out;
}

core::Result<PutKeyPolicyRequest> DecodePutKeyPolicyRequest(core::ByteView body) {
  auto members = Parse(body);
  if (!members) {
    return Fail(members.error());
  }
  const Members& m = **members;
  PutKeyPolicyRequest out;
  ENCLAVECTL_ASSIGN(out.key_id, KeyId(m));
  ENCLAVECTL_ASSIGN(out.policy, m.RequiredString("Policy", 1, core::limits::kMaxKeyPolicyBytes));
  std::optional<std::string> name;
  ENCLAVECTL_ASSIGN(name, m.String("PolicyName", 1, 128));
  out.policy_name = name.value_or("default");
  std::optional<bool> bypass;
  ENCLAVECTL_ASSIGN(bypass, m.Bool("BypassPolicyLockoutSafetyCheck"));
  out.bypass_policy_lockout_safety_check = bypass.value_or(false);
  return out;
}

core::Result<EncryptRequest> DecodeEncryptRequest(core::ByteView body,
                                                  core::SecretBytes& out_plaintext) {
  auto members = Parse(body);
  if (!members) {
    return Fail(members.error());
  }
  const Members& m = **members;
  EncryptRequest out;
  ENCLAVECTL_ASSIGN(out.key_id, KeyId(m));
  core::SecretBytes plaintext;
  bool present = false;
  ENCLAVECTL_ASSIGN(present, m.Blob("Plaintext", 1, kMaxKmsPlaintextBytes, plaintext));
  if (!present) {
    return Fail(Missing("plaintext"));
  }
  ENCLAVECTL_ASSIGN(out.encryption_context, m.Context());
  static constexpr std::array<std::string_view, 4> kAlgorithms = {
      "SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE"};
  ENCLAVECTL_ASSIGN(out.encryption_algorithm, m.Enum("EncryptionAlgorithm", kAlgorithms));
  out_plaintext = std::move(plaintext);
  out.plaintext = out_plaintext.View();
  return out;
}

core::Result<DecryptRequest> DecodeDecryptRequest(core::ByteView body,
                                                  core::Bytes& out_ciphertext_blob) {
  auto members = Parse(body);
  if (!members) {
    return Fail(members.error());
  }
  const Members& m = **members;
  DecryptRequest out;
  core::SecretBytes blob;
  bool present = false;
  ENCLAVECTL_ASSIGN(present, m.Blob("CiphertextBlob", 1, kMaxKmsCiphertextBlobBytes, blob));
  if (!present) {
    return Fail(Missing("ciphertextBlob"));
  }
  std::optional<std::string> key_id;
  ENCLAVECTL_ASSIGN(key_id, m.String("KeyId", 1, kMaxKmsKeyIdChars));
  out.key_id = key_id.value_or("");
  ENCLAVECTL_ASSIGN(out.encryption_context, m.Context());
  static constexpr std::array<std::string_view, 4> kAlgorithms = {
      "SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE"};
  ENCLAVECTL_ASSIGN(out.encryption_algorithm, m.Enum("EncryptionAlgorithm", kAlgorithms));
  ENCLAVECTL_ASSIGN(out.recipient, m.Recipient());
  std::optional<bool> dry_run;
  ENCLAVECTL_ASSIGN(dry_run, m.Bool("DryRun"));
  out.dry_run = dry_run.value_or(false);
  out_ciphertext_blob = core::ToBytes(blob.View());
  out.ciphertext_blob = out_ciphertext_blob;
  return out;
}

core::Result<GenerateDataKeyRequest> DecodeGenerateDataKeyRequest(core::ByteView body) {
  auto members = Parse(body);
  if (!members) {
    return Fail(members.error());
  }
  const Members& m = **members;
  GenerateDataKeyRequest out;
  ENCLAVECTL_ASSIGN(out.key_id, KeyId(m));
  static constexpr std::array<std::string_view, 2> kSpecs = {"AES_256", "AES_128"};
  ENCLAVECTL_ASSIGN(out.key_spec, m.Enum("KeySpec", kSpecs));
  ENCLAVECTL_ASSIGN(out.number_of_bytes, m.Integer("NumberOfBytes", 1, 1024));
  if (out.key_spec.empty() == !out.number_of_bytes.has_value()) {
    return Fail(ErrorCode::kKmsValidation, "Please specify either number of bytes or key spec.");
  }
  ENCLAVECTL_ASSIGN(out.encryption_context, m.Context());
  ENCLAVECTL_ASSIGN(out.recipient, m.Recipient());
  std::optional<bool> dry_run;
  ENCLAVECTL_ASSIGN(dry_run, m.Bool("DryRun"));
  out.dry_run = dry_run.value_or(false);
  return out;
}

core::Result<GenerateRandomRequest> DecodeGenerateRandomRequest(core::ByteView body) {
  auto members = Parse(body);
  if (!members) {
    return Fail(members.error());
  }
  const Members& m = **members;
  GenerateRandomRequest out;
  std::optional<std::uint32_t> count;
  ENCLAVECTL_ASSIGN(count, m.Integer("NumberOfBytes", 1, 1024));
  if (!count) {
    return Fail(Missing("numberOfBytes"));
  }
  out.number_of_bytes = *count;
  std::optional<std::string> store;
  ENCLAVECTL_ASSIGN(store, m.String("CustomKeyStoreId", 1, 64));
  out.custom_key_store_id = store.value_or("");
  ENCLAVECTL_ASSIGN(out.recipient, m.Recipient());
  return out;
}

core::Result<DeriveSharedSecretRequest> DecodeDeriveSharedSecretRequest(core::ByteView body) {
  auto members = Parse(body);
  if (!members) {
    return Fail(members.error());
  }
  const Members& m = **members;
  DeriveSharedSecretRequest out;
  ENCLAVECTL_ASSIGN(out.key_id, KeyId(m));
  static constexpr std::array<std::string_view, 1> kAlgorithms = {"ECDH"};
  ENCLAVECTL_ASSIGN(out.key_agreement_algorithm, m.Enum("KeyAgreementAlgorithm", kAlgorithms));
  if (out.key_agreement_algorithm.empty()) {
    return Fail(Missing("keyAgreementAlgorithm"));
  }
  core::SecretBytes public_key;
  bool present = false;
  ENCLAVECTL_ASSIGN(present, m.Blob("PublicKey", 1, kMaxKmsPublicKeyBytes, public_key));
  if (!present) {
    return Fail(Missing("publicKey"));
  }
  out.public_key = core::ToBytes(public_key.View());
  ENCLAVECTL_ASSIGN(out.recipient, m.Recipient());
  std::optional<bool> dry_run;
  ENCLAVECTL_ASSIGN(dry_run, m.Bool("DryRun"));
  out.dry_run = dry_run.value_or(false);
  return out;
}

core::Result<ScheduleKeyDeletionRequest> DecodeScheduleKeyDeletionRequest(core::ByteView body) {
  auto members = Parse(body);
  if (!members) {
    return Fail(members.error());
  }
  ScheduleKeyDeletionRequest out;
  ENCLAVECTL_ASSIGN(out.key_id, KeyId(**members));
  // The model allows 1..365; the API enforces 7..30 (kms.md 4.11).
  ENCLAVECTL_ASSIGN(out.pending_window_in_days, (*members)->Integer("PendingWindowInDays", 1, 365));
  if (out.pending_window_in_days &&
      (*out.pending_window_in_days < 7 || *out.pending_window_in_days > 30)) {
    return Fail(ErrorCode::kKmsValidation, "PendingWindowInDays value " +
                                               std::to_string(*out.pending_window_in_days) +
                                               " is not valid. It must be between 7 and 30.");
  }
  return out;
}

core::Result<CreateAliasRequest> DecodeCreateAliasRequest(core::ByteView body) {
  auto members = Parse(body);
  if (!members) {
    return Fail(members.error());
  }
  CreateAliasRequest out;
  ENCLAVECTL_ASSIGN(out.alias_name, (*members)->RequiredString("AliasName", 1, kMaxAliasName));
  ENCLAVECTL_ASSIGN(out.target_key_id,
                    (*members)->RequiredString("TargetKeyId", 1, kMaxKmsKeyIdChars));
  return out;
}

core::Result<std::string> DecodeDeleteAliasRequest(core::ByteView body) {
  auto members = Parse(body);
  if (!members) {
    return Fail(members.error());
  }
  return (*members)->RequiredString("AliasName", 1, kMaxAliasName);
}

core::Result<ListRequest> DecodeListRequest(core::ByteView body, bool with_key_id) {
  // The CLI sends an empty object; an empty body is accepted too.
  if (core::TrimWhitespace(core::AsChars(body)).empty()) {
    return ListRequest{};
  }
  auto members = Parse(body);
  if (!members) {
    return Fail(members.error());
  }
  const Members& m = **members;
  ListRequest out;
  if (with_key_id) {
    std::optional<std::string> key_id;
    ENCLAVECTL_ASSIGN(key_id, m.String("KeyId", 1, kMaxKmsKeyIdChars));
    out.key_id = key_id.value_or("");
  }
  ENCLAVECTL_ASSIGN(out.limit, m.Integer("Limit", 1, 1000));
  std::optional<std::string> marker;
  ENCLAVECTL_ASSIGN(marker, m.String("Marker", 1, 1024));
  out.marker = marker.value_or("");
  return out;
}

}  // namespace enclavectl::aws
