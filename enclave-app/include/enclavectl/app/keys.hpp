// The key service's key logic (pure: no I/O, no clock; randomness only where a function says
// so): the P-256 NUMS key and the secret-to-secp256k1 conversion of
// ../shared/spec/reproducible-key.md, the secp256k1 signing key (ECDSA low-S, BIP-340), and
// the P-256 key of the wallet protocol derived from it (docs/design/0006-enclave-app.md).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"

namespace enclavectl::app {

using core::Bytes;
using core::ByteView;

// --- reproducible-key.md section 1: the NUMS public key ---

inline constexpr std::string_view kNumsSeed = "This is a P-256 NUMS key for KMS";

struct NumsKey {
  std::uint32_t counter = 0;
  Bytes compressed;  // 33 bytes: 02/03 || SHA-256(...)
  Bytes spki_der;    // 91 bytes: DER SubjectPublicKeyInfo, uncompressed point (sent to KMS)
};

// The first counter whose SHA-256(seed || [blockhash] || BE32(counter)), prefixed 02 then 03,
// is a P-256 point. Fails with kInternal only if OpenSSL fails or the counter overflows.
[[nodiscard]] core::Result<NumsKey> MakeNumsKey(const std::optional<core::Sha256Digest>& blockhash);

// --- reproducible-key.md section 3: a 32-byte secret to a secp256k1 secret key ---

// Increments the big-endian secret (mod 2^256) until it is a valid secp256k1 secret key
// (0 < s < n). `secret` must be 32 bytes, else kInvalidArgument (the caller decides what a
// wrong length means: a malformed KMS answer, a damaged record).
[[nodiscard]] core::Result<core::SecretBytes> SecretToSecp256k1Key(const core::SecretBytes& secret);

// An ECDSA signature in both encodings.
struct EcdsaSignature {
  Bytes der;      // DER ECDSA-Sig-Value
  Bytes compact;  // r || s, 32 bytes each, s in the lower half of the order (low-S)
};

using Bip340Signature = std::array<std::uint8_t, 64>;
using AuxRand = std::array<std::uint8_t, 32>;

// A secp256k1 key pair. The secret lives in SecretBytes (locked, wiped), as does libsecp256k1's
// key pair structure kept for BIP-340 signing. Signing is thread-safe: `ctx` is only read.
class Secp256k1Key {
 public:
  // Takes a valid secret key (32 bytes, 0 < s < n). `ctx` is borrowed and must outlive the
  // key. Fails with kInvalidArgument for an invalid secret.
  [[nodiscard]] static core::Result<Secp256k1Key> FromSecret(core::SecretBytes secret,
                                                             const secp256k1_context* ctx);
  // A fresh key from OpenSSL's CSPRNG (the per-boot attestation key). Fails with kInternal.
  [[nodiscard]] static core::Result<Secp256k1Key> Generate(const secp256k1_context* ctx);

  const Bytes& Compressed() const noexcept { return compressed_; }      // 33 bytes
  const Bytes& Uncompressed() const noexcept { return uncompressed_; }  // 65 bytes
  const Bytes& XOnly() const noexcept { return x_only_; }               // 32 bytes
  const core::SecretBytes& Secret() const noexcept { return secret_; }

  // ECDSA over a 32-byte digest, RFC 6979 nonce, low-S. Fails with kInternal.
  [[nodiscard]] core::Result<EcdsaSignature> SignEcdsa(const core::Sha256Digest& digest) const;
  // BIP-340 over `message` (any length; 32 bytes in this service). `aux_rand` null: 32 fresh
  // bytes from OpenSSL's CSPRNG (BIP-340's recommendation). Fails with kInternal.
  [[nodiscard]] core::Result<Bip340Signature> SignBip340(ByteView message,
                                                         const AuxRand* aux_rand = nullptr) const;

 private:
  Secp256k1Key(core::SecretBytes secret, core::SecretBytes keypair, const secp256k1_context* ctx)
      : secret_(std::move(secret)), keypair_(std::move(keypair)), ctx_(ctx) {}
  core::SecretBytes secret_;
  core::SecretBytes keypair_;  // secp256k1_keypair (96 bytes, holds the secret key)
  const secp256k1_context* ctx_;
  Bytes compressed_;
  Bytes uncompressed_;
  Bytes x_only_;
};

// --- the P-256 key of the wallet protocol ---

inline constexpr std::string_view kWalletKeyInfo = "enclavectl/enclave-app/wallet-p256/v1";

// The wallet key's secret scalar: for counter = 0, 1, ... the first
//   HKDF-SHA256(IKM = signing secret, salt = none, info = kWalletKeyInfo || BE32(counter), L = 32)
// that is a valid P-256 scalar (0 < k < n). Domain-separated from every other use of the
// signing secret, and reproducible: the same signing key gives the same wallet key.
// `signing_secret` must be 32 bytes (kInvalidArgument). Fails with kInternal on OpenSSL errors.
[[nodiscard]] core::Result<core::SecretBytes> DeriveWalletScalar(
    const core::SecretBytes& signing_secret);

// A P-256 key pair held by OpenSSL (whose private-key numbers live in its secure heap when the
// process initialised it). Signing is thread-safe.
class P256Key {
 public:
  // From a valid scalar (32 bytes, 0 < k < n). Fails with kInvalidArgument or kInternal.
  [[nodiscard]] static core::Result<P256Key> FromScalar(const core::SecretBytes& scalar);

  const Bytes& Uncompressed() const noexcept { return uncompressed_; }  // 65 bytes: 04 || X || Y
  const Bytes& SpkiDer() const noexcept { return spki_der_; }

  // ECDSA over a 32-byte digest (OpenSSL's nonce), s normalised to the lower half of the
  // order. Fails with kInternal.
  [[nodiscard]] core::Result<EcdsaSignature> SignDigest(const core::Sha256Digest& digest) const;

 private:
  explicit P256Key(core::EvpPkeyPtr key) : key_(std::move(key)) {}
  core::EvpPkeyPtr key_;
  Bytes uncompressed_;
  Bytes spki_der_;
};

// The keys a setup produces: the signing key and the wallet key derived from it.
struct KeyPair {
  Secp256k1Key signing;
  P256Key wallet;
};

// Builds the signing key from a 32-byte secret by the spec's conversion (section 3), then the
// wallet key. Fails as SecretToSecp256k1Key, DeriveWalletScalar and the constructors.
[[nodiscard]] core::Result<KeyPair> MakeKeyPair(const core::SecretBytes& secret,
                                                const secp256k1_context* ctx);

}  // namespace enclavectl::app
