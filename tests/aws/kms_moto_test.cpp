// The KMS client and lock-policy end to end against moto_server on loopback (started once for
// this binary): CreateKey, Describe/Get/PutKeyPolicy, Encrypt/Decrypt, GenerateDataKey,
// GenerateRandom, GetPublicKey, KMS errors with AWS's messages, retries on moto's 5xx, the
// libcurl transport's limits, and `enclavectl lock-policy` preview, --dry-run and --apply.
// moto lacks DeriveSharedSecret and ignores Recipient: those codecs are tested offline
// (kms_api_test, recipient_test); here the client refuses moto's clear answer to a Recipient.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cli_runner.hpp"
#include "enclavectl/aws/arn.hpp"
#include "enclavectl/aws/curl_transport.hpp"
#include "enclavectl/aws/environment.hpp"
#include "enclavectl/aws/kms_client.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/kmspolicy/generate.hpp"
#include "enclavectl/kmspolicy/lint.hpp"
#include "enclavectl/kmspolicy/policy.hpp"
#include "moto_server.hpp"
#include "test_paths.hpp"

namespace enclavectl::kmspolicy {
namespace {

using core::ErrorCode;
using testing::MotoServer;

constexpr const char* kAccessKey = "AKIDMOTOTEST";
constexpr const char* kSecretKey = "moto-secret-never-printed-0123456789";
constexpr const char* kSessionToken = "moto-session-token-never-printed";
constexpr const char* kRole = "arn:aws:iam::123456789012:role/enclave";

class NoSleep final : public aws::Sleeper {
 public:
  void SleepMs(std::int64_t ms) override { total_ms += ms; }
  std::int64_t total_ms = 0;
};

class Moto : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The CLI resolves credentials from the process environment: make it hermetic.
    const std::string home = (std::filesystem::temp_directory_path() /
                              ("enclavectl-moto-home-" + std::to_string(::getpid())))
                                 .string();
    ::setenv("HOME", home.c_str(), 1);
    ::setenv("AWS_ACCESS_KEY_ID", kAccessKey, 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", kSecretKey, 1);
    ::setenv("AWS_SESSION_TOKEN", kSessionToken, 1);
    ::setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    ::unsetenv("AWS_PROFILE");
    ::unsetenv("AWS_ENDPOINT_URL");
    ::unsetenv("AWS_ENDPOINT_URL_KMS");
  }

  Moto() : clock_() {
    credentials_.access_key_id = kAccessKey;
    credentials_.secret_access_key = core::SecretBytes(core::AsBytes(std::string(kSecretKey)));
    options_.endpoint = *aws::ResolveKmsEndpoint(MotoServer::Url(), "us-east-1", env_);
    options_.retry = aws::RetryPolicy{3, 10, 50};
    client_ =
        std::make_unique<aws::KmsClient>(options_, transport_, credentials_, clock_, sleeper_);
  }

  std::string NewKey(aws::CreateKeyRequest request = {}) {
    auto key = client_->CreateKey(request);
    EXPECT_TRUE(key) << key.error().detail;
    return key ? key->arn : "";
  }

