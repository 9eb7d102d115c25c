// Result<T> and Error: the error model of every enclavectl library (STYLE.md section 3).
//
// This is the only header that names tl::expected; moving to std::expected is a change here.
#pragma once

#include <string>
#include <utility>

#include <tl/expected.hpp>

#include "enclavectl/core/error_codes.hpp"

namespace enclavectl::core {

// A failure: a stable code, a human-readable detail that may change between versions, and
// optionally which element (certificate, PCR, section) failed. Tests assert `code` and
// `index`, never `detail`. `detail` never carries secrets or raw untrusted bytes.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string detail;
  int index = -1;

  friend bool operator==(const Error&, const Error&) = default;
};

template <typename T>
using Result = tl::expected<T, Error>;
using Status = Result<void>;

// The failed-Result value for `code`: `return Fail(ErrorCode::kTruncated, "...");`.
[[nodiscard]] inline tl::unexpected<Error> Fail(ErrorCode code, std::string detail,
                                                int index = -1) {
  return tl::unexpected<Error>(Error{code, std::move(detail), index});
}

// Passes an existing error on unchanged.
[[nodiscard]] inline tl::unexpected<Error> Fail(Error error) {
  return tl::unexpected<Error>(std::move(error));
}

// The success value of Status.
[[nodiscard]] inline Status Ok() { return {}; }

}  // namespace enclavectl::core

// Propagates a failure: `ENCLAVECTL_TRY(Status s = Check(x));` is not supported; use
// `ENCLAVECTL_RETURN_IF_ERROR(Check(x));` for Status and the explicit form for values.
#define ENCLAVECTL_RETURN_IF_ERROR(expr)                                      \
  do {                                                                        \
    auto enclavectl_status_ = (expr);                                         \
    if (!enclavectl_status_) {                                                \
      return ::enclavectl::core::Fail(std::move(enclavectl_status_).error()); \
    }                                                                         \
  } while (false)
