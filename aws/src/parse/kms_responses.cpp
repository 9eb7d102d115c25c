// KMS response encoders: the local KMS's side of kms_api.hpp. Secret members are written
// straight into wiped memory.
#include <string>
#include <vector>

#include "enclavectl/aws/kms_api.hpp"
#include "enclavectl/core/encoding.hpp"
#include "kms_json.hpp"

namespace enclavectl::aws {

using kms_json::Json;
using kms_json::ToSecret;
using kms_json::WithSecretMember;

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

}  // namespace enclavectl::aws
