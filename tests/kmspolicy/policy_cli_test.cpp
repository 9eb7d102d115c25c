// `enclavectl policy generate | lint | simulate` and the offline parts of `lock-policy`, run
// in-process: exit codes, text and JSON output, the operator's path generate -> lint ->
// simulate with a verified document (the virtual Nitro's, trusting its root explicitly).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/kmspolicy/lint.hpp"
#include "enclavectl/kmspolicy/policy.hpp"
#include "enclavectl/verifier/devca.hpp"
#include "json_conventions.hpp"
#include "test_paths.hpp"
#include "virtual_nitro.hpp"

namespace enclavectl::cli {
namespace {

using testing::VirtualNitro;

constexpr const char* kRole = "arn:aws:iam::111122223333:role/enclave";
constexpr const char* kSession = "arn:aws:sts::111122223333:assumed-role/enclave/i-0abc";

using testing::CliResult;

constexpr const char* kGenerateMedia = "application/vnd.enclavectl.policy-generate+json;version=1";
constexpr const char* kLintMedia = "application/vnd.enclavectl.policy-lint+json;version=1";
constexpr const char* kSimulateMedia = "application/vnd.enclavectl.policy-simulate+json;version=1";
constexpr const char* kLockMedia = "application/vnd.enclavectl.lock-policy+json;version=1";

// At the virtual Nitro's time, so that its documents verify.
CliResult RunCli(std::vector<std::string> args, const std::string& input = "") {
  static const core::io::FixedClock clock(core::UnixMillis{testing::kVirtualNow.value + 2000});
  return testing::RunCli(std::move(args), clock, input);
}

class PolicyCli : public ::testing::Test {
 protected:
  PolicyCli() {
    dir_ = std::filesystem::temp_directory_path() /
           ("enclavectl-policy-cli-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    const verifier::AttestationDocument fields = VirtualNitro::Get().Fields();
    std::ofstream(Path("pcr.json"))
        << "{\"PCR0\": \"" << core::HexEncode(fields.pcrs.at(0)) << "\", \"PCR1\": \""
        << core::HexEncode(fields.pcrs.at(1)) << "\", \"PCR2\": \""
        << core::HexEncode(fields.pcrs.at(2)) << "\"}";
    std::ofstream(Path("doc.b64")) << core::Base64Encode(VirtualNitro::Get().Mint());
    std::ofstream(Path("root.pem")) << VirtualNitro::Get().Ca().RootPem();
  }
  ~PolicyCli() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(Path(name)) << text;
    return Path(name);
  }
  std::vector<std::string> Generate(std::vector<std::string> extra) const {
    std::vector<std::string> args = {"policy",       "generate",       "--account",
                                     "111122223333", "--enclave-role", kRole};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  std::filesystem::path dir_;
};

TEST_F(PolicyCli, GenerateLintSimulate) {
  const CliResult generated =
      RunCli(Generate({"--pcrs", Path("pcr.json"), "--out", Path("p.json")}));
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  EXPECT_TRUE(generated.out.empty());
  EXPECT_NE(generated.err.find("standard policy"), std::string::npos);
  EXPECT_NE(generated.err.find("pins PCR0,PCR1,PCR2"), std::string::npos);
  EXPECT_NE(generated.err.find("enclave-only yes, locked no"), std::string::npos);

  const CliResult lint = RunCli({"policy", "lint", Path("p.json")});
  EXPECT_EQ(lint.exit_code, 0) << lint.out;
  EXPECT_NE(lint.out.find("enclave-only  yes"), std::string::npos);
  EXPECT_NE(lint.out.find("locked        no"), std::string::npos);
  EXPECT_NE(lint.out.find("admin-can-rewrite-policy"), std::string::npos);
  EXPECT_NE(lint.out.find("required: enclave-only -> PASS"), std::string::npos);
  const CliResult strict =
      RunCli({"policy", "lint", Path("p.json"), "--require", "enclave-only,locked"});
  EXPECT_EQ(strict.exit_code, 1);
  EXPECT_NE(strict.out.find("FAIL (POLICY_NOT_LOCKED)"), std::string::npos);

  // The enclave, presenting a document the verifier accepts against the development root.
  const CliResult allowed =
      RunCli({"policy", "simulate", Path("p.json"), "--principal", kSession, "--action",
              "kms:Decrypt", "--attestation", Path("doc.b64"), "--root", Path("root.pem")});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.out << allowed.err;
  EXPECT_NE(allowed.out.find("ALLOW  kms:Decrypt"), std::string::npos);
  EXPECT_NE(allowed.out.find("statement 0 (EnclaveAttestedUse)"), std::string::npos);
  EXPECT_NE(allowed.out.find("verified at"), std::string::npos);
  // Without the document: the Deny of unattested calls decides.
  const CliResult denied = RunCli(
      {"policy", "simulate", Path("p.json"), "--principal", kSession, "--action", "kms:Decrypt"});
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_NE(denied.out.find("DENY"), std::string::npos);
  EXPECT_NE(denied.out.find("DenyUnattestedSecretUse"), std::string::npos);
  // The document against the pinned AWS root: refused, not used (exit 1, chain error).
  const CliResult untrusted = RunCli({"policy", "simulate", Path("p.json"), "--principal", kSession,
                                      "--action", "kms:Decrypt", "--attestation", Path("doc.b64")});
  EXPECT_EQ(untrusted.exit_code, 1);
  EXPECT_NE(untrusted.err.find("CHAIN_ROOT_MISMATCH"), std::string::npos);
  // At a time when the enclave's leaf certificate has expired.
  const CliResult expired = RunCli({"policy", "simulate", Path("p.json"), "--principal", kSession,
                                    "--action", "kms:Decrypt", "--attestation", Path("doc.b64"),
                                    "--root", Path("root.pem"), "--at", "2030-01-01T00:00:00Z"});
  EXPECT_EQ(expired.exit_code, 1);
  EXPECT_NE(expired.err.find("CERT_EXPIRED"), std::string::npos);
}

TEST_F(PolicyCli, JsonOutputs) {
  const CliResult generated =
      RunCli(Generate({"--attestation", Path("doc.b64"), "--root", Path("root.pem"), "--at", "doc",
                       "--locked", "--json"}));
  ASSERT_EQ(generated.exit_code, 0) << generated.out << generated.err;
  const nlohmann::json g = nlohmann::json::parse(generated.out);
  testing::ExpectJsonConventions(generated.out, kGenerateMedia, 0);
  EXPECT_EQ(g["variant"], "locked");
  EXPECT_EQ(g["pinned_pcrs"], "PCR0,PCR1,PCR2");
  EXPECT_EQ(g["lint"]["properties"]["locked"]["holds"], true);
  const std::string policy_path = Write("locked.json", g["policy"].dump(2));

  const CliResult lint =
      RunCli({"policy", "lint", policy_path, "--require", "enclave-only,locked", "--json"});
  EXPECT_EQ(lint.exit_code, 0);
  const nlohmann::json l = nlohmann::json::parse(lint.out);
  testing::ExpectJsonConventions(lint.out, kLintMedia, 0);
  EXPECT_EQ(l["checks"], nlohmann::json::parse(R"([{"name": "enclave_only", "status": "pass"},
                                                   {"name": "locked", "status": "pass"}])"));
  EXPECT_EQ(l["required"], (nlohmann::json{"enclave-only", "locked"}));
  ASSERT_FALSE(l["findings"].empty());
  EXPECT_EQ(l["findings"][0]["rule"], "lockout-risk");

  const CliResult sim = RunCli({"policy", "simulate", policy_path, "--principal", "111122223333",
                                "--action", "kms:PutKeyPolicy", "--json"});
  EXPECT_EQ(sim.exit_code, 1);
  const nlohmann::json s = nlohmann::json::parse(sim.out);
  testing::ExpectJsonConventions(sim.out, kSimulateMedia, 1);
  EXPECT_EQ(s["verdict"], "rejected");
  EXPECT_FALSE(s.contains("decision"));
  EXPECT_TRUE(s["deciding_statement"].is_null());
  EXPECT_EQ(s["warnings"], nlohmann::json::array());
  EXPECT_EQ(s["request"]["context"]["kms:calleraccount"], (nlohmann::json{"111122223333"}));
}

TEST_F(PolicyCli, LintFailuresAndMalformedInput) {
  const std::string open = Write("open.json", R"({"Version": "2012-10-17", "Statement": [
      {"Sid": "Everything", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
       "Action": "kms:*", "Resource": "*"}]})");
  const CliResult lint = RunCli({"policy", "lint", open});
  EXPECT_EQ(lint.exit_code, 1);
  EXPECT_NE(lint.out.find("FAIL (POLICY_NOT_ENCLAVE_ONLY)"), std::string::npos);
  EXPECT_NE(lint.out.find("error   missing-attestation-condition"), std::string::npos);
  const CliResult json = RunCli({"policy", "lint", open, "--json"});
  EXPECT_EQ(json.exit_code, 1);
  EXPECT_EQ(nlohmann::json::parse(json.out)["error"]["code"], "POLICY_NOT_ENCLAVE_ONLY");
  testing::ExpectJsonConventions(json.out, kLintMedia, 1);
  EXPECT_EQ(nlohmann::json::parse(json.out)["checks"][0]["status"], "fail");
  EXPECT_EQ(nlohmann::json::parse(json.out)["checks"][1]["status"], "skipped");
  EXPECT_EQ(RunCli({"policy", "lint", open, "--require", "none"}).exit_code, 0);

