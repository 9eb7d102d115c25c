// P-384 ECDSA verification on Nettle's secp384r1 (Debian nettle-dev): its field arithmetic
// has assembly reduction modulo p384 and runs a verification in about half the time of
// OpenSSL 3.0's generic elliptic-curve code, which dominates the cost of verifying an
// attestation document (five P-384 verifications cold). Only verification lives here; keys
// and signing stay with OpenSSL (core/ecdsa.hpp). Pure, thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/sha.hpp"

namespace enclavectl::core::p384 {

inline constexpr std::size_t kScalarSize = 48;
inline constexpr std::size_t kPointSize = 1 + 2 * kScalarSize;  // 04 || X || Y

using Point = std::array<std::uint8_t, kPointSize>;

// The uncompressed public point of an OpenSSL P-384 key. Fails with kCertKeyType when the key
// is not an EC key on P-384.
[[nodiscard]] Result<Point> PublicPoint(const EVP_PKEY* key);

// Verifies a raw r || s signature (96 bytes, untrusted) over `digest` with the public point
// (untrusted): r and s must lie in [1, n-1] and the point on the curve. Fails with
// kCoseSignatureLength for a signature of the wrong length, kInputEncoding for a point that
// is not an uncompressed point on P-384, and kSignatureInvalid when the signature does not
// verify.
[[nodiscard]] Status VerifyDigest(ByteView public_point, const Sha384Digest& digest,
                                  ByteView raw_signature);

// VerifyDigest over SHA-384(message).
[[nodiscard]] Status Verify(ByteView public_point, ByteView message, ByteView raw_signature);

}  // namespace enclavectl::core::p384
