// enclavectl verify and errors, run in-process: exit codes, JSON report, text report.
#include <gtest/gtest.h>
#include <openssl/x509.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "enclavectl/cli/cli.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/pem.hpp"
#include "enclavectl/verifier/maintainer.hpp"
#include "json_style.hpp"
#include "test_paths.hpp"
#include "virtual_nitro.hpp"

namespace enclavectl::cli {
namespace {

using Outcome = testing::CliResult;

Outcome RunCli(std::vector<std::string> args,
               core::UnixMillis now = core::UnixMillis{1763726400000}) {  // 2025-11-21
  return testing::RunCli(std::move(args), core::io::FixedClock(now));
}

std::string Genuine(const std::string& name) {
  return (testing::TestdataDir() / "attestation" / (name + ".cbor")).string();
}

constexpr const char* kEvervaultPcr0 =
    "f4d48b81a460c9916d1e685119074bf24660afd3e34fae9fca0a0d28d9d5599936332687e6f66fc890ac8cf15014"
    "2d8b";

class VerifyCli : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, core::ByteView bytes) const {
    return temp_.Write(name, bytes);
  }

  testing::ScopedTempDir temp_;
  const std::filesystem::path& dir_ = temp_.Path();
};

TEST_F(VerifyCli, GenuineDocumentAtItsOwnTimeIsAccepted) {
  const Outcome run = RunCli({"verify", "--doc", Genuine("evervault_2022-10-13_valid"), "--at",
                              "doc", "--json", "--expect-pcr0", kEvervaultPcr0});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  const nlohmann::json report = run.Json();
  EXPECT_EQ(report["media_type"], "application/vnd.enclavectl.verify+json;version=1");
  EXPECT_EQ(report["verdict"], "accepted");
  EXPECT_TRUE(report["error"].is_null());
  EXPECT_EQ(report["trust"]["root"], "aws-nitro-enclaves-root-g1");
  EXPECT_EQ(report["verification_time"]["source"], "document");
  EXPECT_EQ(report["input"]["encoding"], "binary");
  EXPECT_EQ(report["document"]["module_id"], "i-020b6af9246d90e92-enc0183d09086c24190");
  EXPECT_EQ(report["document"]["pcrs"]["0"],
            "f4d48b81a460c9916d1e685119074bf24660afd3e34fae9fca0a0d28d9d5599936332687e6f66fc890ac8c"
            "f150142d8b");
  EXPECT_EQ(report["chain"].size(), 5U);
  EXPECT_EQ(report["image_checked"], true);
  EXPECT_EQ(report["any_image"], false);
  ASSERT_EQ(report["checks"].size(), 11U);
  for (const auto& check : report["checks"]) {
    EXPECT_NE(check["status"], "fail") << check.dump();
    EXPECT_FALSE(check["reason"].get<std::string>().empty());
  }
}

TEST_F(VerifyCli, TextReportListsEveryCheck) {
  const Outcome run = RunCli(
      {"verify", "--doc", Genuine("turnkey_2025-09-16_indef"), "--at", "doc", "--any-image"});
  EXPECT_EQ(run.exit_code, 0);
  // --any-image: accepted as a genuine document, and the verdict line says no image was checked.
  EXPECT_EQ(run.out.rfind("ACCEPTED (any image: no PCR was checked", 0), 0U) << run.out;
  EXPECT_NE(run.out.find("ANY IMAGE"), std::string::npos) << run.out;
  for (const char* check : {"cose", "document", "root", "chain", "signature", "debug_mode", "pcrs",
                            "key_binding", "app_key_hash", "nonce", "freshness"}) {
    EXPECT_NE(run.out.find(std::string(" ") + check + " "), std::string::npos) << check;
  }
  EXPECT_NE(run.out.find("skipped"), std::string::npos);
}