  const CliResult malformed = RunCli({"policy", "lint", Write("bad.json", "{\"Statement\": [")});
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_NE(malformed.err.find("POLICY_JSON"), std::string::npos);
  const CliResult typo = RunCli(
      {"policy", "lint",
       Write(
           "typo.json",
           R"({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*", "Condtion": {}}]})"),
       "--json"});
  EXPECT_EQ(typo.exit_code, 2);
  const nlohmann::json t = nlohmann::json::parse(typo.out);
  EXPECT_EQ(t["error"]["code"], "POLICY_STRUCTURE");
  EXPECT_EQ(t["error"]["index"], 0);
  EXPECT_EQ(RunCli({"policy", "lint", Path("missing.json")}).exit_code, 74);
  // A file name that is not UTF-8 still gives a JSON error, not a crash.
  const CliResult not_utf8 = RunCli({"policy", "lint", Path("\xff\xfe.json"), "--json"});
  EXPECT_EQ(not_utf8.exit_code, 74);
  EXPECT_EQ(nlohmann::json::parse(not_utf8.out)["error"]["code"], "IO_READ");
  EXPECT_EQ(RunCli({"policy", "lint", open, "--require", "secure"}).exit_code, 64);
  // Unsupported constructs are not guessed: exit 2.
  const std::string dated =
      Write("dated.json", R"({"Statement": [{"Effect": "Allow", "Principal": "*",
      "Action": "kms:DescribeKey", "Resource": "*",
      "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}}]})");
  const CliResult unsupported =
      RunCli({"policy", "simulate", dated, "--principal", kSession, "--action", "kms:DescribeKey"});
  EXPECT_EQ(unsupported.exit_code, 2);
  EXPECT_NE(unsupported.err.find("POLICY_UNSUPPORTED"), std::string::npos);
}

