// KMS JSON 1.1 request encoders and response decoders (parse layer: pure, tested offline).
// Transport and signing live in net/kms_client.hpp.
//
// Spec: ../shared/spec/kms.md sections 1 (transport, errors), 4 (operations) and 5
// (Recipient / CiphertextForRecipient). Field constraints from botocore's KMS model.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"

namespace enclavectl::kmspolicy {

enum class KmsOperation : std::uint8_t {
  kCreateKey,
  kDescribeKey,
  kGetKeyPolicy,
  kPutKeyPolicy,
  kEncrypt,
  kDecrypt,
  kGenerateDataKey,
  kGenerateRandom,
  kDeriveSharedSecret,
  kGetPublicKey,
};
const char* KmsOperationName(KmsOperation operation) noexcept;  // "CreateKey"
// The X-Amz-Target header value: "TrentService.CreateKey".
std::string KmsTarget(KmsOperation operation);
inline constexpr std::string_view kKmsContentType = "application/x-amz-json-1.1";

// The Recipient parameter (kms.md section 5): KMS encrypts the would-be plaintext to the RSA
// key in this attestation document's public_key and returns CiphertextForRecipient.
struct RecipientInfo {
  core::Bytes attestation_document;  // raw COSE_Sign1 bytes
};

using EncryptionContext = std::map<std::string, std::string>;

struct CreateKeyRequest {
  std::optional<std::string> policy;
  std::optional<std::string> description;
  std::string key_usage;  // empty: KMS default (ENCRYPT_DECRYPT)
  std::string key_spec;   // empty: KMS default (SYMMETRIC_DEFAULT)
  bool bypass_policy_lockout_safety_check = false;
  std::vector<std::pair<std::string, std::string>> tags;
};

struct KeyMetadata {
  std::string key_id;
  std::string arn;
  std::string aws_account_id;
  std::string description;
  std::string key_state;
  std::string key_usage;
  std::string key_spec;
  std::string key_manager;
  std::string origin;
  bool enabled = false;
  std::optional<double> creation_date;  // epoch seconds
  std::vector<std::string> encryption_algorithms;
  std::vector<std::string> key_agreement_algorithms;
};

struct PutKeyPolicyRequest {
  std::string key_id;
  std::string policy;
  bool bypass_policy_lockout_safety_check = false;
};

struct GetKeyPolicyResult {
  std::string policy;
  std::string policy_name;
};

struct EncryptRequest {
  std::string key_id;
  core::ByteView plaintext;  // borrowed: the caller keeps it in SecretBytes
  EncryptionContext encryption_context;
};

struct EncryptResult {
  core::Bytes ciphertext_blob;
  std::string key_id;
  std::string encryption_algorithm;
};

struct DecryptRequest {
  core::ByteView ciphertext_blob;
  std::string key_id;  // optional for symmetric keys
  EncryptionContext encryption_context;
  std::optional<RecipientInfo> recipient;
};

// The secret comes back either in clear (no Recipient) or as CiphertextForRecipient.
struct DecryptResult {
  std::string key_id;
  std::string encryption_algorithm;
  core::SecretBytes plaintext;
  core::Bytes ciphertext_for_recipient;
};

struct GenerateDataKeyRequest {
  std::string key_id;
  std::string key_spec;                       // "AES_256" / "AES_128" ...
  std::optional<std::uint32_t> number_of_bytes;  // ... or this (exactly one of the two)
  EncryptionContext encryption_context;
  std::optional<RecipientInfo> recipient;
};

struct GenerateDataKeyResult {
  core::Bytes ciphertext_blob;
  std::string key_id;
  core::SecretBytes plaintext;
  core::Bytes ciphertext_for_recipient;
};

struct GenerateRandomRequest {
  std::uint32_t number_of_bytes = 32;  // 1..1024
  std::optional<RecipientInfo> recipient;
};

struct GenerateRandomResult {
  core::SecretBytes plaintext;
  core::Bytes ciphertext_for_recipient;
};

struct DeriveSharedSecretRequest {
  std::string key_id;
  core::Bytes public_key;  // the peer's DER SubjectPublicKeyInfo
  std::optional<RecipientInfo> recipient;
};

struct DeriveSharedSecretResult {
  std::string key_id;
  core::SecretBytes shared_secret;
  core::Bytes ciphertext_for_recipient;
  std::string key_agreement_algorithm;
  std::string key_origin;
};

struct GetPublicKeyResult {
  std::string key_id;
  core::Bytes public_key;  // DER SubjectPublicKeyInfo
  std::string key_spec;
  std::string key_usage;
  std::vector<std::string> encryption_algorithms;
  std::vector<std::string> signing_algorithms;
  std::vector<std::string> key_agreement_algorithms;
};

// Request bodies. Returned as SecretBytes because some carry secrets (Encrypt's plaintext);
// the client wipes them after sending. Blob fields are standard base64 with padding; absent
// optional members are omitted (kms.md section 1).
core::SecretBytes EncodeCreateKeyRequest(const CreateKeyRequest& request);
core::SecretBytes EncodeKeyIdRequest(std::string_view key_id);  // DescribeKey, GetPublicKey
core::SecretBytes EncodeGetKeyPolicyRequest(std::string_view key_id);
core::SecretBytes EncodePutKeyPolicyRequest(const PutKeyPolicyRequest& request);
core::SecretBytes EncodeEncryptRequest(const EncryptRequest& request);
core::SecretBytes EncodeDecryptRequest(const DecryptRequest& request);
core::SecretBytes EncodeGenerateDataKeyRequest(const GenerateDataKeyRequest& request);
core::SecretBytes EncodeGenerateRandomRequest(const GenerateRandomRequest& request);
core::SecretBytes EncodeDeriveSharedSecretRequest(const DeriveSharedSecretRequest& request);

// Response decoders. `body` is untrusted (at most limits::kMaxKmsResponseBytes): every member
// is type-checked, blobs must be valid base64 within the model's size limits, unknown members
// are ignored and JSON null reads as absent. With a Recipient, the secret must come back as
// CiphertextForRecipient and never in clear (a server that ignores Recipient is refused);
// without one, Plaintext / SharedSecret is required. Copies of secrets made while decoding
// are wiped. Fail with kKmsResponseMalformed (or kInputTooLarge).
[[nodiscard]] core::Result<KeyMetadata> DecodeKeyMetadataResponse(core::ByteView body);
[[nodiscard]] core::Result<GetKeyPolicyResult> DecodeGetKeyPolicyResponse(core::ByteView body);
// PutKeyPolicy has no output: an empty body, {} or null.
[[nodiscard]] core::Status DecodeEmptyResponse(core::ByteView body);
[[nodiscard]] core::Result<EncryptResult> DecodeEncryptResponse(core::ByteView body);
[[nodiscard]] core::Result<DecryptResult> DecodeDecryptResponse(core::ByteView body,
                                                               bool with_recipient);
[[nodiscard]] core::Result<GenerateDataKeyResult> DecodeGenerateDataKeyResponse(
    core::ByteView body, bool with_recipient);
[[nodiscard]] core::Result<GenerateRandomResult> DecodeGenerateRandomResponse(
    core::ByteView body, bool with_recipient);
[[nodiscard]] core::Result<DeriveSharedSecretResult> DecodeDeriveSharedSecretResponse(
    core::ByteView body, bool with_recipient);
[[nodiscard]] core::Result<GetPublicKeyResult> DecodeGetPublicKeyResponse(core::ByteView body);

// A KMS error answer: {"__type": "[prefix#]Name", "message"|"Message": "..."} (kms.md 1.1).
struct KmsError {
  std::string type;     // without any "prefix#"; "HTTP 503" when the body names none
  std::string message;  // AWS's message, control characters replaced, at most 1 KiB
  bool retryable = false;  // throttling, a server fault or any 5xx/429: worth another attempt
  core::Error error;       // the enclavectl code; detail "Type: message"
};

// Decodes an error answer (untrusted). Never fails: a body that is not KMS's error JSON
// (an HTML 500 page, a proxy's answer) is reported by its HTTP status and, when present, the
// x-amzn-ErrorType header (`error_type_header`). Codes: kKmsAccessDenied, kKmsNotFound,
// kKmsInvalidState, kKmsMalformedPolicy, kKmsValidation, kKmsInvalidCiphertext,
// kKmsKeyUsage, kKmsAuth, kKmsLimitExceeded, kServiceUnavailable (throttling and 5xx, with
// `retryable`), kKmsError (anything else).
KmsError DecodeKmsError(long http_status, core::ByteView body, std::string_view error_type_header);

}  // namespace enclavectl::kmspolicy
