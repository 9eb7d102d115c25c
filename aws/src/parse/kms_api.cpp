#include "enclavectl/aws/kms_api.hpp"

#include <algorithm>
#include <array>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/json.hpp"

namespace enclavectl::aws {
namespace {

using core::ErrorCode;
using core::Fail;
using Json = nlohmann::json;

// Model constraints (botocore KMS service-2.json).
constexpr std::size_t kMaxCiphertextBlob = core::limits::kMaxKmsCiphertextBlobBytes;
constexpr std::size_t kMaxPlaintext = core::limits::kMaxKmsPlaintextBytes;
constexpr std::size_t kMaxPublicKey = core::limits::kMaxKmsPublicKeyBytes;
constexpr std::size_t kMaxKeyIdText = core::limits::kMaxKmsKeyIdChars;
constexpr std::size_t kMaxMessageChars = 1024;

core::SecretBytes ToSecret(const std::string& text) { return core::SecretBytes(core::AsBytes(text)); }

// `json_without_secret` is a JSON object's text; returns it with one more member whose value
// is the base64 of `secret`, written straight into wiped memory.
core::SecretBytes WithSecretMember(const std::string& json_without_secret, std::string_view name,
                                   core::ByteView secret) {
  const std::string head = json_without_secret.substr(0, json_without_secret.size() - 1) +
                           (json_without_secret.size() > 2 ? "," : "") + "\"" +
                           std::string(name) + "\":\"";
  const std::size_t b64_len = 4 * ((secret.size() + 2) / 3);
  core::SecretBytes out(head.size() + b64_len + 2);
  std::uint8_t* p = out.MutableData();
  std::copy(head.begin(), head.end(), p);
  p += head.size();
  if (!secret.empty()) {
    // EVP_EncodeBlock writes b64_len characters and a NUL; write into a wiped scratch buffer.
    core::SecretBytes scratch(b64_len + 1);
    EVP_EncodeBlock(scratch.MutableData(), secret.data(), static_cast<int>(secret.size()));
    std::copy_n(scratch.View().begin(), b64_len, p);
  }
  p += b64_len;
  p[0] = '"';
  p[1] = '}';
  return out;
}

void PutContext(Json& body, const EncryptionContext& context) {
  if (!context.empty()) {
    Json ctx = Json::object();
    for (const auto& [key, value] : context) {
      ctx[key] = value;
    }
    body["EncryptionContext"] = std::move(ctx);
  }
}

void PutRecipient(Json& body, const std::optional<RecipientInfo>& recipient) {
  if (recipient) {
    body["Recipient"] = {{"KeyEncryptionAlgorithm", "RSAES_OAEP_SHA_256"},
                         {"AttestationDocument", core::Base64Encode(recipient->attestation_document)}};
  }
}

// --- decoding helpers ---

core::Result<Json> ParseBody(core::ByteView body, const char* operation) {
  auto json = core::ParseStrictJson(core::AsChars(body), core::limits::kMaxKmsResponseBytes,
                              ErrorCode::kKmsResponseMalformed,
                              (std::string(operation) + " response").c_str());
  if (!json) {
    return json;
  }
  if (!json->is_object()) {
    return Fail(ErrorCode::kKmsResponseMalformed,
                std::string(operation) + " response is not a JSON object");
  }
  return json;
}

// The member `name` as a string; nullopt when absent or null.
core::Result<std::optional<std::string>> OptString(const Json& obj, const char* name,
                                                   std::size_t max_len = kMaxKeyIdText) {
  const auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) {
    return std::optional<std::string>();
  }
  if (!it->is_string() || it->get_ref<const std::string&>().size() > max_len) {
    return Fail(ErrorCode::kKmsResponseMalformed,
                std::string(name) + " is not a string of at most " + std::to_string(max_len) +
                    " characters");
  }
  return std::optional<std::string>(it->get<std::string>());
}

core::Result<std::string> ReqString(const Json& obj, const char* name,
                                    std::size_t max_len = kMaxKeyIdText) {
  auto value = OptString(obj, name, max_len);
  if (!value) {
    return Fail(value.error());
  }
  if (!*value) {
    return Fail(ErrorCode::kKmsResponseMalformed, std::string("the response has no ") + name);
  }
  return std::move(**value);
}

core::Result<std::vector<std::string>> StringArray(const Json& obj, const char* name) {
  std::vector<std::string> out;
  const auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) {
    return out;
  }
  if (!it->is_array() || it->size() > 64) {
    return Fail(ErrorCode::kKmsResponseMalformed, std::string(name) + " is not a short list");
  }
  for (const Json& item : *it) {
    if (!item.is_string() || item.get_ref<const std::string&>().size() > 256) {
      return Fail(ErrorCode::kKmsResponseMalformed, std::string(name) + " lists a non-string");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

// A base64 blob member (not secret); nullopt when absent or null.
core::Result<std::optional<core::Bytes>> OptBlob(const Json& obj, const char* name,
                                                 std::size_t max_len) {
  const auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) {
    return std::optional<core::Bytes>();
  }
  if (!it->is_string() || it->get_ref<const std::string&>().size() > 4 * (max_len / 3 + 1)) {
    return Fail(ErrorCode::kKmsResponseMalformed, std::string(name) + " is not a base64 string");
  }
  auto bytes = core::Base64Decode(it->get_ref<const std::string&>());
  if (!bytes || bytes->empty() || bytes->size() > max_len) {
    return Fail(ErrorCode::kKmsResponseMalformed,
                std::string(name) + " is not base64 of 1.." + std::to_string(max_len) + " bytes");
  }
  return std::optional<core::Bytes>(std::move(*bytes));
}

core::Result<core::Bytes> ReqBlob(const Json& obj, const char* name, std::size_t max_len) {
  auto blob = OptBlob(obj, name, max_len);
  if (!blob) {
    return Fail(blob.error());
  }
  if (!*blob) {
    return Fail(ErrorCode::kKmsResponseMalformed, std::string("the response has no ") + name);
  }
  return std::move(**blob);
}

// A secret base64 member: decoded into SecretBytes; the JSON text and the intermediate copy
// are wiped. Empty SecretBytes when absent or null.
core::Result<core::SecretBytes> SecretBlob(Json& obj, const char* name, std::size_t max_len) {
  const auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) {
    return core::SecretBytes();
  }
  if (!it->is_string()) {
    return Fail(ErrorCode::kKmsResponseMalformed, std::string(name) + " is not a base64 string");
  }
  std::string& text = it->get_ref<std::string&>();
  auto bytes = core::Base64Decode(text);
  OPENSSL_cleanse(text.data(), text.size());
  if (!bytes || bytes->empty() || bytes->size() > max_len) {
    if (bytes) {
      OPENSSL_cleanse(bytes->data(), bytes->size());
    }
    return Fail(ErrorCode::kKmsResponseMalformed,
                std::string(name) + " is not base64 of 1.." + std::to_string(max_len) + " bytes");
  }
  core::SecretBytes out(*bytes);
  OPENSSL_cleanse(bytes->data(), bytes->size());
  return out;
}

// Exactly one of the clear secret and CiphertextForRecipient, as the request asked.
core::Status CheckSecretDelivery(const char* clear_name, bool has_clear, bool has_recipient_blob,
                                 bool with_recipient) {
  if (with_recipient) {
    if (has_clear) {
      return Fail(ErrorCode::kKmsResponseMalformed,
                  std::string("the request carried a Recipient but the response returns ") +
                      clear_name +
                      " in clear: the server ignored the attestation; refusing the answer");
    }
    if (!has_recipient_blob) {
      return Fail(ErrorCode::kKmsResponseMalformed,
                  "the request carried a Recipient but the response has no "
                  "CiphertextForRecipient");
    }
    return core::Ok();
  }
  if (has_recipient_blob) {
    return Fail(ErrorCode::kKmsResponseMalformed,
                "the response has CiphertextForRecipient but the request carried no Recipient");
  }
  if (!has_clear) {
    return Fail(ErrorCode::kKmsResponseMalformed, std::string("the response has no ") + clear_name);
  }
  return core::Ok();
}

std::string CleanMessage(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (out.size() >= kMaxMessageChars) {
      out += "...";
      break;
    }
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(byte < 0x20 || byte == 0x7f ? ' ' : c);
  }
  return out;
}

