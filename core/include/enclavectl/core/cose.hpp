// COSE_Sign1 (RFC 9052 section 4.2) decode, encode, ES256/ES384 sign and verify.
#pragma once

#include <cstdint>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/cbor.hpp"
#include "enclavectl/core/ecdsa.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::core::cose {

// COSE algorithm identifiers (IANA COSE Algorithms registry).
inline constexpr std::int64_t kAlgEs256 = -7;
inline constexpr std::int64_t kAlgEs384 = -35;
inline constexpr std::uint64_t kTagSign1 = 18;

struct Sign1 {
  Bytes protected_header;  // the bstr contents: an encoded map
  std::int64_t alg = 0;    // label 1 of the protected header
  cbor::Item unprotected = cbor::Item::Map();
  Bytes payload;
  Bytes signature;      // raw r||s for ECDSA
  bool tagged = false;  // had CBOR tag 18
};

// Decodes a COSE_Sign1 structure (untrusted). Accepts tag 18 or untagged. Requires a
// protected header that decodes to a map with an integer alg (label 1) and no duplicate
// labels, a map as unprotected header, an attached payload (bstr) and a bstr signature.
// Does not judge the algorithm or the signature length; callers do.
// Fails with the cbor::Decode codes, kCoseStructure or kCoseHeader.
[[nodiscard]] Result<Sign1> Decode(ByteView input, const cbor::DecodeLimits& limits = {});

// The CBOR Sig_structure ["Signature1", protected, external_aad, payload] that is signed.
Bytes SigStructure(ByteView protected_header, ByteView external_aad, ByteView payload);

// Encodes `sign1`, with tag 18 when `sign1.tagged`.
Bytes Encode(const Sign1& sign1);

// Builds and signs a COSE_Sign1 with ES256 (P-256 key) or ES384 (P-384 key); the protected
// header is {1: alg}, the unprotected header empty, the result untagged. Fails with
// kInvalidArgument when the key is not P-256/P-384, kInternal on an OpenSSL failure.
[[nodiscard]] Result<Sign1> SignEcdsa(EVP_PKEY* key, ByteView payload);

// Verifies the signature of `sign1` (with empty external_aad) with `key`, whose curve must
// match the algorithm (ES256: P-256, ES384: P-384). Fails with kCoseAlgorithm when alg and
// key do not match or alg is not ES256/ES384, kCoseSignatureLength, kSignatureInvalid.
[[nodiscard]] Status VerifyEcdsa(const Sign1& sign1, EVP_PKEY* key);

}  // namespace enclavectl::core::cose
