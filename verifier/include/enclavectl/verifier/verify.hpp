// Verifying an attestation document: bytes + trust anchor + policy in, report out (verify
// layer: pure; the verification time is in the policy).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/check.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/time.hpp"
#include "enclavectl/core/verdict.hpp"
#include "enclavectl/verifier/chain.hpp"
#include "enclavectl/verifier/document.hpp"
#include "enclavectl/verifier/policy.hpp"
#include "enclavectl/verifier/trust.hpp"

namespace enclavectl::verifier {

// Global verifier configuration: what is trusted, and the shared cache.
struct VerifierConfig {
  const TrustAnchor* root = nullptr;  // required
  ChainCache* cache = nullptr;        // optional
};

// One line of the report. Names are stable: cose, document, root, chain, signature,
// debug_mode, pcrs, key_binding, app_key_hash, nonce, freshness. `error` is set iff the
// status is kFail.
using core::Check;
using core::CheckStatus;
using core::CheckStatusName;

// The report's verdict, in the one vocabulary of core/verdict.hpp: a document is accepted
// (every check passed or was skipped), rejected (well formed, but a check failed) or malformed
// (could not be decoded); core::VerdictName gives the JSON name.
using core::Verdict;
using core::VerdictName;

struct VerificationReport {
  Verdict verdict = Verdict::kMalformed;
  // The first failure in check order; set iff verdict != kAccepted.
  std::optional<core::Error> error;
  // What to do about `error`, when there is something ("stored document? verify it at its
  // own time with --at doc"); empty otherwise. The CLI prints it as a `hint:` line.
  std::string hint;
  std::vector<Check> checks;

  TimeSource time_source = TimeSource::kGiven;
  // The time the chain was judged at; meaningful only when verification_time_known (false
  // when the document could not be decoded: nothing was verified at any time, and a report
  // says "not verified", never 1970-01-01).
  core::UnixMillis verification_time{};
  bool verification_time_known = false;
  // Root identity.
  std::string root_description;
  core::Sha256Digest root_sha256{};
  bool root_is_aws = false;
  // Insecure options in effect, by flag name ("allow-debug"), for the report.
  std::vector<std::string> insecure;

  // Input facts.
  std::size_t input_size = 0;
  core::Sha256Digest input_sha256{};
  bool cose_tagged = false;
  bool payload_indefinite = false;

  // The decoded document (untrusted unless verdict == kAccepted) and its chain.
  std::optional<AttestationDocument> document;
  std::vector<CertificateInfo> chain;
  std::optional<std::size_t> matched_pcr_set;  // index into allowed_pcr_sets
  int signatures_verified = 0;                 // P-384 verifications done (chain + COSE)
  int signatures_cached = 0;

  const Check* Find(std::string_view name) const noexcept;
  // True when the document's contents are authentic: its root, chain and COSE signature
  // checks passed. When false, document's fields (PCRs included) are what an unverified
  // document claims and a report marks them "(unverified)".
  bool ContentVerified() const noexcept;
};

// Runs every check on `cose_bytes` (untrusted) and reports each; checks that cannot run
// (e.g. the signature when the leaf is undecodable) are skipped with the reason. Never
// throws except std::bad_alloc. Precondition: config.root != nullptr and
// ValidatePolicy(policy) succeeded.
VerificationReport Verify(ByteView cose_bytes, const VerifierConfig& config,
                          const VerificationPolicy& policy);

// A document that passed Verify. Only VerifyDocument constructs it, so holding one means
// the document was accepted under the given root and policy.
class VerifiedDocument {
 public:
  const AttestationDocument& Document() const noexcept { return doc_; }
  core::UnixMillis VerifiedAt() const noexcept { return verified_at_; }

 private:
  friend core::Result<VerifiedDocument> VerifyDocument(ByteView cose_bytes,
                                                       const VerifierConfig& config,
                                                       const VerificationPolicy& policy);
  VerifiedDocument(AttestationDocument doc, core::UnixMillis at)
      : doc_(std::move(doc)), verified_at_(at) {}
  AttestationDocument doc_;
  core::UnixMillis verified_at_;
};

// Verify, reduced to the accepted document or the first error (fail closed: never both).
[[nodiscard]] core::Result<VerifiedDocument> VerifyDocument(ByteView cose_bytes,
                                                            const VerifierConfig& config,
                                                            const VerificationPolicy& policy);

}  // namespace enclavectl::verifier