  aws::MapEnvironment env_;
  aws::CurlTransport transport_{"enclavectl-test"};
  NoSleep sleeper_;
  core::io::SystemClock clock_;
  aws::AwsCredentials credentials_;
  aws::KmsClientOptions options_;
  std::unique_ptr<aws::KmsClient> client_;
};

TEST_F(Moto, CreateDescribeAndTheDefaultPolicy) {
  aws::CreateKeyRequest request;
  request.description = "enclavectl test key";
  auto key = client_->CreateKey(request);
  ASSERT_TRUE(key) << key.error().detail;
  EXPECT_EQ(key->description, "enclavectl test key");
  EXPECT_EQ(key->key_state, "Enabled");
  EXPECT_TRUE(aws::ParseKmsKeyArn(key->arn));
  auto described = client_->DescribeKey(key->arn);
  ASSERT_TRUE(described) << described.error().detail;
  EXPECT_EQ(described->key_id, key->key_id);
  // The default key policy delegates everything to IAM: not enclave-only, not locked.
  auto fetched = client_->GetKeyPolicy(key->arn);
  ASSERT_TRUE(fetched) << fetched.error().detail;
  auto policy = ParsePolicy(fetched->policy);
  ASSERT_TRUE(policy) << policy.error().detail;
  const LintReport report = LintPolicy(*policy);
  EXPECT_FALSE(report.enclave_only.holds);
  EXPECT_FALSE(report.locked.holds);
}

TEST_F(Moto, PutAndGetKeyPolicy) {
  const std::string arn = NewKey();
  GenerateOptions options;
  options.account_id = "123456789012";
  options.enclave_role_arn = kRole;
  options.measurements.sets = {{{0, core::Bytes(48, 0xa0)}, {1, core::Bytes(48, 0xa1)}}};
  auto policy = GeneratePolicy(options);
  ASSERT_TRUE(policy);
  const std::string text = EncodePolicy(*policy);
  ASSERT_TRUE(client_->PutKeyPolicy({arn, text, false}));
  auto fetched = client_->GetKeyPolicy(arn);
  ASSERT_TRUE(fetched) << fetched.error().detail;
  auto parsed = ParsePolicy(fetched->policy);
  ASSERT_TRUE(parsed) << parsed.error().detail;
  EXPECT_EQ(*parsed, *policy);
}

TEST_F(Moto, EncryptDecryptAndDataKeys) {
  const std::string arn = NewKey();
  const core::SecretBytes plaintext(core::AsBytes(std::string("enclave seed material")));
  auto encrypted = client_->Encrypt({arn, plaintext.View(), {{"app", "enclavectl"}}});
  ASSERT_TRUE(encrypted) << encrypted.error().detail;
  EXPECT_FALSE(encrypted->ciphertext_blob.empty());
  auto decrypted = client_->Decrypt({encrypted->ciphertext_blob, arn, {{"app", "enclavectl"}}, {}});
  ASSERT_TRUE(decrypted) << decrypted.error().detail;
  EXPECT_TRUE(core::Equal(decrypted->plaintext.View(), plaintext.View()));

  auto data_key = client_->GenerateDataKey({arn, "AES_256", std::nullopt, {}, {}});
  ASSERT_TRUE(data_key) << data_key.error().detail;
  EXPECT_EQ(data_key->plaintext.size(), 32U);
  auto unwrapped = client_->Decrypt({data_key->ciphertext_blob, "", {}, {}});
  ASSERT_TRUE(unwrapped) << unwrapped.error().detail;
  EXPECT_TRUE(core::Equal(unwrapped->plaintext.View(), data_key->plaintext.View()));

  auto random = client_->GenerateRandom({32, {}});
  ASSERT_TRUE(random) << random.error().detail;
  EXPECT_EQ(random->plaintext.size(), 32U);
}

TEST_F(Moto, KmsErrorsCarryAwsMessages) {
  auto too_many = client_->GenerateRandom({2000, {}});
  ASSERT_FALSE(too_many);
  EXPECT_EQ(too_many.error().code, ErrorCode::kKmsValidation);
  EXPECT_NE(too_many.error().detail.find("Member must have value less than or equal to 1024"),
            std::string::npos);
  auto missing = client_->DescribeKey("arn:aws:kms:us-east-1:123456789012:key/no-such-key");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kKmsNotFound);
  EXPECT_EQ(client_->LastAttempts(), 1);
}