// Issue 12 item 1: a Deny whose Resource names another key protects nothing here. Allow
// everything to everyone, with Denies of unattested and other-image calls scoped to a key in
// another region: lint says neither enclave-only nor locked, with or without --key-arn, and
// simulate agrees (an outsider without attestation decrypts). The same Denies on "*", or on
// the key's own ARN with --key-arn, make it both.
std::string ScopedDenies(const std::string& resource) {
  const std::string image = "kms:RecipientAttestation:ImageSha384";
  return R"({"Version": "2012-10-17", "Statement": [
      {"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
      {"Sid": "DenyUnattested", "Effect": "Deny", "Principal": "*", "Action": "*",
       "Resource": ")" +
         resource + R"(", "Condition": {"Null": {")" + image + R"(": "true"}}},
      {"Sid": "DenyOtherImages", "Effect": "Deny", "Principal": "*",
       "Action": ["kms:Decrypt", "kms:DeriveSharedSecret", "kms:GenerateDataKey*"],
       "Resource": ")" +
         resource + R"(", "Condition": {"StringNotEqualsIgnoreCase": {")" + image + R"(": ")" +
         std::string(96, 'a') + R"("}}}]})";
}

constexpr const char* kKeyArn =
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
constexpr const char* kOutsider = "arn:aws:sts::444455556666:assumed-role/outsider/x";