constexpr std::array<AwsErrorMapping, 28> kErrorMappings = {{
    {"AccessDeniedException", ErrorCode::kKmsAccessDenied, false},
    {"NotFoundException", ErrorCode::kKmsNotFound, false},
    {"KMSInvalidStateException", ErrorCode::kKmsInvalidState, false},
    {"DisabledException", ErrorCode::kKmsInvalidState, false},
    {"MalformedPolicyDocumentException", ErrorCode::kKmsMalformedPolicy, false},
    {"ValidationException", ErrorCode::kKmsValidation, false},
    {"SerializationException", ErrorCode::kKmsValidation, false},
    {"InvalidArnException", ErrorCode::kKmsValidation, false},
    {"UnknownOperationException", ErrorCode::kKmsValidation, false},
    {"InvalidGrantTokenException", ErrorCode::kKmsValidation, false},
    {"InvalidCiphertextException", ErrorCode::kKmsInvalidCiphertext, false},
    {"IncorrectKeyException", ErrorCode::kKmsInvalidCiphertext, false},
    {"InvalidKeyUsageException", ErrorCode::kKmsKeyUsage, false},
    {"UnsupportedOperationException", ErrorCode::kKmsKeyUsage, false},
    {"UnrecognizedClientException", ErrorCode::kKmsAuth, false},
    {"InvalidSignatureException", ErrorCode::kKmsAuth, false},
    {"IncompleteSignatureException", ErrorCode::kKmsAuth, false},
    {"MissingAuthenticationTokenException", ErrorCode::kKmsAuth, false},
    {"ExpiredTokenException", ErrorCode::kKmsAuth, false},
    {"LimitExceededException", ErrorCode::kKmsLimitExceeded, false},
    {"ThrottlingException", ErrorCode::kServiceUnavailable, true},
    {"TooManyRequestsException", ErrorCode::kServiceUnavailable, true},
    {"RequestLimitExceeded", ErrorCode::kServiceUnavailable, true},
    {"KMSInternalException", ErrorCode::kServiceUnavailable, true},
    {"DependencyTimeoutException", ErrorCode::kServiceUnavailable, true},
    {"KeyUnavailableException", ErrorCode::kServiceUnavailable, true},
    {"ServiceUnavailableException", ErrorCode::kServiceUnavailable, true},
    {"InternalFailure", ErrorCode::kServiceUnavailable, true},
}};

