// ECDSA over NIST curves with OpenSSL: raw r||s <-> DER, key handling, sign and verify.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::core {

enum class Curve : std::uint8_t { kP256, kP384 };

// Size of a field element (and of r and s) in bytes: 32 or 48.
std::size_t CoordinateSize(Curve curve) noexcept;

// The curve of an EC public or private key, or nullopt for other key types/curves.
std::optional<Curve> CurveOf(const EVP_PKEY* key) noexcept;

// Converts a raw big-endian r||s signature (2 * CoordinateSize bytes) to DER ECDSA-Sig-Value.
// Fails with kCoseSignatureLength when the length is wrong.
[[nodiscard]] Result<Bytes> RawSignatureToDer(ByteView raw, Curve curve);

// Converts DER ECDSA-Sig-Value to raw r||s, each left-padded to CoordinateSize.
// Fails with kInputEncoding when the DER is invalid or r/s do not fit.
[[nodiscard]] Result<Bytes> DerSignatureToRaw(ByteView der, Curve curve);

// An EC key on `curve` from its public point (SEC1 octets: 33 or 65 bytes for P-256,
// untrusted) and, when `private_key` is given, its secret scalar (copied; secure BIGNUMs stay
// in OpenSSL's secure heap). The point is checked to lie on the curve. Fails with
// kInputEncoding for an invalid point.
[[nodiscard]] Result<EvpPkeyPtr> MakeEcKey(Curve curve, ByteView public_octets,
                                           const BIGNUM* private_key = nullptr);

// Generates a fresh key on `curve` from OpenSSL's CSPRNG. Fails with kInternal.
[[nodiscard]] Result<EvpPkeyPtr> GenerateEcKey(Curve curve);

// Signs SHA-256 (P-256) or SHA-384 (P-384) of `message` with `key`; returns raw r||s.
[[nodiscard]] Result<Bytes> EcdsaSignRaw(EVP_PKEY* key, ByteView message);

// Verifies a raw r||s signature over `message` hashed with the curve's hash (SHA-256 for
// P-256, SHA-384 for P-384). Fails with kCoseSignatureLength for a wrong length and
// kSignatureInvalid when it does not verify.
[[nodiscard]] Status EcdsaVerifyRaw(EVP_PKEY* key, ByteView message, ByteView raw_signature);

}  // namespace enclavectl::core
