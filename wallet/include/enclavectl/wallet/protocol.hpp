// The account wire protocol of seed (b), aws-nitro-enclaves-rs (../shared/spec/wallet.md 2.2,
// 2.3, 2.8, 2.9), with our owner-authorization extension (docs/wallet.md). Pure: frames, the
// request and response codecs and the error envelope; both ends use it (the enclave's
// dispatcher in enclave-app accounts.hpp, the parent's `enclavectl wallet`). Frames are a u64
// little-endian length and that many bytes of JSON, one request and one response per
// connection.
//
//   request   {"apiRequest":"generateAccount","credential":{"aws_access_key_id",
//              "aws_secret_access_key","aws_session_token"},"key_id" (or "keyId"),"name",
//              "ownerKey"?: 64 hex (x-only BIP-340 key)}
//             {"apiRequest":"sign", credential, key_id, "name", "address"?,
//              "encryptedDataKey","encryptedPrivateKey","message": 32 bytes hex, 0x optional,
//              "ownerKey"?: 64 hex, "ownerNonce"?: 32..64 hex (16..32 bytes),
//              "ownerSignature"?: 128 hex (BIP-340 over OwnerAuthMessage, owner_auth.hpp)}
//   response  {"apiResponse":"generateResponse","content":{"address","encryptedDataKey",
//              "encryptedPrivateKey","ownerKey"? (echoed when the account is owned)}}
//             {"apiResponse":"signResponse","content":{"address","signature":"0x"+130 hex}}
//             {"apiResponse":"error","content":{"error":"bad_request"|"kms_failed"|
//              "decrypt_failed"|"address_mismatch"|"unsupported"|"owner_auth_failed"|
//              "policy_refused"}}
//
// The owner fields travel together: ownerNonce and ownerSignature need ownerKey. An owned
// account's ownerKey is bound into its hardened envelope (AAD and KMS EncryptionContext), so
// a sign request that drops it fails to decrypt.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"
#include "enclavectl/ethereum/address.hpp"
#include "enclavectl/ethereum/keccak.hpp"
#include "enclavectl/ethereum/signing.hpp"
#include "enclavectl/wallet/envelope.hpp"
#include "enclavectl/wallet/owner_auth.hpp"

