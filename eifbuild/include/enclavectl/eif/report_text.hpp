// The text reports of `eif describe`, `eif measure` and `eif pcr`, for people (report_json.hpp
// is the same for machines).
#pragma once

#include <ostream>
#include <string>

#include "enclavectl/eif/measure.hpp"

namespace enclavectl::eif {

// The hash of the measurements, for people ("SHA-384"; the JSON keeps nitro-cli's
// kHashAlgorithmName).
inline constexpr const char* kHashAlgorithmText = "SHA-384";

// The checks of an image report, one line each, and its notes.
void PrintChecks(std::ostream& out, const ImageReport& report);

// PCR0, PCR1, PCR2 (and PCR8 when signed) as hex, one line each.
void PrintPcrs(std::ostream& out, const Measurements& pcrs);

// `eif describe`: the verdict, header, metadata, signer, PCRs ("measurements (SHA-384)"),
// sections and checks of `image`. The first failure goes apart, to RenderFailure.
void RenderDescribeText(std::ostream& out, const ImageReport& report, const std::string& image);

// The failure line of docs/cli-conventions.md, for standard error: "enclavectl: CODE: detail".
void RenderFailure(std::ostream& err, const core::Error& error);

// `eif measure`: the verdict, the PCRs, the comparison with `expect_pcrs_path`'s sets or the
// expected PCRs and, for a damaged image, its checks.
void RenderMeasuredText(std::ostream& out, const MeasureOutcome& outcome, const std::string& image,
                        const std::string& expect_pcrs_path);

}  // namespace enclavectl::eif
