// The Nitro Security Module interface (../shared/spec/nsm.md): the CBOR request/response
// framing of /dev/nsm, a transport interface with a device and a simulator implementation,
// and a typed client.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::app {

using core::Bytes;
using core::ByteView;

// NSM error names as they travel on the wire, with nsm-lib's C values (nsm.md 2.3).
enum class NsmErrorCode : std::uint8_t {
  kInvalidArgument = 1,
  kInvalidIndex = 2,
  kInvalidResponse = 3,
  kReadOnlyIndex = 4,
  kInvalidOperation = 5,
  kBufferTooSmall = 6,
  kInputTooLarge = 7,
  kInternalError = 8,
};
const char* NsmErrorName(NsmErrorCode code) noexcept;

inline constexpr std::size_t kNsmRequestMaxSize = 0x1000;
inline constexpr std::size_t kNsmResponseMaxSize = 0x3000;
inline constexpr std::uint16_t kNsmMaxPcrs = 32;
inline constexpr std::size_t kNsmRandomSize = 256;

// --- requests (nsm.md 2.1) ---
struct DescribePcrRequest {
  std::uint16_t index = 0;
};
struct ExtendPcrRequest {
  std::uint16_t index = 0;
  Bytes data;
};
struct LockPcrRequest {
  std::uint16_t index = 0;
};
struct LockPcrsRequest {
  std::uint16_t range = 0;
};
struct DescribeNsmRequest {};
struct GetRandomRequest {};
struct AttestationRequest {
  std::optional<Bytes> user_data;
  std::optional<Bytes> nonce;
  std::optional<Bytes> public_key;
};
using NsmRequest =
    std::variant<DescribePcrRequest, ExtendPcrRequest, LockPcrRequest, LockPcrsRequest,
                 DescribeNsmRequest, GetRandomRequest, AttestationRequest>;

// --- responses (nsm.md 2.2) ---
struct DescribePcrResponse {
  bool lock = false;
  Bytes data;
};
struct ExtendPcrResponse {
  Bytes data;  // the PCR value after extension
};
struct LockPcrResponse {};
struct LockPcrsResponse {};
struct DescribeNsmResponse {
  std::uint16_t version_major = 1;
  std::uint16_t version_minor = 0;
  std::uint16_t version_patch = 0;
  std::string module_id;
  std::uint16_t max_pcrs = kNsmMaxPcrs;
  std::vector<std::uint16_t> locked_pcrs;
  std::string digest = "SHA384";
};
struct AttestationResponse {
  Bytes document;
};
struct GetRandomResponse {
  Bytes random;
};
struct ErrorResponse {
  NsmErrorCode code = NsmErrorCode::kInternalError;
};
using NsmResponse =
    std::variant<DescribePcrResponse, ExtendPcrResponse, LockPcrResponse, LockPcrsResponse,
                 DescribeNsmResponse, AttestationResponse, GetRandomResponse, ErrorResponse>;

// Encodes a request exactly as aws-nitro-enclaves-nsm-api does (serde_cbor, externally
// tagged; optional fields as explicit null).
Bytes EncodeRequest(const NsmRequest& request);

// Decodes a request (untrusted: what a simulator receives), leniently like the device:
// byte fields may be null, absent, byte or text strings. Fails with the CBOR codes or
// kNsmRequestInvalid (the caller answers InvalidOperation).
[[nodiscard]] core::Result<NsmRequest> DecodeRequest(ByteView bytes);

Bytes EncodeResponse(const NsmResponse& response);

// Decodes a response (untrusted: what the device returned). Fails with kNsmResponseInvalid.
[[nodiscard]] core::Result<NsmResponse> DecodeResponse(ByteView bytes);

// Moves one request to the NSM and its response back, as the raw ioctl does.
class NsmTransport {
 public:
  virtual ~NsmTransport() = default;
  // Returns the response bytes. Fails with kNsmUnavailable when the device cannot be
  // reached; an NSM-level error is a successful exchange carrying an Error response.
  [[nodiscard]] virtual core::Result<Bytes> Exchange(ByteView request) = 0;
};

// Typed calls over a transport. NSM errors become kNsmError with Error::index = the
// NsmErrorCode value and its wire name in the detail; a response of the wrong kind or
// shape is kNsmResponseInvalid.
class NsmClient {
 public:
  explicit NsmClient(NsmTransport& transport) : transport_(transport) {}

  [[nodiscard]] core::Result<DescribeNsmResponse> DescribeNsm();
  [[nodiscard]] core::Result<DescribePcrResponse> DescribePcr(std::uint16_t index);
  [[nodiscard]] core::Result<Bytes> ExtendPcr(std::uint16_t index, ByteView data);
  [[nodiscard]] core::Status LockPcr(std::uint16_t index);
  [[nodiscard]] core::Status LockPcrs(std::uint16_t range);
  [[nodiscard]] core::Result<Bytes> GetRandom();
  [[nodiscard]] core::Result<Bytes> Attestation(const AttestationRequest& request);

 private:
  core::Result<NsmResponse> Call(const NsmRequest& request);
  NsmTransport& transport_;
};

}  // namespace enclavectl::app
