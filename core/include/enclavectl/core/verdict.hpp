// One verdict vocabulary for every report (verify, lint, simulate, measure, signature, script
// tests) and every `--json` answer (docs/cli-conventions.md): the verdict of a whole answer
// follows its exit code; each check of a report is pass, fail or skipped (check.hpp).
#pragma once

#include <cstdint>
#include <string_view>

#include "enclavectl/core/check.hpp"  // CheckStatus: pass, fail, skipped
#include "enclavectl/core/error_codes.hpp"

namespace enclavectl::core {

enum class Verdict : std::uint8_t {
  kAccepted,   // exit 0: done as asked, every check passed
  kRejected,   // exit 1: well formed, but a check failed (or the decision was Deny)
  kMalformed,  // exit 2: the input could not be decoded
  kNotJudged,  // exit 64: genuine, but nothing to judge it by
  kError,      // exit 64, 74, 70: a usage, I/O or internal error
};

// "accepted", "rejected", "malformed", "not_judged", "error".
constexpr std::string_view VerdictName(Verdict verdict) noexcept {
  switch (verdict) {
    case Verdict::kAccepted:
      return "accepted";
    case Verdict::kRejected:
      return "rejected";
    case Verdict::kMalformed:
      return "malformed";
    case Verdict::kNotJudged:
      return "not_judged";
    case Verdict::kError:
      return "error";
  }
  return "error";
}

// The verdict of an error of this class: kRejected -> rejected, kMalformed -> malformed,
// anything else -> error.
constexpr Verdict VerdictForErrorClass(ExitClass exit_class) noexcept {
  switch (exit_class) {
    case ExitClass::kRejected:
      return Verdict::kRejected;
    case ExitClass::kMalformed:
      return Verdict::kMalformed;
    case ExitClass::kUsage:
    case ExitClass::kIo:
    case ExitClass::kInternal:
      return Verdict::kError;
  }
  return Verdict::kError;
}

}  // namespace enclavectl::core
