// The signing keys of seed (a)'s wallet protocol (../shared/spec/wallet.md 1.1, 1.4): P-256
// ECDSA over SHA-256(message) (revision v1) and secp256k1 ECDSA over a 32-byte digest with
// low s (revision v2), both with RFC 6979 nonces (the seed draws random nonces; verifiers
// cannot tell the difference, tests can). Pure key logic: randomness only in Generate.
#pragma once

#include <array>
#include <cstdint>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"

namespace enclavectl::app {

enum class SeedRevision : std::uint8_t {
  kV1,  // P-256, SHA-256 of any message (the seed, wallet.md 1.1 v1)
  kV2,  // secp256k1, a 32-byte digest, low s, "address" in get_public_key (1.1 v2)
};

// r and s, big-endian, 32 bytes each.
struct SeedSignature {
  std::array<std::uint8_t, 32> r{};
  std::array<std::uint8_t, 32> s{};
};

// One key pair of either revision. Signing is thread-safe (const).
class SeedWalletKey {
 public:
  // A fresh key from OpenSSL's CSPRNG, as the seed makes one at every process start.
  // Fails with kInternal.
  [[nodiscard]] static core::Result<SeedWalletKey> Generate(SeedRevision revision);
  // A chosen key (tests, vectors): a 32-byte scalar, 0 < k < n of the revision's curve.
  // Fails with kInvalidArgument for another length or value.
  [[nodiscard]] static core::Result<SeedWalletKey> FromScalar(SeedRevision revision,
                                                              core::ByteView scalar);

  SeedRevision Revision() const noexcept { return revision_; }
  // 65 bytes 04 || X || Y (SEC1 uncompressed).
  const core::Bytes& PublicKey() const noexcept { return public_key_; }

  // v1: ECDSA P-256 over SHA-256(`data`) (any length), s as computed (no normalisation).
  // v2: `data` must be the 32-byte digest (else kSeedWalletRequestInvalid); secp256k1, s low.
  // RFC 6979 (HMAC-SHA256) nonce in both. Fails with kInternal when a library call fails.
  [[nodiscard]] core::Result<SeedSignature> Sign(core::ByteView data) const;

 private:
  SeedWalletKey(SeedRevision revision, core::SecretBytes scalar)
      : revision_(revision), scalar_(std::move(scalar)) {}
  SeedRevision revision_;
  core::SecretBytes scalar_;
  core::Bytes public_key_;
};

// RFC 6979 ECDSA on P-256 over a 32-byte SHA-256 digest with the 32-byte scalar `secret`
// (0 < secret < n). Fails with kInvalidArgument for a bad scalar, kInternal on OpenSSL errors.
[[nodiscard]] core::Result<SeedSignature> SignP256Rfc6979(core::ByteView secret,
                                                          const core::Sha256Digest& digest);

}  // namespace enclavectl::app
