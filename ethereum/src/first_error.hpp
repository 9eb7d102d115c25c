// FirstError: the error of the first failed result in a list (internal).
#pragma once

#include "enclavectl/core/result.hpp"

namespace enclavectl::ethereum::internal {

// The error of the first of `results` that failed, in argument order. At least one must have
// failed (else a default INTERNAL error is returned).
template <typename... Results>
core::Error FirstError(const Results&... results) {
  core::Error out;
  bool found = false;
  auto take = [&](const auto& result) {
    if (!found && !result) {
      out = result.error();
      found = true;
    }
  };
  (take(results), ...);
  return out;
}

}  // namespace enclavectl::ethereum::internal
