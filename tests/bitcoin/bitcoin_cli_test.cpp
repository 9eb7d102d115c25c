// `enclavectl bitcoin script-tests`: output lines, --json, exit codes.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "test_paths.hpp"

namespace enclavectl {
namespace {

testing::CliResult RunBitcoin(std::vector<std::string> args) {
  return testing::RunCli(std::move(args), core::io::FixedClock(core::UnixMillis{1763726400000}));
}

std::string ConformancePath() {
  return (testing::TestdataDir() / "bitcoin" / "script_taproot_tests.json").string();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
  }
  return lines;
}

TEST(BitcoinCli, ScriptTestsPassesTheConformanceFile) {
  const testing::CliResult result = RunBitcoin({"bitcoin", "script-tests", ConformancePath()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<std::string> lines = Lines(result.out);
  ASSERT_EQ(lines.size(), 80U);
  EXPECT_EQ(lines.back(), "79 passed, 0 failed");
  EXPECT_EQ(lines[0].rfind("ok   0 sig/key", 0), 0U) << lines[0];
}

TEST(BitcoinCli, ScriptTestsJson) {
  const testing::CliResult result =
      RunBitcoin({"bitcoin", "script-tests", ConformancePath(), "--json"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json out = result.Json();
  EXPECT_EQ(out["mediaType"], "application/vnd.enclavectl.bitcoin-script-tests+json;version=1");
  EXPECT_EQ(out["verdict"], "pass");
  EXPECT_EQ(out["passed"], 79);
  EXPECT_EQ(out["failed"], 0);
  ASSERT_EQ(out["entries"].size(), 79U);
  EXPECT_EQ(out["entries"][0]["success"], "OK");
  EXPECT_EQ(out["entries"][0]["problem"], nullptr);
}

TEST(BitcoinCli, AFailingEntryExitsOne) {
  nlohmann::json entries = nlohmann::json::parse(testing::ReadText(ConformancePath()));
  nlohmann::json bad = entries[0];
  bad["failure"] = bad["success"];
  const nlohmann::json file = {entries[0], bad};
  testing::ScopedTempDir dir;
  const std::string path = dir.Write("two.json", core::AsBytes(file.dump()));
  testing::CliResult result = RunBitcoin({"bitcoin", "script-tests", path});
  EXPECT_EQ(result.exit_code, 1);
  const std::vector<std::string> lines = Lines(result.out);
  ASSERT_EQ(lines.size(), 3U);
  EXPECT_EQ(lines[1], "FAIL 1 sig/key: failure witness verified");
  EXPECT_EQ(lines[2], "1 passed, 1 failed");
  result = RunBitcoin({"bitcoin", "script-tests", path, "--json"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.Json()["verdict"], "fail");
  EXPECT_EQ(result.Json()["entries"][1]["result"], "fail");
}

TEST(BitcoinCli, MalformedAndMissingFiles) {
  testing::ScopedTempDir dir;
  const std::string path = dir.Write("bad.json", core::AsBytes("{\"not\": \"an array\"}"));
  testing::CliResult result = RunBitcoin({"bitcoin", "script-tests", path, "--json"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.Json()["error"]["code"], "BTC_TEST_FILE_MALFORMED");
  result = RunBitcoin({"bitcoin", "script-tests", (dir.Path() / "absent.json").string()});
  EXPECT_EQ(result.exit_code, 74);
  result = RunBitcoin({"bitcoin", "script-tests"});
  EXPECT_EQ(result.exit_code, 64);
}

}  // namespace
}  // namespace enclavectl
