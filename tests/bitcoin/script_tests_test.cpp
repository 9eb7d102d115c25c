// The conformance file (Bitcoin Core's script_taproot_tests.json, 79 entries) through the
// library runner, and the runner's handling of malformed files and entries.
#include "enclavectl/bitcoin/script_tests.hpp"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>

#include "test_paths.hpp"

namespace enclavectl::bitcoin {
namespace {

std::string ConformanceFile() {
  return testing::ReadText(testing::TestdataDir() / "bitcoin" / "script_taproot_tests.json");
}

TEST(ScriptTests, EveryEntryOfTheConformanceFilePasses) {
  auto report = RunScriptTests(ConformanceFile());
  ASSERT_TRUE(report) << report.error().detail;
  EXPECT_EQ(report->results.size(), 79U);
  for (const ScriptTestResult& result : report->results) {
    EXPECT_TRUE(result.passed) << result.number << " " << result.comment << ": " << result.problem;
  }
  EXPECT_EQ(report->num_passed, 79U);
  EXPECT_EQ(report->num_failed, 0U);
}

// README 1.6 lists why Bitcoin Core rejects the failure witnesses; ours must give reasons
// from the same set (a failure for the wrong reason would hide a bug).
TEST(ScriptTests, FailureWitnessesFailForCoreReasons) {
  auto report = RunScriptTests(ConformanceFile());
  ASSERT_TRUE(report);
  std::map<std::string, int> counts;
  for (const ScriptTestResult& result : report->results) {
    ++counts[std::string(ScriptErrorName(result.failure_result))];
  }
  const std::map<std::string, int> allowed = {{"SCHNORR_SIG", 0},
                                              {"SCHNORR_SIG_SIZE", 0},
                                              {"SCHNORR_SIG_HASHTYPE", 0},
                                              {"TAPSCRIPT_VALIDATION_WEIGHT", 0},
                                              {"PUSH_SIZE", 0},
                                              {"CLEANSTACK", 0},
                                              {"STACK_SIZE", 0},
                                              {"BAD_OPCODE", 0},
                                              {"OP_RETURN", 0},
                                              {"TAPSCRIPT_CHECKMULTISIG", 0}};
  for (const auto& [name, count] : counts) {
    EXPECT_TRUE(allowed.contains(name)) << name << " x" << count;
  }
  EXPECT_GT(counts["TAPSCRIPT_VALIDATION_WEIGHT"], 0);
  EXPECT_GT(counts["SCHNORR_SIG_HASHTYPE"], 0);
  EXPECT_GT(counts["SCHNORR_SIG_SIZE"], 0);
}

TEST(ScriptTests, EachEntryIsJudgedOnItsOwn) {
  // A success witness that does not verify, and one that is not hex: two failed entries,
  // the run goes on.
  const std::string file = ConformanceFile();
  auto json = nlohmann::json::parse(file);
  nlohmann::json broken = json[0];
  broken["success"] = broken["failure"];
  nlohmann::json unreadable = json[0];
  unreadable["tx"] = "zz";
  nlohmann::json swapped = json[0];
  swapped["failure"] = swapped["success"];
  nlohmann::json out_of_range = json[0];
  out_of_range["index"] = 7;
  const nlohmann::json mixed = {json[0], broken, unreadable, swapped, out_of_range};
  auto report = RunScriptTests(mixed.dump());
  ASSERT_TRUE(report);
  ASSERT_EQ(report->results.size(), 5U);
  EXPECT_TRUE(report->results[0].passed);
  EXPECT_FALSE(report->results[1].passed);
  EXPECT_NE(report->results[1].problem.find("success witness rejected"), std::string::npos);
  EXPECT_FALSE(report->results[2].passed);
  EXPECT_NE(report->results[2].problem.find("unreadable"), std::string::npos);
  EXPECT_FALSE(report->results[3].passed);
  EXPECT_EQ(report->results[3].problem, "failure witness verified");
  EXPECT_FALSE(report->results[4].passed);
  EXPECT_EQ(report->num_passed, 1U);
  EXPECT_EQ(report->num_failed, 4U);
}

TEST(ScriptTests, AFileThatIsNotAnArrayOfObjectsIsMalformed) {
  for (const char* text : {"", "{}", "[1]", "[{\"tx\": 1}", "\"x\""}) {
    auto report = RunScriptTests(text);
    ASSERT_FALSE(report) << text;
    EXPECT_EQ(report.error().code, core::ErrorCode::kBtcTestFileMalformed) << text;
  }
}

// The report's two renderings (`enclavectl bitcoin script-tests` and its --json).
TEST(ScriptTests, TheReportRendersAsTextAndJson) {
  ScriptTestReport report;
  report.results.push_back(
      {0, "a key path spend", true, ScriptError::kOk, ScriptError::kSchnorrSigSize, ""});
  report.results.push_back({1, "a script path spend", false, ScriptError::kEvalFalse,
                            ScriptError::kOk, "success witness rejected: EVAL_FALSE"});
  report.num_passed = 1;
  report.num_failed = 1;
  std::ostringstream text;
  RenderScriptTestReport(text, report);
  EXPECT_EQ(text.str(), std::string("ok   0 a key path spend (failure witness: ") +
                            std::string(ScriptErrorName(ScriptError::kSchnorrSigSize)) +
                            ")\nFAIL 1 a script path spend: success witness rejected: "
                            "EVAL_FALSE\n1 passed, 1 failed\n");
  const nlohmann::json out = ScriptTestReportToJson(report);
  EXPECT_EQ(out["media_type"], kScriptTestsMediaType);
  EXPECT_EQ(out["verdict"], "rejected");
  EXPECT_EQ(out["passed"], 1);
  EXPECT_EQ(out["entries"][0]["status"], "pass");
  EXPECT_TRUE(out["entries"][0]["problem"].is_null());
  EXPECT_EQ(out["entries"][1]["problem"], "success witness rejected: EVAL_FALSE");
  report.results.pop_back();
  report.num_failed = 0;
  EXPECT_EQ(ScriptTestReportToJson(report)["verdict"], "accepted");
}

}  // namespace
}  // namespace enclavectl::bitcoin
