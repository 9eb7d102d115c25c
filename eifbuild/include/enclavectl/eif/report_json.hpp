// JSON renderings of measurements and image reports: nitro-cli's shapes (eif.md 12) plus
// enclavectl's checks under lower-case keys.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "enclavectl/eif/measure.hpp"

namespace enclavectl::eif {

inline constexpr const char* kDescribeMediaType =
    "application/vnd.enclavectl.eif-describe+json;version=1";
inline constexpr const char* kMeasureMediaType =
    "application/vnd.enclavectl.eif-measure+json;version=1";
inline constexpr const char* kBuildMediaType =
    "application/vnd.enclavectl.eif-build+json;version=1";
inline constexpr const char* kSignMediaType = "application/vnd.enclavectl.eif-sign+json;version=1";

// {"HashAlgorithm": "Sha384 { ... }", "PCR0": hex, "PCR1": hex, "PCR2": hex[, "PCR8": hex]}
nlohmann::ordered_json MeasurementsJson(const Measurements& measurements);

// `nitro-cli describe-eif` output (eif.md 12.3): EifVersion, Measurements, IsSigned,
// [SigningCertificate], CheckCRC, [SignatureCheck], [ImageName, ImageVersion, Metadata];
// then enclavectl's own keys: mediaType, verdict ("ok" or "fail"), error (the first failed
// check, or null), arch, flags, unknownFlags, fileSize, sections, checks, notes.
// SignatureCheck is true only when the signature check passed.
nlohmann::ordered_json DescribeJson(const ImageReport& report);

// The check list: [{"name", "status", "reason", "code"?}].
nlohmann::ordered_json ChecksJson(const ImageReport& report);

// `eif measure --json` (kMeasureMediaType): mediaType, image, verdict (VerdictName),
// Measurements, allowedSet (when PCRs were expected: the matched or closest set, null without
// sets), expected ([{pcr, expected, actual, match}]), checks, error (the verdict, or null).
nlohmann::ordered_json MeasureJson(const std::string& image, const MeasureOutcome& outcome);

}  // namespace enclavectl::eif
