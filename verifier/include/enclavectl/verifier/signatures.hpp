// Checking what the key service signs (verify layer: pure): its response signatures
// (../shared/spec/enclave-http.md section 4: BIP-340 over SHA-256(body), headers
// X-Attestation-Signature / X-Attestation-Pubkey) and the signatures of POST /v1/sign
// (ECDSA secp256k1, BIP-340, ECDSA P-256). Every input is untrusted.
#pragma once

#include <string_view>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::verifier {

// BIP-340: `public_key` is the 32-byte x-only key or a 33-byte compressed key (its x is
// used), `signature` 64 bytes, `message` any length. Fails with kAppSignatureInvalid for a
// malformed key or signature or one that does not verify.
[[nodiscard]] core::Status VerifyBip340(core::ByteView public_key, core::ByteView message,
                                        core::ByteView signature);

// ECDSA over secp256k1 of a 32-byte digest: `public_key` 33 or 65 bytes SEC1, `signature`
// DER or 64-byte r||s. A high-S signature is refused (the service only emits low-S).
// Fails with kAppSignatureInvalid.
[[nodiscard]] core::Status VerifyEcdsaSecp256k1(core::ByteView public_key,
                                                const core::Sha256Digest& digest,
                                                core::ByteView signature);

// ECDSA over P-256 of a 32-byte digest: `public_key` 33 or 65 bytes SEC1 or a DER
// SubjectPublicKeyInfo, `signature` DER or 64-byte r||s. Fails with kAppSignatureInvalid.
[[nodiscard]] core::Status VerifyEcdsaP256(core::ByteView public_key,
                                           const core::Sha256Digest& digest,
                                           core::ByteView signature);

// A key-service response: `signature_hex` and `public_key_hex` are the header values (128 and
// 66 hex digits), `body` the exact response body. Fails with kAppSignatureInvalid (also for
// headers of the wrong length or not hex).
[[nodiscard]] core::Status VerifyResponseSignature(std::string_view body,
                                                   std::string_view signature_hex,
                                                   std::string_view public_key_hex);

// The exchange signature (docs/enclave-app.md "Response signatures"): a second header,
// X-Enclavectl-Exchange-Signature (128 hex digits, BIP-340 by the same key as
// X-Attestation-Pubkey), that also covers what the body signature leaves out: the request's
// method and path, the response status and the request's nonce. A proxy can then no longer
// answer one request with the signed response of another (a cached 200 for a fresh nonce,
// an /v1/info body served for another path, a 500 turned into a 200). The body signature
// stays for the seed's clients.
inline constexpr std::string_view kExchangeSignatureHeader = "X-Enclavectl-Exchange-Signature";
inline constexpr std::string_view kExchangeSignatureDomain = "enclavectl-exchange-v1";

// What the exchange signature signs: SHA-256 over kExchangeSignatureDomain followed by each of
// method, path, status (decimal text), nonce and SHA-256(body) as a 4-byte big-endian length
// and the bytes (so no field can run into the next). `path` is the request target without
// its query string; `nonce` the value of the request's `nonce` query parameter as sent
// (empty when none). Inputs are untrusted; never fails.
core::Sha256Digest ExchangeSignatureDigest(std::string_view method, std::string_view path,
                                           unsigned status, std::string_view nonce,
                                           std::string_view body);

// Checks an exchange signature header value against the exchange the client itself made
// (its own method, path, nonce) and the status and body it received, under the compressed
// key `public_key_hex` (66 hex digits). Fails with kAppSignatureInvalid.
[[nodiscard]] core::Status VerifyExchangeSignature(std::string_view method, std::string_view path,
                                                   unsigned status, std::string_view nonce,
                                                   std::string_view body,
                                                   std::string_view signature_hex,
                                                   std::string_view public_key_hex);

}  // namespace enclavectl::verifier
