// enclavectl nsm attest -> enclavectl verify --root: the simulator's documents verify under
// its development root, and only there.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "enclavectl/cli/cli.hpp"
#include "test_paths.hpp"

namespace enclavectl::cli {
namespace {

int RunCli(std::vector<std::string> args, std::string* out_text = nullptr) {
  const testing::CliResult outcome =
      testing::RunCli(std::move(args), core::io::FixedClock(core::UnixMillis{1763726400000}));
  if (out_text != nullptr) {
    *out_text = outcome.out + outcome.err;
  }
  return outcome.exit_code;
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
  EXPECT_EQ(RunCli({"verify", "--doc", doc, "--expect-pcrs", pcrs}, &out), 1);
  EXPECT_NE(out.find("CHAIN_ROOT_MISMATCH"), std::string::npos);
  // A second boot from the same state: same root, another enclave.
  const std::string doc2 = (temp.Path() / "doc2.cbor").string();
  ASSERT_EQ(RunCli({"nsm", "attest", "--state", state, "--pcr", "0=" + pcr0, "-o", doc2}), 0);
  EXPECT_EQ(
      RunCli({"verify", "--doc", doc2, "--root", state + "/root.pem", "--expect-pcr", "0=" + pcr0}),
      0);
  EXPECT_NE(testing::ReadBytes(doc), testing::ReadBytes(doc2));
}

// --eif: the simulated enclave boots with the image's measurements (PCR0, 1, 2 and, signed,
// 8), as nitro-cli describe-eif reports them, so a policy written for the image matches.
TEST(NsmCli, AttestFromAnEifImage) {
  testing::ScopedTempDir temp;
  const std::string state = (temp.Path() / "state").string();
  const std::string doc = (temp.Path() / "doc.cbor").string();
  const std::filesystem::path eif =
      testing::TestdataDir() / "eif" / "oracle_aarch64_signed-p384.eif";
  const nlohmann::json fixture =
      testing::ReadJson(testing::TestdataDir() / "eif" / "oracle_aarch64_signed-p384.json");
  const nlohmann::json& expected = fixture["expected"];
  std::string out;
  ASSERT_EQ(RunCli({"nsm", "attest", "--state", state, "--eif", eif.string(), "-o", doc}, &out), 0)
      << out;
  std::vector<std::string> verify = {"verify", "--doc", doc, "--root", state + "/root.pem"};
  for (const char* pcr : {"PCR0", "PCR1", "PCR2", "PCR8"}) {
    verify.push_back("--expect-pcr");
    verify.push_back(std::string(pcr + 3) + "=" + expected[pcr].get<std::string>());
  }
  EXPECT_EQ(RunCli(verify, &out), 0) << out;
  // --pcr overrides one measured value.
  ASSERT_EQ(RunCli({"nsm", "attest", "--state", state, "--eif", eif.string(), "--pcr",
                    "3=" + std::string(96, 'e'), "-o", doc}),
            0);
  EXPECT_EQ(RunCli({"verify", "--doc", doc, "--root", state + "/root.pem", "--expect-pcr",
                    "3=" + std::string(96, 'e'), "--expect-pcr",
                    "0=" + expected["PCR0"].get<std::string>()}),
            0);

  // A damaged image is refused (its CRC no longer matches), never simulated.
  core::Bytes bytes = testing::ReadBytes(eif);
  bytes[600] ^= 0x01;
  const std::string damaged = temp.Write("damaged.eif", bytes);
  EXPECT_EQ(RunCli({"nsm", "attest", "--state", state, "--eif", damaged, "-o", doc}, &out), 2);
  EXPECT_NE(out.find("EIF_CRC_MISMATCH"), std::string::npos) << out;
  // --eif and --pcrs both give PCR0..2.
  const std::string pcrs =
      temp.Write("pcr.json", core::AsBytes(R"({"PCR0": ")" + std::string(96, 'c') + R"("})"));
  EXPECT_EQ(RunCli({"nsm", "attest", "--state", state, "--eif", eif.string(), "--pcrs", pcrs}), 64);
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