core::Result<KeyMetadata> DecodeKeyMetadata(const Json& meta) {
  if (!meta.is_object()) {
    return Fail(ErrorCode::kKmsResponseMalformed, "KeyMetadata is not an object");
  }
  KeyMetadata out;
  auto key_id = ReqString(meta, "KeyId");
  if (!key_id) {
    return Fail(key_id.error());
  }
  out.key_id = std::move(*key_id);
  auto arn = ReqString(meta, "Arn");
  if (!arn) {
    return Fail(arn.error());
  }
  out.arn = std::move(*arn);
  struct Field {
    const char* name;
    std::string* target;
    std::size_t max_len;
  };
  const std::array<Field, 7> fields = {{{"AWSAccountId", &out.aws_account_id, 64},
                                        {"Description", &out.description, 8192},
                                        {"KeyState", &out.key_state, 64},
                                        {"KeyUsage", &out.key_usage, 64},
                                        {"KeySpec", &out.key_spec, 64},
                                        {"KeyManager", &out.key_manager, 64},
                                        {"Origin", &out.origin, 64}}};
  for (const Field& field : fields) {
    auto value = OptString(meta, field.name, field.max_len);
    if (!value) {
      return Fail(value.error());
    }
    *field.target = value->value_or("");
  }
  if (const auto it = meta.find("Enabled"); it != meta.end() && !it->is_null()) {
    if (!it->is_boolean()) {
      return Fail(ErrorCode::kKmsResponseMalformed, "Enabled is not a boolean");
    }
    out.enabled = it->get<bool>();
  }
  if (const auto it = meta.find("CreationDate"); it != meta.end() && !it->is_null()) {
    if (!it->is_number()) {
      return Fail(ErrorCode::kKmsResponseMalformed, "CreationDate is not a number");
    }
    out.creation_date = it->get<double>();
  }
  auto encryption = StringArray(meta, "EncryptionAlgorithms");
  if (!encryption) {
    return Fail(encryption.error());
  }
  out.encryption_algorithms = std::move(*encryption);
  auto agreement = StringArray(meta, "KeyAgreementAlgorithms");
  if (!agreement) {
    return Fail(agreement.error());
  }
  out.key_agreement_algorithms = std::move(*agreement);
  auto signing = StringArray(meta, "SigningAlgorithms");
  if (!signing) {
    return Fail(signing.error());
  }
  out.signing_algorithms = std::move(*signing);
  if (const auto it = meta.find("MultiRegion"); it != meta.end() && it->is_boolean()) {
    out.multi_region = it->get<bool>();
  }
  if (const auto it = meta.find("DeletionDate"); it != meta.end() && it->is_number()) {
    out.deletion_date = it->get<double>();
  }
  if (const auto it = meta.find("PendingDeletionWindowInDays");
      it != meta.end() && it->is_number_unsigned() && it->get<std::uint64_t>() <= 365) {
    out.pending_deletion_window_in_days = it->get<std::uint32_t>();
  }
  return out;
}

}  // namespace

