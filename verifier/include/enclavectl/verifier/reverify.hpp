// Re-verifying an evidence bundle offline, and writing the bundle of a visit. A bundle is
// untrusted: whoever holds it can edit its manifest, its recorded options and its recorded
// report. Its verdict therefore comes only from the caller's expectations (allow-debug and
// max-age included) at the bundle's recorded time; what it recorded is returned for display,
// never used.
#pragma once

#include <string>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/verifier/evidence.hpp"
#include "enclavectl/verifier/live.hpp"

namespace enclavectl::verifier {

struct BundleVerification {
  Evidence evidence;  // as read from the bundle (untrusted)
  // The verdict under the caller's expectations; its first check is "bundle" (every member
  // matches the manifest and document.cbor/chain.pem are those of the attestation, else
  // kBundleInconsistent).
  LiveReport report;
  std::string expectations;  // DescribeExpectations of the caller's expectations
  bool any_image = false;    // the caller asked for no image expectation
  // Accepted but nothing about the image was expected (and not any_image): the bundle only
  // shows what its documents prove, and callers must not say ACCEPTED.
  bool judged = true;
  // What the bundle says about its visit, strictly read (any shape): information only.
  std::string recorded_verdict;       // report.json "verdict", or empty
  std::string recorded_root_sha256;   // options.root.sha256, or empty
  std::string recorded_expectations;  // "(none)", DescribeExpectations, or "(unreadable: ..)"
};

// Reads the bundle `zip` (untrusted, see ReadBundle) and judges it with `config` and
// `expectations` only. Fails with ReadBundle's errors when the archive cannot be read; a
// readable bundle always yields a report (kBundleInconsistent, like every other failure, is a
// failed check in it). Precondition: config.root != nullptr.
[[nodiscard]] core::Result<BundleVerification> ReverifyBundle(core::ByteView zip,
                                                              const VerifierConfig& config,
                                                              const LiveExpectations& expectations);

// The bundle of a visit: `evidence` with `report` as its report.json and the derived members
// of ExtrasFor. Fails as WriteBundle.
[[nodiscard]] core::Result<core::Bytes> BundleOfVisit(Evidence evidence, const LiveReport& report);

// The verify-live+json report of a re-verification: LiveReportToJson plus "bundle" (path,
// recorded verdict/expectations/root, the expectations judged against) and "any_image"; when
// not judged, "verdict" is "not_judged" and "error" is `not_judged_error`.
nlohmann::json BundleVerificationToJson(const BundleVerification& verification,
                                        const std::string& path,
                                        const core::Error& not_judged_error);

}  // namespace enclavectl::verifier
