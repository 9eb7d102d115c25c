// `enclavectl bitcoin script-tests`: output lines, --json, exit codes.
#include <gtest/gtest.h>

#include <cctype>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "json_style.hpp"
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
  EXPECT_EQ(out["media_type"], "application/vnd.enclavectl.bitcoin-script-tests+json;version=1");
  EXPECT_EQ(out["verdict"], "accepted");
  testing::ExpectSnakeCaseKeys(out);
  testing::ExpectVerdictForExit(out, result.exit_code);
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
  EXPECT_EQ(result.Json()["verdict"], "rejected");
  EXPECT_EQ(result.Json()["entries"][1]["status"], "fail");
  testing::ExpectSnakeCaseKeys(result.Json());
  testing::ExpectVerdictForExit(result.Json(), result.exit_code);
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

// Spec 3.2 B and C (parent secret 32x01, emulated tree = one OP_TRUE leaf).
constexpr const char* kParentPub =
    "031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f";
constexpr const char* kOpTrueRoot =
    "a85b2107f791b26a84e7586c28cec7cb61202ed3d01944d832500f363782d675";

TEST(BitcoinCli, AddressVectors) {
  testing::CliResult result = RunBitcoin({"bitcoin", "address", "--parent-key", kParentPub,
                                          "--emulated-root", kOpTrueRoot, "--network", "bitcoin"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "bc1plgeaej7ssa7v0ceage2mtklz3n62mqw37ygwgjfvwc607scvug0ssqr088\n");
  result = RunBitcoin({"bitcoin", "address", "--parent-key", kParentPub, "--emulated-root",
                       kOpTrueRoot, "--backup-root", kOpTrueRoot, "--json"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.Json()["address"],
            "bc1plflkv3uwwhmxm0vd0f62af34c637hulnzgu3e0qnlgn5g2wgk5dsz382tj");
  EXPECT_EQ(result.Json()["script_pub_key"],
            "5120fa7f66478e75f66dbd8d7a74aea635c6a3ebf3f312391cbc13fa274429c8b51b");
  testing::ExpectSnakeCaseKeys(result.Json());
  testing::ExpectVerdictForExit(result.Json(), result.exit_code);
  // Keys and roots read as pasted: 0x, upper case, line breaks.
  std::string root = std::string("0X") + kOpTrueRoot;
  for (char& c : root) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  root.insert(34, "\n");
  result = RunBitcoin({"bitcoin", "address", "--parent-key", std::string(" 0x") + kParentPub,
                       "--emulated-root", root, "--network", "bitcoin"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "bc1plgeaej7ssa7v0ceage2mtklz3n62mqw37ygwgjfvwc607scvug0ssqr088\n");
}

TEST(BitcoinCli, AddressUsageErrors) {
  testing::CliResult result = RunBitcoin(
      {"bitcoin", "address", "--parent-key", "02ff", "--emulated-root", kOpTrueRoot, "--json"});
  EXPECT_EQ(result.exit_code, 64);
  EXPECT_EQ(result.Json()["error"]["code"], "INVALID_ARGUMENT");
  result =
      RunBitcoin({"bitcoin", "address", "--parent-key", kParentPub, "--emulated-root", "abcd"});
  EXPECT_EQ(result.exit_code, 64);
  result = RunBitcoin({"bitcoin", "address", "--parent-key", kParentPub, "--emulated-root",
                       kOpTrueRoot, "--network", "moon"});
  EXPECT_EQ(result.exit_code, 64);
  const std::string off_curve = "02" + std::string(64, 'f');
  result = RunBitcoin(
      {"bitcoin", "address", "--parent-key", off_curve, "--emulated-root", kOpTrueRoot, "--json"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.Json()["error"]["code"], "BTC_KEY_INVALID");
}

}  // namespace
}  // namespace enclavectl