const char* KmsOperationName(KmsOperation operation) noexcept {
  switch (operation) {
    case KmsOperation::kCreateKey:
      return "CreateKey";
    case KmsOperation::kDescribeKey:
      return "DescribeKey";
    case KmsOperation::kGetKeyPolicy:
      return "GetKeyPolicy";
    case KmsOperation::kPutKeyPolicy:
      return "PutKeyPolicy";
    case KmsOperation::kEncrypt:
      return "Encrypt";
    case KmsOperation::kDecrypt:
      return "Decrypt";
    case KmsOperation::kGenerateDataKey:
      return "GenerateDataKey";
    case KmsOperation::kGenerateRandom:
      return "GenerateRandom";
    case KmsOperation::kDeriveSharedSecret:
      return "DeriveSharedSecret";
    case KmsOperation::kGetPublicKey:
      return "GetPublicKey";
    case KmsOperation::kScheduleKeyDeletion:
      return "ScheduleKeyDeletion";
    case KmsOperation::kCancelKeyDeletion:
      return "CancelKeyDeletion";
    case KmsOperation::kEnableKey:
      return "EnableKey";
    case KmsOperation::kDisableKey:
      return "DisableKey";
    case KmsOperation::kCreateAlias:
      return "CreateAlias";
    case KmsOperation::kDeleteAlias:
      return "DeleteAlias";
    case KmsOperation::kListAliases:
      return "ListAliases";
    case KmsOperation::kListKeys:
      return "ListKeys";
  }
  return "?";
}

std::optional<KmsOperation> KmsOperationFromTarget(std::string_view target) noexcept {
  constexpr std::string_view kPrefix = "TrentService.";
  if (target.substr(0, kPrefix.size()) != kPrefix) {
    return std::nullopt;
  }
  const std::string_view name = target.substr(kPrefix.size());
  for (auto op = static_cast<std::uint8_t>(KmsOperation::kCreateKey);
       op <= static_cast<std::uint8_t>(KmsOperation::kListKeys); ++op) {
    if (name == KmsOperationName(static_cast<KmsOperation>(op))) {
      return static_cast<KmsOperation>(op);
    }
  }
  return std::nullopt;
}

std::string KmsTarget(KmsOperation operation) {
  return std::string("TrentService.") + KmsOperationName(operation);
}

core::SecretBytes EncodeCreateKeyRequest(const CreateKeyRequest& request) {
  Json body = Json::object();
  if (request.policy) {
    body["Policy"] = *request.policy;
  }
  if (request.description) {
    body["Description"] = *request.description;
  }
  if (!request.key_usage.empty()) {
    body["KeyUsage"] = request.key_usage;
  }
  if (!request.key_spec.empty()) {
    body["KeySpec"] = request.key_spec;
  }
  if (request.bypass_policy_lockout_safety_check) {
    body["BypassPolicyLockoutSafetyCheck"] = true;
  }
  if (!request.origin.empty()) {
    body["Origin"] = request.origin;
  }
  if (request.multi_region) {
    body["MultiRegion"] = true;
  }
  if (!request.tags.empty()) {
    Json tags = Json::array();
    for (const auto& [key, value] : request.tags) {
      tags.push_back({{"TagKey", key}, {"TagValue", value}});
    }
    body["Tags"] = std::move(tags);
  }
  return ToSecret(core::DumpJson(body));
}

core::SecretBytes EncodeKeyIdRequest(std::string_view key_id) {
  return ToSecret(core::DumpJson(Json{{"KeyId", key_id}}));
}

core::SecretBytes EncodeGetKeyPolicyRequest(std::string_view key_id) {
  // PolicyName is optional in the model; moto requires it, and "default" is the only name.
  return ToSecret(core::DumpJson(Json{{"KeyId", key_id}, {"PolicyName", "default"}}));
}

core::SecretBytes EncodePutKeyPolicyRequest(const PutKeyPolicyRequest& request) {
  Json body = {{"KeyId", request.key_id},
               {"Policy", request.policy},
               {"PolicyName", request.policy_name.empty() ? "default" : request.policy_name}};
  if (request.bypass_policy_lockout_safety_check) {
    body["BypassPolicyLockoutSafetyCheck"] = true;
  }
  return ToSecret(core::DumpJson(body));
}

core::SecretBytes EncodeEncryptRequest(const EncryptRequest& request) {
  Json body = {{"KeyId", request.key_id}};
  PutContext(body, request.encryption_context);
  if (!request.encryption_algorithm.empty()) {
    body["EncryptionAlgorithm"] = request.encryption_algorithm;
  }
  return WithSecretMember(core::DumpJson(body), "Plaintext", request.plaintext);
}

core::SecretBytes EncodeDecryptRequest(const DecryptRequest& request) {
  Json body = {{"CiphertextBlob", core::Base64Encode(request.ciphertext_blob)}};
  if (!request.key_id.empty()) {
    body["KeyId"] = request.key_id;
  }
  PutContext(body, request.encryption_context);
  PutRecipient(body, request.recipient);
  if (!request.encryption_algorithm.empty()) {
    body["EncryptionAlgorithm"] = request.encryption_algorithm;
  }
  if (request.dry_run) {
    body["DryRun"] = true;
  }
  return ToSecret(core::DumpJson(body));
}

