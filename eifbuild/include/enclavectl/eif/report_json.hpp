// JSON renderings of measurements and image reports: nitro-cli's shapes (eif.md 12) plus
// enclavectl's own keys in snake_case (docs/cli-conventions.md).
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

// `nitro-cli describe-eif` output (eif.md 12.3), its keys and order kept: EifVersion,
// Measurements, IsSigned, [SigningCertificate], CheckCRC, [SignatureCheck], [ImageName,
// ImageVersion, Metadata]; then enclavectl's own snake_case keys: media_type, verdict
// (accepted, or by the first failed check's exit class: rejected or malformed), error (that
// check's error, or null), arch, flags, unknown_flags, file_size, crc32, sections, checks,
// notes. SignatureCheck is true only when the signature check passed.
nlohmann::ordered_json DescribeJson(const ImageReport& report);

// The check list: [{"name", "status", "reason", "code"?}].
nlohmann::ordered_json ChecksJson(const ImageReport& report);

// `eif measure --json` (kMeasureMediaType): media_type, image, verdict (accepted; rejected
// for a PCR mismatch or a failed check of exit class 1; malformed), Measurements (nitro-cli's
// shape), allowed_set (when PCRs were expected: the matched or closest set, null without
// sets), expected ([{pcr, expected, actual, match}]), checks, error (the verdict's, or null).
nlohmann::ordered_json MeasureJson(const std::string& image, const MeasureOutcome& outcome);

}  // namespace enclavectl::eif
