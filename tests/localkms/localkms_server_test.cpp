// `enclavectl kms serve` end to end, as a user runs it: the built binary on a free loopback
// port (started once for this test binary), driven by the real AWS CLI and boto3 from the
// machine image's Python, by enclavectl's own KMS client and lock-policy, and by raw HTTP.
// Covers: the KMS operations through `aws kms`, a key locked to PCR0 = X with `enclavectl
// lock-policy` (no attestation / another PCR0 denied, PCR0 = X served as
// CiphertextForRecipient that decrypts with the RSA key, also with `openssl cms`),
// DeriveSharedSecret against OpenSSL's ECDH, hostile requests over HTTP, kill -9 during a
// burst of CreateKey/PutKeyPolicy, and `dev up --background` / `dev down`.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "enclavectl/aws/curl_transport.hpp"
#include "enclavectl/aws/environment.hpp"
#include "enclavectl/aws/kms_client.hpp"
#include "enclavectl/aws/recipient.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/localkms/service.hpp"
#include "enclavectl/localkms/state.hpp"
#include "json_conventions.hpp"
#include "localkms_test_util.hpp"
#include "subprocess.hpp"
#include "test_paths.hpp"

namespace enclavectl::localkms {
namespace {

using Json = nlohmann::json;
using testing::ChildProcess;
using testing::CommandResult;

constexpr const char* kBinary = ENCLAVECTL_BINARY;
constexpr const char* kEnclavePrincipal = "arn:aws:sts::111122223333:assumed-role/enclave/i-local";
constexpr const char* kEnclaveRole = "arn:aws:iam::111122223333:role/enclave";
constexpr const char* kAdminPrincipal = "arn:aws:iam::111122223333:user/local-admin";

// A temporary directory for the whole binary (ScopedTempDir is per test).
std::filesystem::path Scratch() {
  static const std::filesystem::path dir = [] {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "enclavectl-localkms-XXXXXX").string();
    return std::filesystem::path(::mkdtemp(pattern.data()));
  }();
  return dir;
}

std::string Slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A running `enclavectl kms serve`, with the environment it printed (its --ready-file).
struct RunningKms {
  ChildProcess process;
  Json env;
  std::string log_path;
};

RunningKms StartKms(const std::string& state, std::vector<std::string> extra = {}) {
  static int counter = 0;
  const std::string tag = std::to_string(++counter);
  const std::string ready = (Scratch() / ("ready-" + tag + ".json")).string();
  RunningKms kms;
  kms.log_path = (Scratch() / ("kms-" + tag + ".log")).string();
  std::vector<std::string> argv = {kBinary,    "kms",         "serve",        "--state", state,
                                   "--listen", "127.0.0.1:0", "--ready-file", ready};
  argv.insert(argv.end(), extra.begin(), extra.end());
  kms.process = ChildProcess(argv, testing::Environment({}), kms.log_path);
  // The sanitizer build starts slowly: wait up to a minute.
  for (int i = 0; i < 600 && !std::filesystem::exists(ready); ++i) {
    if (!kms.process.Running()) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(std::filesystem::exists(ready)) << "kms serve did not start:\n"
                                              << Slurp(kms.log_path);
  if (std::filesystem::exists(ready)) {
    kms.env = Json::parse(Slurp(ready));
  }
  return kms;
}

// Runs the built enclavectl.
CommandResult Enclavectl(std::vector<std::string> args) {
  args.insert(args.begin(), kBinary);
  return testing::RunCommand(args, testing::Environment({}));
}

struct Credentials {
  std::string access_key_id;
  std::string secret;
};

// The local stack shared by the tests: the simulator's CA in NSM and one server on KMS.
class Stack final : public ::testing::Environment {
 public:
  void SetUp() override {
    nsm_ = (Scratch() / "nsm").string();  // the simulator's part of the stack root Scratch()
    state_ = (Scratch() / "stack").string();
    // The development CA (and its root.pem) exist after the first attestation.
    const CommandResult attest = Enclavectl({"nsm", "attest", "--state", Scratch().string(),
                                             "--out", (Scratch() / "boot.cbor").string()});
    ASSERT_EQ(attest.exit_code, 0) << attest.err;
    kms_ =
        std::make_unique<RunningKms>(StartKms(state_, {"--attestation-root", nsm_ + "/root.pem"}));
    ASSERT_TRUE(kms_->env.is_object());
    endpoint_ = kms_->env["endpoint"].get<std::string>();
    admin_ = {kms_->env["access_key_id"].get<std::string>(),
              kms_->env["secret_access_key"].get<std::string>()};
    // An access key for the enclave's role session, added while the server runs.
    const CommandResult key = Enclavectl(
        {"kms", "access-key", "--state", state_, "--principal", kEnclavePrincipal, "--json"});
    ASSERT_EQ(key.exit_code, 0) << key.err;
    const Json json = Json::parse(key.out);
    enclave_ = {json["access_key_id"].get<std::string>(),
                json["secret_access_key"].get<std::string>()};
  }

  void TearDown() override {
    if (kms_) {
      // SIGTERM stops it cleanly (exit 0).
      const int status = kms_->process.Stop(SIGTERM);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << Slurp(kms_->log_path);
      kms_.reset();
    }
    std::filesystem::remove_all(Scratch());
  }

  static Stack* Get() { return instance_; }
  explicit Stack() { instance_ = this; }

  const std::string& Endpoint() const { return endpoint_; }
  const std::string& Nsm() const { return nsm_; }
  const std::string& State() const { return state_; }
  const Credentials& Admin() const { return admin_; }
  const Credentials& Enclave() const { return enclave_; }
  std::string Log() const { return Slurp(kms_->log_path); }

 private:
  static inline Stack* instance_ = nullptr;
  std::string nsm_;
  std::string state_;
  std::string endpoint_;
  Credentials admin_;
  Credentials enclave_;
  std::unique_ptr<RunningKms> kms_;
};

const ::testing::Environment* const kStack = ::testing::AddGlobalTestEnvironment(new Stack);

// The AWS CLI / boto3 environment: these credentials, nothing from the user's files.
std::vector<std::string> AwsEnv(const Credentials& who) {
  const std::string home = (Scratch() / "home").string();
  std::filesystem::create_directories(home);
  return testing::Environment({{"HOME", home},
                               {"AWS_ACCESS_KEY_ID", who.access_key_id},
                               {"AWS_SECRET_ACCESS_KEY", who.secret},
                               {"AWS_SESSION_TOKEN", ""},
                               {"AWS_PROFILE", ""},
                               {"AWS_DEFAULT_REGION", "us-east-1"},
                               {"AWS_REGION", "us-east-1"},
                               {"AWS_CONFIG_FILE", home + "/none"},
                               {"AWS_SHARED_CREDENTIALS_FILE", home + "/none"},
                               {"AWS_EC2_METADATA_DISABLED", "true"},
                               {"AWS_ENDPOINT_URL", ""},
                               {"AWS_ENDPOINT_URL_KMS", ""},
                               {"AWS_MAX_ATTEMPTS", "1"}});
}

// `aws --endpoint-url ENDPOINT kms ARGS --output json`.
CommandResult Aws(std::vector<std::string> args, const Credentials& who) {
  args.insert(args.begin(), {"aws", "--endpoint-url", Stack::Get()->Endpoint(), "kms"});
  args.insert(args.end(), {"--output", "json"});
  return testing::RunCommand(args, AwsEnv(who));
}

Json AwsOk(std::vector<std::string> args, const Credentials& who) {
  const CommandResult result = Aws(args, who);
  EXPECT_EQ(result.exit_code, 0) << args[0] << ": " << result.err;
  if (result.out.empty()) {
    return Json::object();
  }
  return Json::parse(result.out, nullptr, false);
}

// The error name of a failing `aws` call (it prints "An error occurred (Name) when ...").
std::string AwsError(std::vector<std::string> args, const Credentials& who) {
  const CommandResult result = Aws(args, who);
  EXPECT_NE(result.exit_code, 0) << args[0];
  const std::size_t open = result.err.find("An error occurred (");
  if (open == std::string::npos) {
    return "no error: " + result.err;
  }
  const std::size_t start = open + 19;
  return result.err.substr(start, result.err.find(')', start) - start);
}

std::string WriteFile(const std::string& name, core::ByteView bytes) {
  const std::string path = (Scratch() / name).string();
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),  // NOLINT
             static_cast<std::streamsize>(bytes.size()));
  return path;
}