core::SecretBytes EncodeGenerateDataKeyRequest(const GenerateDataKeyRequest& request) {
  Json body = {{"KeyId", request.key_id}};
  if (!request.key_spec.empty()) {
    body["KeySpec"] = request.key_spec;
  }
  if (request.number_of_bytes) {
    body["NumberOfBytes"] = *request.number_of_bytes;
  }
  PutContext(body, request.encryption_context);
  PutRecipient(body, request.recipient);
  if (request.dry_run) {
    body["DryRun"] = true;
  }
  return ToSecret(core::DumpJson(body));
}

core::SecretBytes EncodeGenerateRandomRequest(const GenerateRandomRequest& request) {
  Json body = {{"NumberOfBytes", request.number_of_bytes}};
  PutRecipient(body, request.recipient);
  return ToSecret(core::DumpJson(body));
}

core::SecretBytes EncodeDeriveSharedSecretRequest(const DeriveSharedSecretRequest& request) {
  Json body = {{"KeyId", request.key_id},
               {"KeyAgreementAlgorithm", request.key_agreement_algorithm},
               {"PublicKey", core::Base64Encode(request.public_key)}};
  PutRecipient(body, request.recipient);
  if (request.dry_run) {
    body["DryRun"] = true;
  }
  return ToSecret(core::DumpJson(body));
}

core::Result<KeyMetadata> DecodeKeyMetadataResponse(core::ByteView body) {
  auto json = ParseBody(body, "KeyMetadata");
  if (!json) {
    return Fail(json.error());
  }
  const auto it = json->find("KeyMetadata");
  if (it == json->end()) {
    return Fail(ErrorCode::kKmsResponseMalformed, "the response has no KeyMetadata");
  }
  return DecodeKeyMetadata(*it);
}

core::Result<GetKeyPolicyResult> DecodeGetKeyPolicyResponse(core::ByteView body) {
  auto json = ParseBody(body, "GetKeyPolicy");
  if (!json) {
    return Fail(json.error());
  }
  auto policy = ReqString(*json, "Policy", core::limits::kMaxKeyPolicyBytes);
  if (!policy) {
    return Fail(policy.error());
  }
  auto name = OptString(*json, "PolicyName", 128);
  if (!name) {
    return Fail(name.error());
  }
  return GetKeyPolicyResult{std::move(*policy), name->value_or("default")};
}

core::Status DecodeEmptyResponse(core::ByteView body) {
  const std::string_view text = core::TrimWhitespace(core::AsChars(body));
  if (text.empty() || text == "{}" || text == "null") {
    return core::Ok();
  }
  auto json = ParseBody(body, "PutKeyPolicy");
  if (!json) {
    return Fail(json.error());
  }
  return core::Ok();  // an object with members KMS may add later
}

core::Result<EncryptResult> DecodeEncryptResponse(core::ByteView body) {
  auto json = ParseBody(body, "Encrypt");
  if (!json) {
    return Fail(json.error());
  }
  auto blob = ReqBlob(*json, "CiphertextBlob", kMaxCiphertextBlob);
  if (!blob) {
    return Fail(blob.error());
  }
  auto key_id = ReqString(*json, "KeyId");
  if (!key_id) {
    return Fail(key_id.error());
  }
  auto algorithm = OptString(*json, "EncryptionAlgorithm", 64);
  if (!algorithm) {
    return Fail(algorithm.error());
  }
  return EncryptResult{std::move(*blob), std::move(*key_id), algorithm->value_or("")};
}

namespace {

// The two ways a secret comes back: `clear_name` (Plaintext, SharedSecret) in clear, or
// CiphertextForRecipient; exactly the one the request asked for.
struct SecretDelivery {
  core::SecretBytes clear;
  core::Bytes for_recipient;
};

core::Result<SecretDelivery> DecodeSecretDelivery(nlohmann::json& json, const char* clear_name,
                                                  std::size_t max_clear, bool with_recipient) {
  auto clear = SecretBlob(json, clear_name, max_clear);
  if (!clear) {
    return Fail(clear.error());
  }
  auto for_recipient =
      OptBlob(json, "CiphertextForRecipient", core::limits::kMaxCiphertextForRecipientBytes);
  if (!for_recipient) {
    return Fail(for_recipient.error());
  }
  ENCLAVECTL_RETURN_IF_ERROR(CheckSecretDelivery(clear_name, !clear->empty(),
                                                 for_recipient->has_value(), with_recipient));
  return SecretDelivery{std::move(*clear), for_recipient->value_or(core::Bytes{})};
}

}  // namespace