TEST_F(Moto, AsymmetricKeysAndDeriveSharedSecret) {
  aws::CreateKeyRequest request;
  request.key_spec = "ECC_NIST_P256";
  request.key_usage = "KEY_AGREEMENT";
  const std::string arn = NewKey(request);
  auto public_key = client_->GetPublicKey(arn);
  ASSERT_TRUE(public_key) << public_key.error().detail;
  const unsigned char* p = public_key->public_key.data();
  const core::EvpPkeyPtr key(
      d2i_PUBKEY(nullptr, &p, static_cast<long>(public_key->public_key.size())));
  ASSERT_TRUE(key);
  EXPECT_EQ(EVP_PKEY_is_a(key.get(), "EC"), 1);
  // moto has no DeriveSharedSecret: it answers HTML 500, which the client retries and then
  // reports as the service being unavailable.
  auto derived = client_->DeriveSharedSecret({arn, public_key->public_key, std::nullopt});
  ASSERT_FALSE(derived);
  EXPECT_EQ(derived.error().code, ErrorCode::kServiceUnavailable);
  EXPECT_EQ(client_->LastAttempts(), 3);
  EXPECT_GE(sleeper_.total_ms, 0);
}

TEST_F(Moto, AServerThatIgnoresRecipientIsRefused) {
  const std::string arn = NewKey();
  auto random = client_->GenerateRandom({32, aws::RecipientInfo{core::Bytes{0x84, 0x40}}});
  ASSERT_FALSE(random);
  EXPECT_EQ(random.error().code, ErrorCode::kKmsResponseMalformed);
  auto data_key =
      client_->GenerateDataKey({arn, "AES_256", std::nullopt, {}, aws::RecipientInfo{{1}}});
  ASSERT_FALSE(data_key);
  EXPECT_EQ(data_key.error().code, ErrorCode::kKmsResponseMalformed);
}

// --- the libcurl transport's limits ---

TEST_F(Moto, TransportLimits) {
  const std::string arn = NewKey();
  options_.http.max_response_bytes = 64;
  aws::KmsClient small(options_, transport_, credentials_, clock_, sleeper_);
  auto policy = small.GetKeyPolicy(arn);
  ASSERT_FALSE(policy);
  EXPECT_EQ(policy.error().code, ErrorCode::kInputTooLarge);
  EXPECT_EQ(small.LastAttempts(), 1);
}

TEST(Transport, ConnectionRefusedAndTimeouts) {
  aws::CurlTransport transport;
  // A port that was free a moment ago: connection refused.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);  // NOLINT
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);   // NOLINT
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";
  aws::HttpOptions options;
  options.connect_timeout_ms = 2000;
  options.timeout_ms = 300;
  auto refused = transport.Send({"POST", url, {}, {}}, options);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kNetwork);
  // Listening but never answering: the total timeout ends the exchange.
  ASSERT_EQ(::listen(fd, 4), 0);
  const auto started = std::chrono::steady_clock::now();
  auto silent = transport.Send({"POST", url, {}, {}}, options);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ::close(fd);
  ASSERT_FALSE(silent);
  EXPECT_EQ(silent.error().code, ErrorCode::kNetwork);
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  // Only http and https.
  auto file = transport.Send({"GET", "file:///etc/passwd", {}, {}}, options);
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().code, ErrorCode::kNetwork);
}

// --- enclavectl lock-policy end to end ---

using testing::CliResult;

CliResult RunCli(std::vector<std::string> args, const std::string& input = "") {
  static const core::io::SystemClock clock;
  return testing::RunCli(std::move(args), clock, input);
}

std::string WritePcrFile(const std::filesystem::path& dir) {
  const auto path = dir / "pcr.json";
  std::ofstream(path) << "{\"Measurements\": {\"HashAlgorithm\": \"Sha384 { ... }\", \"PCR0\": \""
                      << core::HexEncode(core::Bytes(48, 0x5a)) << "\", \"PCR1\": \""
                      << core::HexEncode(core::Bytes(48, 0x5b)) << "\", \"PCR2\": \""
                      << core::HexEncode(core::Bytes(48, 0x5c)) << "\"}}";
  return path.string();
}