TEST_F(PolicyCli, LintKeyArnScopesDenies) {
  const std::string other =
      Write("other.json", ScopedDenies("arn:aws:kms:eu-west-1:111122223333:key/other"));
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{}, std::vector<std::string>{"--key-arn", kKeyArn}}) {
    std::vector<std::string> args = {"policy", "lint", other, "--require", "none"};
    args.insert(args.end(), extra.begin(), extra.end());
    const CliResult lint = RunCli(args);
    EXPECT_EQ(lint.exit_code, 0) << lint.err;
    EXPECT_NE(lint.out.find("enclave-only  no"), std::string::npos) << lint.out;
    EXPECT_NE(lint.out.find("locked        no"), std::string::npos) << lint.out;
    args[4] = "enclave-only";
    EXPECT_EQ(RunCli(args).exit_code, 1);
    args[4] = "locked";
    EXPECT_EQ(RunCli(args).exit_code, 1);
  }
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{}, std::vector<std::string>{"--key-arn", kKeyArn}}) {
    std::vector<std::string> args = {"policy",  "simulate", other,        "--principal",
                                     kOutsider, "--action", "kms:Decrypt"};
    args.insert(args.end(), extra.begin(), extra.end());
    const CliResult simulate = RunCli(args);
    EXPECT_EQ(simulate.exit_code, 0) << simulate.out;
    EXPECT_EQ(simulate.out.rfind("ALLOW", 0), 0U) << simulate.out;
  }
  // Resource "*": both verdicts hold, with or without the ARN.
  const std::string star = Write("star.json", ScopedDenies("*"));
  EXPECT_EQ(RunCli({"policy", "lint", star, "--require", "enclave-only,locked"}).exit_code, 0);
  EXPECT_EQ(
      RunCli({"policy", "lint", star, "--require", "enclave-only,locked", "--key-arn", kKeyArn})
          .exit_code,
      0);
  // The key's own ARN: counts with --key-arn only.
  const std::string own = Write("own.json", ScopedDenies(kKeyArn));
  const CliResult known = RunCli(
      {"policy", "lint", own, "--require", "enclave-only,locked", "--key-arn", kKeyArn, "--json"});
  EXPECT_EQ(known.exit_code, 0) << known.out;
  const nlohmann::json k = nlohmann::json::parse(known.out);
  EXPECT_EQ(k["key_arn"], kKeyArn);
  EXPECT_EQ(k["properties"]["enclave_only"]["holds"], true) << known.out;
  EXPECT_EQ(RunCli({"policy", "lint", own, "--require", "enclave-only"}).exit_code, 1);
  EXPECT_EQ(RunCli({"policy", "simulate", own, "--principal", kOutsider, "--action", "kms:Decrypt",
                    "--key-arn", kKeyArn})
                .exit_code,
            1);
  // --key-arn must be a key ARN.
  const CliResult bad = RunCli({"policy", "lint", own, "--key-arn", "alias/x", "--json"});
  EXPECT_EQ(bad.exit_code, 64);
  EXPECT_EQ(nlohmann::json::parse(bad.out)["error"]["code"], "INVALID_ARGUMENT");
  const CliResult help = RunCli({"policy", "lint", "--help"});
  EXPECT_NE(help.out.find("--key-arn"), std::string::npos);
  EXPECT_NE(help.out.find("key-injection"), std::string::npos);
}