TEST_F(VerifyCli, CurrentTimeIsTheDefaultAndGenuineDocumentsHaveExpired) {
  const Outcome run =
      RunCli({"verify", "--doc", Genuine("marlin_2024-02-26"), "--json", "--any-image"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.Json()["verdict"], "rejected");
  EXPECT_EQ(run.Json()["error"]["code"], "CERT_EXPIRED");
  EXPECT_EQ(run.Json()["verification_time"]["unix_ms"], 1763726400000);
}

// docs/cli-conventions.md, Errors: without --json the report stays on standard output and the
// failure is one line on standard error (with a hint); with --json, one document, nothing else.
TEST_F(VerifyCli, AFailureIsOneLineOnStandardErrorWithItsHint) {
  const Outcome text = RunCli({"verify", "--doc", Genuine("marlin_2024-02-26"), "--any-image"});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_EQ(text.out.rfind("REJECTED (CERT_EXPIRED)", 0), 0U) << text.out;
  EXPECT_EQ(text.out.find("error"), std::string::npos) << text.out;
  EXPECT_EQ(text.err.rfind("enclavectl: CERT_EXPIRED: ", 0), 0U) << text.err;
  const std::string hint = "\nhint: stored document? verify it at its own time with --at doc\n";
  ASSERT_GE(text.err.size(), hint.size());
  EXPECT_EQ(text.err.substr(text.err.size() - hint.size()), hint) << text.err;
  EXPECT_EQ(std::count(text.err.begin(), text.err.end(), '\n'), 2) << text.err;
  const Outcome json =
      RunCli({"verify", "--doc", Genuine("marlin_2024-02-26"), "--any-image", "--json"});
  EXPECT_EQ(json.exit_code, 1);
  EXPECT_TRUE(json.err.empty()) << json.err;
  EXPECT_EQ(json.Json()["hint"], "stored document? verify it at its own time with --at doc");
}

// Every key of verify --json is snake_case and the verdict follows the exit code: accepted,
// rejected, malformed.
TEST_F(VerifyCli, JsonKeysAreSnakeCaseAndTheVerdictFollowsTheExitCode) {
  core::Bytes tampered = testing::ReadBytes(Genuine("sparsity_2023-09-28"));
  tampered.back() ^= 1;
  const core::Bytes doc = testing::ReadBytes(Genuine("eternis_2024-07-31"));
  for (const std::string& path :
       {Genuine("evervault_2022-10-13_valid"), Write("tampered.cbor", tampered),
        Write("cut.cbor", core::ByteView(doc).first(500))}) {
    const Outcome run = RunCli({"verify", "--doc", path, "--at", "doc", "--json", "--any-image"});
    SCOPED_TRACE(path);
    testing::ExpectSnakeCaseKeys(run.Json());
    testing::ExpectVerdictForExit(run.Json(), run.exit_code);
  }
}

// --at is a time to judge a document at: 2019..2100, and 13 digits are milliseconds.
TEST_F(VerifyCli, AtRefusesMillisecondsAndTimesOutside2019To2100) {
  const std::string doc = Genuine("marlin_2024-02-26");
  for (const char* at : {"1708930921439", "1500000000", "4102444800", "2101-01-01T00:00:00Z"}) {
    const Outcome run = RunCli({"verify", "--doc", doc, "--any-image", "--at", at});
    EXPECT_EQ(run.exit_code, 64) << at;
    EXPECT_EQ(run.err.rfind("enclavectl: INVALID_ARGUMENT: --at: ", 0), 0U) << run.err;
  }
  EXPECT_NE(RunCli({"verify", "--doc", doc, "--any-image", "--at", "1708930921439"})
                .err.find("milliseconds"),
            std::string::npos);
  // Its own time in seconds is fine.
  EXPECT_EQ(RunCli({"verify", "--doc", doc, "--any-image", "--at", "1708930921"}).exit_code, 0);
}

// Hex flags read as pasted: 0x, upper case, xxd -p line breaks.
TEST_F(VerifyCli, HexFlagsAreReadAsPasted) {
  const std::string doc = Genuine("evervault_2022-10-13_valid");
  std::string wrapped = "0x";
  for (std::size_t i = 0; i < 96; i += 60) {
    wrapped += std::string(kEvervaultPcr0).substr(i, 60) + "\n";
  }
  for (char& c : wrapped) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  wrapped[1] = 'x';
  const Outcome run = RunCli({"verify", "--doc", doc, "--at", "doc", "--expect-pcr0", wrapped});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  const auto& nitro = testing::VirtualNitro::Get();
  const std::string root = Write("root.pem", core::AsBytes(nitro.Ca().RootPem()));
  verifier::devca::DocumentSpec spec;
  spec.nonce = core::Bytes(20, 0xab);
  const Outcome nonce =
      RunCli({"verify", "--doc", Write("sim.cbor", nitro.Mint(spec)), "--root", root, "--any-image",
              "--expect-nonce", " 0XABABABABABABABABABAB\nabababababababababab "},
             core::UnixMillis{testing::kVirtualNow.value + 2000});
  EXPECT_EQ(nonce.exit_code, 0) << nonce.err;
}

// --root takes PEM or DER; what is neither is refused in our words, not OpenSSL's.
TEST_F(VerifyCli, RootIsPemOrDer) {
  const auto& nitro = testing::VirtualNitro::Get();
  auto cert = core::ReadCertificate(core::AsBytes(nitro.Ca().RootPem()));
  ASSERT_TRUE(cert);
  const std::string der = Write("root.der", core::CertificateDer(cert->get()));
  const Outcome run = RunCli(
      {"verify", "--doc", Write("sim.cbor", nitro.Mint()), "--root", der, "--json", "--any-image"},
      core::UnixMillis{testing::kVirtualNow.value + 2000});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(run.Json()["trust"]["root"], "custom");
  const Outcome garbage =
      RunCli({"verify", "--doc", Genuine("marlin_2024-02-26"), "--any-image", "--root",
              Write("root.bin", core::Bytes{0x30, 0x82, 0x01, 0x00, 0x02})});
  EXPECT_EQ(garbage.exit_code, 2);
  EXPECT_EQ(garbage.err.rfind("enclavectl: CERT_PARSE: ", 0), 0U) << garbage.err;
  for (const char* openssl : {"routines", "error:0", "asn1", "ASN1"}) {
    EXPECT_EQ(garbage.err.find(openssl), std::string::npos) << garbage.err;
  }
}

TEST_F(VerifyCli, TamperedDocumentIsRejected) {
  core::Bytes doc = testing::ReadBytes(Genuine("sparsity_2023-09-28"));
  doc.back() ^= 1;
  const Outcome run = RunCli(
      {"verify", "--doc", Write("tampered.cbor", doc), "--at", "doc", "--json", "--any-image"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.Json()["error"]["code"], "SIGNATURE_INVALID");
  const Outcome text =
      RunCli({"verify", "--doc", Write("tampered2.cbor", doc), "--at", "doc", "--any-image"});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_EQ(text.out.rfind("REJECTED (SIGNATURE_INVALID)", 0), 0U) << text.out;
}

TEST_F(VerifyCli, MalformedDocumentExitsTwo) {
  const core::Bytes doc = testing::ReadBytes(Genuine("eternis_2024-07-31"));
  const Outcome run = RunCli({"verify", "--doc", Write("cut.cbor", core::ByteView(doc).first(500)),
                              "--at", "doc", "--json", "--any-image"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.Json()["verdict"], "malformed");
  EXPECT_EQ(run.Json()["error"]["code"], "TRUNCATED");
  const Outcome garbage =
      RunCli({"verify", "--doc", Write("garbage.txt", core::AsBytes("hello!")), "--any-image"});
  EXPECT_EQ(garbage.exit_code, 2);
  EXPECT_NE(garbage.err.find("INPUT_ENCODING"), std::string::npos);
}

TEST_F(VerifyCli, Base64AndHexFilesAreDetected) {
  const core::Bytes doc = testing::ReadBytes(Genuine("sparsity_2023-09-28"));
  const Outcome b64 =
      RunCli({"verify", "--doc", Write("doc.b64", core::AsBytes(core::Base64Encode(doc) + "\n")),
              "--at", "doc", "--json", "--any-image"});
  EXPECT_EQ(b64.exit_code, 0);
  EXPECT_EQ(b64.Json()["input"]["encoding"], "base64");
  const Outcome hex =
      RunCli({"verify", "--doc", Write("doc.hex", core::AsBytes(core::HexEncode(doc))), "--at",
              "doc", "--json", "--any-image"});
  EXPECT_EQ(hex.exit_code, 0);
  EXPECT_EQ(hex.Json()["input"]["encoding"], "hex");
}

TEST_F(VerifyCli, ExpectedPcrsFromFlagsAndFiles) {
  const std::string doc = Genuine("evervault_2022-10-13_valid");
  const std::string pcr0 =
      "f4d48b81a460c9916d1e685119074bf24660afd3e34fae9fca0a0d28d9d5599936332687e6f66fc890ac8cf15014"
      "2d8b";
  EXPECT_EQ(RunCli({"verify", "--doc", doc, "--at", "doc", "--expect-pcr", "0=" + pcr0}).exit_code,
            0);
  const Outcome wrong = RunCli({"verify", "--doc", doc, "--at", "doc", "--json", "--expect-pcr",
                                "0=" + std::string(96, 'a')});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_EQ(wrong.Json()["error"]["code"], "PCR_MISMATCH");
  EXPECT_EQ(wrong.Json()["error"]["index"], 0);
  const std::string sets =
      Write("pcrs.json",
            core::AsBytes(R"([{"PCR0": ")" + std::string(96, 'b') +
                          R"("}, {"Measurements": {"HashAlgorithm": "Sha384 { ... }", "PCR0": ")" +
                          pcr0 + R"("}}])"));
  const Outcome matched =
      RunCli({"verify", "--doc", doc, "--at", "doc", "--json", "--expect-pcrs", sets});
  EXPECT_EQ(matched.exit_code, 0);
  EXPECT_EQ(matched.Json()["matched_pcr_set"], 1);
  const Outcome bad_file = RunCli({"verify", "--doc", doc, "--at", "doc", "--json", "--expect-pcrs",
                                   Write("bad.json", core::AsBytes("{\"PCR0\": 1}"))});
  EXPECT_EQ(bad_file.exit_code, 2);
  EXPECT_EQ(bad_file.Json()["error"]["code"], "POLICY_INVALID");
  EXPECT_EQ(
      RunCli({"verify", "--doc", doc, "--expect-pcrs", (dir_ / "none.json").string()}).exit_code,
      74);
}

TEST_F(VerifyCli, DevelopmentRootAndKeyBindingOptions) {
  const auto& nitro = testing::VirtualNitro::Get();
  const std::string root = Write("dev-root.pem", core::AsBytes(nitro.Ca().RootPem()));
  verifier::devca::DocumentSpec spec;
  spec.nonce = core::Bytes(20, 0xab);
  const std::string doc = Write("sim.cbor", nitro.Mint(spec));
  const core::UnixMillis at{testing::kVirtualNow.value + 2000};
  const Outcome run =
      RunCli({"verify", "--doc", doc, "--root", root, "--json", "--expect-nonce",
              core::HexEncode(core::Bytes(20, 0xab)), "--max-age", "1m", "--any-image"},
             at);
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(run.Json()["trust"]["root"], "custom");
  // Without --root the AWS root refuses the development document.
  const Outcome aws = RunCli({"verify", "--doc", doc, "--json", "--any-image"}, at);
  EXPECT_EQ(aws.exit_code, 1);
  EXPECT_EQ(aws.Json()["error"]["code"], "CHAIN_ROOT_MISMATCH");
  // The default document does not bind the generator key into PCR16 (PCR16 absent).
  const Outcome bound =
      RunCli({"verify", "--doc", doc, "--root", root, "--json", "--any-image", "--expect-key",
              "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"},
             at);
  EXPECT_EQ(bound.exit_code, 1);
  EXPECT_EQ(bound.Json()["error"]["code"], "PCR_MISSING");
  EXPECT_EQ(bound.Json()["error"]["index"], 16);
}

TEST_F(VerifyCli, UsageErrorsExit64) {
  const std::string doc = Genuine("marlin_2024-02-26");
  EXPECT_EQ(RunCli({}).exit_code, 64);
  EXPECT_EQ(RunCli({"verify"}).exit_code, 64);
  EXPECT_EQ(RunCli({"verify", "--doc", doc, "--bogus"}).exit_code, 64);
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--at", "yesterday"},
                                               {"--expect-pcr", "0=xyz"},
                                               {"--expect-pcr", "40=" + std::string(96, 'a')},
                                               {"--max-age", "soon"},
                                               {"--expect-key", "02ab"},
                                               {"--expect-app-key-hash", "abcd"},
                                               {"--expect-nonce", "zz"},
                                               {"--at", "doc", "--max-age", "5m"}}) {
    std::vector<std::string> full = {"verify", "--doc",        doc,
                                     "--json", "--expect-pcr", "1=" + std::string(96, 'a')};
    full.insert(full.end(), args.begin(), args.end());
    const Outcome run = RunCli(full);
    EXPECT_EQ(run.exit_code, 64) << args[0];
    EXPECT_EQ(run.Json()["error"]["code"], "INVALID_ARGUMENT") << args[0];
  }
  EXPECT_EQ(
      RunCli({"verify", "--doc", doc, "--expect-app-key", "02", "--expect-app-key-hash", "00"})
          .exit_code,
      64);
}

