// Checks of docs/cli-conventions.md "JSON" for tests: snake_case keys, and `media_type` plus a
// `verdict` that follows the exit code in every top-level object.
#pragma once

#include <gtest/gtest.h>

#include <set>
#include <string>

#include <nlohmann/json.hpp>

namespace enclavectl::testing {

// The path ("/read_back/properties/enclaveOnly") of the first object key in `value` that is
// not snake_case ([a-z][a-z0-9_]*), or "" when there is none. Members named in `opaque` hold
// documents in formats others define (an AWS key policy, IAM condition keys) and are not
// entered.
inline std::string NonSnakeCaseKey(const nlohmann::json& value,
                                   const std::set<std::string>& opaque = {"policy", "context"},
                                   const std::string& path = "") {
  if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      std::string found = NonSnakeCaseKey(value[i], opaque, path + "/" + std::to_string(i));
      if (!found.empty()) {
        return found;
      }
    }
  }
  if (!value.is_object()) {
    return "";
  }
  for (const auto& [key, member] : value.items()) {
    bool snake = !key.empty() && key[0] >= 'a' && key[0] <= 'z';
    for (char c : key) {
      snake = snake && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
    }
    if (!snake) {
      return path + "/" + key;
    }
    if (opaque.count(key) == 0) {
      std::string found = NonSnakeCaseKey(member, opaque, path + "/" + key);
      if (!found.empty()) {
        return found;
      }
    }
  }
  return "";
}

// The verdict an exit code allows (64 is "error", or "not_judged" when `not_judged`).
inline std::string VerdictForExit(int exit_code, bool not_judged = false) {
  switch (exit_code) {
    case 0:
      return "accepted";
    case 1:
      return "rejected";
    case 2:
      return "malformed";
    case 64:
      return not_judged ? "not_judged" : "error";
    default:
      return "error";
  }
}

// `out` (one --json answer) follows the conventions: one JSON document, snake_case keys,
// `media_type` == `media_type`, `verdict` following `exit_code`.
inline void ExpectJsonConventions(const std::string& out, const std::string& media_type,
                                  int exit_code) {
  const nlohmann::json json = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << "not one JSON document: " << out;
  ASSERT_TRUE(json.is_object()) << out;
  EXPECT_EQ(NonSnakeCaseKey(json), "") << out;
  EXPECT_EQ(json.value("media_type", ""), media_type) << out;
  EXPECT_EQ(json.value("verdict", ""), VerdictForExit(exit_code))
      << "exit " << exit_code << ": " << out;
}

}  // namespace enclavectl::testing