TEST(LocalKmsServer, TheAwsCliDrivesTheKmsOperations) {
  const Credentials& admin = Stack::Get()->Admin();
  const Json created = AwsOk({"create-key", "--description", "aws cli key"}, admin);
  const std::string key = created["KeyMetadata"]["KeyId"].get<std::string>();
  EXPECT_EQ(created["KeyMetadata"]["KeySpec"], "SYMMETRIC_DEFAULT");
  EXPECT_EQ(AwsOk({"describe-key", "--key-id", key}, admin)["KeyMetadata"]["Description"],
            "aws cli key");
  // encrypt / decrypt with an encryption context (CLI v1 blobs: fileb://).
  const std::string plaintext = WriteFile("plain.bin", core::AsBytes("attack at dawn"));
  const Json encrypted = AwsOk({"encrypt", "--key-id", key, "--plaintext", "fileb://" + plaintext,
                                "--encryption-context", "app=enclavectl"},
                               admin);
  const std::string blob =
      WriteFile("blob.bin", *core::Base64Decode(encrypted["CiphertextBlob"].get<std::string>()));
  const Json decrypted = AwsOk(
      {"decrypt", "--ciphertext-blob", "fileb://" + blob, "--encryption-context", "app=enclavectl"},
      admin);
  EXPECT_EQ(*core::Base64Decode(decrypted["Plaintext"].get<std::string>()),
            core::ToBytes(core::AsBytes("attack at dawn")));
  EXPECT_EQ(decrypted["KeyId"], created["KeyMetadata"]["Arn"]);
  EXPECT_EQ(AwsError({"decrypt", "--ciphertext-blob", "fileb://" + blob, "--encryption-context",
                      "app=other"},
                     admin),
            "InvalidCiphertextException");
  // generate-data-key / generate-random
  const Json data_key =
      AwsOk({"generate-data-key", "--key-id", key, "--key-spec", "AES_256"}, admin);
  EXPECT_EQ(core::Base64Decode(data_key["Plaintext"].get<std::string>())->size(), 32U);
  EXPECT_EQ(
      core::Base64Decode(AwsOk({"generate-random", "--number-of-bytes", "64"}, admin)["Plaintext"]
                             .get<std::string>())
          ->size(),
      64U);
  EXPECT_EQ(AwsError({"generate-random", "--number-of-bytes", "2000"}, admin),
            "ValidationException");
  // An ECDH key: get-public-key and derive-shared-secret, checked against OpenSSL.
  const std::string ecdh =
      AwsOk({"create-key", "--key-spec", "ECC_NIST_P256", "--key-usage", "KEY_AGREEMENT"},
            admin)["KeyMetadata"]["KeyId"]
          .get<std::string>();
  const Json public_key = AwsOk({"get-public-key", "--key-id", ecdh}, admin);
  EXPECT_EQ(public_key["KeyAgreementAlgorithms"], Json::array({"ECDH"}));
  core::EvpPkeyPtr peer = testing::GenerateEcKey("P-256");
  const std::string peer_spki = WriteFile("peer.der", *aws::PublicKeyDer(peer.get()));
  const Json derived = AwsOk({"derive-shared-secret", "--key-id", ecdh, "--key-agreement-algorithm",
                              "ECDH", "--public-key", "fileb://" + peer_spki},
                             admin);
  EXPECT_EQ(*core::Base64Decode(derived["SharedSecret"].get<std::string>()),
            testing::PeerEcdh(peer.get(),
                              *core::Base64Decode(public_key["PublicKey"].get<std::string>())));
  EXPECT_EQ(
      AwsError({"create-key", "--key-spec", "ECC_SECG_P256K1", "--key-usage", "KEY_AGREEMENT"},
               admin),
      "ValidationException");
  // put-key-policy / get-key-policy (text kept as sent), and the lockout check.
  const std::string policy = R"({"Version": "2012-10-17", "Statement": [{"Sid": "Admin", )"
                             R"("Effect": "Allow", "Principal": {"AWS": ")" +
                             std::string(kAdminPrincipal) +
                             R"("}, "Action": "kms:*", "Resource": "*"}]})";
  AwsOk({"put-key-policy", "--key-id", key, "--policy-name", "default", "--policy", policy}, admin);
  EXPECT_EQ(AwsOk({"get-key-policy", "--key-id", key, "--policy-name", "default"}, admin)["Policy"],
            policy);
  const std::string lockout = R"({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", )"
                              R"("Principal": {"AWS": ")" +
                              std::string(kEnclaveRole) +
                              R"("}, "Action": "kms:*", "Resource": "*"}]})";
  EXPECT_EQ(
      AwsError({"put-key-policy", "--key-id", key, "--policy-name", "default", "--policy", lockout},
               admin),
      "MalformedPolicyDocumentException");
  // aliases, listing, deletion
  AwsOk({"create-alias", "--alias-name", "alias/cli", "--target-key-id", key}, admin);
  EXPECT_EQ(AwsOk({"describe-key", "--key-id", "alias/cli"}, admin)["KeyMetadata"]["KeyId"], key);
  const Json aliases = AwsOk({"list-aliases", "--key-id", key}, admin);
  ASSERT_EQ(aliases["Aliases"].size(), 1U);
  const Json scheduled =
      AwsOk({"schedule-key-deletion", "--key-id", key, "--pending-window-in-days", "7"}, admin);
  EXPECT_EQ(scheduled["KeyState"], "PendingDeletion");
  EXPECT_EQ(AwsError({"encrypt", "--key-id", key, "--plaintext", "fileb://" + plaintext}, admin),
            "KMSInvalidStateException");
  // Wrong credentials never get through.
  EXPECT_EQ(
      AwsError({"list-keys"}, {admin.access_key_id, "wrong-secret-wrong-secret-wrong-secret"}),
      "InvalidSignatureException");
  EXPECT_EQ(AwsError({"list-keys"}, {"AKIAUNKNOWNUNKNOWN00", admin.secret}),
            "UnrecognizedClientException");
}

