#include "enclavectl/core/text_wrap.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace enclavectl::core {
namespace {

std::size_t LongestLine(const std::string& text) {
  std::istringstream in(text);
  std::size_t longest = 0;
  for (std::string line; std::getline(in, line);) {
    longest = std::max(longest, line.size());
  }
  return longest;
}

TEST(TextWrap, LinesThatFitAreUnchanged) {
  EXPECT_EQ(WrapText("Usage: enclavectl [OPTIONS]\n\n  -h,--help  Print help\n", 80),
            "Usage: enclavectl [OPTIONS]\n\n  -h,--help  Print help\n");
  EXPECT_EQ(WrapText("no final newline", 80), "no final newline");
  EXPECT_EQ(WrapText("", 80), "");
}

TEST(TextWrap, ContinuationLinesHangAtTheDescriptionColumn) {
  const std::string line =
      "  --root TEXT                 Trust this root (PEM) instead of the pinned AWS Nitro "
      "Enclaves root G1; the report names it as a custom root";
  const std::string wrapped = WrapText(line + "\n", 60);
  EXPECT_LE(LongestLine(wrapped), 60U);
  std::istringstream in(wrapped);
  std::string first;
  std::string second;
  std::getline(in, first);
  std::getline(in, second);
  EXPECT_EQ(first.rfind("  --root TEXT                 Trust this root", 0), 0U) << first;
  EXPECT_EQ(second.find_first_not_of(' '), 30U) << second;
  // Every word survives, in order.
  std::string joined;
  std::istringstream words(wrapped);
  for (std::string word; words >> word;) {
    joined += word + " ";
  }
  std::string expected;
  std::istringstream original(line);
  for (std::string word; original >> word;) {
    expected += word + " ";
  }
  EXPECT_EQ(joined, expected);
}

TEST(TextWrap, ExampleCommandsContinueWithABackslash) {
  const std::string wrapped = WrapText(
      "  enclavectl verify --url https://signer.example.com --verify-build image.eif --bundle "
      "evidence.zip\n",
      60);
  EXPECT_LE(LongestLine(wrapped), 60U);
  EXPECT_NE(wrapped.find(" \\\n      "), std::string::npos) << wrapped;
}

TEST(TextWrap, ProseKeepsItsIndentAndCommentsGetNoBackslash) {
  EXPECT_EQ(
      WrapText("Exit codes: 0 accepted, 1 verification failed, 2 malformed input, 64 usage", 40),
      "Exit codes: 0 accepted, 1 verification\nfailed, 2 malformed input, 64 usage");
  const std::string wrapped = WrapText(
      "  eval \"$(enclavectl dev up --background)\"   # local KMS + NSM simulator CA\n", 60);
  EXPECT_LE(LongestLine(wrapped), 60U);
  EXPECT_EQ(wrapped.find('\\'), std::string::npos) << wrapped;
}

TEST(TextWrap, WidthIsClampedAndLongWordsAreSplit) {
  const std::string wide(150, 'x');
  EXPECT_LE(LongestLine(WrapText(wide, 1000)), kMaxHelpWidth);
  EXPECT_LE(LongestLine(WrapText(wide, 0)), 20U);
  EXPECT_LE(LongestLine(WrapText("    " + wide + " tail", 40)), 40U);
}

}  // namespace
}  // namespace enclavectl::core