core::Result<DecryptResult> DecodeDecryptResponse(core::ByteView body, bool with_recipient) {
  auto json = ParseBody(body, "Decrypt");
  if (!json) {
    return Fail(json.error());
  }
  auto secret = DecodeSecretDelivery(*json, "Plaintext", kMaxPlaintext, with_recipient);
  if (!secret) {
    return Fail(secret.error());
  }
  auto key_id = ReqString(*json, "KeyId");
  if (!key_id) {
    return Fail(key_id.error());
  }
  auto algorithm = OptString(*json, "EncryptionAlgorithm", 64);
  if (!algorithm) {
    return Fail(algorithm.error());
  }
  return DecryptResult{std::move(*key_id), algorithm->value_or(""), std::move(secret->clear),
                       std::move(secret->for_recipient)};
}

core::Result<GenerateDataKeyResult> DecodeGenerateDataKeyResponse(core::ByteView body,
                                                                  bool with_recipient) {
  auto json = ParseBody(body, "GenerateDataKey");
  if (!json) {
    return Fail(json.error());
  }
  auto secret = DecodeSecretDelivery(*json, "Plaintext", kMaxPlaintext, with_recipient);
  if (!secret) {
    return Fail(secret.error());
  }
  auto blob = ReqBlob(*json, "CiphertextBlob", kMaxCiphertextBlob);
  if (!blob) {
    return Fail(blob.error());
  }
  auto key_id = ReqString(*json, "KeyId");
  if (!key_id) {
    return Fail(key_id.error());
  }
  return GenerateDataKeyResult{std::move(*blob), std::move(*key_id), std::move(secret->clear),
                               std::move(secret->for_recipient)};
}

core::Result<GenerateRandomResult> DecodeGenerateRandomResponse(core::ByteView body,
                                                                bool with_recipient) {
  auto json = ParseBody(body, "GenerateRandom");
  if (!json) {
    return Fail(json.error());
  }
  // GenerateRandom's NumberOfBytes is at most 1024.
  auto secret = DecodeSecretDelivery(*json, "Plaintext", 1024, with_recipient);
  if (!secret) {
    return Fail(secret.error());
  }
  return GenerateRandomResult{std::move(secret->clear), std::move(secret->for_recipient)};
}

core::Result<DeriveSharedSecretResult> DecodeDeriveSharedSecretResponse(core::ByteView body,
                                                                        bool with_recipient) {
  auto json = ParseBody(body, "DeriveSharedSecret");
  if (!json) {
    return Fail(json.error());
  }
  auto secret = DecodeSecretDelivery(*json, "SharedSecret", kMaxPlaintext, with_recipient);
  if (!secret) {
    return Fail(secret.error());
  }
  auto key_id = ReqString(*json, "KeyId");
  if (!key_id) {
    return Fail(key_id.error());
  }
  auto algorithm = OptString(*json, "KeyAgreementAlgorithm", 64);
  if (!algorithm) {
    return Fail(algorithm.error());
  }
  auto origin = OptString(*json, "KeyOrigin", 64);
  if (!origin) {
    return Fail(origin.error());
  }
  return DeriveSharedSecretResult{std::move(*key_id), std::move(secret->clear),
                                  std::move(secret->for_recipient), algorithm->value_or(""),
                                  origin->value_or("")};
}

core::Result<GetPublicKeyResult> DecodeGetPublicKeyResponse(core::ByteView body) {
  auto json = ParseBody(body, "GetPublicKey");
  if (!json) {
    return Fail(json.error());
  }
  GetPublicKeyResult out;
  auto key_id = ReqString(*json, "KeyId");
  if (!key_id) {
    return Fail(key_id.error());
  }
  out.key_id = std::move(*key_id);
  auto public_key = ReqBlob(*json, "PublicKey", kMaxPublicKey);
  if (!public_key) {
    return Fail(public_key.error());
  }
  out.public_key = std::move(*public_key);
  // KeySpec, or the deprecated CustomerMasterKeySpec that mirrors it (moto sends only that).
  for (const char* name : {"CustomerMasterKeySpec", "KeySpec", "KeyUsage"}) {
    auto value = OptString(*json, name, 64);
    if (!value) {
      return Fail(value.error());
    }
    if (*value) {
      (std::string_view(name) == "KeyUsage" ? out.key_usage : out.key_spec) = std::move(**value);
    }
  }
  const std::array<std::pair<const char*, std::vector<std::string>*>, 3> lists = {{
      {"EncryptionAlgorithms", &out.encryption_algorithms},
      {"SigningAlgorithms", &out.signing_algorithms},
      {"KeyAgreementAlgorithms", &out.key_agreement_algorithms},
  }};
  for (const auto& [name, target] : lists) {
    auto list = StringArray(*json, name);
    if (!list) {
      return Fail(list.error());
    }
    *target = std::move(*list);
  }
  return out;
}

