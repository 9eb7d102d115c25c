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
#include "enclavectl/verifier/introspector.hpp"
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
  // The KMS key /v1/info must name in "kms_key_arn" (--expect-kms-key): byte equality; a
  // missing or different value fails with kKmsKeyMismatch.
  std::optional<std::string> kms_key_arn;
  // The blockhash /v1/info must carry (--expect-blockhash): 64 lower-case hex digits; a
  // missing, null or different value fails with kBlockhashMismatch.
  std::optional<std::string> blockhash_hex;
  // The previous_pcr0 /v1/enclave-info must report (--expect-previous-pcr0): "genesis" or 96
  // hex digits; a missing or different value fails with kPreviousPcr0Mismatch. The claim is
  // the image config's, measured into PCR0: only meaningful with a PCR0 expectation (callers
  // refuse it without one).
  std::optional<std::string> previous_pcr0;
  // Over HTTPS, accept a document whose tlsKeyHash is zero (--insecure-allow-unbound-tls):
  // the TLS session is then not bound to the enclave (a proxy may terminate it); the check
  // is reported as skipped. Without it that fails with kTlsKeyHashZero.
  bool allow_unbound_tls = false;
  // No image expectation on purpose (--any-image): reported, never implied. Callers refuse an
  // empty image expectation unless this is set (HasImageExpectation).
  bool any_image = false;
  // Accept a retired enclave (/v1/enclave-info migrated_to_pcr0: its key moved to another
  // image and it refuses to sign): `migration status` and `verify lineage` show one. Without
  // it a retired enclave fails with kEnclaveRetired (it is no live signer).
  bool allow_retired = false;

  // True when a PCR is expected (allowed sets or required values).
  bool HasImageExpectation() const noexcept {
    return !allowed_pcr_sets.empty() || !required_pcrs.empty();
  }
};

// The JSON form kept in a bundle's options ("expectations") for information: a re-verification
// shows it as "recorded at capture" and never takes it as its own expectations (a bundle is
// untrusted: whoever holds it can edit it). ExpectationsFromJson reads it back (untrusted input:
// strict, fails with kBundleMalformed; never throws).
nlohmann::json ExpectationsToJson(const LiveExpectations& expectations);
[[nodiscard]] core::Result<LiveExpectations> ExpectationsFromJson(const nlohmann::json& object);

// One line naming what `expectations` require ("PCR0=7a3b05..., kms key arn:...") for reports;
// "no image expectation" when none.
std::string DescribeExpectations(const LiveExpectations& expectations);

// The keys the service claims.
struct ServiceClaims {
  std::optional<core::Bytes> signing_public_key;      // /v1/info public_key, compressed
  std::optional<core::Bytes> attestation_public_key;  // /v1/enclave-info attestation_pubkey
  std::string key_mode;                               // /v1/info key_mode, if any
  std::string version;                                // /v1/enclave-info version, if any
  bool dev = false;                                   // /v1/enclave-info dev
  std::optional<std::string> previous_pcr0;           // /v1/enclave-info previous_pcr0
  std::optional<std::string> kms_key_arn;             // /v1/info kms_key_arn, if any
  std::optional<std::string> blockhash_hex;           // /v1/info blockhash (lower case), if any
  // /v1/info key_policy: what the enclave says about its key's policy (informational: the
  // auditor checks it with --check-key-policy).
  struct KeyPolicy {
    bool checked = false;
    std::optional<std::string> sha256_hex;
    bool enclave_only = false;
    bool locked = false;
  };
  std::optional<KeyPolicy> key_policy;
  // /v1/enclave-info, the Introspector members and the migration ones (introspector.hpp),
  // checked for form; empty when absent.
  std::string maintainer_pubkey;
  std::string migrated_to_pcr0;    // set: the enclave is retired (its key moved there)
  std::string migrated_from_pcr0;  // set: its key came by migration from there
  std::string key_origin;
  std::optional<bool> key_origin_provable;
};

struct LiveReport {
  Verdict verdict = Verdict::kMalformed;
  std::optional<core::Error> error;  // the first failure in check order; iff not accepted
  // Stable names, in order: http, info, enclave_info, then the document's checks (see
  // verify.hpp; key_binding is PCR16 against /v1/info, app_key_hash against
  // /v1/enclave-info, nonce against ours), then tls_binding (nitriding's tlsKeyHash against the
  // certificate seen over HTTPS), then response_signatures (the body signatures, and the
  // exchange signatures where present), kms_key (kms_key_arn against --expect-kms-key),
  // blockhash (against --expect-blockhash) and previous_pcr0 (against
  // --expect-previous-pcr0); each skipped when nothing is expected; then migration_status
  // (GET /v1/migration-status decoded and checked; skipped when not fetched), migration (its
  // state and the enclave-info migration members against each other and the attested PCR0)
  // and retired (migrated_to_pcr0 set: kEnclaveRetired unless allow_retired). A caller
  // may append checks of its own (key_policy) with AddCheck.
  std::vector<Check> checks;
  VerificationReport document;  // the offline verifier's report on the attestation
  ServiceClaims claims;
  int responses_signed = 0;     // response (body) signatures verified
  int exchange_signatures = 0;  // X-Enclavectl-Exchange-Signature headers verified
  bool image_checked = false;   // a PCR expectation was checked (false: --any-image)
  // GET /v1/migration-status as decoded and checked, when the evidence has it and it passed.
  std::optional<MigrationStatus> migration;

  // Appends `check` and recomputes verdict and error (the first failure in check order).
  void AddCheck(Check check);
};

// Judges `evidence` at evidence.captured_at. `config` as for Verify. Never throws except
// std::bad_alloc.
LiveReport VerifyEvidence(const Evidence& evidence, const VerifierConfig& config,
                          const LiveExpectations& expectations);

// The migration state of a report in words, as the Go client's --check-migration prints it
// (migration.md section 7 step 5), times in UTC: "no migration pending", "COMPLETED at T",
// "EXPIRED (ready for completion)" or "PENDING (cooldown until T, 3h2m remaining)" -- the
// cooldown counted as the spec's 24 hours from initiation at `now`. Empty without a status.
std::string MigrationStateWords(const LiveReport& report, core::UnixMillis now);

// {"media_type", "url", "verdict", "error", "checks", "claims", "nonce", "captured_at",
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
