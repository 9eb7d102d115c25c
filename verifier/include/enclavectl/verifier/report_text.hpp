// The text form of verification reports, for people (verify layer). The JSON forms are in
// report_json.hpp, live.hpp, fleet.hpp and reverify.hpp.
#pragma once

#include <ostream>
#include <string>

#include "enclavectl/verifier/document.hpp"
#include "enclavectl/verifier/fleet.hpp"
#include "enclavectl/verifier/live.hpp"
#include "enclavectl/verifier/reverify.hpp"
#include "enclavectl/verifier/verify.hpp"

namespace enclavectl::verifier {

// A document's report (`verify --doc`): headline, input, time, trust, checks, PCRs (marked
// "(unverified)" unless ContentVerified), chain. The error goes apart (RenderFailure), on
// standard error. `any_image`: no PCR expectation was given, on purpose. `colour`: the
// verdict and the warnings in terminal colours (core::Paint).
void RenderReportText(std::ostream& out, const std::string& path, InputEncoding encoding,
                      const VerificationReport& report, bool any_image, bool colour = false);

// The failure line of docs/cli-conventions.md, for standard error: "enclavectl: CODE: detail",
// then "hint: HINT" when `hint` is not empty.
void RenderFailure(std::ostream& err, const core::Error& error, const std::string& hint = "");

// "ACCEPTED", "ACCEPTED (any image: ...)", "REJECTED (CODE)" or "MALFORMED (CODE)".
std::string LiveHeadline(const LiveReport& report);

// A live service's report (`verify --url`) under `headline`; `note` follows the time line.
void RenderLiveText(std::ostream& out, const LiveReport& report, const Evidence& evidence,
                    const std::string& note, const std::string& headline);

// A re-verified bundle: the live report at the recorded time, then what it was judged
// against and what it recorded. `root_sha256_hex`: the root trusted now.
void RenderBundleText(std::ostream& out, const BundleVerification& verification,
                      const std::string& path, const std::string& root_sha256_hex);

// One line per service, then the summary; `insecure_tls` and `any_image` add their warnings.
// `colour`: PASS and FAIL in terminal colours.
void RenderFleetText(std::ostream& out, const FleetReport& report, bool insecure_tls,
                     bool any_image, bool colour = false);

}  // namespace enclavectl::verifier
