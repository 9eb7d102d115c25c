// KMS JSON 1.1 request encoders and response decoders (parse layer: pure, tested offline).
// Transport and signing live in net/kms_client.hpp.
//
// Spec: ../shared/spec/kms.md sections 1 (transport, errors), 4 (operations) and 5
// (Recipient / CiphertextForRecipient). Field constraints from botocore's KMS model.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"

namespace enclavectl::aws {

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
  kScheduleKeyDeletion,
  kCancelKeyDeletion,
  kEnableKey,
  kDisableKey,
  kCreateAlias,
  kDeleteAlias,
  kListAliases,
  kListKeys,
};
const char* KmsOperationName(KmsOperation operation) noexcept;  // "CreateKey"
// The operation named by an X-Amz-Target value ("TrentService.CreateKey"), or nullopt.
std::optional<KmsOperation> KmsOperationFromTarget(std::string_view target) noexcept;
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
  std::string origin{};  // empty: AWS_KMS
  bool multi_region = false;
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
  std::vector<std::string> signing_algorithms{};
  bool multi_region = false;
  std::optional<double> deletion_date{};  // epoch seconds, while PendingDeletion
  std::optional<std::uint32_t> pending_deletion_window_in_days{};
};

struct PutKeyPolicyRequest {
  std::string key_id;
  std::string policy;
  bool bypass_policy_lockout_safety_check = false;
  std::string policy_name = "default";
};

struct GetKeyPolicyRequest {
  std::string key_id;
  std::string policy_name = "default";
};

struct GetKeyPolicyResult {
  std::string policy;
  std::string policy_name;
};

struct EncryptRequest {
  std::string key_id;
  core::ByteView plaintext;  // borrowed: the caller keeps it in SecretBytes
  EncryptionContext encryption_context;
  std::string encryption_algorithm{};  // empty: SYMMETRIC_DEFAULT
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
  std::string encryption_algorithm{};  // empty: SYMMETRIC_DEFAULT
  bool dry_run = false;
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
  std::string key_spec;                          // "AES_256" / "AES_128" ...
  std::optional<std::uint32_t> number_of_bytes;  // ... or this (exactly one of the two)
  EncryptionContext encryption_context;
  std::optional<RecipientInfo> recipient;
  bool dry_run = false;
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
  std::string custom_key_store_id{};  // the local KMS has none
};

struct GenerateRandomResult {
  core::SecretBytes plaintext;
  core::Bytes ciphertext_for_recipient;
};

