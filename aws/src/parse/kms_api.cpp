// KMS request encoders and response decoders: the client's side of kms_api.hpp (error
// answers: kms_errors.cpp; the local KMS's side: kms_requests.cpp, kms_responses.cpp).
#include "enclavectl/aws/kms_api.hpp"

#include <array>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/limits.hpp"
#include "kms_json.hpp"

namespace enclavectl::aws {
namespace {

using core::ErrorCode;
using core::Fail;
using kms_json::Json;
using kms_json::kMaxCiphertextBlob;
using kms_json::kMaxPlaintext;
using kms_json::kMaxPublicKey;
using kms_json::OptBlob;
using kms_json::OptString;
using kms_json::ParseBody;
using kms_json::ReqBlob;
using kms_json::ReqString;
using kms_json::SecretBlob;
using kms_json::StringArray;
using kms_json::ToSecret;
using kms_json::WithSecretMember;

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
    body["Recipient"] = {
        {"KeyEncryptionAlgorithm", "RSAES_OAEP_SHA_256"},
        {"AttestationDocument", core::Base64Encode(recipient->attestation_document)}};
  }
}

// --- decoding helpers ---

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

// The two ways a secret comes back: `clear_name` (Plaintext, SharedSecret) in clear, or
// CiphertextForRecipient; exactly the one the request asked for.
struct SecretDelivery {
  core::SecretBytes clear;
  core::Bytes for_recipient;
};

core::Result<SecretDelivery> DecodeSecretDelivery(Json& json, const char* clear_name,
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
  ENCLAVECTL_RETURN_IF_ERROR(
      CheckSecretDelivery(clear_name, !clear->empty(), for_recipient->has_value(), with_recipient));
  return SecretDelivery{std::move(*clear), for_recipient->value_or(core::Bytes{})};
}

// A response that returns a secret: the body's JSON object and the secret, delivered the way
// the request asked (`operation` names the response in errors).
struct SecretResponse {
  Json json;
  SecretDelivery secret;
};

core::Result<SecretResponse> DecodeSecretResponse(core::ByteView body, const char* operation,
                                                  const char* clear_name, std::size_t max_clear,
                                                  bool with_recipient) {
  auto json = ParseBody(body, operation);
  if (!json) {
    return Fail(json.error());
  }
  auto secret = DecodeSecretDelivery(*json, clear_name, max_clear, with_recipient);
  if (!secret) {
    return Fail(secret.error());
  }
  return SecretResponse{std::move(*json), std::move(*secret)};
}

// The KeyId (required) and the algorithm member `algorithm_name` (optional, "" when absent).
struct KeyIdAndAlgorithm {
  std::string key_id;
  std::string algorithm;
};

core::Result<KeyIdAndAlgorithm> DecodeKeyIdAndAlgorithm(const Json& json,
                                                        const char* algorithm_name) {
  auto key_id = ReqString(json, "KeyId");
  if (!key_id) {
    return Fail(key_id.error());
  }
  auto algorithm = OptString(json, algorithm_name, 64);
  if (!algorithm) {
    return Fail(algorithm.error());
  }
  return KeyIdAndAlgorithm{std::move(*key_id), algorithm->value_or("")};
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
  auto key = DecodeKeyIdAndAlgorithm(*json, "EncryptionAlgorithm");
  if (!key) {
    return Fail(key.error());
  }
  return EncryptResult{std::move(*blob), std::move(key->key_id), std::move(key->algorithm)};
}

core::Result<DecryptResult> DecodeDecryptResponse(core::ByteView body, bool with_recipient) {
  auto response = DecodeSecretResponse(body, "Decrypt", "Plaintext", kMaxPlaintext, with_recipient);
  if (!response) {
    return Fail(response.error());
  }
  auto key = DecodeKeyIdAndAlgorithm(response->json, "EncryptionAlgorithm");
  if (!key) {
    return Fail(key.error());
  }
  return DecryptResult{std::move(key->key_id), std::move(key->algorithm),
                       std::move(response->secret.clear),
                       std::move(response->secret.for_recipient)};
}

core::Result<GenerateDataKeyResult> DecodeGenerateDataKeyResponse(core::ByteView body,
                                                                  bool with_recipient) {
  auto response =
      DecodeSecretResponse(body, "GenerateDataKey", "Plaintext", kMaxPlaintext, with_recipient);
  if (!response) {
    return Fail(response.error());
  }
  auto blob = ReqBlob(response->json, "CiphertextBlob", kMaxCiphertextBlob);
  if (!blob) {
    return Fail(blob.error());
  }
  auto key_id = ReqString(response->json, "KeyId");
  if (!key_id) {
    return Fail(key_id.error());
  }
  return GenerateDataKeyResult{std::move(*blob), std::move(*key_id),
                               std::move(response->secret.clear),
                               std::move(response->secret.for_recipient)};
}

core::Result<GenerateRandomResult> DecodeGenerateRandomResponse(core::ByteView body,
                                                                bool with_recipient) {
  // GenerateRandom's NumberOfBytes is at most 1024.
  auto response = DecodeSecretResponse(body, "GenerateRandom", "Plaintext", 1024, with_recipient);
  if (!response) {
    return Fail(response.error());
  }
  return GenerateRandomResult{std::move(response->secret.clear),
                              std::move(response->secret.for_recipient)};
}

core::Result<DeriveSharedSecretResult> DecodeDeriveSharedSecretResponse(core::ByteView body,
                                                                        bool with_recipient) {
  auto response = DecodeSecretResponse(body, "DeriveSharedSecret", "SharedSecret", kMaxPlaintext,
                                       with_recipient);
  if (!response) {
    return Fail(response.error());
  }
  auto key = DecodeKeyIdAndAlgorithm(response->json, "KeyAgreementAlgorithm");
  if (!key) {
    return Fail(key.error());
  }
  auto origin = OptString(response->json, "KeyOrigin", 64);
  if (!origin) {
    return Fail(origin.error());
  }
  return DeriveSharedSecretResult{std::move(key->key_id), std::move(response->secret.clear),
                                  std::move(response->secret.for_recipient),
                                  std::move(key->algorithm), origin->value_or("")};
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

}  // namespace enclavectl::aws
