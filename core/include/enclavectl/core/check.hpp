// One line of a report: a named check that passed, failed or was skipped, with why. Shared by
// the verifier's and the EIF reader's reports so that both speak one vocabulary.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "enclavectl/core/result.hpp"

namespace enclavectl::core {

enum class CheckStatus : std::uint8_t { kPass, kFail, kSkipped };

// "pass", "fail" or "skipped" (the names in JSON reports).
inline const char* CheckStatusName(CheckStatus status) noexcept {
  switch (status) {
    case CheckStatus::kPass:
      return "pass";
    case CheckStatus::kFail:
      return "fail";
    case CheckStatus::kSkipped:
      break;
  }
  return "skipped";
}

struct Check {
  std::string name;  // stable: listed by each report
  CheckStatus status = CheckStatus::kSkipped;
  std::string reason;
  std::optional<Error> error;  // set when status == kFail
};

// The check named `name` in `checks`, or null. The pointer borrows from `checks`.
inline const Check* FindCheck(std::span<const Check> checks, std::string_view name) noexcept {
  for (const Check& check : checks) {
    if (check.name == name) {
      return &check;
    }
  }
  return nullptr;
}

}  // namespace enclavectl::core
