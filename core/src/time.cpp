#include "enclavectl/core/time.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <limits>

namespace enclavectl::core {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned mp = m > 2 ? m - 3 : m + 9;  // March-based month
  const unsigned doy = (153 * mp + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

Civil CivilFromDays(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2 ? 1 : 0), m, d};
}

bool IsLeap(std::int64_t y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(std::int64_t y, unsigned m) noexcept {
  constexpr std::array<unsigned, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` decimal digits at `pos`.
bool Digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& out) noexcept {
  if (pos + n > s.size()) {
    return false;
  }
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
    out = out * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return true;
}

tl::unexpected<Error> BadTime(std::string_view text) {
  return Fail(ErrorCode::kInvalidArgument,
              "'" + std::string(text.substr(0, 64)) +
                  "' is not an RFC 3339 time (2024-05-07T17:43:06Z) or Unix seconds");
}

}  // namespace

std::int64_t UnixSecondsFromUtc(std::int64_t year, unsigned month, unsigned day, unsigned hour,
                                unsigned minute, unsigned second) noexcept {
  return DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

Result<UnixMillis> ParseTime(std::string_view text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t seconds = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc() || ptr != text.data() + text.size() ||
        seconds > std::numeric_limits<std::int64_t>::max() / 1000) {
      return BadTime(text);
    }
    return UnixMillis{seconds * 1000};
  }
  unsigned year = 0;
  unsigned month = 0;
  unsigned day = 0;
  unsigned hour = 0;
  unsigned minute = 0;
  unsigned second = 0;
  if (!Digits(text, 0, 4, year) || text.size() < 20 || text[4] != '-' ||
      !Digits(text, 5, 2, month) || text[7] != '-' || !Digits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !Digits(text, 11, 2, hour) ||
      text[13] != ':' || !Digits(text, 14, 2, minute) || text[16] != ':' ||
      !Digits(text, 17, 2, second)) {
    return BadTime(text);
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 60) {
    return BadTime(text);
  }
  second = second == 60 ? 59 : second;  // a leap second is held at :59
  std::size_t pos = 19;
  std::int64_t millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t num_digits = 0;
    std::int64_t scale = 100;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (num_digits < 3) {
        millis += scale * (text[pos] - '0');
        scale /= 10;
      }
      ++num_digits;
      ++pos;
    }
    if (num_digits == 0 || num_digits > 9) {
      return BadTime(text);
    }
  }
  std::int64_t offset_minutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    unsigned off_h = 0;
    unsigned off_m = 0;
    if (!Digits(text, pos + 1, 2, off_h) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !Digits(text, pos + 4, 2, off_m) || off_h > 23 || off_m > 59) {
      return BadTime(text);
    }
    offset_minutes = static_cast<std::int64_t>(off_h * 60 + off_m);
    if (text[pos] == '-') {
      offset_minutes = -offset_minutes;
    }
    pos += 6;
  } else {
    return BadTime(text);
  }
  if (pos != text.size()) {
    return BadTime(text);
  }
  const std::int64_t seconds =
      UnixSecondsFromUtc(year, month, day, hour, minute, second) - offset_minutes * 60;
  return UnixMillis{seconds * 1000 + millis};
}

Result<UnixMillis> ParseVerificationTime(std::string_view text) {
  const bool all_digits =
      !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
  if (all_digits && text.size() == 13) {
    return Fail(ErrorCode::kInvalidArgument,
                "'" + std::string(text) +
                    "' looks like milliseconds; use seconds (N/1000) or RFC 3339 "
                    "(2024-05-07T17:43:06Z)");
  }
  auto time = ParseTime(text);
  if (!time) {
    return time;
  }
  if (*time < kEarliestVerificationTime || !(*time < kLatestVerificationTime)) {
    std::string detail = "'" + std::string(text.substr(0, 64)) + "'";
    if (all_digits && text.size() <= 19) {
      detail += " (" + FormatRfc3339(*time) + ")";
    }
    return Fail(ErrorCode::kInvalidArgument,
                detail +
                    " is outside 2019-01-01..2100-01-01; give Unix seconds or RFC 3339 "
                    "(2024-05-07T17:43:06Z), or 'doc' for the document's own time");
  }
  return time;
}

std::string FormatRfc3339(UnixMillis time) {
  const std::int64_t seconds = time.Seconds();
  const std::int64_t millis = time.value - seconds * 1000;
  std::int64_t days = seconds / 86400;
  std::int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  const Civil civil = CivilFromDays(days);
  std::array<char, 64> buf{};
  int n = 0;
  if (millis != 0) {
    n = std::snprintf(buf.data(), buf.size(), "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                      static_cast<long long>(civil.year), civil.month, civil.day,  // NOLINT
                      static_cast<long long>(rem / 3600),
                      static_cast<long long>(rem / 60 % 60),                              // NOLINT
                      static_cast<long long>(rem % 60), static_cast<long long>(millis));  // NOLINT
  } else {
    n = std::snprintf(buf.data(), buf.size(), "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                      static_cast<long long>(civil.year), civil.month, civil.day,  // NOLINT
                      static_cast<long long>(rem / 3600),
                      static_cast<long long>(rem / 60 % 60),  // NOLINT
                      static_cast<long long>(rem % 60));      // NOLINT
  }
  return std::string(buf.data(), n > 0 ? static_cast<std::size_t>(n) : 0);
}

Result<std::int64_t> ParseDurationMillis(std::string_view text) {
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || value < 0 || ptr == text.data()) {
    return Fail(ErrorCode::kInvalidArgument,
                "'" + std::string(text.substr(0, 64)) + "' is not a duration such as 90s, 5m, 1h");
  }
  const std::string_view unit(ptr, static_cast<std::size_t>(text.data() + text.size() - ptr));
  std::int64_t scale = 0;
  if (unit.empty() || unit == "s") {
    scale = 1000;
  } else if (unit == "ms") {
    scale = 1;
  } else if (unit == "m") {
    scale = 60 * 1000;
  } else if (unit == "h") {
    scale = 3600 * 1000;
  } else if (unit == "d") {
    scale = 86400 * 1000;
  } else {
    return Fail(ErrorCode::kInvalidArgument,
                "unknown duration unit '" + std::string(unit.substr(0, 8)) + "' (ms, s, m, h, d)");
  }
  if (value > std::numeric_limits<std::int64_t>::max() / scale) {
    return Fail(ErrorCode::kInvalidArgument, "duration too large");
  }
  return value * scale;
}

}  // namespace enclavectl::core