class LockPolicyCli : public Moto {
 protected:
  std::vector<std::string> Args(const std::string& arn, std::vector<std::string> extra) {
    std::vector<std::string> args = {"lock-policy",
                                     "--key-id",
                                     arn,
                                     "--enclave-role",
                                     kRole,
                                     "--pcrs",
                                     pcr_file_,
                                     "--auditor",
                                     "arn:aws:iam::123456789012:role/ops",
                                     "--endpoint-url",
                                     MotoServer::Url()};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  LintReport HeldPolicy(const std::string& arn) {
    auto fetched = client_->GetKeyPolicy(arn);
    EXPECT_TRUE(fetched) << fetched.error().detail;
    auto policy = ParsePolicy(fetched->policy);
    EXPECT_TRUE(policy) << policy.error().detail;
    return LintPolicy(*policy);
  }
  testing::ScopedTempDir dir_;  // removed with the fixture
  std::string pcr_file_ = WritePcrFile(dir_.Path());
};

TEST_F(LockPolicyCli, ApplyWithYesLocksTheKey) {
  const std::string arn = NewKey();
  const CliResult result = RunCli(Args(arn, {"--apply", "--yes"}));
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("\"Id\": \"enclavectl-locked\""), std::string::npos);
  EXPECT_NE(result.out.find("KMS now holds"), std::string::npos);
  EXPECT_NE(result.out.find("identical to the policy sent"), std::string::npos);
  EXPECT_NE(result.out.find("locked: " + arn), std::string::npos);
  EXPECT_NE(result.err.find("IRREVERSIBLE"), std::string::npos);
  const LintReport held = HeldPolicy(arn);
  EXPECT_TRUE(held.enclave_only.holds);
  EXPECT_TRUE(held.locked.holds);
  for (const std::string& text : {result.out, result.err}) {
    EXPECT_EQ(text.find(kSecretKey), std::string::npos);
    EXPECT_EQ(text.find(kSessionToken), std::string::npos);
  }
}

TEST_F(LockPolicyCli, ApplyAsksForTheKeyId) {
  const std::string arn = NewKey();
  const std::string uuid = arn.substr(arn.rfind('/') + 1);
  // A wrong answer sends nothing.
  CliResult refused = RunCli(Args(arn, {"--apply"}), "yes\n");
  EXPECT_EQ(refused.exit_code, 64) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("LOCK_NOT_CONFIRMED"), std::string::npos);
  EXPECT_NE(refused.err.find("Type the key id (" + uuid + ")"), std::string::npos);
  EXPECT_FALSE(HeldPolicy(arn).locked.holds);
  // No input at all (a pipeline without a terminal) sends nothing either.
  EXPECT_EQ(RunCli(Args(arn, {"--apply"}), "").exit_code, 64);
  EXPECT_FALSE(HeldPolicy(arn).locked.holds);
  // Typing the id locks it.
  const CliResult confirmed = RunCli(Args(arn, {"--apply"}), uuid + "\n");
  ASSERT_EQ(confirmed.exit_code, 0) << confirmed.out << confirmed.err;
  EXPECT_TRUE(HeldPolicy(arn).locked.holds);
}

TEST_F(LockPolicyCli, DryRunShowsTheSignedRequestAndSendsNothing) {
  const std::string arn = NewKey();
  const CliResult result = RunCli(Args(arn, {"--dry-run"}));
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("POST " + MotoServer::Url() + "/"), std::string::npos);
  EXPECT_NE(result.out.find("X-Amz-Target: TrentService.PutKeyPolicy"), std::string::npos);
  EXPECT_NE(result.out.find("Credential=AKIDMOTOTEST/"), std::string::npos);
  EXPECT_NE(result.out.find("Signature=<redacted>"), std::string::npos);
  EXPECT_NE(result.out.find("X-Amz-Security-Token: <redacted>"), std::string::npos);
  EXPECT_NE(result.out.find("\"BypassPolicyLockoutSafetyCheck\":true"), std::string::npos);
  EXPECT_NE(result.out.find("canonical request"), std::string::npos);
  EXPECT_EQ(result.out.find(kSecretKey), std::string::npos);
  EXPECT_EQ(result.out.find(kSessionToken), std::string::npos);
  EXPECT_FALSE(HeldPolicy(arn).locked.holds);
  // JSON: the same, machine-readable.
  const CliResult json = RunCli(Args(arn, {"--dry-run", "--json"}));
  ASSERT_EQ(json.exit_code, 0) << json.out;
  const nlohmann::json parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed["media_type"], "application/vnd.enclavectl.lock-policy+json;version=1");
  EXPECT_EQ(parsed["verdict"], "accepted");
  EXPECT_EQ(parsed["mode"], "dry-run");
  EXPECT_TRUE(parsed["request"].contains("canonical_request"));
  EXPECT_TRUE(parsed["request"].contains("string_to_sign"));
  EXPECT_EQ(json.out.find(kSessionToken), std::string::npos);
}

