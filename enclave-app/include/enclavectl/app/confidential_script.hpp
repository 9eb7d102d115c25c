// Confidential Script's TEE HTTP endpoints (spec ../shared/spec/confidential-script.md
// section 2): POST /verify-and-sign and the encrypted POST /secure/verify-and-sign over the
// bitcoin/ room's VerifyAndSign, with the spec's JSON (2.2), status codes and texts (2.3).
// Service layer: no sockets; KeyService routes to these and signs every answer.
// Endpoints: docs/confidential-script.md.
#pragma once

#include <cstdint>
#include <map>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "enclavectl/bitcoin/transaction.hpp"
#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"
#include "enclavectl/net/http_server.hpp"

namespace enclavectl::app {

// MAX_PAYLOAD_SIZE: the largest (decrypted) verify-and-sign request body.
inline constexpr std::size_t kMaxVerifyAndSignBodyBytes = 4 * 1024 * 1024;
// The default max_weight (T: settings.max_weight or 4,000,000 WU).
inline constexpr std::uint64_t kDefaultMaxWeight = 4'000'000;

// VerifyAndSignRequest of spec 2.3.
struct VerifyAndSignRequest {
  bitcoin::Transaction emulated_tx_to;
  std::vector<bitcoin::TxOut> actual_spent_outputs;
  std::map<std::size_t, bitcoin::Hash256> backup_merkle_roots;
};

// The serde JSON of spec 2.2 (untrusted input). Fails with kAppRequestInvalid naming the
// member when a member is missing or of the wrong type or form (hex, "txid:vout", a range).
[[nodiscard]] core::Result<bitcoin::Transaction> TransactionFromJson(const nlohmann::json& value);
[[nodiscard]] core::Result<bitcoin::TxOut> TxOutFromJson(const nlohmann::json& value,
                                                         std::string_view what);
nlohmann::json TransactionToJson(const bitcoin::Transaction& tx);
nlohmann::json TxOutToJson(const bitcoin::TxOut& out);

// Parses a request body (untrusted, at most kMaxVerifyAndSignBodyBytes): kInputTooLarge when
// larger, kAppRequestMalformed when not JSON, kAppRequestInvalid when of the wrong shape.
[[nodiscard]] core::Result<VerifyAndSignRequest> DecodeVerifyAndSignRequest(std::string_view body);

// The verify-and-sign handler of spec 2.3 (status, content type and body; not signed).
// `master_secret` is nullptr before setup (400 "Secret not found. ..."). 415 without
// Content-Type application/json, 413 over the limit, 400 malformed JSON, 422 wrong shape,
// 400 "Transaction exceeds max weight." / "Unable to sign: <detail>", 200 {"signed_tx": ...}.
net::HttpResponse VerifyAndSignHttp(const net::HttpRequest& request,
                                    const core::SecretBytes* master_secret,
                                    std::uint64_t max_weight);

// The encryption middleware of spec 2.3 around VerifyAndSignHttp: X-Client-Public-Key (hex
// SEC1 secp256k1 key), body nonce(12) || ChaCha20-Poly1305 ciphertext || tag(16) under
// HKDF-SHA256(salt "confidential-script-salt", x(S) || y(S) with S = master * client,
// info "Middleware encryption key"). The handler's answer is encrypted the same way; the
// middleware's own failures are plain JSON {"error": "...", "status": N}.
net::HttpResponse SecureVerifyAndSignHttp(const net::HttpRequest& request,
                                          const core::SecretBytes* master_secret,
                                          std::uint64_t max_weight);

// The middleware's AEAD key for a master secret and a client public key (SEC1, 33 or 65
// bytes): kInvalidArgument when the key does not parse, kInternal when OpenSSL fails.
[[nodiscard]] core::Result<core::SecretBytes> MiddlewareKey(core::ByteView master_secret,
                                                            core::ByteView client_public);
// HKDF-SHA256(salt = "confidential-script-salt", ikm, info) -> 32 bytes (kInternal).
[[nodiscard]] core::Result<core::SecretBytes> ConfidentialScriptHkdf(core::ByteView ikm,
                                                                     std::string_view info);
// nonce(12) || ChaCha20-Poly1305(key, plaintext, no AAD) || tag(16) with `nonce`.
[[nodiscard]] core::Result<core::Bytes> SealMessage(core::ByteView key, core::ByteView nonce,
                                                    core::ByteView plaintext);
// The inverse: kInvalidArgument "Encrypted data missing nonce" under 12 bytes and
// "Decryption failed" when the tag does not verify.
[[nodiscard]] core::Result<core::Bytes> OpenMessage(core::ByteView key, core::ByteView sealed);

}  // namespace enclavectl::app
