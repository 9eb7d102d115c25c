// Seed (b)'s account protocol, aws-nitro-enclaves-rs (../shared/spec/wallet.md 2.2, 2.3,
// 2.8, 2.9): frames of a u64 little-endian length and that many bytes of JSON, one request
// and one response per connection. This header is the parse layer (pure: frames, request and
// response codecs, the error envelope) and the dispatcher over AccountOperations, the
// interface the KMS-backed account logic implements. The listener is in seed_servers.hpp.
//
//   request   {"apiRequest":"generateAccount","credential":{"aws_access_key_id",
//              "aws_secret_access_key","aws_session_token"},"key_id" (or "keyId"),"name"}
//             {"apiRequest":"sign", credential, key_id, "name", "address"?,
//              "encryptedDataKey","encryptedPrivateKey","message": 32 bytes hex, 0x optional}
//   response  {"apiResponse":"generateResponse","content":{"address","encryptedDataKey",
//              "encryptedPrivateKey"}}
//             {"apiResponse":"signResponse","content":{"address","signature":"0x"+130 hex}}
//             {"apiResponse":"error","content":{"error":"bad_request"|"kms_failed"|
//              "decrypt_failed"|"address_mismatch"|"unsupported"}}
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "enclavectl/aws/sigv4.hpp"
#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/ethereum/address.hpp"
#include "enclavectl/ethereum/keccak.hpp"
#include "enclavectl/ethereum/signing.hpp"

namespace enclavectl::app::accounts {

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

// The AWS credentials a request carries: secrets (SecretBytes in aws::AwsCredentials),
// never logged or echoed; the decoder wipes its JSON copy.
struct GenerateRequest {
  aws::AwsCredentials credential;
  std::string key_id;  // "key_id", or "keyId" as vsock_sample sends it
  std::string name;    // upstream ignores it; "" when absent
};

struct SignRequest {
  aws::AwsCredentials credential;
  std::string key_id;
  std::string name;
  std::optional<ethereum::Address> address;  // when given, must be the key's address
  core::Bytes encrypted_data_key;            // the KMS CiphertextBlob (base64 on the wire)
  core::Bytes encrypted_private_key;         // the envelope (base64 on the wire)
  ethereum::Hash256 digest{};                // "message": 32 bytes, hex, "0x" optional
};

using Request = std::variant<GenerateRequest, SignRequest>;

// Decodes a request payload (untrusted, at most kMaxFramePayloadBytes). Fails with
// kAccountRequestInvalid (not a JSON object, a missing, mistyped or badly encoded field),
// kAccountRequestUnsupported (another or no apiRequest) or kInputTooLarge. Details never
// quote credential values.
[[nodiscard]] core::Result<Request> DecodeRequest(std::string_view payload);
// Writes what DecodeRequest reads (clients and tests). Holds the credentials in clear:
// the caller wipes the string after sending it.
std::string EncodeRequest(const Request& request);

// --- responses ---

struct GenerateResponse {
  ethereum::Address address{};
  core::Bytes encrypted_data_key;
  core::Bytes encrypted_private_key;
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
};
const char* EnvelopeErrorName(EnvelopeError error) noexcept;  // "bad_request", ...

// The envelope error for an Error: kAccountRequestUnsupported -> unsupported;
// kAccountAddressMismatch, kEthTxFromMismatch -> address_mismatch; kAccountDecryptFailed ->
// decrypt_failed; kAccountKmsFailed, 7xx, kNetwork, kServiceUnavailable -> kms_failed; any
// other input code (exit class malformed or usage) -> bad_request; anything else ->
// kms_failed.
EnvelopeError EnvelopeErrorFor(const core::Error& error) noexcept;

// Compact JSON, "address" in EIP-55.
std::string EncodeGenerateResponse(const GenerateResponse& response);
std::string EncodeSignResponse(const SignResponse& response);
std::string EncodeErrorResponse(EnvelopeError error);

// Decodes a response payload (untrusted; clients and tests): one of the three. An error
// envelope is a success holding the EnvelopeError. Fails with kAccountRequestInvalid.
using Response = std::variant<GenerateResponse, SignResponse, EnvelopeError>;
[[nodiscard]] core::Result<Response> DecodeResponse(std::string_view payload);

// --- the operations and the dispatcher ---

// The account logic (KMS GenerateDataKey/Decrypt with a Recipient, the key envelope,
// signing). Implementations fail with the codes EnvelopeErrorFor maps; they must be
// thread-safe (connections are served concurrently).
class AccountOperations {
 public:
  virtual ~AccountOperations() = default;
  [[nodiscard]] virtual core::Result<GenerateResponse> Generate(const GenerateRequest& request) = 0;
  [[nodiscard]] virtual core::Result<SignResponse> Sign(const SignRequest& request) = 0;
};

class AccountService {
 public:
  // `operations` is borrowed and must outlive the service.
  explicit AccountService(AccountOperations& operations) : operations_(operations) {}

  // The response payload for one request payload (untrusted): decode, dispatch, encode;
  // every failure is an error envelope (upstream closes without a word on an unknown
  // apiRequest and crashes on malformed input; we answer). Never throws.
  std::string Handle(std::string_view payload) const;
  // The response to a frame the listener refuses (too large, cut short, too slow).
  static std::string Refuse(core::ErrorCode code);

 private:
  AccountOperations& operations_;
};

}  // namespace enclavectl::app::accounts
