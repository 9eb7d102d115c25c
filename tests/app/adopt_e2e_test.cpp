// Issue 14 item 5 end to end: real `enclave-app --dev` processes (the NSM simulator) against
// the real local KMS (in-process, loopback) and moto_server's SSM, adopting a ciphertext made
// the way introspector-init makes it (migration.md 3.1): the AWS CLI's `kms encrypt` of the
// 32 raw bytes (no encryption context), base64 of the CiphertextBlob put into
// /D/NitroIntrospector/SecretKeyCiphertext with `ssm put-parameter`. Adopted once (the signer
// key is the plaintext's), reported as key_origin "adopted", not provable; later boots unseal
// the record (parameter deleted); every refusal stops the service with its code (exit 74).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "app_e2e_stack.hpp"
#include "enclavectl/app/keys.hpp"
#include "enclavectl/app/sealed_store.hpp"
#include "enclavectl/aws/kms_client.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/verifier/signatures.hpp"
#include "moto_server.hpp"
#include "socket_client.hpp"
#include "subprocess.hpp"
#include "test_paths.hpp"

namespace enclavectl::app {
namespace {

using core::Bytes;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kParameter = "/D/NitroIntrospector/SecretKeyCiphertext";
constexpr const char* kSecretHex =
    "3c1f0e2d4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff1";
constexpr const char* kOrderHex =
    "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";

// Enclave-only and locked for PCR0 0xa0; `introspector` adds what introspector-init's key
// allows (kms:Encrypt without an attestation) and lets the operator rewrite the policy.
std::string Policy(bool introspector) {
  json statements = json::array(
      {Statement("EnclaveKeyInfo", {"kms:DescribeKey", "kms:GetKeyPolicy"}),
       Statement(
           "EnclaveAttestedUse", {"kms:Decrypt", "kms:GenerateDataKey"},
           {{"StringEqualsIgnoreCase", {{"kms:RecipientAttestation:ImageSha384", Pcr0Hex()}}}})});
  if (introspector) {
    statements.push_back(Statement("IntrospectorInitEncrypt", {"kms:Encrypt"}));
    statements.push_back(Statement("Operator", {"kms:PutKeyPolicy"}));
  }
  return json{{"Version", "2012-10-17"}, {"Statement", statements}}.dump();
}

std::string PublicKeyOf(const Bytes& secret) {
  auto ctx = core::MakeSecp256k1Context();
  auto pair = MakeKeyPair(core::SecretBytes(secret), ctx.get());
  return pair ? core::HexEncode(pair->signing.Compressed()) : "";
}

class AdoptE2e : public AppE2eStack {
 protected:
  void SetUp() override {
    // The AWS CLI also puts and deletes the parameter in moto_server's SSM, and reads no
    // configuration or credentials files of the machine.
    env_overrides_ = {{"AWS_ENDPOINT_URL_SSM", testing::MotoServer::Url()},
                      {"AWS_CONFIG_FILE", "/dev/null"},
                      {"AWS_SHARED_CREDENTIALS_FILE", "/dev/null"}};
    AppE2eStack::SetUp();
  }

  // The operator locks the Introspector key to this image before adopting.
  void LockToThisImage(const std::string& key) {
    aws::PutKeyPolicyRequest put;
    put.key_id = key;
    put.policy = Policy(false);
    put.bypass_policy_lockout_safety_check = true;
    aws::KmsClient client = Client();
    auto done = client.PutKeyPolicy(put);
    ASSERT_TRUE(done) << done.error().detail;
  }

  // The AWS CLI against `endpoint`; its stdout.
  std::string Aws(const std::vector<std::string>& args, const std::string& endpoint) {
    std::vector<std::string> argv = {"aws", "--endpoint-url", endpoint, "--region", "us-east-1"};
    argv.insert(argv.end(), args.begin(), args.end());
    const testing::CommandResult result = testing::RunCommand(argv, env_vars_);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result.out;
  }

  // introspector-init's first boot: kms:Encrypt of `plaintext` (no context), base64 of the blob
  // (the CLI's text output of CiphertextBlob).
  std::string IntrospectorCiphertext(const std::string& key, const Bytes& plaintext) {
    const std::string file = (dir_.Path() / "plaintext.bin").string();
    {
      std::ofstream out(file, std::ios::binary);
      out.write(reinterpret_cast<const char*>(plaintext.data()),
                static_cast<std::streamsize>(plaintext.size()));
    }
    std::string text = Aws({"kms", "encrypt", "--key-id", key, "--plaintext", "fileb://" + file,
                            "--query", "CiphertextBlob", "--output", "text"},
                           kms_server_->Endpoint());
    std::filesystem::remove(file);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
      text.pop_back();
    }
    return text;
  }

