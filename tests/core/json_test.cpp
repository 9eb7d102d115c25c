// The strict JSON reader for untrusted input: parse limits and non-throwing typed access.
#include "enclavectl/core/json.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "enclavectl/core/limits.hpp"

namespace enclavectl::core {
namespace {

constexpr ErrorCode kCode = ErrorCode::kLiveResponseMalformed;

Result<nlohmann::json> Parse(std::string_view text) {
  return ParseStrictJson(text, 1 << 16, kCode, "test input");
}

TEST(StrictJson, ParsesAnObject) {
  auto value = Parse(R"({"a": 1, "b": [true, null], "c": {"d": "e"}})");
  ASSERT_TRUE(value) << value.error().detail;
  EXPECT_EQ((*value)["c"]["d"], "e");
}

TEST(StrictJson, RefusesTooLargeInput) {
  auto value = ParseStrictJson(std::string(100, ' ') + "1", 100, kCode, "x");
  ASSERT_FALSE(value);
  EXPECT_EQ(value.error().code, ErrorCode::kInputTooLarge);
}

TEST(StrictJson, RefusesDeepNesting) {
  const std::string deep(limits::kMaxJsonDepth + 1, '[');
  auto value = Parse(deep + std::string(limits::kMaxJsonDepth + 1, ']'));
  ASSERT_FALSE(value);
  EXPECT_EQ(value.error().code, kCode);
  // Brackets inside strings do not count.
  EXPECT_TRUE(Parse("[\"" + deep + "\"]"));
}

TEST(StrictJson, RefusesDuplicateKeysInvalidJsonAndHugeNumbers) {
  for (const char* text : {R"({"a": 1, "a": 2})", R"({"x": {"a": 1, "a": 1}})", "{", "[1,]",
                           "\"\xff\"", "1e999", R"({"n": -1e400})", "1 2"}) {
    auto value = Parse(text);
    ASSERT_FALSE(value) << text;
    EXPECT_EQ(value.error().code, kCode) << text;
  }
  // The same key in two different objects is fine.
  EXPECT_TRUE(Parse(R"({"a": {"k": 1}, "b": {"k": 1}})"));
}

// A syntax error names its line and column (1-based, columns in bytes), as an editor shows
// them, so that a policy can be fixed without counting characters.
TEST(StrictJson, SyntaxErrorsNameLineAndColumn) {
  auto value = Parse("{\n  \"a\": 1,\n  \"b\": tru\n}\n");
  ASSERT_FALSE(value);
  EXPECT_EQ(value.error().code, kCode);
  EXPECT_NE(value.error().detail.find("line 3, column"), std::string::npos) << value.error().detail;
  value = Parse("[1,]");
  ASSERT_FALSE(value);
  EXPECT_NE(value.error().detail.find("line 1, column 4"), std::string::npos)
      << value.error().detail;
  value = Parse("{\r\n\"a\" 1}");
  ASSERT_FALSE(value);
  EXPECT_NE(value.error().detail.find("line 2, column 5"), std::string::npos)
      << value.error().detail;
  // Truncated input: the position is the end of the text.
  value = Parse("{\"a\":\n");
  ASSERT_FALSE(value);
  EXPECT_NE(value.error().detail.find("line 2, column 1"), std::string::npos)
      << value.error().detail;
}

// A long array of objects (a 4 MiB verify-and-sign body holds ~1.4 million): linear time. The
// callback parser this replaced rescanned the array after every object (minutes here).
TEST(StrictJson, LongArraysOfObjectsParseInLinearTime) {
  std::string text = "[";
  for (int i = 0; i < 300000; ++i) {
    text += i == 0 ? "{\"k\":1}" : ",{\"k\":1}";
  }
  text += "]";
  const auto start = std::chrono::steady_clock::now();
  auto value = core::ParseStrictJson(text, text.size(), kCode, "test");
  ASSERT_TRUE(value);
  EXPECT_EQ(value->size(), 300000U);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  // Duplicates are still found deep inside such an array.
  text.insert(text.size() - 1, R"(,{"k":1,"k":2})");
  auto repeated = core::ParseStrictJson(text, text.size(), kCode, "test");
  ASSERT_FALSE(repeated);
  EXPECT_NE(repeated.error().detail.find("repeats the key"), std::string::npos);
}

TEST(JsonObjectView, TypeMismatchesAreErrorsNotExceptions) {
  // The body that made verify --url abort with nlohmann::json::type_error (issue 12 item 7).
  auto value = Parse(R"({"error":{"code":1,"message":["x"]}})");
  ASSERT_TRUE(value);
  auto view = JsonObjectView::Of(*value, kCode, "answer");
  ASSERT_TRUE(view);
  auto error = view->Object("error");
  ASSERT_TRUE(error);
  auto code = error->String("code");
  ASSERT_FALSE(code);
  EXPECT_EQ(code.error().code, kCode);
  EXPECT_NE(code.error().detail.find("answer.error"), std::string::npos);
  EXPECT_FALSE(error->String("message"));
  EXPECT_FALSE(error->OptionalString("message"));
  EXPECT_FALSE(error->Bool("code"));
  EXPECT_FALSE(view->Object("missing"));
  EXPECT_FALSE(view->String("error"));
  EXPECT_FALSE(view->Array("error", 4));
  auto optional = view->OptionalObject("absent");
  ASSERT_TRUE(optional);
  EXPECT_FALSE(optional->has_value());
}

TEST(JsonObjectView, OnlyObjectsCanBeViewed) {
  for (const char* text : {"[]", "1", "\"s\"", "null", "true"}) {
    auto value = Parse(text);
    ASSERT_TRUE(value) << text;
    auto view = JsonObjectView::Of(*value, kCode, "answer");
    ASSERT_FALSE(view) << text;
    EXPECT_EQ(view.error().code, kCode);
  }
}

TEST(JsonObjectView, StringsBoolsAndNulls) {
  auto value = Parse(R"({"s": "v", "b": false, "n": null})");
  ASSERT_TRUE(value);
  auto view = JsonObjectView::Of(*value, kCode, "answer");
  ASSERT_TRUE(view);
  EXPECT_EQ(view->String("s").value(), "v");
  EXPECT_EQ(view->Bool("b").value(), false);
  EXPECT_FALSE(view->String("n"));  // required: null is not a string
  EXPECT_FALSE(view->OptionalString("n").value().has_value());
  EXPECT_FALSE(view->OptionalBool("absent").value().has_value());
  EXPECT_FALSE(view->Bool("s"));
  EXPECT_TRUE(view->Has("n"));
  EXPECT_FALSE(view->Has("absent"));
}

TEST(JsonObjectView, UnsignedNumbersAreBounded) {
  auto value = Parse(
      R"({"ok": 42, "whole": 7.0, "neg": -1, "frac": 1.5, "big": 18446744073709551615,
          "huge": 1e300, "text": "42"})");
  ASSERT_TRUE(value);
  auto view = JsonObjectView::Of(*value, kCode, "answer");
  ASSERT_TRUE(view);
  EXPECT_EQ(view->Uint("ok", 100).value(), 42U);
  EXPECT_EQ(view->Uint("whole", 100).value(), 7U);
  EXPECT_FALSE(view->Uint("ok", 41));
  EXPECT_FALSE(view->Uint("neg", 100));
  EXPECT_FALSE(view->Uint("frac", 100));
  EXPECT_FALSE(view->Uint("huge", UINT64_MAX));
  EXPECT_FALSE(view->Uint("text", 100));
  EXPECT_EQ(view->Uint("big", UINT64_MAX).value(), UINT64_MAX);
  EXPECT_FALSE(view->Uint("absent", 1));
  EXPECT_FALSE(view->OptionalUint("absent", 1).value().has_value());
}

TEST(JsonObjectView, ArraysAreBoundedAndElementsChecked) {
  auto value = Parse(R"({"a": ["x", 1], "o": {}})");
  ASSERT_TRUE(value);
  auto view = JsonObjectView::Of(*value, kCode, "answer");
  ASSERT_TRUE(view);
  auto array = view->Array("a", 2);
  ASSERT_TRUE(array);
  EXPECT_TRUE(JsonString((**array)[0], kCode, "a[0]"));
  EXPECT_FALSE(JsonString((**array)[1], kCode, "a[1]"));
  EXPECT_FALSE(view->Array("a", 1));
  EXPECT_FALSE(view->Array("o", 10));
}

TEST(JsonObjectView, OnlyKeysNamesTheUnknownMember) {
  auto value = Parse(R"({"known": 1, "Knwon": 2})");
  ASSERT_TRUE(value);
  auto view = JsonObjectView::Of(*value, kCode, "config");
  ASSERT_TRUE(view);
  auto status = view->OnlyKeys({"known"});
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().detail.find("Knwon"), std::string::npos);
  EXPECT_TRUE(view->OnlyKeys({"known", "Knwon"}));
}

TEST(SafeExcerpt, CutsAndMasks) {
  EXPECT_EQ(SafeExcerpt("ab\ncd", 10), "ab?cd");
  EXPECT_EQ(SafeExcerpt("abcdef", 3), "abc...");
}

}  // namespace
}  // namespace enclavectl::core