KmsError DecodeAwsJsonError(long http_status, core::ByteView body,
                            std::string_view error_type_header,
                            std::span<const AwsErrorMapping> mappings, ErrorCode unknown_code,
                            std::string_view service) {
  KmsError out;
  auto json = core::ParseStrictJson(core::AsChars(body), core::limits::kMaxKmsResponseBytes,
                              ErrorCode::kKmsResponseMalformed, "error answer");
  if (json && json->is_object()) {
    for (const char* name : {"__type", "code"}) {
      if (const auto it = json->find(name); it != json->end() && it->is_string()) {
        out.type = it->get<std::string>();
        break;
      }
    }
    for (const char* name : {"message", "Message"}) {
      if (const auto it = json->find(name); it != json->end() && it->is_string()) {
        out.message = CleanMessage(it->get_ref<const std::string&>());
        break;
      }
    }
  }
  if (out.type.empty()) {
    out.type = std::string(error_type_header.substr(0, error_type_header.find(':')));
  }
  if (const std::size_t hash = out.type.rfind('#'); hash != std::string::npos) {
    out.type.erase(0, hash + 1);
  }
  out.type = CleanMessage(out.type.substr(0, 128));
  ErrorCode code = unknown_code;
  bool known = false;
  for (const AwsErrorMapping& mapping : mappings) {
    if (out.type == mapping.type) {
      code = mapping.code;
      out.retryable = mapping.retryable;
      known = true;
      break;
    }
  }
  // A 5xx is a server fault and 429 throttling, whatever the body says: worth a retry.
  if (http_status >= 500 || http_status == 429) {
    out.retryable = true;
    if (!known) {
      code = ErrorCode::kServiceUnavailable;
    }
  }
  if (out.type.empty()) {
    out.type = "HTTP " + std::to_string(http_status);
  }
  std::string detail = out.type + (out.message.empty() ? "" : ": " + out.message);
  if (!json || !json->is_object()) {
    detail += " (HTTP " + std::to_string(http_status) + ", not a " + std::string(service) +
              " error body)";
  }
  out.error = core::Error{code, std::move(detail), -1};
  return out;
}

KmsError DecodeKmsError(long http_status, core::ByteView body, std::string_view error_type_header) {
  return DecodeAwsJsonError(http_status, body, error_type_header, kErrorMappings,
                            ErrorCode::kKmsError, "KMS");
}

// --- the server side: response encoders ---

namespace {

Json StringList(const std::vector<std::string>& items) {
  Json out = Json::array();
  for (const std::string& item : items) {
    out.push_back(item);
  }
  return out;
}

// The secret member `name` or CiphertextForRecipient, whichever the result carries, appended
// to the JSON object `json` (non-secret members only).
core::SecretBytes WithDelivery(Json json, const char* name, const core::SecretBytes& clear,
                               const core::Bytes& for_recipient) {
  if (!for_recipient.empty()) {
    json["CiphertextForRecipient"] = core::Base64Encode(for_recipient);
    return ToSecret(core::DumpJson(json));
  }
  return WithSecretMember(core::DumpJson(json), name, clear.View());
}

// Truncated and, when there is a next page, NextMarker.
Json WithPaging(Json body, const std::string& next_marker) {
  body["Truncated"] = !next_marker.empty();
  if (!next_marker.empty()) {
    body["NextMarker"] = next_marker;
  }
  return body;
}

}  // namespace

std::string EncodeKeyMetadataResponse(const KeyMetadata& metadata) {
  Json meta = {{"AWSAccountId", metadata.aws_account_id},
               {"KeyId", metadata.key_id},
               {"Arn", metadata.arn},
               {"Enabled", metadata.enabled},
               {"Description", metadata.description},
               {"KeyUsage", metadata.key_usage},
               {"KeyState", metadata.key_state},
               {"Origin", metadata.origin},
               {"KeyManager", metadata.key_manager},
               {"CustomerMasterKeySpec", metadata.key_spec},
               {"KeySpec", metadata.key_spec},
               {"MultiRegion", metadata.multi_region}};
  if (metadata.creation_date) {
    meta["CreationDate"] = *metadata.creation_date;
  }
  if (metadata.deletion_date) {
    meta["DeletionDate"] = *metadata.deletion_date;
  }
  if (metadata.pending_deletion_window_in_days) {
    meta["PendingDeletionWindowInDays"] = *metadata.pending_deletion_window_in_days;
  }
  if (!metadata.encryption_algorithms.empty()) {
    meta["EncryptionAlgorithms"] = StringList(metadata.encryption_algorithms);
  }
  if (!metadata.signing_algorithms.empty()) {
    meta["SigningAlgorithms"] = StringList(metadata.signing_algorithms);
  }
  if (!metadata.key_agreement_algorithms.empty()) {
    meta["KeyAgreementAlgorithms"] = StringList(metadata.key_agreement_algorithms);
  }
  return core::DumpJson(Json{{"KeyMetadata", std::move(meta)}});
}