// The RSA key of the "enclave" and its files (SPKI for the document, PEM for openssl cms).
struct RecipientFiles {
  core::EvpPkeyPtr key;
  std::string spki_path;
  std::string pem_path;
};

RecipientFiles MakeRecipient() {
  RecipientFiles out;
  out.key = *aws::MakeRecipientKey();
  out.spki_path = WriteFile("recipient.spki.der", *aws::PublicKeyDer(out.key.get()));
  out.pem_path = (Scratch() / "recipient.pem").string();
  core::BioPtr bio(BIO_new_file(out.pem_path.c_str(), "w"));
  PEM_write_bio_PrivateKey(bio.get(), out.key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return out;
}

// An attestation document from the simulator (the server trusts its root) for PCR0 = `pcr0`.
std::string Attest(const std::string& pcr0, const std::string& public_key_path,
                   const std::string& name) {
  const std::string path = (Scratch() / name).string();
  const CommandResult result =
      Enclavectl({"nsm", "attest", "--state", Scratch().string(), "--pcr", "0=" + pcr0, "--pcr",
                  "1=" + std::string(96, '1'), "--pcr", "2=" + std::string(96, '2'), "--public-key",
                  public_key_path, "-o", path});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return path;
}

Json Boto3(const Credentials& who, const std::vector<std::string>& args) {
  const std::string out = (Scratch() / "boto3-out.json").string();
  std::filesystem::remove(out);
  std::vector<std::string> argv = {
      "python3", (testing::TestsDir() / "localkms" / "localkms_boto3.py").string(),
      Stack::Get()->Endpoint()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.begin() + 5, out);
  const CommandResult result = testing::RunCommand(argv, AwsEnv(who));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return Json::parse(Slurp(out), nullptr, false);
}

core::Bytes Unwrap(const Json& entry, EVP_PKEY* key) {
  EXPECT_TRUE(entry.contains("ciphertextForRecipient")) << entry.dump();
  if (!entry.contains("ciphertextForRecipient")) {
    return {};
  }
  auto plaintext = aws::DecryptCiphertextForRecipient(
      *core::Base64Decode(entry["ciphertextForRecipient"].get<std::string>()), key);
  EXPECT_TRUE(plaintext) << plaintext.error().detail;
  return plaintext ? core::ToBytes(plaintext->View()) : core::Bytes{};
}

// Locks keys to PCR0 = X with enclavectl lock-policy, then: no attestation -> denied, another
// PCR0 -> denied, PCR0 = X -> CiphertextForRecipient (boto3) that the RSA key decrypts.
TEST(LocalKmsServer, AKeyLockedToPcr0ServesOnlyThatImage) {
  const Credentials& admin = Stack::Get()->Admin();
  const Credentials& enclave = Stack::Get()->Enclave();
  const std::string pcr0 = std::string(48, 'a') + std::string(48, '7');
  const Json created = AwsOk({"create-key"}, admin);
  const std::string key_arn = created["KeyMetadata"]["Arn"].get<std::string>();
  const std::string plaintext = WriteFile("seed.bin", core::AsBytes("the enclave's seed"));
  const Json encrypted =
      AwsOk({"encrypt", "--key-id", key_arn, "--plaintext", "fileb://" + plaintext}, admin);
  const Json ecdh_created =
      AwsOk({"create-key", "--key-spec", "ECC_NIST_P256", "--key-usage", "KEY_AGREEMENT"}, admin);
  const std::string ecdh_arn = ecdh_created["KeyMetadata"]["Arn"].get<std::string>();
  const core::Bytes ecdh_public = *core::Base64Decode(
      AwsOk({"get-public-key", "--key-id", ecdh_arn}, admin)["PublicKey"].get<std::string>());

  // enclavectl lock-policy --apply --yes against the local KMS (in-process, admin credentials).
  ::setenv("HOME", (Scratch() / "home").c_str(), 1);
  ::setenv("AWS_ACCESS_KEY_ID", admin.access_key_id.c_str(), 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", admin.secret.c_str(), 1);
  ::unsetenv("AWS_SESSION_TOKEN");
  ::unsetenv("AWS_PROFILE");
  ::setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  const core::io::SystemClock clock;
  for (const std::string& arn : {key_arn, ecdh_arn}) {
    const testing::CliResult locked =
        testing::RunCli({"lock-policy", "--key-id", arn, "--enclave-role", kEnclaveRole, "--pcr",
                         "0=" + pcr0, "--auditor", kAdminPrincipal, "--apply", "--yes",
                         "--endpoint-url", Stack::Get()->Endpoint()},
                        clock);
    ASSERT_EQ(locked.exit_code, 0) << locked.out << locked.err;
  }
  // A multi-Region key: its replicas carry policies of their own, so no policy on this one can
  // make it enclave-only. lock-policy refuses before sending anything.
  const Json multi_region = AwsOk({"create-key", "--multi-region"}, admin);
  const std::string multi_region_arn = multi_region["KeyMetadata"]["Arn"].get<std::string>();
  const testing::CliResult refused =
      testing::RunCli({"lock-policy", "--key-id", multi_region_arn, "--enclave-role", kEnclaveRole,
                       "--pcr", "0=" + pcr0, "--auditor", kAdminPrincipal, "--apply", "--yes",
                       "--endpoint-url", Stack::Get()->Endpoint()},
                      clock);
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  EXPECT_NE((refused.out + refused.err).find("POLICY_NOT_ENCLAVE_ONLY"), std::string::npos)
      << refused.out << refused.err;
  EXPECT_NE((refused.out + refused.err).find("multi-Region"), std::string::npos);

  const RecipientFiles recipient = MakeRecipient();
  const std::string doc_x = Attest(pcr0, recipient.spki_path, "doc-x.cbor");
  const std::string doc_y = Attest(std::string(96, 'b'), recipient.spki_path, "doc-y.cbor");
  core::EvpPkeyPtr peer = testing::GenerateEcKey("P-256");
  const std::string peer_spki = WriteFile("peer-x.der", *aws::PublicKeyDer(peer.get()));
  const std::vector<std::string> extra = {peer_spki, ecdh_arn,
                                          encrypted["CiphertextBlob"].get<std::string>()};

  // PCR0 = X: every secret comes back as CiphertextForRecipient, never in clear.
  std::vector<std::string> args = {key_arn, doc_x};
  args.insert(args.end(), extra.begin(), extra.end());
  const Json good = Boto3(enclave, args);
  EXPECT_EQ(Unwrap(good["GenerateRandom"], recipient.key.get()).size(), 32U);
  EXPECT_EQ(Unwrap(good["GenerateDataKey"], recipient.key.get()).size(), 32U);
  EXPECT_EQ(Unwrap(good["DeriveSharedSecret"], recipient.key.get()),
            testing::PeerEcdh(peer.get(), ecdh_public));
  EXPECT_EQ(Unwrap(good["Decrypt"], recipient.key.get()),
            core::ToBytes(core::AsBytes("the enclave's seed")));
  // openssl cms decrypts the same envelope (an independent CMS implementation).
  const std::string envelope =
      WriteFile("envelope.der",
                *core::Base64Decode(good["Decrypt"]["ciphertextForRecipient"].get<std::string>()));
  const CommandResult cms = testing::RunCommand({"openssl", "cms", "-decrypt", "-inform", "DER",
                                                 "-in", envelope, "-inkey", recipient.pem_path},
                                                testing::Environment({}));
  EXPECT_EQ(cms.exit_code, 0) << cms.err;
  EXPECT_EQ(cms.out, "the enclave's seed");

  // Another image: every key-bound operation is denied (GenerateRandom has no key).
  args = {key_arn, doc_y};
  args.insert(args.end(), extra.begin(), extra.end());
  const Json other = Boto3(enclave, args);
  for (const char* op : {"GenerateDataKey", "DeriveSharedSecret", "Decrypt"}) {
    EXPECT_EQ(other[op].value("error", ""), "AccessDeniedException") << op << other.dump();
  }
  EXPECT_TRUE(other["GenerateRandom"].contains("ciphertextForRecipient"));
  // No attestation at all: denied.
  EXPECT_EQ(AwsError({"decrypt", "--ciphertext-blob",
                      "fileb://" + WriteFile("locked-blob.bin",
                                             *core::Base64Decode(
                                                 encrypted["CiphertextBlob"].get<std::string>()))},
                     enclave),
            "AccessDeniedException");
  EXPECT_EQ(AwsError({"generate-data-key", "--key-id", key_arn, "--key-spec", "AES_256"}, enclave),
            "AccessDeniedException");
  // The admin kept read access only: the lock cannot be undone.
  EXPECT_EQ(AwsError({"put-key-policy", "--key-id", key_arn, "--policy-name", "default", "--policy",
                      R"({"Version":"2012-10-17","Statement":[]})",
                      "--bypass-policy-lockout-safety-check"},
                     admin),
            "AccessDeniedException");
  // The request log names the operations and callers, never a secret. (The log file also
  // holds what kms serve printed on stdout: the environment with the admin's secret.)
  const std::string log = Stack::Get()->Log();
  EXPECT_NE(log.find("Decrypt " + std::string(kEnclavePrincipal) + " 400 AccessDeniedException"),
            std::string::npos);
  std::istringstream lines(log);
  std::string line;
  int request_lines = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("20", 0) == 0) {  // "2026-...Z 127.0.0.1:PORT Operation principal status"
      ++request_lines;
      EXPECT_EQ(line.find(admin.secret), std::string::npos) << line;
      EXPECT_EQ(line.find(enclave.secret), std::string::npos) << line;
      EXPECT_EQ(line.find("the enclave"), std::string::npos) << line;
    }
  }
  EXPECT_GT(request_lines, 10);
}

