#include "enclavectl/core/time.hpp"

#include <gtest/gtest.h>

namespace enclavectl::core {
namespace {

TEST(Time, ParsesRfc3339AndUnixSeconds) {
  EXPECT_EQ(ParseTime("1970-01-01T00:00:00Z")->value, 0);
  EXPECT_EQ(ParseTime("2022-10-13T08:58:02Z")->value, 1665651482000);
  EXPECT_EQ(ParseTime("2022-10-13T08:58:02.136Z")->value, 1665651482136);
  EXPECT_EQ(ParseTime("2022-10-13t08:58:02.1361234z")->value, 1665651482136);
  EXPECT_EQ(ParseTime("2022-10-13T10:58:02+02:00")->value, 1665651482000);
  EXPECT_EQ(ParseTime("2022-10-13T06:28:02-02:30")->value, 1665651482000);
  EXPECT_EQ(ParseTime("2024-02-29T00:00:00Z")->value, 1709164800000);
  EXPECT_EQ(ParseTime("1665651482")->value, 1665651482000);
}

TEST(Time, RejectsMalformedTimes) {
  for (const char* bad :
       {"", "yesterday", "2022-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2022-10-13T24:00:00Z",
        "2022-10-13T08:58:02", "2022-10-13 08:58", "2022-10-13T08:58:02.Z",
        "2022-10-13T08:58:02+2:00", "-5", "99999999999999999999", "2022-10-13T08:58:02Zjunk"}) {
    auto parsed = ParseTime(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

// --at: milliseconds and times outside 2019..2100 are mistakes, refused with a hint.
TEST(Time, VerificationTimesAreWithin2019To2100) {
  auto millis = ParseVerificationTime("1708930921439");
  ASSERT_FALSE(millis);
  EXPECT_EQ(millis.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(millis.error().detail.find("looks like milliseconds; use seconds (N/1000) or RFC 3339"),
            std::string::npos)
      << millis.error().detail;
  for (const char* bad : {"0", "1546300799", "2018-12-31T23:59:59Z", "2100-01-01T00:00:00Z",
                          "4102444800", "99999999999", "1970-01-01T00:00:00Z"}) {
    auto parsed = ParseVerificationTime(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument) << bad;
    EXPECT_NE(parsed.error().detail.find("outside 2019-01-01..2100-01-01"), std::string::npos)
        << parsed.error().detail;
  }
  EXPECT_EQ(ParseVerificationTime("1708930921")->value, 1708930921000);
  EXPECT_EQ(ParseVerificationTime("2019-01-01T00:00:00Z")->value, 1546300800000);
  EXPECT_EQ(ParseVerificationTime("2099-12-31T23:59:59Z")->value, 4102444799000);
  EXPECT_FALSE(ParseVerificationTime("yesterday"));
}

TEST(Time, FormatsRoundTrip) {
  EXPECT_EQ(FormatRfc3339(UnixMillis{0}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(UnixMillis{1665651482136}), "2022-10-13T08:58:02.136Z");
  EXPECT_EQ(FormatRfc3339(UnixMillis{2519044085000}), "2049-10-28T14:28:05Z");
  EXPECT_EQ(FormatRfc3339(UnixMillis{-1}), "1969-12-31T23:59:59.999Z");
  for (std::int64_t t : {0LL, 951782400000LL, 1709164800123LL, 4102444800000LL}) {
    EXPECT_EQ(ParseTime(FormatRfc3339(UnixMillis{t}))->value, t);
  }
}

TEST(Time, SecondsRoundTowardsNegativeInfinity) {
  EXPECT_EQ(UnixMillis{1999}.Seconds(), 1);
  EXPECT_EQ(UnixMillis{-1}.Seconds(), -1);
  EXPECT_EQ(UnixMillis{-1000}.Seconds(), -1);
}

TEST(Duration, ParsesUnits) {
  EXPECT_EQ(*ParseDurationMillis("90"), 90000);
  EXPECT_EQ(*ParseDurationMillis("90s"), 90000);
  EXPECT_EQ(*ParseDurationMillis("250ms"), 250);
  EXPECT_EQ(*ParseDurationMillis("5m"), 300000);
  EXPECT_EQ(*ParseDurationMillis("2h"), 7200000);
  EXPECT_EQ(*ParseDurationMillis("1d"), 86400000);
  for (const char* bad : {"", "m", "-5s", "5w", "1.5h", "99999999999999999d"}) {
    EXPECT_FALSE(ParseDurationMillis(bad)) << bad;
  }
}

}  // namespace
}  // namespace enclavectl::core