std::string EncodeGetKeyPolicyResponse(const GetKeyPolicyResult& result) {
  return core::DumpJson(Json{{"Policy", result.policy}, {"PolicyName", result.policy_name}});
}

std::string EncodeEncryptResponse(const EncryptResult& result) {
  return core::DumpJson(Json{{"CiphertextBlob", core::Base64Encode(result.ciphertext_blob)},
                       {"KeyId", result.key_id},
                       {"EncryptionAlgorithm", result.encryption_algorithm}});
}

core::SecretBytes EncodeDecryptResponse(const DecryptResult& result) {
  return WithDelivery(
      Json{{"KeyId", result.key_id}, {"EncryptionAlgorithm", result.encryption_algorithm}},
      "Plaintext", result.plaintext, result.ciphertext_for_recipient);
}

core::SecretBytes EncodeGenerateDataKeyResponse(const GenerateDataKeyResult& result) {
  return WithDelivery(Json{{"CiphertextBlob", core::Base64Encode(result.ciphertext_blob)},
                           {"KeyId", result.key_id}},
                      "Plaintext", result.plaintext, result.ciphertext_for_recipient);
}

core::SecretBytes EncodeGenerateRandomResponse(const GenerateRandomResult& result) {
  return WithDelivery(Json::object(), "Plaintext", result.plaintext,
                      result.ciphertext_for_recipient);
}

core::SecretBytes EncodeDeriveSharedSecretResponse(const DeriveSharedSecretResult& result) {
  return WithDelivery(Json{{"KeyId", result.key_id},
                           {"KeyAgreementAlgorithm", result.key_agreement_algorithm},
                           {"KeyOrigin", result.key_origin}},
                      "SharedSecret", result.shared_secret, result.ciphertext_for_recipient);
}

std::string EncodeGetPublicKeyResponse(const GetPublicKeyResult& result) {
  Json body = {{"KeyId", result.key_id},
               {"PublicKey", core::Base64Encode(result.public_key)},
               {"CustomerMasterKeySpec", result.key_spec},
               {"KeySpec", result.key_spec},
               {"KeyUsage", result.key_usage}};
  if (!result.encryption_algorithms.empty()) {
    body["EncryptionAlgorithms"] = StringList(result.encryption_algorithms);
  }
  if (!result.signing_algorithms.empty()) {
    body["SigningAlgorithms"] = StringList(result.signing_algorithms);
  }
  if (!result.key_agreement_algorithms.empty()) {
    body["KeyAgreementAlgorithms"] = StringList(result.key_agreement_algorithms);
  }
  return core::DumpJson(body);
}

std::string EncodeScheduleKeyDeletionResponse(const ScheduleKeyDeletionResult& result) {
  return core::DumpJson(Json{{"KeyId", result.key_id},
                       {"DeletionDate", result.deletion_date},
                       {"KeyState", result.key_state},
                       {"PendingWindowInDays", result.pending_window_in_days}});
}

std::string EncodeListAliasesResponse(const ListAliasesResult& result) {
  Json aliases = Json::array();
  for (const AliasEntry& alias : result.aliases) {
    Json entry = {{"AliasName", alias.alias_name}, {"AliasArn", alias.alias_arn}};
    if (!alias.target_key_id.empty()) {
      entry["TargetKeyId"] = alias.target_key_id;
    }
    if (alias.creation_date) {
      entry["CreationDate"] = *alias.creation_date;
      entry["LastUpdatedDate"] = *alias.creation_date;
    }
    aliases.push_back(std::move(entry));
  }
  return core::DumpJson(WithPaging({{"Aliases", std::move(aliases)}}, result.next_marker));
}

std::string EncodeListKeysResponse(const ListKeysResult& result) {
  Json keys = Json::array();
  for (const auto& [key_id, arn] : result.keys) {
    keys.push_back({{"KeyId", key_id}, {"KeyArn", arn}});
  }
  return core::DumpJson(WithPaging({{"Keys", std::move(keys)}}, result.next_marker));
}

std::string EncodeKmsErrorBody(std::string_view type, std::string_view message,
                               bool capital_message) {
  return core::DumpJson(Json{{"__type", type}, {capital_message ? "Message" : "message", message}});
}

}  // namespace enclavectl::aws
