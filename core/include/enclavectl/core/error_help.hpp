// What to do about an error code: the usual cause and the remedy of the codes people meet,
// beside the code table (error_codes.hpp), and the text and JSON of `enclavectl errors`.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "enclavectl/core/error_codes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/suggest.hpp"

namespace enclavectl::core {

struct ErrorExplanation {
  ErrorCode code;
  std::string_view cause;   // the usual reason it happens
  std::string_view remedy;  // what to do about it
};

// Every explanation, in ascending code order (one per code at most).
std::span<const ErrorExplanation> AllErrorExplanations() noexcept;

// The explanation of `code`, or nullptr when the code has none.
const ErrorExplanation* ExplanationFor(ErrorCode code) noexcept;

// The code named by `name_or_value` ("CERT_EXPIRED" or "301"), or nullptr.
const ErrorCodeInfo* FindErrorCode(std::string_view name_or_value) noexcept;

// One row of `enclavectl errors --json`: code, value, exit, class, meaning, cause and remedy
// (null when the code has no explanation).
nlohmann::json ErrorCodeJson(const ErrorCodeInfo& info);

// One line of `enclavectl errors`: value, name, exit code, meaning.
std::string ErrorCodeLine(const ErrorCodeInfo& info);

// `enclavectl errors CODE`: the name and value, then meaning, exit code, cause and remedy,
// one labelled line each (unwrapped).
std::string ExplainErrorCode(const ErrorCodeInfo& info);

// The error object of every `--json` answer (docs/cli-conventions.md):
// {"code": NAME, "value": N, "message": detail, "index": N or null}.
nlohmann::json ErrorObjectJson(const Error& error);

// A whole `--json` answer for a failure: {"media_type", "verdict" (from the code's exit class:
// rejected, malformed or error), "error": ErrorObjectJson}.
nlohmann::json ErrorAnswerJson(std::string_view media_type, const Error& error);

// What a command prints for a failure (docs/cli-conventions.md "Errors"): with `json`, one
// JSON document for standard output (ErrorAnswerJson, plus "suggestions" and "hint" for a
// usage problem); else "PROGRAM: CODE: detail" and, for a usage problem, a "hint:" line for
// standard error. `exit_code` is the code's.
struct FailureOutput {
  std::string out;
  std::string err;
  int exit_code = 0;
};
FailureOutput DescribeFailure(std::string_view program, const Error& error, bool json,
                              std::string_view media_type, const UsageProblem* usage = nullptr);

}  // namespace enclavectl::core
