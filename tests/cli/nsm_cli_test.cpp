// enclavectl nsm attest -> enclavectl verify --root: the simulator's documents verify under
// its development root, and only there.
#include <gtest/gtest.h>

#include <sstream>

#include <nlohmann/json.hpp>

#include "enclavectl/cli/cli.hpp"
#include "test_paths.hpp"

namespace enclavectl::cli {
namespace {

int RunCli(std::vector<std::string> args, std::string* out_text = nullptr) {
  args.insert(args.begin(), "enclavectl");
  std::vector<const char*> argv;
  for (const std::string& arg : args) {
    argv.push_back(arg.c_str());
  }
  std::ostringstream out;
  std::ostringstream err;
  const core::io::FixedClock clock(core::UnixMillis{1763726400000});
  const int code = Run(static_cast<int>(argv.size()), argv.data(), out, err, clock);
  if (out_text != nullptr) {
    *out_text = out.str() + err.str();
  }
  return code;
}

TEST(NsmCli, AttestThenVerifyWithTheDevelopmentRoot) {
  testing::ScopedTempDir temp;
  const std::string state = (temp.Path() / "state").string();
  const std::string doc = (temp.Path() / "doc.cbor").string();
  const std::string pcr0 = std::string(96, 'c');
  const std::string pcrs = temp.Write(
      "pcr.json",
      core::AsBytes(R"({"PCR0": ")" + pcr0 + R"(", "PCR1": ")" + std::string(96, 'd') + R"("})"));
  std::string out;
  ASSERT_EQ(RunCli({"nsm", "attest", "--state", state, "--pcrs", pcrs, "--nonce", "0a0b0c",
                    "--user-data", "", "-o", doc, "--json"},
                   &out),
            0)
      << out;
  const nlohmann::json summary = nlohmann::json::parse(out);
  EXPECT_EQ(summary["root"], state + "/root.pem");
  EXPECT_EQ(RunCli({"verify", "--doc", doc, "--root", state + "/root.pem", "--expect-pcrs", pcrs,
                    "--expect-nonce", "0a0b0c", "--max-age", "1m"},
                   &out),
            0)
      << out;
  EXPECT_EQ(RunCli({"verify", "--doc", doc}, &out), 1);
  EXPECT_NE(out.find("CHAIN_ROOT_MISMATCH"), std::string::npos);
  // A second boot from the same state: same root, another enclave.
  const std::string doc2 = (temp.Path() / "doc2.cbor").string();
  ASSERT_EQ(RunCli({"nsm", "attest", "--state", state, "--pcr", "0=" + pcr0, "-o", doc2}), 0);
  EXPECT_EQ(
      RunCli({"verify", "--doc", doc2, "--root", state + "/root.pem", "--expect-pcr", "0=" + pcr0}),
      0);
  EXPECT_NE(testing::ReadBytes(doc), testing::ReadBytes(doc2));
}

TEST(NsmCli, BadOptions) {
  testing::ScopedTempDir temp;
  const std::string state = (temp.Path() / "state").string();
  EXPECT_EQ(RunCli({"nsm", "attest", "--state", state, "--pcr", "16=" + std::string(96, 'a'), "-o",
                    (temp.Path() / "x").string()}),
            64);
  EXPECT_EQ(RunCli({"nsm", "attest", "--state", state, "--nonce", "xyz"}), 64);
  EXPECT_EQ(RunCli({"nsm", "attest", "--state", state, "--pcrs", (temp.Path() / "none").string()}),
            74);
  EXPECT_EQ(RunCli({"nsm"}), 64);
}

}  // namespace
}  // namespace enclavectl::cli