struct DeriveSharedSecretRequest {
  std::string key_id;
  core::Bytes public_key;  // the peer's DER SubjectPublicKeyInfo
  std::optional<RecipientInfo> recipient;
  std::string key_agreement_algorithm = "ECDH";
  bool dry_run = false;
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

struct ScheduleKeyDeletionRequest {
  std::string key_id;
  std::optional<std::uint32_t> pending_window_in_days;  // 7..30, default 30
};

struct ScheduleKeyDeletionResult {
  std::string key_id;        // ARN
  double deletion_date = 0;  // epoch seconds
  std::string key_state;
  std::uint32_t pending_window_in_days = 0;
};

struct CreateAliasRequest {
  std::string alias_name;     // "alias/name"
  std::string target_key_id;  // key id or key ARN
};

struct AliasEntry {
  std::string alias_name;
  std::string alias_arn;
  std::string target_key_id;  // empty for AWS managed aliases (none locally)
  std::optional<double> creation_date;
};

// ListAliases and ListKeys page with Limit (1..100) and an opaque Marker.
struct ListRequest {
  std::string key_id;  // ListAliases only: the aliases of this key
  std::optional<std::uint32_t> limit;
  std::string marker;
};

struct ListAliasesResult {
  std::vector<AliasEntry> aliases;
  std::string next_marker;  // empty: the last page
};

struct ListKeysResult {
  std::vector<std::pair<std::string, std::string>> keys;  // (KeyId, KeyArn)
  std::string next_marker;
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
[[nodiscard]] core::Result<GenerateRandomResult> DecodeGenerateRandomResponse(core::ByteView body,
                                                                              bool with_recipient);
[[nodiscard]] core::Result<DeriveSharedSecretResult> DecodeDeriveSharedSecretResponse(
    core::ByteView body, bool with_recipient);
[[nodiscard]] core::Result<GetPublicKeyResult> DecodeGetPublicKeyResponse(core::ByteView body);

// A KMS error answer: {"__type": "[prefix#]Name", "message"|"Message": "..."} (kms.md 1.1).
struct KmsError {
  std::string type;        // without any "prefix#"; "HTTP 503" when the body names none
  std::string message;     // AWS's message, control characters replaced, at most 1 KiB
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

// Maps an AWS error name ("ThrottlingException") to an enclavectl code.
struct AwsErrorMapping {
  std::string_view type;
  core::ErrorCode code;
  bool retryable;
};

// Decodes any AWS JSON 1.1 error answer (untrusted) as DecodeKmsError does, with the service's
// own names: those in `mappings` get their code; a 5xx or 429 is always retryable
// (kServiceUnavailable when the name is unknown); anything else gets `unknown_code`. `service`
// names the service in the detail of a body that is not an error JSON ("KMS", "SSM").
KmsError DecodeAwsJsonError(long http_status, core::ByteView body,
                            std::string_view error_type_header,
                            std::span<const AwsErrorMapping> mappings, core::ErrorCode unknown_code,
                            std::string_view service);

// ---- The server side (the local KMS): request decoders and response encoders ----
//
// Request decoders take the body of a request (untrusted, at most
// limits::kMaxKmsRequestBytes) and check it like KMS's front end: JSON types (failing with
// kKmsRequestMalformed, answered as SerializationException), then the model's constraints
// (failing with kKmsValidation whose detail is KMS's ValidationException message, e.g.
// "1 validation error detected: Value '2000' at 'numberOfBytes' failed to satisfy
// constraint: Member must have value less than or equal to 1024"). Unknown members are
// ignored (as KMS does); JSON null reads as absent. No detail quotes a secret.
[[nodiscard]] core::Result<CreateKeyRequest> DecodeCreateKeyRequest(core::ByteView body);
// {"KeyId": ...}: DescribeKey, GetPublicKey, CancelKeyDeletion, EnableKey, DisableKey.
[[nodiscard]] core::Result<std::string> DecodeKeyIdRequest(core::ByteView body);
[[nodiscard]] core::Result<GetKeyPolicyRequest> DecodeGetKeyPolicyRequest(core::ByteView body);
[[nodiscard]] core::Result<PutKeyPolicyRequest> DecodePutKeyPolicyRequest(core::ByteView body);
// The plaintext goes to `out_plaintext` (wiped memory); the result's `plaintext` views it.
[[nodiscard]] core::Result<EncryptRequest> DecodeEncryptRequest(core::ByteView body,
                                                                core::SecretBytes& out_plaintext);
// The ciphertext goes to `out_ciphertext_blob`; the result's `ciphertext_blob` views it.
[[nodiscard]] core::Result<DecryptRequest> DecodeDecryptRequest(core::ByteView body,
                                                                core::Bytes& out_ciphertext_blob);
[[nodiscard]] core::Result<GenerateDataKeyRequest> DecodeGenerateDataKeyRequest(
    core::ByteView body);
[[nodiscard]] core::Result<GenerateRandomRequest> DecodeGenerateRandomRequest(core::ByteView body);
[[nodiscard]] core::Result<DeriveSharedSecretRequest> DecodeDeriveSharedSecretRequest(
    core::ByteView body);
[[nodiscard]] core::Result<ScheduleKeyDeletionRequest> DecodeScheduleKeyDeletionRequest(
    core::ByteView body);
[[nodiscard]] core::Result<CreateAliasRequest> DecodeCreateAliasRequest(core::ByteView body);
// DeleteAlias: {"AliasName": ...}.
[[nodiscard]] core::Result<std::string> DecodeDeleteAliasRequest(core::ByteView body);
// ListAliases (KeyId allowed) and ListKeys (`with_key_id` false: KeyId is ignored).
[[nodiscard]] core::Result<ListRequest> DecodeListRequest(core::ByteView body, bool with_key_id);

// Response bodies (kms.md section 4): absent optionals omitted, blobs as padded base64,
// dates as epoch seconds. Bodies that carry a secret come back as SecretBytes.
std::string EncodeKeyMetadataResponse(const KeyMetadata& metadata);
std::string EncodeGetKeyPolicyResponse(const GetKeyPolicyResult& result);
std::string EncodeEncryptResponse(const EncryptResult& result);
core::SecretBytes EncodeDecryptResponse(const DecryptResult& result);
core::SecretBytes EncodeGenerateDataKeyResponse(const GenerateDataKeyResult& result);
core::SecretBytes EncodeGenerateRandomResponse(const GenerateRandomResult& result);
core::SecretBytes EncodeDeriveSharedSecretResponse(const DeriveSharedSecretResult& result);
std::string EncodeGetPublicKeyResponse(const GetPublicKeyResult& result);
std::string EncodeScheduleKeyDeletionResponse(const ScheduleKeyDeletionResult& result);
std::string EncodeListAliasesResponse(const ListAliasesResult& result);
std::string EncodeListKeysResponse(const ListKeysResult& result);

// A KMS error body: {"__type": type, "message": message}, or with "Message" when
// `capital_message` (AccessDeniedException from the authorization layer, kms.md 1.1).
std::string EncodeKmsErrorBody(std::string_view type, std::string_view message,
                               bool capital_message = false);

}  // namespace enclavectl::aws