  static json GetJson(const std::string& url, const std::string& path) {
    testing::SocketClient client(
        static_cast<std::uint16_t>(std::stoul(url.substr(url.rfind(':') + 1))));
    client.Send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::string raw = client.ReadResponse();
    const std::size_t end = raw.find("\r\n\r\n");
    if (end == std::string::npos) {
      return nullptr;
    }
    return json::parse(raw.substr(end + 4), nullptr, false);
  }

  // Boots sealed mode adopting from `source`; expects exit 74 with `code` in the log.
  void ExpectRefused(const std::vector<std::string>& flags, const std::string& code,
                     const std::string& name) {
    Start(flags, name);
    EXPECT_EQ(ExitStatus(), 74) << Slurp(log_);
    EXPECT_NE(Slurp(log_).find(code), std::string::npos) << Slurp(log_);
  }
};

TEST_F(AdoptE2e, AdoptsAnIntrospectorCiphertextFromSsmOnce) {
  const std::string seal_key = CreateKey(Policy(false));
  const std::string introspector_key = CreateKey(Policy(true));
  const Bytes secret = *core::HexDecode(kSecretHex);
  const std::string ciphertext = IntrospectorCiphertext(introspector_key, secret);
  ASSERT_TRUE(core::Base64Decode(ciphertext)) << ciphertext;
  Aws({"ssm", "put-parameter", "--name", kParameter, "--type", "String", "--value", ciphertext,
       "--overwrite"},
      testing::MotoServer::Url());
  const std::string store = (dir_.Path() / "sealed.json").string();
  const std::vector<std::string> flags = {
      "--key-mode",      "sealed",        "--key-id",           seal_key,
      "--sealed-store",  "file:" + store, "--adopt-ciphertext", std::string("ssm:") + kParameter,
      "--adopt-kms-key", introspector_key};

  // Introspector's key as its deployment leaves it (kms:Encrypt without an attestation, the
  // policy rewritable): not enclave-only, nothing adopted.
  ExpectRefused(flags, "ADOPT_KEY_POLICY_UNSAFE", "loose");
  EXPECT_FALSE(std::filesystem::exists(store));

  LockToThisImage(introspector_key);
  std::string url = Start(flags, "adopt");
  ASSERT_FALSE(url.empty()) << Slurp(log_);
  ASSERT_TRUE(WaitForLog("setup done")) << Slurp(log_);
  EXPECT_NE(Slurp(log_).find("adopted from SSM parameter " + std::string(kParameter)),
            std::string::npos)
      << Slurp(log_);
  EXPECT_EQ(Slurp(log_).find(kSecretHex), std::string::npos);  // never logged
  json info = GetJson(url, "/v1/info");
  EXPECT_EQ(info["public_key"], PublicKeyOf(secret));
  EXPECT_EQ(info["signerPubkey"], PublicKeyOf(secret));
  json enclave_info = GetJson(url, "/v1/enclave-info");
  EXPECT_EQ(enclave_info["key_origin"], "adopted");
  EXPECT_EQ(enclave_info["key_origin_provable"], false);
  apps_.back().Stop(SIGTERM);
  auto record = DecodeSealedRecord(Slurp(store));
  ASSERT_TRUE(record) << record.error().detail;
  EXPECT_EQ(record->origin, "adopted");
  EXPECT_EQ(record->key_arn, seal_key);

  // Later boots: the parameter is gone; the sealed record is used and the flag ignored.
  Aws({"ssm", "delete-parameter", "--name", kParameter}, testing::MotoServer::Url());
  url = Start(flags, "second");
  ASSERT_FALSE(url.empty()) << Slurp(log_);
  ASSERT_TRUE(WaitForLog("setup done")) << Slurp(log_);
  EXPECT_NE(Slurp(log_).find("--adopt-ciphertext ignored"), std::string::npos) << Slurp(log_);
  EXPECT_EQ(GetJson(url, "/v1/info")["public_key"], PublicKeyOf(secret));
  enclave_info = GetJson(url, "/v1/enclave-info");
  EXPECT_EQ(enclave_info["key_origin"], "adopted");
  EXPECT_EQ(enclave_info["key_origin_provable"], false);
  apps_.back().Stop(SIGTERM);

  // With the parameter gone and no record, there is nothing to adopt: refused, no key made.
  const std::string other_store = (dir_.Path() / "other.json").string();
  std::vector<std::string> fresh = flags;
  fresh[5] = "file:" + other_store;
  ExpectRefused(fresh, "ADOPT_CIPHERTEXT_ABSENT", "absent");
  EXPECT_FALSE(std::filesystem::exists(other_store));
}

TEST_F(AdoptE2e, FileSourceHexPlaintextAndRefusals) {
  const std::string seal_key = CreateKey(Policy(false));
  const std::string introspector_key = CreateKey(Policy(true));
  // A plaintext of 64 hex digits and a newline (Introspector's normalisation keeps it as the
  // key), and secrets that are not secp256k1 keys.
  const std::string hex_ciphertext = IntrospectorCiphertext(
      introspector_key, core::ToBytes(core::AsBytes(std::string(kSecretHex) + "\n")));
  const std::string zero_ciphertext = IntrospectorCiphertext(introspector_key, Bytes(32, 0));
  const std::string order_ciphertext =
      IntrospectorCiphertext(introspector_key, *core::HexDecode(kOrderHex));
  const std::string short_ciphertext = IntrospectorCiphertext(introspector_key, Bytes(31, 5));
  LockToThisImage(introspector_key);

  const std::string store = (dir_.Path() / "sealed.json").string();
  const std::string parameter = (dir_.Path() / "ciphertext.txt").string();
  const std::vector<std::string> flags = {
      "--key-mode",      "sealed",        "--key-id",           seal_key,
      "--sealed-store",  "file:" + store, "--adopt-ciphertext", "file:" + parameter,
      "--adopt-kms-key", introspector_key};
  auto write = [&](const std::string& text) {
    std::ofstream out(parameter, std::ios::trunc);
    out << text;
  };
  ExpectRefused(flags, "ADOPT_CIPHERTEXT_ABSENT", "missing");  // no file
  write("UNSET\n");
  ExpectRefused(flags, "ADOPT_CIPHERTEXT_ABSENT", "unset");
  write("");
  ExpectRefused(flags, "ADOPT_CIPHERTEXT_ABSENT", "empty");
  write("this is not base64\n");
  ExpectRefused(flags, "ADOPT_CIPHERTEXT_INVALID", "base64");
  write(zero_ciphertext + "\n");
  ExpectRefused(flags, "ADOPT_SECRET_INVALID", "zero");
  write(order_ciphertext + "\n");
  ExpectRefused(flags, "ADOPT_SECRET_INVALID", "order");
  write(short_ciphertext + "\n");
  ExpectRefused(flags, "ADOPT_SECRET_INVALID", "short");
  EXPECT_FALSE(std::filesystem::exists(store));

  // Usage: adoption needs a configured sealed setup; --adopt-kms-key needs --adopt-ciphertext.
  for (const std::vector<std::string>& usage :
       {std::vector<std::string>{"--adopt-ciphertext", "file:" + parameter},
        std::vector<std::string>{"--key-id", seal_key, "--adopt-ciphertext", "file:" + parameter},
        std::vector<std::string>{"--key-mode", "sealed", "--key-id", seal_key, "--adopt-kms-key",
                                 introspector_key}}) {
    std::vector<std::string> argv = {ENCLAVE_APP_BINARY, "--dev",        "--nsm-state",  nsm_state_,
                                     "--listen",         "127.0.0.1:0",  "--vsock-port", "0",
                                     "--sealed-store",   "file:" + store};
    argv.insert(argv.end(), usage.begin(), usage.end());
    const testing::CommandResult result = testing::RunCommand(argv, env_vars_, 30s);
    EXPECT_EQ(result.exit_code, 64) << result.err;
    EXPECT_NE(result.err.find("--adopt-"), std::string::npos) << result.err;
  }

  write(hex_ciphertext + "\n");
  const std::string url = Start(flags, "hex");
  ASSERT_FALSE(url.empty()) << Slurp(log_);
  ASSERT_TRUE(WaitForLog("setup done")) << Slurp(log_);
  EXPECT_EQ(GetJson(url, "/v1/info")["public_key"], PublicKeyOf(*core::HexDecode(kSecretHex)));
  EXPECT_EQ(GetJson(url, "/v1/enclave-info")["key_origin"], "adopted");
}

TEST_F(AdoptE2e, GeneratedKeysReportAProvableOrigin) {
  const std::string seal_key = CreateKey(Policy(false));
  const std::string store = (dir_.Path() / "sealed.json").string();
  const std::string url =
      Start({"--key-mode", "sealed", "--key-id", seal_key, "--sealed-store", "file:" + store},
            "generated");
  ASSERT_FALSE(url.empty()) << Slurp(log_);
  ASSERT_TRUE(WaitForLog("setup done")) << Slurp(log_);
  const json enclave_info = GetJson(url, "/v1/enclave-info");
  EXPECT_EQ(enclave_info["key_origin"], "sealed");
  EXPECT_EQ(enclave_info["key_origin_provable"], true);
}

}  // namespace
}  // namespace enclavectl::app

[[maybe_unused]] const ::testing::Environment* const kMoto = ::testing::AddGlobalTestEnvironment(
    new enclavectl::testing::MotoServer());  // NOLINT: gtest owns it
