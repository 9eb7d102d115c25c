// Verifying a live key service from what it answered (verify layer: pure). The evidence of
// one visit -- the attestation document for our nonce, GET /v1/info, GET /v1/enclave-info,
// each with its headers -- is judged the same way whether it was fetched a second ago
// (`enclavectl verify --url`) or read back from a bundle years later (`verify --bundle`): at
// the recorded time, with the recorded nonce. So a bundle gives the verdict of the visit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/verifier/evidence.hpp"
#include "enclavectl/verifier/policy.hpp"
#include "enclavectl/verifier/verify.hpp"

namespace enclavectl::verifier {

inline constexpr const char* kLiveMediaType =
    "application/vnd.enclavectl.verify-live+json;version=1";
inline constexpr std::size_t kLiveNonceBytes = 20;  // nitriding: exactly 20 bytes

// What the caller expects of the service beyond what the service itself vouches for. The
// nonce, the PCR16 key and appKeyHash are not here: they come from the evidence.
struct LiveExpectations {
  std::vector<PcrSet> allowed_pcr_sets;  // one must match (--expect-pcrs, --verify-build)
  PcrSet required_pcrs;                  // each must match (--expect-pcr, --expect-pcr0)
  std::optional<std::int64_t> max_age_ms;
  bool allow_debug = false;
};

// The JSON form kept in a bundle's options ("expectations"), and its reader (untrusted input:
// fails with kBundleMalformed).
nlohmann::json ExpectationsToJson(const LiveExpectations& expectations);
[[nodiscard]] core::Result<LiveExpectations> ExpectationsFromJson(const nlohmann::json& object);

// The keys the service claims.
struct ServiceClaims {
  std::optional<core::Bytes> signing_public_key;      // /v1/info public_key, compressed
  std::optional<core::Bytes> attestation_public_key;  // /v1/enclave-info attestation_pubkey
  std::string key_mode;                               // /v1/info key_mode, if any
  std::string version;                                // /v1/enclave-info version, if any
  bool dev = false;                                   // /v1/enclave-info dev
};

struct LiveReport {
  Verdict verdict = Verdict::kMalformed;
  std::optional<core::Error> error;  // the first failure in check order; iff not accepted
  // Stable names, in order: http, info, enclave_info, then the document's checks (see
  // verify.hpp; key_binding is PCR16 against /v1/info, app_key_hash against
  // /v1/enclave-info, nonce against ours), then tls_binding (nitriding's tlsKeyHash against the
  // certificate seen over HTTPS), then response_signatures.
  std::vector<Check> checks;
  VerificationReport document;  // the offline verifier's report on the attestation
  ServiceClaims claims;
  int responses_signed = 0;  // response signatures verified
};

// Judges `evidence` at evidence.captured_at. `config` as for Verify. Never throws except
// std::bad_alloc.
LiveReport VerifyEvidence(const Evidence& evidence, const VerifierConfig& config,
                          const LiveExpectations& expectations);

// {"mediaType", "url", "verdict", "error", "checks", "claims", "nonce", "captured_at",
//  "document": <the verify+json report>} -- see docs/verify.md.
nlohmann::json LiveReportToJson(const LiveReport& report, const Evidence& evidence);

// The root-first PEM chain and the document bytes of an accepted or rejected attestation, for
// a bundle's derived members (empty when the attestation did not decode).
EvidenceExtras ExtrasFor(const LiveReport& report, const Evidence& evidence);

// Checks that a bundle's derived members (document.cbor, chain.pem) are what its attestation
// body says. Fails with kBundleInconsistent.
[[nodiscard]] core::Status CheckExtras(const LiveReport& report, const Evidence& evidence,
                                       const EvidenceExtras& extras);

}  // namespace enclavectl::verifier
