// The request bodies of the key service's API (parse layer: pure, fuzzed by
// tests/fuzz/app_request_fuzzer.cpp): setup requests (the compatibility endpoints and
// /v1/setup), sign requests and the vsock JSON protocol's requests. Decoders take untrusted
// text (at most limits::kMaxAppRequestBodyBytes) and fail with kAppRequestMalformed (not a
// JSON object, wrong member types, missing or unknown members) or kAppRequestInvalid (wrong
// values, hex, lengths); encoders write what the decoders accept (clients, tests).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "enclavectl/app/key_setup.hpp"
#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::app {

// Which endpoint a setup body came to.
enum class SetupEndpoint : std::uint8_t {
  kGenerateSecret,  // POST /generate-secret {"key_id"}: reproducible, no blockhash
  kSetup,           // POST /setup {"key_id", "blockhash"}: reproducible, blockhash required
  kV1Setup,         // POST /v1/setup {"mode"?, "key_id", "blockhash"?}
};

// The compatibility endpoints ignore members they do not know (as the original serde-based
// service does); /v1/setup refuses them. key_id: 1..2048 printable ASCII characters.
[[nodiscard]] core::Result<SetupRequest> DecodeSetupRequest(std::string_view body,
                                                            SetupEndpoint endpoint);
std::string EncodeSetupRequest(const SetupRequest& request, SetupEndpoint endpoint);

enum class SignScheme : std::uint8_t { kEcdsaSecp256k1, kBip340, kEcdsaP256 };
const char* SignSchemeName(SignScheme scheme) noexcept;  // "ecdsa-secp256k1", ...

// POST /v1/sign {"scheme", "message": HEX (at most 16384 bytes) | "digest": 64 HEX}: exactly
// one of message and digest. The digest signed is SHA-256(message) or the given digest.
struct SignRequest {
  SignScheme scheme = SignScheme::kEcdsaSecp256k1;
  core::Sha256Digest digest{};
};
[[nodiscard]] core::Result<SignRequest> DecodeSignRequest(std::string_view body);
// Encodes {"scheme", "digest"}.
std::string EncodeSignRequest(const SignRequest& request);

// The vsock protocol: {"action": "get_public_key"} or {"action": "sign", "message": HEX}.
// An unknown action fails with kAppNotFound.
struct WalletRequest {
  enum class Action : std::uint8_t { kGetPublicKey, kSign };
  Action action = Action::kGetPublicKey;
  core::Bytes message;  // kSign: the message (signed as ECDSA P-256 over SHA-256(message))
};
[[nodiscard]] core::Result<WalletRequest> DecodeWalletRequest(std::string_view line);
std::string EncodeWalletRequest(const WalletRequest& request);

}  // namespace enclavectl::app