// Secure by default: without an expectation about the image, verify refuses (64) and names
// the flags; --any-image says so on purpose, and contradicts an image expectation.
TEST_F(VerifyCli, NoImageExpectationIsAUsageErrorUnlessAnyImage) {
  const std::string doc = Genuine("evervault_2022-10-13_valid");
  const Outcome refused = RunCli({"verify", "--doc", doc, "--at", "doc", "--json"});
  EXPECT_EQ(refused.exit_code, 64);
  EXPECT_EQ(refused.Json()["error"]["code"], "INVALID_ARGUMENT");
  const std::string detail = refused.Json()["error"]["message"].get<std::string>();
  for (const char* flag :
       {"--expect-pcr0", "--expect-pcr", "--expect-pcrs", "--verify-build", "--any-image"}) {
    EXPECT_NE(detail.find(flag), std::string::npos) << flag << ": " << detail;
  }
  // Other expectations are not about the image.
  EXPECT_EQ(RunCli({"verify", "--doc", doc, "--at", "doc", "--expect-nonce", "00"}).exit_code, 64);
  const Outcome text = RunCli({"verify", "--doc", doc, "--at", "doc"});
  EXPECT_EQ(text.exit_code, 64);
  EXPECT_NE(text.err.find("--any-image"), std::string::npos) << text.err;
  const Outcome any = RunCli({"verify", "--doc", doc, "--at", "doc", "--json", "--any-image"});
  EXPECT_EQ(any.exit_code, 0) << any.out;
  EXPECT_EQ(any.Json()["any_image"], true);
  EXPECT_EQ(any.Json()["image_checked"], false);
  EXPECT_EQ(
      RunCli({"verify", "--doc", doc, "--any-image", "--expect-pcr0", kEvervaultPcr0}).exit_code,
      64);
  // The service-side expectations need a service.
  EXPECT_EQ(RunCli({"verify", "--doc", doc, "--any-image", "--expect-kms-key",
                    "arn:aws:kms:us-east-1:111122223333:key/k"})
                .exit_code,
            64);
  EXPECT_EQ(RunCli({"verify", "--doc", doc, "--any-image", "--check-key-policy"}).exit_code, 64);
}

