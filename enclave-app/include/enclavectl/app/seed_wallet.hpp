// Seed (a)'s wallet protocol, nitro-enclave-wallet (../shared/spec/wallet.md 1.2-1.4):
// one JSON request per connection, no framing, one answer written as Python's json.dumps
// writes it. The codec (parse layer: pure) and the service answering a request with the
// process's SeedWalletKey; the listener is in seed_servers.hpp. Byte-compatibility notes and
// what differs from the seed: docs/enclave-app.md "Seed wallet protocols".
#pragma once

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "enclavectl/app/nsm.hpp"
#include "enclavectl/app/seed_keys.hpp"
#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::app {

// The seed reads one recv(4096): a request is at most this many bytes.
inline constexpr std::size_t kSeedWalletMaxRequestBytes = 4096;

// Python json.dumps(obj) (default separators ", " and ": ", ensure_ascii) of one object
// whose values are strings, members in the given order. Keys and values are UTF-8; bytes
// that are not UTF-8 are written as \ufffd.
std::string PythonJsonObject(
    std::initializer_list<std::pair<std::string_view, std::string_view>> members);

// Python hex(int.from_bytes(big_endian, "big")): "0x" and the minimal lowercase hex ("0x0").
std::string PythonHexInt(core::ByteView big_endian);

// Python bytes.fromhex(text) (untrusted): pairs of hex digits in either case, ASCII whitespace
// before any pair, nothing else ("0x" is refused). Fails with kSeedWalletRequestInvalid whose
// detail is Python's message: "non-hexadecimal number found in fromhex() arg at position N"
// (N in characters).
[[nodiscard]] core::Result<core::Bytes> PythonFromHex(std::string_view text);

// Whether the bytes received so far hold a whole request (core::ClassifyJsonPrefix).
inline core::JsonPrefix ClassifySeedWalletRequest(std::string_view received) noexcept {
  return core::ClassifyJsonPrefix(received);
}

struct SeedWalletRequest {
  enum class Action : std::uint8_t { kGetPublicKey, kSign, kGetAttestation, kUnknown };
  Action action = Action::kUnknown;
  core::Bytes data;  // kSign: the message (v1) or digest (v2); kGetAttestation: the nonce
};

// Decodes one request (untrusted, at most kSeedWalletMaxRequestBytes). An object whose
// "action" is anything else (or absent, or not a string) is Action::kUnknown, as the seed
// answers it. Fails with kSeedWalletRequestInvalid (not JSON, not an object, a missing or
// non-string "message"/"nonce", bad hex: the detail is the text the reply carries, worded as
// the seed's Python words it where it can be) or kInputTooLarge. The v2 digest length is
// checked when signing.
[[nodiscard]] core::Result<SeedWalletRequest> DecodeSeedWalletRequest(std::string_view text);

// get_attestation: an attestation document for `nonce` whose public_key is `public_key`
// (the 65-byte uncompressed signing key). Fails with the NSM's codes.
using SeedAttester =
    std::function<core::Result<core::Bytes>(core::ByteView nonce, core::ByteView public_key)>;

// get_attestation through the NSM (device or simulator): an Attestation request with the
// nonce and the public key, no user data. Calls are serialised. `nsm` is borrowed and must
// outlive the attester.
SeedAttester NsmSeedAttester(NsmClient& nsm);

class SeedWalletService {
 public:
  // `attester` may be empty: get_attestation then answers {"error": "attestation unavailable"}.
  SeedWalletService(SeedWalletKey key, SeedAttester attester)
      : key_(std::move(key)), attester_(std::move(attester)) {}

  // The reply to one whole request (untrusted bytes), exactly as the seed's revision writes it:
  //   get_public_key  {"public_key": 130 hex} (v2: , "address": "0x" + 40 lowercase hex)
  //   sign            {"r": hex(int), "s": hex(int)}
  //   get_attestation {"attestation_document": base64}  (ours; the seed says unknown action)
  //   other actions   {"error": "unknown action"};  failures {"error": text}
  // Thread-safe when the attester is.
  std::string Handle(std::string_view request) const;
  // The reply to a request the listener refuses: kAppRequestTimeout ("request timeout"),
  // kAppOverloaded ("server busy"), anything else ("request too large").
  static std::string Refuse(core::ErrorCode code);

  const SeedWalletKey& Key() const noexcept { return key_; }

 private:
  SeedWalletKey key_;
  SeedAttester attester_;
};

}  // namespace enclavectl::app