// lock-policy lints for the key it locks: a Deny on that key's ARN counts, one on another
// key's does not.
TEST_F(PolicyCli, LockPolicyLintsForItsKey) {
  auto policy = [](const std::string& deny_resource) {
    const verifier::AttestationDocument fields = VirtualNitro::Get().Fields();
    return R"({"Version": "2012-10-17", "Statement": [
      {"Sid": "EnclaveAttestedUse", "Effect": "Allow", "Principal": {"AWS": ")" +
           std::string(kRole) + R"("}, "Action": "kms:Decrypt", "Resource": "*",
       "Condition": {"StringEqualsIgnoreCase": {"kms:RecipientAttestation:ImageSha384": ")" +
           core::HexEncode(fields.pcrs.at(0)) + R"("}}},
      {"Sid": "EnclaveEncrypt", "Effect": "Allow", "Principal": {"AWS": ")" +
           std::string(kRole) +
           R"("}, "Action": "kms:Encrypt", "Resource": "*"},
      {"Sid": "DenyUnattested", "Effect": "Deny", "Principal": "*",
       "Action": ["kms:Encrypt", "kms:ReEncrypt*", "kms:CreateGrant"], "Resource": ")" +
           deny_resource + R"(",
       "Condition": {"Null": {"kms:RecipientAttestation:ImageSha384": "true"}}}]})";
  };
  const CliResult own =
      RunCli({"lock-policy", "--key-id", kKeyArn, "--policy", Write("own.json", policy(kKeyArn))});
  EXPECT_EQ(own.exit_code, 0) << own.out << own.err;
  EXPECT_NE(own.out.find("enclave-only  yes"), std::string::npos);
  const CliResult other = RunCli(
      {"lock-policy", "--key-id", kKeyArn, "--policy",
       Write("other.json",
             policy("arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab")),
       "--apply", "--yes"});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.err.find("POLICY_NOT_ENCLAVE_ONLY"), std::string::npos) << other.err;
  EXPECT_NE(other.out.find("key-injection"), std::string::npos);
}

// Issue 12 item 2: generate no longer offers encrypt, and says why.
TEST_F(PolicyCli, GenerateRefusesEncrypt) {
  const CliResult refused =
      RunCli(Generate({"--pcrs", Path("pcr.json"), "--actions", "decrypt,encrypt"}));
  EXPECT_EQ(refused.exit_code, 64);
  EXPECT_NE(refused.err.find("key injection"), std::string::npos) << refused.err;
  const CliResult help = RunCli({"policy", "generate", "--help"});
  EXPECT_EQ(help.out.find("generate-random, encrypt"), std::string::npos);
}

TEST_F(PolicyCli, GenerateFromAnEifImage) {
  const std::filesystem::path fixture =
      testing::TestdataDir() / "eif" / "oracle_aarch64_signed-p384";
  const nlohmann::json expected = testing::ReadJson(fixture.string() + ".json")["expected"];
  const CliResult generated =
      RunCli(Generate({"--eif", fixture.string() + ".eif", "--out", Path("eif.json")}));
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  const std::string policy = testing::ReadText(Path("eif.json"));
  for (const char* pcr : {"PCR0", "PCR1", "PCR2", "PCR8"}) {
    EXPECT_NE(policy.find(expected[pcr].get<std::string>()), std::string::npos) << pcr;
  }
  EXPECT_EQ(RunCli({"policy", "lint", Path("eif.json"), "--require", "enclave-only"}).exit_code, 0);
  // A missing image is an I/O error; a damaged one is refused with its EIF code.
  EXPECT_EQ(RunCli(Generate({"--eif", Path("missing.eif")})).exit_code, 74);
  core::Bytes damaged = testing::ReadBytes(fixture.string() + ".eif");
  damaged[600] ^= 1;  // inside the kernel section: the CRC no longer matches
  std::ofstream(Path("damaged.eif"), std::ios::binary)
      .write(reinterpret_cast<const char*>(damaged.data()),
             static_cast<std::streamsize>(damaged.size()));  // NOLINT
  const CliResult refused = RunCli(Generate({"--eif", Path("damaged.eif")}));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("EIF_CRC_MISMATCH"), std::string::npos) << refused.err;
}