TEST_F(VerifyCli, IoErrorsExit74) {
  const Outcome missing =
      RunCli({"verify", "--doc", (dir_ / "missing.cbor").string(), "--json", "--any-image"});
  EXPECT_EQ(missing.exit_code, 74);
  EXPECT_EQ(missing.Json()["error"]["code"], "IO_READ");
  EXPECT_EQ(RunCli({"verify", "--doc", Genuine("marlin_2024-02-26"), "--any-image", "--root",
                    (dir_ / "missing.pem").string()})
                .exit_code,
            74);
  const Outcome bad_root = RunCli({"verify", "--doc", Genuine("marlin_2024-02-26"), "--any-image",
                                   "--root", Write("root.pem", core::AsBytes("not a pem"))});
  EXPECT_EQ(bad_root.exit_code, 2);
  EXPECT_NE(bad_root.err.find("CERT_PARSE"), std::string::npos);
}

// BIP-340 test vector 0 (../shared/testdata/bitcoin/bip340_test_vectors.csv).
constexpr const char* kBip340Key =
    "F9308A019258C31049344F85F89D5229B531C845836F99B08601F113BCE036F9";
constexpr const char* kBip340Signature =
    "E907831F80848D1069A5371B402410364BDF1C5F8307B0084C55F1CE2DCA821525F66A4A85EA8B71E482A74F38"
    "2D2CE5EBEEE8FDB2172F477DF4900D310536C0";