// Hostile requests over HTTP: the right KMS error each time, and the server stays up.
class HostileHttp : public ::testing::Test {
 protected:
  HostileHttp() {
    credentials_.access_key_id = Stack::Get()->Admin().access_key_id;
    credentials_.secret_access_key = core::SecretBytes(core::AsBytes(Stack::Get()->Admin().secret));
  }

  // Sends `body` to TrentService.`operation`, signed (or with `signature_flip`, not).
  aws::HttpResponse Send(const std::string& operation, const std::string& body,
                         bool signature_flip = false) {
    aws::HttpRequest http;
    http.method = "POST";
    http.url = Stack::Get()->Endpoint() + "/";
    http.headers = testing::SignedKmsHeaders(Stack::Get()->Endpoint().substr(7), operation, body,
                                             credentials_, clock_.Now());
    if (signature_flip) {
      std::string& authorization = http.headers.back().value;
      authorization.back() = authorization.back() == '0' ? '1' : '0';
    }
    http.body = core::SecretBytes(core::AsBytes(body));
    auto response = transport_.Send(http, aws::HttpOptions{});
    EXPECT_TRUE(response) << response.error().detail;
    return response ? std::move(*response) : aws::HttpResponse{};
  }

  static std::string Type(const aws::HttpResponse& response) {
    const Json json = Json::parse(core::AsChars(response.body.View()), nullptr, false);
    return json.is_object() ? json.value("__type", "") : "not JSON";
  }