TEST_F(LockPolicyCli, RefusesPoliciesThatAreNotALock) {
  const std::string arn = NewKey();
  // A standard policy (the admin keeps PutKeyPolicy) is not a lock.
  const auto path = std::filesystem::temp_directory_path() /
                    ("enclavectl-moto-standard-" + std::to_string(::getpid()) + ".json");
  const CliResult generated =
      RunCli({"policy", "generate", "--account", "123456789012", "--enclave-role", kRole, "--pcrs",
              pcr_file_, "--out", path.string()});
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  const CliResult refused =
      RunCli({"lock-policy", "--key-id", arn, "--policy", path.string(), "--endpoint-url",
              MotoServer::Url(), "--apply", "--yes", "--json"});
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  const nlohmann::json parsed = nlohmann::json::parse(refused.out);
  EXPECT_EQ(parsed["error"]["code"], "POLICY_NOT_LOCKED");
  EXPECT_EQ(parsed["verdict"], "rejected");
  EXPECT_EQ(parsed["mode"], "refused");
  EXPECT_FALSE(HeldPolicy(arn).locked.holds);
  std::filesystem::remove(path);
}

TEST_F(LockPolicyCli, ReviewedLockedPolicyFileWithJsonOutput) {
  const std::string arn = NewKey();
  const auto path = std::filesystem::temp_directory_path() /
                    ("enclavectl-moto-locked-" + std::to_string(::getpid()) + ".json");
  ASSERT_EQ(RunCli({"policy", "generate", "--account", "123456789012", "--enclave-role", kRole,
                    "--pcrs", pcr_file_, "--locked", "--out", path.string()})
                .exit_code,
            0);
  const CliResult result =
      RunCli({"lock-policy", "--key-id", arn, "--policy", path.string(), "--endpoint-url",
              MotoServer::Url(), "--apply", "--yes", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  const nlohmann::json parsed = nlohmann::json::parse(result.out);
  EXPECT_EQ(parsed["mode"], "apply");
  EXPECT_EQ(parsed["applied"], true);
  EXPECT_EQ(parsed["verdict"], "accepted");
  EXPECT_EQ(parsed["read_back"]["identical"], true);
  EXPECT_EQ(parsed["read_back"]["properties"]["locked"]["holds"], true);
  EXPECT_EQ(parsed["read_back"]["properties"]["enclave_only"]["holds"], true);
  std::filesystem::remove(path);
}

TEST_F(LockPolicyCli, UnknownKeyIsReportedWithKmsMessage) {
  const CliResult result =
      RunCli(Args("arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000",
                  {"--apply", "--yes"}));
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_NE(result.err.find("KMS_NOT_FOUND"), std::string::npos);
  EXPECT_NE(result.err.find("before locking, DescribeKey"), std::string::npos);
}

}  // namespace
}  // namespace enclavectl::kmspolicy

// moto starts once for this binary (registered before gtest_main runs the tests).
[[maybe_unused]] const ::testing::Environment* const kMoto = ::testing::AddGlobalTestEnvironment(
    new enclavectl::testing::MotoServer());  // NOLINT: gtest owns it