// enclavectl signature: hex as pasted, snake_case JSON whose verdict follows the exit code, a
// failure line on standard error.
TEST(SignatureCli, JsonKeysAreSnakeCaseAndTheVerdictFollowsTheExitCode) {
  std::string bad = kBip340Signature;
  bad.back() = bad.back() == '0' ? '1' : '0';
  const std::string digest = "0x" + std::string(64, '0');
  for (const auto& [signature, exit_code] :
       std::vector<std::pair<std::string, int>>{{kBip340Signature, 0}, {bad, 1}}) {
    const Outcome run =
        RunCli({"signature", "verify", "--scheme", "bip340", "--public-key",
                std::string(" 0x") + kBip340Key + "\n", "--digest", digest, "--signature",
                signature.substr(0, 64) + "\n" + signature.substr(64), "--json"});
    EXPECT_EQ(run.exit_code, exit_code) << run.out << run.err;
    testing::ExpectSnakeCaseKeys(run.Json());
    testing::ExpectVerdictForExit(run.Json(), run.exit_code);
  }
  const Outcome text = RunCli({"signature", "verify", "--scheme", "bip340", "--public-key",
                               kBip340Key, "--digest", digest, "--signature", bad});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_EQ(text.out.rfind("INVALID: ", 0), 0U) << text.out;
  EXPECT_EQ(text.err.rfind("enclavectl: APP_SIGNATURE_INVALID: ", 0), 0U) << text.err;
}