  // A raw exchange on a new connection: the status line of the answer.
  static std::string Raw(const std::string& bytes) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(
        std::stoi(Stack::Get()->Endpoint().substr(Stack::Get()->Endpoint().rfind(':') + 1))));
    std::string answer;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {  // NOLINT
      std::size_t sent = 0;
      while (sent < bytes.size()) {
        const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
          break;
        }
        sent += static_cast<std::size_t>(n);
      }
      char buffer[4096];  // NOLINT
      ssize_t n = 0;
      while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) {
        answer.append(buffer, static_cast<std::size_t>(n));
      }
    }
    ::close(fd);
    return answer;
  }

  core::io::SystemClock clock_;
  aws::AwsCredentials credentials_;
  aws::CurlTransport transport_{"enclavectl-test"};
};

TEST_F(HostileHttp, EveryHostileRequestGetsTheRightKmsError) {
  EXPECT_EQ(Type(Send("CreateKey", "{not json")), "SerializationException");
  EXPECT_EQ(Type(Send("GenerateRandom", R"({"NumberOfBytes": "32"})")), "SerializationException");
  EXPECT_EQ(Type(Send("GenerateRandom", R"({"NumberOfBytes": [32]})")), "SerializationException");
  EXPECT_EQ(Type(Send("Sign", "{}")), "UnknownOperationException");
  EXPECT_EQ(Type(Send("NoSuchOperation", "{}")), "UnknownOperationException");
  EXPECT_EQ(Type(Send("ListKeys", "{}", /*signature_flip=*/true)), "InvalidSignatureException");
  const aws::HttpResponse garbage_doc =
      Send("GenerateRandom",
           R"({"NumberOfBytes": 32, "Recipient": {"KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256", )"
           R"("AttestationDocument": ")" +
               core::Base64Encode(core::Bytes(2000, 0xa5)) + R"("}})");
  EXPECT_EQ(garbage_doc.status, 400);
  EXPECT_EQ(Type(garbage_doc), "ValidationException");
  EXPECT_TRUE(garbage_doc.Header("x-amzn-RequestId"));
  // A body over the 1 MiB limit is refused by the HTTP layer, as a KMS-style JSON error.
  const std::string big =
      Raw("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: "
          "application/x-amz-json-1.1\r\nContent-Length: 2000000\r\n\r\n" +
          std::string(2000000, 'a'));
  EXPECT_EQ(big.rfind("HTTP/1.1 413", 0), 0U) << big.substr(0, 200);
  EXPECT_NE(big.find("\"__type\":\"ValidationException\""), std::string::npos);
  const std::string malformed = Raw("GARBAGE\r\n\r\n");
  EXPECT_EQ(malformed.rfind("HTTP/1.1 400", 0), 0U) << malformed.substr(0, 200);
  EXPECT_NE(malformed.find("SerializationException"), std::string::npos);
  // Unsigned requests: MissingAuthenticationTokenException.
  const std::string unsigned_request =
      Raw("POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: TrentService.ListKeys\r\nContent-Length: "
          "2\r\nConnection: close\r\n\r\n{}");
  EXPECT_NE(unsigned_request.find("MissingAuthenticationTokenException"), std::string::npos);
  // Still up.
  EXPECT_EQ(Send("ListKeys", "{}").status, 200);
}