// Issue 19: an action KMS does not know, or a principal that is no ARN / "*" / account id /
// service principal, is warned about (stderr, and "warnings" in JSON); the decision stays the
// evaluator's.
TEST_F(PolicyCli, SimulateWarnsOnUnknownActionAndMalformedPrincipal) {
  const std::string open = Write("open.json", R"({"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]})");
  const CliResult typo = RunCli(
      {"policy", "simulate", open, "--principal", kSession, "--action", "kms:Decrpyt", "--json"});
  EXPECT_EQ(typo.exit_code, 0) << typo.out << typo.err;  // "*" allows it: unchanged
  testing::ExpectJsonConventions(typo.out, kSimulateMedia, 0);
  const nlohmann::json t = nlohmann::json::parse(typo.out);
  ASSERT_EQ(t["warnings"].size(), 1U) << typo.out;
  EXPECT_NE(t["warnings"][0].get<std::string>().find("kms:Decrpyt"), std::string::npos);
  EXPECT_NE(typo.err.find("warning: action kms:Decrpyt is not a KMS action"), std::string::npos)
      << typo.err;

  const std::string policy = Write("p.json", RunCli(Generate({"--pcrs", Path("pcr.json")})).out);
  const CliResult principal = RunCli({"policy", "simulate", policy, "--principal", "enclave",
                                      "--action", "kms:Decrypt", "--json"});
  EXPECT_EQ(principal.exit_code, 1);
  testing::ExpectJsonConventions(principal.out, kSimulateMedia, 1);
  const nlohmann::json p = nlohmann::json::parse(principal.out);
  ASSERT_EQ(p["warnings"].size(), 1U) << principal.out;
  EXPECT_NE(p["warnings"][0].get<std::string>().find("principal enclave is not an ARN"),
            std::string::npos);
  const CliResult text =
      RunCli({"policy", "simulate", policy, "--principal", "enclave", "--action", "s3:GetObject"});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.out.find("DENY"), std::string::npos);
  EXPECT_NE(text.err.find("warning: principal enclave"), std::string::npos) << text.err;
  EXPECT_NE(text.err.find("warning: action s3:GetObject"), std::string::npos) << text.err;
  // Well-formed callers draw no warning: a session, an account, "*", a service principal.
  for (const char* caller : {kSession, "111122223333", "*", "ec2.amazonaws.com"}) {
    const CliResult quiet =
        RunCli({"policy", "simulate", policy, "--principal", caller, "--action", "kms:Decrypt"});
    EXPECT_EQ(quiet.err.find("warning"), std::string::npos) << caller << quiet.err;
  }
}

// Issue 19: with --out - the policy is standard output, and the summary (on stderr) does not
// claim it was "written to -".
TEST_F(PolicyCli, GenerateToStandardOutput) {
  const CliResult generated = RunCli(Generate({"--pcrs", Path("pcr.json"), "--out", "-"}));
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  EXPECT_TRUE(nlohmann::json::parse(generated.out).contains("Statement")) << generated.out;
  EXPECT_NE(generated.err.find("standard policy"), std::string::npos) << generated.err;
  EXPECT_EQ(generated.err.find("written to"), std::string::npos) << generated.err;
  EXPECT_FALSE(std::filesystem::exists("-"));
  const CliResult to_file = RunCli(Generate({"--pcrs", Path("pcr.json"), "--out", Path("f.json")}));
  EXPECT_NE(to_file.err.find("; written to " + Path("f.json")), std::string::npos);
}

