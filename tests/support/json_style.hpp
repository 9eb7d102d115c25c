// The JSON rules of docs/cli-conventions.md, for tests of every command's --json: keys are
// snake_case, and the top-level `verdict` follows the exit code.
#pragma once

#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

namespace enclavectl::testing {

// Fails the current test for every object key holding an upper-case letter, anywhere in
// `value`, except keys in `foreign` whose whole value is a format defined by others (nitro-cli's
// "Measurements", describe-eif's keys) and is not walked.
template <typename Json>
void ExpectSnakeCaseKeys(const Json& value, const std::set<std::string>& foreign = {},
                         const std::string& where = "$") {
  if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      ExpectSnakeCaseKeys(value[i], foreign, where + "[" + std::to_string(i) + "]");
    }
    return;
  }
  if (!value.is_object()) {
    return;
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    const std::string& key = it.key();
    if (foreign.contains(key)) {
      continue;
    }
    for (const char c : key) {
      if (std::isupper(static_cast<unsigned char>(c)) != 0) {
        ADD_FAILURE() << "key not snake_case: " << where << "." << key;
        break;
      }
    }
    ExpectSnakeCaseKeys(it.value(), foreign, where + "." + key);
  }
}

// The verdict an answer must carry for `exit_code`; 64 is "error" or "not_judged".
template <typename Json>
void ExpectVerdictForExit(const Json& answer, int exit_code) {
  ASSERT_TRUE(answer.is_object());
  ASSERT_TRUE(answer.contains("media_type")) << answer.dump();
  ASSERT_TRUE(answer.contains("verdict")) << answer.dump();
  const std::string verdict = answer["verdict"].template get<std::string>();
  switch (exit_code) {
    case 0:
      EXPECT_EQ(verdict, "accepted");
      break;
    case 1:
      EXPECT_EQ(verdict, "rejected");
      break;
    case 2:
      EXPECT_EQ(verdict, "malformed");
      break;
    case 64:
      EXPECT_TRUE(verdict == "error" || verdict == "not_judged") << verdict;
      break;
    default:
      EXPECT_EQ(verdict, "error") << "exit " << exit_code;
  }
}

}  // namespace enclavectl::testing
