// Time values and their text forms. No clock here: the current time is an adapter's job.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

#include "enclavectl/core/result.hpp"

namespace enclavectl::core {

// Milliseconds since the Unix epoch, UTC.
struct UnixMillis {
  std::int64_t value = 0;
  // Whole seconds, rounded towards negative infinity.
  std::int64_t Seconds() const noexcept { return (value / 1000) - ((value % 1000) < 0 ? 1 : 0); }
  friend auto operator<=>(const UnixMillis&, const UnixMillis&) = default;
};

// Parses an RFC 3339 date-time ("2024-05-07T17:43:06Z", "...06.5+02:00", lower-case t/z
// accepted) or a decimal count of Unix seconds ("1715103786"). Fails with kInvalidArgument.
[[nodiscard]] Result<UnixMillis> ParseTime(std::string_view text);

// The verification times a user may ask for (--at): [2019-01-01, 2100-01-01) UTC. Nitro
// Enclaves documents start in 2019; anything else is a typing or unit mistake.
inline constexpr UnixMillis kEarliestVerificationTime{1546300800000};  // 2019-01-01T00:00:00Z
inline constexpr UnixMillis kLatestVerificationTime{4102444800000};    // 2100-01-01T00:00:00Z

// ParseTime for a time a user gives to judge a document at (`--at`): refuses a time outside
// [kEarliestVerificationTime, kLatestVerificationTime) with kInvalidArgument and a hint in
// the detail (13 digits: "looks like milliseconds"). "now" and "doc" are the caller's.
[[nodiscard]] Result<UnixMillis> ParseVerificationTime(std::string_view text);

// Unix seconds of a UTC calendar time (proleptic Gregorian; no range checks).
std::int64_t UnixSecondsFromUtc(std::int64_t year, unsigned month, unsigned day, unsigned hour,
                                unsigned minute, unsigned second) noexcept;

// RFC 3339 in UTC, with milliseconds only when not zero: "2024-05-07T17:43:06Z".
std::string FormatRfc3339(UnixMillis time);

// Parses a duration: a number with unit ms, s, m, h or d ("90s", "5m", "1h"); a bare number
// means seconds. Fails with kInvalidArgument.
[[nodiscard]] Result<std::int64_t> ParseDurationMillis(std::string_view text);

}  // namespace enclavectl::core
