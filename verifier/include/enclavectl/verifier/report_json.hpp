// The versioned JSON form of a verification report (verify layer).
#pragma once

#include <nlohmann/json.hpp>

#include "enclavectl/core/report_json.hpp"
#include "enclavectl/verifier/verify.hpp"

namespace enclavectl::verifier {

inline constexpr const char* kVerifyMediaType = "application/vnd.enclavectl.verify+json;version=1";

// {"media_type", "verdict", "error", "hint", "verification_time", "trust", "insecure", "input",
//  "checks": [...], "document": {...}, "chain": [...]} -- see docs/verify.md.
nlohmann::json ReportToJson(const VerificationReport& report);

// [{"name", "status", "reason", "error"?}, ...]
nlohmann::json ChecksToJson(const std::vector<Check>& checks);

// The JSON form of an Error: {"code": "NAME", "value": N, "message": detail, "index": i}.
using core::ErrorToJson;

}  // namespace enclavectl::verifier