namespace enclavectl::wallet::protocol {

// --- frames (wallet.md 2.2) ---

// The largest payload accepted (upstream has no bound and allocates what the header says).
inline constexpr std::size_t kMaxFramePayloadBytes = std::size_t{1} << 20;
inline constexpr std::size_t kFrameHeaderBytes = 8;

// len:u64 little-endian || payload.
std::string EncodeFrame(std::string_view payload);

enum class FrameState : std::uint8_t {
  kNeedMore,  // the header or the payload is not complete yet
  kComplete,  // a whole frame: its first kFrameHeaderBytes + payload_len bytes
  kTooLarge,  // the header declares more than max_payload bytes
};
struct FrameCheck {
  FrameState state = FrameState::kNeedMore;
  std::size_t payload_len = 0;  // known once the header has arrived
};
// What the bytes received so far (untrusted) hold. Bytes after the first frame are ignored.
FrameCheck CheckFrame(std::string_view received,
                      std::size_t max_payload = kMaxFramePayloadBytes) noexcept;

// The payload of exactly one frame (untrusted). Fails with kAccountFrameInvalid (header or
// payload cut short, bytes after the frame: index = bytes present) or kInputTooLarge.
[[nodiscard]] core::Result<std::string_view> DecodeFrame(
    std::string_view bytes, std::size_t max_payload = kMaxFramePayloadBytes);

// --- requests (wallet.md 2.3, 2.8) ---

// The AWS credentials a request carries (the same three fields as aws::AwsCredentials, kept
// here so that the wallet room needs no aws types). Secrets: never logged or echoed; the
// decoder wipes its JSON copy.
struct Credential {
  std::string access_key_id;
  core::SecretBytes secret_access_key;
  core::SecretBytes session_token;  // may be empty
};

struct GenerateRequest {
  Credential credential;
  std::string key_id;                 // "key_id", or "keyId" as vsock_sample sends it
  std::string name;                   // upstream ignores it; "" when absent
  std::optional<OwnerKey> owner_key;  // "ownerKey": the account is owned (hardened only)
};

// The owner's authorization of one sign request (owner_auth.hpp).
struct OwnerAuthorization {
  core::Bytes nonce;           // "ownerNonce": 16..32 bytes
  OwnerSignature signature{};  // "ownerSignature": BIP-340 over OwnerAuthMessage
};

struct SignRequest {
  Credential credential;
  std::string key_id;
  std::string name;
  std::optional<ethereum::Address> address;      // when given, must be the key's address
  core::Bytes encrypted_data_key;                // the KMS CiphertextBlob (base64 on the wire)
  std::string encrypted_private_key;             // the envelope text (envelope.hpp), as stored
  ethereum::Hash256 digest{};                    // "message": 32 bytes, hex, "0x" optional
  std::optional<OwnerKey> owner_key;             // "ownerKey": the account's owner, as stored
  std::optional<OwnerAuthorization> owner_auth;  // needs owner_key
};

using Request = std::variant<GenerateRequest, SignRequest>;

// Decodes a request payload (untrusted, at most kMaxFramePayloadBytes). Fails with
// kAccountRequestInvalid (not a JSON object, a missing, mistyped or badly encoded field,
// kWalletEnvelopeMalformed (encryptedPrivateKey is neither envelope shape),
// owner fields without ownerKey or only one of ownerNonce/ownerSignature),
// kAccountRequestUnsupported (another or no apiRequest), kAccountOwnerKeyInvalid (ownerKey
// not 64 hex), kAccountOwnerNonceInvalid (ownerNonce not 16..32 bytes of hex) or
// kInputTooLarge. Details never quote credential values.
[[nodiscard]] core::Result<Request> DecodeRequest(std::string_view payload);
// Writes what DecodeRequest reads (clients and tests). Holds the credentials in clear:
// the caller wipes the string after sending it (core::SecretBytes or OPENSSL_cleanse).
std::string EncodeRequest(const Request& request);

// --- responses ---

struct GenerateResponse {
  ethereum::Address address{};
  core::Bytes encrypted_data_key;
  std::string encrypted_private_key;  // the envelope text (legacy base64 or enclavectl:v1:...)
  std::optional<OwnerKey> owner_key;  // the owner the enclave bound, when any
};

struct SignResponse {
  ethereum::Address address{};
  ethereum::Signature signature;  // encoded r || s || v with v = recovery id (0 or 1)
};

enum class EnvelopeError : std::uint8_t {
  kBadRequest,
  kKmsFailed,
  kDecryptFailed,
  kAddressMismatch,
  kUnsupported,
  kOwnerAuthFailed,  // ours: an owned account without a valid, fresh owner signature
  kPolicyRefused,    // ours: the key policy or the enclave's own attestation is refused
};
const char* EnvelopeErrorName(EnvelopeError error) noexcept;  // "bad_request", ...

// The envelope error for an Error: kAccountRequestUnsupported -> unsupported;
// kAccountAddressMismatch, kWalletAddressMismatch, kEthTxFromMismatch -> address_mismatch;
// kAccountDecryptFailed, kWalletDecryptFailed, kKmsInvalidCiphertext -> decrypt_failed;
// kAccountOwnerAuthMissing, kAccountOwnerAuthInvalid, kAccountOwnerNonceReplayed ->
// owner_auth_failed; kAccountKeyPolicyRefused, kAccountDebugEnclaveRefused -> policy_refused;
// kAccountKmsFailed, 7xx, kNetwork, kServiceUnavailable -> kms_failed; any other input code (exit
// class malformed or usage) -> bad_request; anything else -> kms_failed.
EnvelopeError EnvelopeErrorFor(const core::Error& error) noexcept;

// Compact JSON, "address" in EIP-55.
std::string EncodeGenerateResponse(const GenerateResponse& response);
std::string EncodeSignResponse(const SignResponse& response);
std::string EncodeErrorResponse(EnvelopeError error);

// Decodes a response payload (untrusted; clients and tests): one of the three. An error
// envelope is a success holding the EnvelopeError. Fails with kAccountRequestInvalid.
using Response = std::variant<GenerateResponse, SignResponse, EnvelopeError>;
[[nodiscard]] core::Result<Response> DecodeResponse(std::string_view payload);

}  // namespace enclavectl::wallet::protocol
