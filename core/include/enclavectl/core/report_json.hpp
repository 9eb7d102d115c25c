// The envelope every `--json` answer of enclavectl shares (docs/cli-conventions.md, JSON):
// snake_case keys, `media_type` and `verdict` (core/verdict.hpp) in every top-level object,
// and one shape for an error. Pure: builds values, prints nothing.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "enclavectl/core/result.hpp"
#include "enclavectl/core/verdict.hpp"

namespace enclavectl::core {

// {"media_type": media_type, "verdict": VerdictName(verdict)}: the first members of an
// answer; the command adds its own.
nlohmann::json ReportHeader(std::string_view media_type, Verdict verdict);

// {"code": NAME, "value": N, "message": detail, "index": N|null} of `error`.
nlohmann::json ErrorToJson(const Error& error);

// The verdict of a finished command's status: accepted when it succeeded, else the verdict of
// its error's exit class (VerdictForErrorClass).
Verdict VerdictOf(const Status& status);

// Sets `report`'s "verdict" from `status`, and "error" (ErrorToJson) when it failed; returns
// the exit code that verdict follows (0, or ExitCodeFor the error's class).
int SetOutcome(nlohmann::json& report, const Status& status);

// A whole answer for a command that failed before it had anything else to say:
// ReportHeader(media_type, VerdictOf(error)) with "error".
nlohmann::json ErrorReport(std::string_view media_type, const Error& error);

}  // namespace enclavectl::core