// kill -9 during a burst of CreateKey/PutKeyPolicy: after a restart every acknowledged key
// and policy is there and the state file is valid. ENCLAVECTL_KILL_ROUNDS kills on the same
// directory (3 by default), then a last restart that checks the last.
TEST(LocalKmsServer, KillNineLosesNothingAcknowledged) {
  const std::string state = (Scratch() / "crash").string();
  std::map<std::string, std::string> acked;  // key ARN -> its last acknowledged policy
  // A PutKeyPolicy in flight at the kill: either version may have been saved.
  std::map<std::string, std::pair<std::string, std::string>> uncertain;
  std::mt19937 random(12345);
  const core::io::SystemClock clock;
  struct NoSleep final : aws::Sleeper {
    void SleepMs(std::int64_t /*ms*/) override {}
  } sleeper;
  // ENCLAVECTL_KILL_ROUNDS kills (3 by default; the endurance run uses 200).
  const char* rounds_env = std::getenv("ENCLAVECTL_KILL_ROUNDS");
  const int rounds = rounds_env != nullptr ? std::max(1, std::atoi(rounds_env)) : 3;
  for (int round = 0; round <= rounds; ++round) {
    RunningKms kms = StartKms(state, {"--quiet"});
    ASSERT_TRUE(kms.env.is_object());
    // The state file on disk is a complete, valid state (the server just loaded it too).
    auto decoded = localkms::DecodeKeyStore(
        core::AsBytes(Slurp(std::filesystem::path(state) / "kms" / "state.json")));
    if (round > 0) {
      ASSERT_TRUE(decoded) << decoded.error().detail;
      EXPECT_GE(decoded->keys.size(), acked.size());
    }
    aws::MapEnvironment env;
    aws::AwsCredentials credentials;
    credentials.access_key_id = kms.env["access_key_id"].get<std::string>();
    credentials.secret_access_key =
        core::SecretBytes(core::AsBytes(kms.env["secret_access_key"].get<std::string>()));
    aws::KmsClientOptions options;
    options.endpoint =
        *aws::ResolveKmsEndpoint(kms.env["endpoint"].get<std::string>(), "us-east-1", env);
    options.retry = aws::RetryPolicy{1, 1, 1};
    aws::CurlTransport transport("enclavectl-test");
    aws::KmsClient client(options, transport, credentials, clock, sleeper);
    // Every key acknowledged before the kill survived, with its last acknowledged policy.
    for (auto& [arn, policy] : acked) {
      auto described = client.DescribeKey(arn);
      ASSERT_TRUE(described) << arn << ": " << described.error().detail;
      auto fetched = client.GetKeyPolicy(arn);
      ASSERT_TRUE(fetched) << fetched.error().detail;
      if (const auto it = uncertain.find(arn); it != uncertain.end()) {
        EXPECT_TRUE(fetched->policy == it->second.first || fetched->policy == it->second.second);
        policy = fetched->policy;
      } else {
        EXPECT_EQ(fetched->policy, policy) << arn;
      }
    }
    uncertain.clear();
    if (round == rounds) {
      kms.process.Stop(SIGTERM);
      break;
    }
    // The burst, killed from another thread after a random number of milliseconds.
    const int delay_ms = 150 + static_cast<int>(random() % 350);
    const pid_t pid = kms.process.pid();
    std::thread killer([pid, delay_ms] {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      ::kill(pid, SIGKILL);
    });
    std::size_t acks = 0;
    for (int i = 0; i < 100000; ++i) {
      if (i % 3 == 2 && !acked.empty()) {
        auto it = acked.begin();
        std::advance(it, static_cast<long>(random() % acked.size()));
        const std::string policy =
            R"({"Version":"2012-10-17","Id":"r)" + std::to_string(round) + "-" + std::to_string(i) +
            R"(","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},)"
            R"("Action":"kms:*","Resource":"*"}]})";
        if (!client.PutKeyPolicy({it->first, policy, false})) {
          uncertain[it->first] = {it->second, policy};
          break;
        }
        it->second = policy;
      } else {
        auto key = client.CreateKey({});
        if (!key) {
          break;
        }
        acked[key->arn] = localkms::DefaultKeyPolicy("111122223333");
      }
      ++acks;
    }
    killer.join();
    kms.process.Stop(SIGKILL);
    EXPECT_GT(acks, 0U) << "no request was acknowledged before the kill";
  }
  EXPECT_GT(acked.size(), 3U);
}