// lock-policy --json: one answer with media_type and a verdict that follows the exit code,
// for a preview (accepted) and a refused policy (rejected).
TEST_F(PolicyCli, LockPolicyJson) {
  const CliResult preview = RunCli({"lock-policy", "--key-id", kKeyArn, "--enclave-role", kRole,
                                    "--pcrs", Path("pcr.json"), "--json"});
  EXPECT_EQ(preview.exit_code, 0) << preview.err;
  testing::ExpectJsonConventions(preview.out, kLockMedia, 0);
  const nlohmann::json p = nlohmann::json::parse(preview.out);
  EXPECT_EQ(p["key_arn"], kKeyArn);
  EXPECT_EQ(p["mode"], "preview");
  EXPECT_EQ(p["lint"]["properties"]["locked"]["holds"], true);
  EXPECT_FALSE(p.contains("result"));
  const std::string open = Write("open.json", R"({"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
       "Action": "kms:*", "Resource": "*"}]})");
  const CliResult refused =
      RunCli({"lock-policy", "--key-id", kKeyArn, "--policy", open, "--apply", "--yes", "--json"});
  EXPECT_EQ(refused.exit_code, 1);
  testing::ExpectJsonConventions(refused.out, kLockMedia, 1);
  EXPECT_EQ(nlohmann::json::parse(refused.out)["mode"], "refused");
}

TEST_F(PolicyCli, UsageErrors) {
  EXPECT_EQ(RunCli(Generate({})).exit_code, 64);  // no PCR source
  EXPECT_EQ(RunCli(Generate({"--pcrs", Path("pcr.json"), "--pcr", "0=00"})).exit_code, 64);
  EXPECT_EQ(RunCli(Generate({"--pcrs", Path("pcr.json"), "--locked", "--admin", kRole})).exit_code,
            64);
  EXPECT_EQ(RunCli(Generate({"--pcrs", Path("pcr.json"), "--actions", "sign"})).exit_code, 64);
  EXPECT_EQ(RunCli(Generate({"--pcrs", Path("pcr.json"), "--use-pcrs", "0,40"})).exit_code, 64);
  EXPECT_EQ(RunCli(Generate({"--pcrs", Path("missing.json")})).exit_code, 74);
  EXPECT_EQ(RunCli(Generate({"--pcrs", Write("bad-pcrs.json", "{\"PCR0\": 1}")})).exit_code, 2);
  // A debug-mode measurement cannot protect a key: exit 1, POLICY_PCR_VALUE.
  const CliResult zero = RunCli(Generate({"--pcr", "0=" + std::string(96, '0')}));
  EXPECT_EQ(zero.exit_code, 1);
  EXPECT_NE(zero.err.find("POLICY_PCR_VALUE"), std::string::npos);
  EXPECT_EQ(RunCli({"policy", "simulate", Path("pcr.json"), "--principal", kSession, "--action",
                    "Decrypt"})
                .exit_code,
            64);
  const CliResult forged =
      RunCli({"policy", "simulate", Path("pcr.json"), "--principal", kSession, "--action",
              "kms:Decrypt", "--context", "kms:RecipientAttestation:ImageSha384=00"});
  EXPECT_EQ(forged.exit_code, 64);
  EXPECT_NE(forged.err.find("verified document"), std::string::npos);
  EXPECT_EQ(RunCli({"policy"}).exit_code, 64);
}

TEST_F(PolicyCli, HelpTeachesWithExamples) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"policy", "generate", "--help"},
        std::vector<std::string>{"policy", "lint", "--help"},
        std::vector<std::string>{"policy", "simulate", "--help"},
        std::vector<std::string>{"lock-policy", "--help"}}) {
    const CliResult help = RunCli(args);
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("Examples:"), std::string::npos) << args[1];
    EXPECT_NE(help.out.find("Exit codes:"), std::string::npos) << args[1];
  }
}

