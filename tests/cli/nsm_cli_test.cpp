// enclavectl nsm attest -> enclavectl verify --root: the simulator's documents verify under
// its development root, and only there.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "enclavectl/cli/cli.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/pem.hpp"
#include "enclavectl/verifier/document.hpp"
#include "json_conventions.hpp"
#include "test_paths.hpp"

namespace enclavectl::cli {
namespace {

constexpr const char* kMediaType = "application/vnd.enclavectl.nsm-attest+json;version=1";

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
                    "--user-data", "", "--out", doc, "--json"},
                   &out),
            0)
      << out;
  const nlohmann::json summary = nlohmann::json::parse(out);
  testing::ExpectJsonConventions(out, kMediaType, 0);
  EXPECT_EQ(summary["root"], state + "/nsm/root.pem");
  EXPECT_EQ(RunCli({"verify", "--doc", doc, "--root", state + "/nsm/root.pem", "--expect-pcrs",
                    pcrs, "--expect-nonce", "0a0b0c", "--max-age", "1m"},
                   &out),
            0)
      << out;
  EXPECT_EQ(RunCli({"verify", "--doc", doc, "--expect-pcrs", pcrs}, &out), 1);
  EXPECT_NE(out.find("CHAIN_ROOT_MISMATCH"), std::string::npos);
  // A second boot from the same state: same root, another enclave.
  const std::string doc2 = (temp.Path() / "doc2.cbor").string();
  ASSERT_EQ(RunCli({"nsm", "attest", "--state", state, "--pcr", "0=" + pcr0, "-o", doc2}), 0);
  EXPECT_EQ(RunCli({"verify", "--doc", doc2, "--root", state + "/nsm/root.pem", "--expect-pcr",
                    "0=" + pcr0}),
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
  std::vector<std::string> verify = {"verify", "--doc", doc, "--root", state + "/nsm/root.pem"};
  for (const char* pcr : {"PCR0", "PCR1", "PCR2", "PCR8"}) {
    verify.push_back("--expect-pcr");
    verify.push_back(std::string(pcr + 3) + "=" + expected[pcr].get<std::string>());
  }
  EXPECT_EQ(RunCli(verify, &out), 0) << out;
  // --pcr overrides one measured value.
  ASSERT_EQ(RunCli({"nsm", "attest", "--state", state, "--eif", eif.string(), "--pcr",
                    "3=" + std::string(96, 'e'), "-o", doc}),
            0);
  EXPECT_EQ(RunCli({"verify", "--doc", doc, "--root", state + "/nsm/root.pem", "--expect-pcr",
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

// Issue 19: --public-key takes a public key in PEM or DER and embeds its DER; anything else
// (a PEM certificate, text) is refused with NSM_PUBLIC_KEY instead of being embedded as is.
TEST(NsmCli, PublicKeyIsValidated) {
  testing::ScopedTempDir temp;
  const std::string state = temp.Path().string();
  const std::string pcr = "0=" + std::string(96, 'c');
  core::EvpPkeyPtr key(EVP_EC_gen("P-256"));
  ASSERT_TRUE(key);
  const core::Bytes der = core::PublicKeyDer(key.get());
  core::BioPtr bio(BIO_new(BIO_s_mem()));
  ASSERT_EQ(PEM_write_bio_PUBKEY(bio.get(), key.get()), 1);
  char* pem_data = nullptr;
  const long pem_len = BIO_get_mem_data(bio.get(), &pem_data);  // NOLINT(google-runtime-int)
  const std::string pem(pem_data, static_cast<std::size_t>(pem_len));
  for (const std::string& file :
       {temp.Write("key.der", der), temp.Write("key.pem", core::AsBytes(pem))}) {
    const std::string doc = (temp.Path() / "doc.cbor").string();
    std::string out;
    ASSERT_EQ(RunCli({"nsm", "attest", "--state", state, "--pcr", pcr, "--public-key", file,
                      "--out", doc},
                     &out),
              0)
        << out;
    auto parsed = verifier::DecodeAttestation(testing::ReadBytes(doc));
    ASSERT_TRUE(parsed) << parsed.error().detail;
    ASSERT_TRUE(parsed->doc.public_key.has_value());
    EXPECT_EQ(*parsed->doc.public_key, der) << file;
  }
  const std::string garbage = temp.Write("garbage.pem", core::AsBytes("not a key\n"));
  std::string out;
  EXPECT_EQ(RunCli({"nsm", "attest", "--state", state, "--pcr", pcr, "--public-key", garbage,
                    "--out", (temp.Path() / "x.cbor").string(), "--json"},
                   &out),
            2);
  EXPECT_NE(out.find("NSM_PUBLIC_KEY"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(temp.Path() / "x.cbor"));
}

// Issue 19: without a PCR source the document has zero PCRs (a debug enclave's): warned.
// --out - writes the document to standard output (the summary to stderr); --out - with
// --json is a usage error; -o and --output stay as old spellings.
TEST(NsmCli, OutAndDebugWarning) {
  testing::ScopedTempDir temp;
  const std::string state = temp.Path().string();
  const testing::CliResult bare =
      testing::RunCli({"nsm", "attest", "--state", state, "--out", "-"},
                      core::io::FixedClock(core::UnixMillis{1763726400000}));
  ASSERT_EQ(bare.exit_code, 0) << bare.err;
  EXPECT_NE(bare.err.find("warning: no --eif, --pcrs or --pcr"), std::string::npos) << bare.err;
  EXPECT_NE(bare.err.find("wrote standard output"), std::string::npos) << bare.err;
  auto parsed = verifier::DecodeAttestation(core::AsBytes(bare.out));
  ASSERT_TRUE(parsed) << parsed.error().detail;
  EXPECT_FALSE(std::filesystem::exists(temp.Path() / "-"));
  const testing::CliResult with_pcr =
      testing::RunCli({"nsm", "attest", "--state", state, "--pcr", "0=" + std::string(96, 'c'),
                       "--out", (temp.Path() / "a.cbor").string()},
                      core::io::FixedClock(core::UnixMillis{1763726400000}));
  EXPECT_EQ(with_pcr.exit_code, 0);
  EXPECT_EQ(with_pcr.err.find("warning"), std::string::npos) << with_pcr.err;
  EXPECT_EQ(RunCli({"nsm", "attest", "--state", state, "--out", "-", "--json"}), 64);
  for (const char* old : {"-o", "--output"}) {
    const std::string path = (temp.Path() / (std::string("old") + old + ".cbor")).string();
    EXPECT_EQ(RunCli({"nsm", "attest", "--state", state, "--pcr", "0=" + std::string(96, 'c'), old,
                      path}),
              0);
    EXPECT_TRUE(std::filesystem::exists(path)) << old;
  }
  std::string help;
  RunCli({"nsm", "attest", "--help"}, &help);
  EXPECT_NE(help.find("--out"), std::string::npos);
  EXPECT_EQ(help.find("--output"), std::string::npos) << "hidden alias shown";
}

// Issue 19: --state is the stack's root (DIR/nsm holds the CA); a directory that is itself
// the simulator's (the old meaning) still works, with a deprecation warning.
TEST(NsmCli, StateIsTheStackRoot) {
  testing::ScopedTempDir temp;
  const std::string root = temp.Path().string();
  const std::string pcr = "0=" + std::string(96, 'c');
  std::string out;
  ASSERT_EQ(RunCli({"nsm", "attest", "--state", root, "--pcr", pcr, "--out",
                    (temp.Path() / "a.cbor").string()},
                   &out),
            0)
      << out;
  EXPECT_TRUE(std::filesystem::exists(temp.Path() / "nsm" / "devca.json"));
  EXPECT_EQ(out.find("warning"), std::string::npos) << out;
  const std::string nsm = (temp.Path() / "nsm").string();
  ASSERT_EQ(RunCli({"nsm", "attest", "--state", nsm, "--pcr", pcr, "--out",
                    (temp.Path() / "b.cbor").string()},
                   &out),
            0)
      << out;
  EXPECT_NE(out.find("warning: --state " + nsm + " is a NSM state directory"), std::string::npos)
      << out;
  EXPECT_FALSE(std::filesystem::exists(temp.Path() / "nsm" / "nsm"));
  EXPECT_EQ(RunCli({"verify", "--doc", (temp.Path() / "b.cbor").string(), "--root",
                    nsm + "/root.pem", "--expect-pcr", pcr}),
            0);
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