TEST(Cli, VersionHelpAndErrors) {
  const Outcome version = RunCli({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("enclavectl "), std::string::npos);
  const Outcome help = RunCli({"verify", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Examples"), std::string::npos);
  EXPECT_NE(help.out.find("Exit codes"), std::string::npos);
  for (const char* flag : {"--any-image", "--expect-kms-key", "--expect-blockhash",
                           "--check-key-policy", "--endpoint-url"}) {
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
  }
  const Outcome errors = RunCli({"errors", "--json"});
  EXPECT_EQ(errors.exit_code, 0);
  EXPECT_GE(errors.Json()["codes"].size(), 40U);
  const Outcome one = RunCli({"errors", "301"});
  EXPECT_EQ(one.exit_code, 0);
  EXPECT_NE(one.out.find("CERT_EXPIRED"), std::string::npos);
  EXPECT_EQ(RunCli({"errors", "NO_SUCH_CODE"}).exit_code, 64);
}

// `migration pubkey` prints the maintainer_pubkey of an image config: BIP-340 vector 0's key
// (secret 3) has x-only key f9308a01...; the secret is never printed; invalid keys refused.
TEST(MigrationCli, PubkeyPrintsTheXOnlyKeyOfTheImageConfig) {
  testing::ScopedTempDir dir;
  const std::string key_file =
      dir.Write("maintainer.hex", core::AsBytes(std::string(63, '0') + "3\n"));
  const Outcome text = RunCli({"migration", "pubkey", "--key", key_file});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out, "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9\n");
  const Outcome json = RunCli({"migration", "pubkey", "--key", key_file, "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(json.Json()["maintainer_pubkey"],
            "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9");
  EXPECT_EQ(json.out.find(std::string(63, '0') + "3"), std::string::npos);
  // Zero and the group order n are not secret keys; a file that is not 64 hex digits; none.
  for (const std::string& bad :
       {std::string(64, '0'),
        std::string("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"),
        std::string("not a key")}) {
    const std::string file = dir.Write("bad.hex", core::AsBytes(bad));
    const Outcome refused = RunCli({"migration", "pubkey", "--key", file});
    EXPECT_EQ(refused.exit_code, 64) << bad;
    EXPECT_EQ(refused.out, "") << bad;
    EXPECT_EQ(refused.err.find(bad), std::string::npos) << "the key file's content was echoed";
  }
  EXPECT_EQ(RunCli({"migration", "pubkey", "--key", (dir.Path() / "absent").string()}).exit_code,
            74);
}

// Issue 14 item 4: `migration sign` makes the maintainer authorization the protocol checks.
TEST(MigrationCli, SignMakesAVerifiableMaintainerAuthorization) {
  testing::ScopedTempDir dir;
  // BIP-340 vector 0's key (secret 3), x-only f9308a01...
  const std::string key_file =
      dir.Write("maintainer.hex", core::AsBytes(std::string(63, '0') + "3\n"));
  const std::string xonly = "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9";
  const std::string pcr0(96, 'B');
  const Outcome signed_out = RunCli({"migration", "sign", "--key", key_file, "--target-pcr0", pcr0,
                                     "--activation-time", "1700090000"});
  ASSERT_EQ(signed_out.exit_code, 0) << signed_out.err;
  ASSERT_EQ(signed_out.out.size(), 129U) << signed_out.out;
  const std::string signature = signed_out.out.substr(0, 128);
  EXPECT_NE(signed_out.out.find(std::string(63, '0')), 0U);  // the key is never printed
  EXPECT_TRUE(verifier::VerifyMaintainerAuthorization(xonly, pcr0, 1700090000, signature));
  EXPECT_TRUE(
      verifier::VerifyMaintainerAuthorization(xonly, std::string(96, 'b'), 1700090000, signature));
  for (const auto& [target, time] : {std::pair<std::string, std::int64_t>{pcr0, 1700090001},
                                     {std::string(96, 'c'), 1700090000}}) {
    auto refused = verifier::VerifyMaintainerAuthorization(xonly, target, time, signature);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, core::ErrorCode::kMaintainerSignatureInvalid);
  }
  const Outcome json = RunCli({"migration", "sign", "--key", key_file, "--target-pcr0",
                               std::string(96, '0'), "--activation-time", "1700000000", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(json.Json()["message_sha256"],
            "b13ca9c854498a6cefb6c7806ead1ad61a96548ad265654df77003ca75df9517");
  EXPECT_EQ(json.out.find(std::string(63, '0') + "3"), std::string::npos);
  // Usage errors: a short PCR0, a non-positive time, a key file that is not 64 hex digits.
  EXPECT_EQ(RunCli({"migration", "sign", "--key", key_file, "--target-pcr0", "abcd",
                    "--activation-time", "1"})
                .exit_code,
            64);
  EXPECT_EQ(RunCli({"migration", "sign", "--key", key_file, "--target-pcr0", pcr0,
                    "--activation-time", "0"})
                .exit_code,
            64);
  const std::string bad_key = dir.Write("bad.hex", core::AsBytes(std::string("not a key")));
  const Outcome bad = RunCli(
      {"migration", "sign", "--key", bad_key, "--target-pcr0", pcr0, "--activation-time", "1"});
  EXPECT_EQ(bad.exit_code, 64);
  EXPECT_EQ(bad.err.find("not a key"), std::string::npos);
  EXPECT_EQ(RunCli({"migration", "sign", "--key", (dir.Path() / "absent").string(), "--target-pcr0",
                    pcr0, "--activation-time", "1"})
                .exit_code,
            74);
}

}  // namespace
}  // namespace enclavectl::cli