// `dev up --background` prints the environment and detaches; `dev down` stops it.
TEST(LocalKmsServer, DevUpInTheBackgroundAndDown) {
  const std::string dir = (Scratch() / "dev").string();
  const CommandResult up = Enclavectl(
      {"dev", "up", "--state", dir, "--listen", "127.0.0.1:0", "--background", "--json"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  const Json env = Json::parse(up.out);
  testing::ExpectJsonConventions(up.out, "application/vnd.enclavectl.local-kms+json;version=1", 0);
  EXPECT_TRUE(std::filesystem::exists(dir + "/nsm/root.pem"));
  const std::string pid_text = Slurp(dir + "/kms.pid");
  ASSERT_FALSE(pid_text.empty());
  const pid_t pid = std::stoi(pid_text);
  EXPECT_EQ(pid, env["pid"].get<int>());
  // A client with exactly the printed environment (AWS_ENDPOINT_URL_KMS, no --endpoint-url).
  std::vector<std::string> aws_env = AwsEnv(
      {env["access_key_id"].get<std::string>(), env["secret_access_key"].get<std::string>()});
  aws_env.push_back("AWS_ENDPOINT_URL_KMS=" + env["endpoint"].get<std::string>());
  const CommandResult listed =
      testing::RunCommand({"aws", "kms", "list-keys", "--output", "json"}, aws_env);
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  // A second server on the same state directory is refused while the first runs.
  const CommandResult second =
      Enclavectl({"kms", "serve", "--state", dir, "--listen", "127.0.0.1:0", "--quiet"});
  EXPECT_EQ(second.exit_code, 74);
  EXPECT_NE(second.err.find("LOCAL_KMS_BUSY"), std::string::npos) << second.err;
  const CommandResult down = Enclavectl({"dev", "down", "--state", dir});
  EXPECT_EQ(down.exit_code, 0) << down.err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/kms.pid"));
  // Gone (or a zombie waiting for whoever adopted it to reap it).
  const auto gone = [pid] {
    const std::string stat = Slurp("/proc/" + std::to_string(pid) + "/stat");
    return ::kill(pid, 0) != 0 || stat.find(") Z ") != std::string::npos;
  };
  for (int i = 0; i < 50 && !gone(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(gone());
}

}  // namespace
}  // namespace enclavectl::localkms