// lock-policy's offline paths: the preview, and everything it refuses before any network.
TEST_F(PolicyCli, LockPolicyPreviewAndRefusals) {
  const std::string key =
      "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  const CliResult preview =
      RunCli({"lock-policy", "--key-id", key, "--enclave-role", kRole, "--pcrs", Path("pcr.json")});
  EXPECT_EQ(preview.exit_code, 0) << preview.err;
  EXPECT_NE(preview.out.find("\"Id\": \"enclavectl-locked\""), std::string::npos);
  EXPECT_NE(preview.out.find("enclave-only  yes"), std::string::npos);
  EXPECT_NE(preview.out.find("locked        yes"), std::string::npos);
  EXPECT_NE(preview.out.find("preview only: nothing was sent"), std::string::npos);
  // The account comes from the key ARN.
  EXPECT_NE(preview.out.find("arn:aws:iam::111122223333:role/enclave"), std::string::npos);

  EXPECT_EQ(RunCli({"lock-policy", "--key-id", "alias/x", "--enclave-role", kRole, "--pcrs",
                    Path("pcr.json")})
                .exit_code,
            64);
  EXPECT_EQ(RunCli({"lock-policy", "--key-id", key, "--enclave-role", kRole, "--pcrs",
                    Path("pcr.json"), "--apply", "--dry-run"})
                .exit_code,
            64);
  EXPECT_EQ(RunCli({"lock-policy", "--key-id", key, "--enclave-role", kRole, "--pcrs",
                    Path("pcr.json"), "--region", "eu-west-1"})
                .exit_code,
            64);
  EXPECT_EQ(RunCli({"lock-policy", "--key-id", key, "--pcrs", Path("pcr.json")}).exit_code, 64);
  EXPECT_EQ(
      RunCli({"lock-policy", "--key-id", key, "--policy", Path("pcr.json"), "--auditor", kRole})
          .exit_code,
      64);
  // A locked policy nobody can use is refused: locking it would brick the key.
  const std::string unusable = Write("unusable.json", R"({"Version": "2012-10-17", "Statement": [
      {"Sid": "ReadOnly", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/ops"},
       "Action": ["kms:DescribeKey", "kms:GetKeyPolicy"], "Resource": "*"}]})");
  const CliResult bricked =
      RunCli({"lock-policy", "--key-id", key, "--policy", unusable, "--apply", "--yes"});
  EXPECT_EQ(bricked.exit_code, 1);
  EXPECT_NE(bricked.err.find("POLICY_LINT_ERRORS"), std::string::npos);
  // A leaky policy is refused before any credential or network use.
  const std::string leaky = Write("leaky.json", R"({"Version": "2012-10-17", "Statement": [
      {"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
       "Action": "kms:Decrypt", "Resource": "*"}]})");
  const CliResult refused =
      RunCli({"lock-policy", "--key-id", key, "--policy", leaky, "--apply", "--yes"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("POLICY_NOT_ENCLAVE_ONLY"), std::string::npos);
}

TEST_F(PolicyCli, LockPolicyWithoutCredentials) {
  // A hermetic environment with no credentials anywhere: --dry-run needs some to sign.
  const std::string saved_home = std::getenv("HOME") != nullptr ? std::getenv("HOME") : "";
  ::setenv("HOME", dir_.c_str(), 1);
  for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                           "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"}) {
    ::unsetenv(name);
  }
  ::setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  const std::string key =
      "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  const CliResult result = RunCli({"lock-policy", "--key-id", key, "--enclave-role", kRole,
                                   "--pcrs", Path("pcr.json"), "--dry-run"});
  EXPECT_EQ(result.exit_code, 64) << result.out << result.err;
  EXPECT_NE(result.err.find("CREDENTIALS_NOT_FOUND"), std::string::npos);
  ::setenv("HOME", saved_home.c_str(), 1);
}

}  // namespace
}  // namespace enclavectl::cli
