// `enclavectl verify --url / --bundle / --targets` against real `enclave-app --dev` processes
// on loopback, with the local KMS of `enclavectl dev up`: everything passes; a wrong expected
// PCR0, a replayed document, a body altered in transit and a swapped signing key (served by a
// small in-process proxy) each give their error code; a bundle written live re-verifies
// offline to the same verdict and a tampered one is refused; a fleet of 8 with one
// misconfigured reports exactly that one.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "enclavectl/cli/cli.hpp"
#include "enclavectl/core/file_io.hpp"
#include "enclavectl/net/http_client.hpp"
#include "enclavectl/net/http_server.hpp"
#include "local_stack.hpp"
#include "subprocess.hpp"
#include "test_paths.hpp"

namespace enclavectl::cli {
namespace {

using nlohmann::json;
using testing::ChildProcess;
using testing::CommandResult;

constexpr const char* kPcr0A =
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aa";
constexpr const char* kPcr0B =
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    "bb";

std::string Slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

using CliResult = testing::CliResult;

CliResult Enclavectl(std::vector<std::string> args) {
  return testing::RunCli(std::move(args), core::io::SystemClock());
}

// The local stack for the whole suite: `enclavectl dev up` (local KMS + development CA), one
// key-agreement key, and enclave-app --dev processes measured as PCR0 A (or B).
class Stack {
 public:
  static Stack& Get() {
    static Stack* stack = new Stack();  // NOLINT: lives until exit; processes die with it
    return *stack;
  }

  const std::string& Root() const { return root_; }
  bool Ready() const { return ready_; }
  const std::string& KeyArn() const { return key_arn_; }
  const std::vector<std::string>& Env() const { return env_; }

  // A new key-agreement key in the local KMS (as the local administrator); its ARN.
  std::string CreateKey(bool multi_region = false) {
    std::vector<std::string> args = {"aws",           "kms",           "create-key",
                                     "--key-spec",    "ECC_NIST_P256", "--key-usage",
                                     "KEY_AGREEMENT", "--output",      "json"};
    if (multi_region) {
      args.emplace_back("--multi-region");
    }
    const CommandResult key = testing::RunCommand(args, env_);
    EXPECT_EQ(key.exit_code, 0) << key.err;
    return json::parse(key.out, nullptr, false)
        .value("KeyMetadata", json::object())
        .value("Arn", "");
  }

  // Runs enclavectl as a process with the stack's credentials and KMS endpoint.
  CommandResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), ENCLAVECTL_BINARY);
    return testing::RunCommand(args, env_);
  }

  // Starts an enclave-app --dev set up with the stack's key; returns its base URL.
  // `image_config`: the image config's JSON (--image-config, --dev only), if any.
  std::string StartApp(const std::string& pcr0_hex, const std::string& image_config = "") {
    const std::string tag = std::to_string(apps_.size());
    const std::string log = (dir_ / ("app-" + tag + ".log")).string();
    std::vector<std::string> args = {ENCLAVE_APP_BINARY,
                                     "--dev",
                                     "--nsm-state",
                                     nsm_,
                                     "--pcr",
                                     "0=" + pcr0_hex,
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--vsock-port",
                                     "0",
                                     "--threads",
                                     "1",
                                     "--sealed-store",
                                     "file:" + (dir_ / ("sealed-" + tag + ".json")).string(),
                                     "--key-mode",
                                     "reproducible",
                                     "--key-id",
                                     key_arn_};
    if (!image_config.empty()) {
      const std::string path = (dir_ / ("image-config-" + tag + ".json")).string();
      std::ofstream(path) << image_config;
      args.emplace_back("--image-config");
      args.push_back(path);
    }
    apps_.emplace_back(std::move(args), env_, log);
    // The sanitizer build starts slowly: up to a minute for "setup done".
    for (int i = 0; i < 600; ++i) {
      const std::string text = Slurp(log);
      const std::size_t at = text.find("listening on http://");
      if (at != std::string::npos && text.find("setup done") != std::string::npos) {
        const std::size_t start = at + std::string("listening on ").size();
        return text.substr(start, text.find(' ', start) - start);
      }
      if (text.find("setup failed") != std::string::npos) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "enclave-app did not start and set up:\n" << Slurp(log);
    return "http://127.0.0.1:1";
  }

 private:
  Stack()
      : dir_(std::filesystem::temp_directory_path() /
             ("enclavectl-live-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(dir_);
    std::string error;
    if (!testing::StartLocalStack(ENCLAVECTL_BINARY, (dir_ / "stack").string(), local_, error)) {
      ADD_FAILURE() << error;
      return;
    }
    std::atexit([] { Get().Down(); });
    nsm_ = local_.nsm;
    root_ = local_.root;
    env_ = testing::Environment(local_.env);
    key_arn_ = testing::CreateKmsKey(
        local_, {"--key-spec", "ECC_NIST_P256", "--key-usage", "KEY_AGREEMENT"}, error);
    if (key_arn_.empty()) {
      ADD_FAILURE() << error;
      return;
    }
    ready_ = true;
  }

  void Down() {
    apps_.clear();  // SIGKILL and reap
    testing::StopLocalStack(ENCLAVECTL_BINARY, local_);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::filesystem::path dir_;
  testing::LocalStack local_;
  std::string nsm_;
  std::string root_;
  std::string key_arn_;
  std::vector<std::string> env_;
  std::vector<ChildProcess> apps_;
  bool ready_ = false;
};

// A proxy in front of one enclave-app that can misbehave.
class Proxy {
 public:
  enum class Mode : std::uint8_t {
    kPass,
    kReplayAttestation,
    kAlterInfo,
    kSwapKey,
    kUnsignedMigration,  // /v1/migration-status without its signature headers
    kAlterMigration,     // /v1/migration-status with a pending state it did not sign
  };

  explicit Proxy(std::string upstream) : upstream_(std::move(upstream)) {
    net::HttpServerOptions options;
    options.threads = 1;
    auto server = net::HttpServer::Start(
        options, [this](const net::HttpRequest& request) { return Forward(request); });
    EXPECT_TRUE(server);
    server_ = std::move(*server);
  }
  ~Proxy() { server_->Stop(); }
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  std::string Url() const { return "http://127.0.0.1:" + std::to_string(server_->Port()); }
  void SetMode(Mode mode) {
    std::lock_guard lock(mutex_);
    mode_ = mode;
  }

 private:
  net::HttpResponse Forward(const net::HttpRequest& request) {
    net::HttpClientRequest upstream;
    upstream.url = upstream_ + request.target;
    auto answer = net::Fetch(upstream, net::HttpClientOptions{});
    net::HttpResponse response;
    if (!answer) {
      response.status = 502;
      return response;
    }
    response.status = static_cast<unsigned>(answer->status);
    response.content_type = answer->Header("Content-Type").value_or("application/json");
    for (const char* name : {"X-Attestation-Signature", "X-Attestation-Pubkey"}) {
      if (auto value = answer->Header(name)) {
        response.headers.emplace_back(name, *value);
      }
    }
    response.body = std::string(core::AsChars(answer->body.View()));
    std::lock_guard lock(mutex_);
    if (request.path == "/enclave/attestation") {
      if (!kept_) {
        kept_ = response;  // the first document seen, for replays
      } else if (mode_ == Mode::kReplayAttestation) {
        return *kept_;
      }
    }
    if (request.path == "/v1/migration-status") {
      if (mode_ == Mode::kUnsignedMigration) {
        response.headers.clear();
      } else if (mode_ == Mode::kAlterMigration) {
        response.body =
            R"({"state":{"target_pcr0":")" + std::string(kPcr0B) +
            R"(","v2_kms_key_id":"","initiated_at":1700000000},"cooldown_expired":true})"
            "\n";
      }
    }
    if (request.path == "/v1/info") {
      if (mode_ == Mode::kAlterInfo) {
        response.body.insert(response.body.size() - 1, " ");  // still the same JSON
      } else if (mode_ == Mode::kSwapKey) {
        json body = json::parse(response.body);
        // Both names of the key (a public_key other than signerPubkey is malformed).
        body["public_key"] = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
        if (body.contains("signerPubkey")) {
          body["signerPubkey"] = body["public_key"];
        }
        response.body = body.dump();
      }
    }
    return response;
  }

  std::string upstream_;
  std::unique_ptr<net::HttpServer> server_;
  std::mutex mutex_;
  Mode mode_ = Mode::kPass;
  std::optional<net::HttpResponse> kept_;
};

std::string ErrorCodeIn(const std::string& json_text) {
  const json report = json::parse(json_text, nullptr, false);
  if (!report.is_object() || !report["error"].is_object()) {
    return "";
  }
  return report["error"]["code"].get<std::string>();
}

class LiveCli : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Stack::Get().Ready());
    if (url_.empty()) {
      url_ = Stack::Get().StartApp(kPcr0A);
    }
  }
  static std::vector<std::string> Live(const std::string& url, std::vector<std::string> extra) {
    std::vector<std::string> args = {"verify", "--url", url, "--root", Stack::Get().Root()};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  static std::string url_;
  testing::ScopedTempDir dir_;
};
std::string LiveCli::url_;

TEST_F(LiveCli, AnHonestServicePassesAndItsBundleReverifiesOffline) {
  const std::string bundle = (dir_.Path() / "evidence.zip").string();
  const CliResult live =
      Enclavectl(Live(url_, {"--expect-pcr0", kPcr0A, "--bundle", bundle, "--json"}));
  ASSERT_EQ(live.exit_code, 0) << live.out << live.err;
  const json report = json::parse(live.out);
  EXPECT_EQ(report["verdict"], "accepted");
  EXPECT_EQ(report["responses_signed"], 3);
  EXPECT_EQ(report["claims"]["dev"], true);

  const CliResult again = Enclavectl({"verify", "--bundle", bundle, "--root", Stack::Get().Root(),
                                      "--expect-pcr0", kPcr0A, "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  const json replayed = json::parse(again.out);
  EXPECT_EQ(replayed["verdict"], "accepted");
  EXPECT_EQ(replayed["bundle"]["recorded_verdict"], "accepted");
  EXPECT_EQ(replayed["captured_at"], report["captured_at"]);
  EXPECT_EQ(replayed["nonce"], report["nonce"]);

  // Offline with the AWS root: the development chain is refused, as it was not trusted.
  const CliResult aws = Enclavectl({"verify", "--bundle", bundle, "--expect-pcr0", kPcr0A});
  EXPECT_EQ(aws.exit_code, 1) << aws.out;
  EXPECT_NE(aws.out.find("CHAIN_ROOT_MISMATCH"), std::string::npos) << aws.out;

  // With another image expected by the auditor: rejected from the same evidence.
  const CliResult other = Enclavectl({"verify", "--bundle", bundle, "--root", Stack::Get().Root(),
                                      "--expect-pcr0", kPcr0B, "--json"});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_EQ(ErrorCodeIn(other.out), "PCR_MISMATCH");

  // One byte changed in the archive: refused.
  core::Bytes zip = testing::ReadBytes(bundle);
  zip[zip.size() / 2] ^= 0x01;
  const std::string tampered = dir_.Write("tampered.zip", zip);
  const CliResult bad = Enclavectl(
      {"verify", "--bundle", tampered, "--root", Stack::Get().Root(), "--any-image", "--json"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_EQ(ErrorCodeIn(bad.out).rfind("BUNDLE_", 0), 0U) << bad.out;
  const std::string garbage = dir_.Write("garbage.zip", core::Bytes(100, 'x'));
  const CliResult junk = Enclavectl({"verify", "--bundle", garbage, "--any-image", "--json"});
  EXPECT_EQ(junk.exit_code, 2);
  EXPECT_EQ(ErrorCodeIn(junk.out), "BUNDLE_MALFORMED");
}

// Issue 12 item 5: a bundle's manifest cannot flip a verdict. A REJECTED visit (the auditor
// expected image B) whose recorded expectations are edited to image A stays unaccepted: with
// no expectation on the command line the re-verification shows what the documents prove and
// exits 64; recorded allow-debug / max-age are never used either.
TEST_F(LiveCli, EditingABundlesRecordedExpectationsCannotMakeItAccepted) {
  const std::string bundle = (dir_.Path() / "rejected.zip").string();
  const CliResult live =
      Enclavectl(Live(url_, {"--expect-pcr0", kPcr0B, "--bundle", bundle, "--json"}));
  ASSERT_EQ(live.exit_code, 1) << live.out;
  EXPECT_EQ(ErrorCodeIn(live.out), "PCR_MISMATCH");
  // Rewrite manifest.json's recorded expectations (the manifest hashes the other members, not
  // itself, so this is a consistent bundle).
  const std::filesystem::path unpacked = dir_.Path() / "unpacked";
  std::filesystem::create_directories(unpacked);
  ASSERT_EQ(testing::RunCommand({"unzip", "-q", "-o", bundle, "-d", unpacked.string()},
                                testing::Environment({}))
                .exit_code,
            0);
  json manifest = json::parse(Slurp(unpacked / "manifest.json"));
  manifest["options"]["expectations"]["required_pcrs"] = {{"PCR0", kPcr0A}};
  manifest["options"]["expectations"]["allow_debug"] = true;
  manifest["options"]["expectations"]["max_age_ms"] = 1;
  {
    std::ofstream out(unpacked / "manifest.json", std::ios::trunc);
    out << manifest.dump(1) << "\n";
  }
  const std::string edited = (dir_.Path() / "edited.zip").string();
  ASSERT_EQ(testing::RunCommand({"sh", "-c",
                                 "cd '" + unpacked.string() + "' && zip -q -X '" + edited +
                                     "' manifest.json document.cbor chain.pem report.json "
                                     "attestation.json attestation.body info.json info.body "
                                     "enclave-info.json enclave-info.body"},
                                testing::Environment({}))
                .exit_code,
            0);
  const CliResult unjudged =
      Enclavectl({"verify", "--bundle", edited, "--root", Stack::Get().Root(), "--json"});
  EXPECT_EQ(unjudged.exit_code, 64) << unjudged.out << unjudged.err;
  const json report = json::parse(unjudged.out);
  EXPECT_EQ(report["verdict"], "not_judged");
  EXPECT_EQ(ErrorCodeIn(unjudged.out), "INVALID_ARGUMENT");
  EXPECT_NE(report["bundle"]["recorded_expectations"].get<std::string>().find("PCR0=aaaa"),
            std::string::npos)
      << report["bundle"];
  const CliResult text = Enclavectl({"verify", "--bundle", edited, "--root", Stack::Get().Root()});
  EXPECT_EQ(text.exit_code, 64);
  EXPECT_EQ(text.out.rfind("GENUINE, NOT JUDGED", 0), 0U) << text.out;
  EXPECT_EQ(text.out.find("ACCEPTED"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("recorded at capture"), std::string::npos) << text.out;
  // The auditor's own expectation decides, whatever was recorded; the recorded max_age_ms of
  // 1 ms is not applied (the document would be far too old for it).
  const CliResult theirs = Enclavectl(
      {"verify", "--bundle", edited, "--root", Stack::Get().Root(), "--expect-pcr0", kPcr0B});
  EXPECT_EQ(theirs.exit_code, 1) << theirs.out;
  const CliResult mine = Enclavectl(
      {"verify", "--bundle", edited, "--root", Stack::Get().Root(), "--expect-pcr0", kPcr0A});
  EXPECT_EQ(mine.exit_code, 0) << mine.out;
  // --any-image: genuine, and the verdict line says that no image was checked.
  const CliResult any =
      Enclavectl({"verify", "--bundle", edited, "--root", Stack::Get().Root(), "--any-image"});
  EXPECT_EQ(any.exit_code, 0) << any.out;
  EXPECT_EQ(any.out.rfind("ACCEPTED (any image", 0), 0U) << any.out;
}

// Issue 12 item 7: a service answering 500 {"error":{"code":1,"message":["x"]}} used to abort
// verify --url (exit 134, uncaught nlohmann::json::type_error). Now: exit 1 with a code.
TEST_F(LiveCli, AHostileErrorBodyIsReportedNotThrown) {
  net::HttpServerOptions options;
  options.threads = 1;
  auto server = net::HttpServer::Start(options, [](const net::HttpRequest&) {
    net::HttpResponse response;
    response.status = 500;
    response.content_type = "application/json";
    response.body = R"({"error":{"code":1,"message":["x"]}})";
    return response;
  });
  ASSERT_TRUE(server);
  const std::string url = "http://127.0.0.1:" + std::to_string((*server)->Port());
  const CliResult result = Enclavectl({"verify", "--url", url, "--any-image", "--json"});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_EQ(ErrorCodeIn(result.out), "LIVE_HTTP_STATUS");
  const CliResult text = Enclavectl({"verify", "--url", url, "--any-image"});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.out.find("500 (1: (array))"), std::string::npos) << text.out;
  (*server)->Stop();
}

// --expect-kms-key: the key /v1/info names must be the expected one.
TEST_F(LiveCli, TheServiceMustUseTheExpectedKmsKey) {
  const CliResult other = Enclavectl(Live(
      url_,
      {"--expect-pcr0", kPcr0A, "--expect-kms-key",
       "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000", "--json"}));
  EXPECT_EQ(other.exit_code, 1) << other.out;
  EXPECT_EQ(ErrorCodeIn(other.out), "KMS_KEY_MISMATCH");
  EXPECT_EQ(
      Enclavectl(Live(url_, {"--expect-pcr0", kPcr0A, "--expect-kms-key", "not-an-arn"})).exit_code,
      64);
  EXPECT_EQ(
      Enclavectl(Live(url_, {"--expect-pcr0", kPcr0A, "--expect-blockhash", "abc"})).exit_code, 64);
  const CliResult same = Enclavectl(
      Live(url_, {"--expect-pcr0", kPcr0A, "--expect-kms-key", Stack::Get().KeyArn(), "--json"}));
  EXPECT_EQ(same.exit_code, 0) << same.out;
  const json report = json::parse(same.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << same.out;
  EXPECT_EQ(report["claims"]["kms_key_arn"], Stack::Get().KeyArn());
}

// --check-key-policy against the local KMS: the policy of the key, fetched with the auditor's
// credentials, must be enclave-only for the attested PCR0 and locked.
TEST_F(LiveCli, CheckKeyPolicyRequiresEnclaveOnlyForTheAttestedImageAndLocked) {
  Stack& stack = Stack::Get();
  const std::string account = stack.KeyArn().substr(0, stack.KeyArn().find(":key/"));
  const std::string account_id = account.substr(account.rfind(':') + 1);
  const std::string role = "arn:aws:iam::" + account_id + ":role/enclave";
  const std::string admin = "arn:aws:iam::" + account_id + ":user/local-admin";
  const auto lock = [&](const std::string& pcr0) {
    const std::string key = stack.CreateKey();
    const CommandResult locked =
        stack.Run({"lock-policy", "--key-id", key, "--enclave-role", role, "--pcr", "0=" + pcr0,
                   "--auditor", admin, "--apply", "--yes"});
    EXPECT_EQ(locked.exit_code, 0) << locked.out << locked.err;
    return key;
  };
  const std::string locked_a = lock(kPcr0A);
  const std::string locked_b = lock(kPcr0B);
  // The same locked policy on a multi-Region key: its replicas have policies of their own.
  // lock-policy refuses such a key, so the policy is copied over with the AWS CLI.
  const std::string locked_multi_region = stack.CreateKey(/*multi_region=*/true);
  const CommandResult refused_lock =
      stack.Run({"lock-policy", "--key-id", locked_multi_region, "--enclave-role", role, "--pcr",
                 "0=" + std::string(kPcr0A), "--auditor", admin, "--apply", "--yes"});
  EXPECT_EQ(refused_lock.exit_code, 1) << refused_lock.out << refused_lock.err;
  const CommandResult held =
      testing::RunCommand({"aws", "kms", "get-key-policy", "--key-id", locked_a, "--policy-name",
                           "default", "--output", "text", "--query", "Policy"},
                          stack.Env());
  ASSERT_EQ(held.exit_code, 0) << held.err;
  const std::string copied = (dir_.Path() / "locked-a.json").string();
  {
    std::ofstream out(copied);
    out << held.out;
  }
  const CommandResult copy = testing::RunCommand(
      {"aws", "kms", "put-key-policy", "--key-id", locked_multi_region, "--policy-name", "default",
       "--bypass-policy-lockout-safety-check", "--policy", "file://" + copied},
      stack.Env());
  ASSERT_EQ(copy.exit_code, 0) << copy.err;
  // Enclave-only for image A, but the administrator can still rewrite it: not locked.
  const std::string unlocked = stack.CreateKey();
  const std::string policy = (dir_.Path() / "unlocked.json").string();
  const CommandResult generated =
      stack.Run({"policy", "generate", "--account", account_id, "--enclave-role", role, "--admin",
                 admin, "--pcr", "0=" + std::string(kPcr0A), "--out", policy});
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  const CommandResult put =
      testing::RunCommand({"aws", "kms", "put-key-policy", "--key-id", unlocked, "--policy-name",
                           "default", "--policy", "file://" + policy},
                          stack.Env());
  ASSERT_EQ(put.exit_code, 0) << put.err;

  // The key's policy verdict, whatever the kms_key check says (the service uses the stack's
  // key, and names none until the app branch adds kms_key_arn).
  const auto key_policy = [&](const std::string& key) {
    const CommandResult run =
        stack.Run({"verify", "--url", url_, "--root", stack.Root(), "--expect-pcr0", kPcr0A,
                   "--expect-kms-key", key, "--check-key-policy", "--json"});
    const json report = json::parse(run.out, nullptr, false);
    EXPECT_TRUE(report.is_object()) << run.out << run.err;
    for (const json& check : report.value("checks", json::array())) {
      if (check["name"] == "key_policy") {
        return check;
      }
    }
    ADD_FAILURE() << "no key_policy check: " << run.out << run.err;
    return json::object();
  };
  const json pass = key_policy(locked_a);
  EXPECT_EQ(pass["status"], "pass") << pass;
  const json other_image = key_policy(locked_b);
  EXPECT_EQ(other_image["status"], "fail") << other_image;
  EXPECT_EQ(other_image["error"]["code"], "POLICY_NOT_ENCLAVE_ONLY") << other_image;
  const json multi_region = key_policy(locked_multi_region);
  EXPECT_EQ(multi_region["status"], "fail") << multi_region;
  EXPECT_EQ(multi_region["error"]["code"], "POLICY_NOT_ENCLAVE_ONLY") << multi_region;
  const json not_locked = key_policy(unlocked);
  EXPECT_EQ(not_locked["status"], "fail") << not_locked;
  EXPECT_EQ(not_locked["error"]["code"], "POLICY_NOT_LOCKED") << not_locked;
  // Usage: only with --url; --endpoint-url and friends only with it.
  EXPECT_EQ(Enclavectl({"verify", "--url", url_, "--expect-pcr0", kPcr0A, "--endpoint-url",
                        "http://127.0.0.1:1"})
                .exit_code,
            64);
}

TEST_F(LiveCli, AWrongExpectedImageIsPcrMismatch) {
  const CliResult result = Enclavectl(Live(url_, {"--expect-pcr0", kPcr0B, "--json"}));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(ErrorCodeIn(result.out), "PCR_MISMATCH");
  // Two allowed images (a rolling upgrade), neither running.
  const json allowed = json::array({{{"PCR0", kPcr0B}}, {{"PCR0", std::string(96, 'c')}}});
  const std::string pcrs = dir_.Write("pcr.json", core::AsBytes(allowed.dump()));
  const CliResult sets = Enclavectl(Live(url_, {"--expect-pcrs", pcrs, "--json"}));
  EXPECT_EQ(sets.exit_code, 1);
  EXPECT_EQ(ErrorCodeIn(sets.out), "PCR_SET_NO_MATCH");
}

TEST_F(LiveCli, AProxyThatReplaysAltersOrSwapsIsCaught) {
  Proxy proxy(url_);
  // through the honest proxy
  ASSERT_EQ(Enclavectl(Live(proxy.Url(), {"--expect-pcr0", kPcr0A})).exit_code, 0);
  proxy.SetMode(Proxy::Mode::kReplayAttestation);
  const CliResult replayed = Enclavectl(Live(proxy.Url(), {"--expect-pcr0", kPcr0A, "--json"}));
  EXPECT_EQ(replayed.exit_code, 1);
  EXPECT_EQ(ErrorCodeIn(replayed.out), "NONCE_MISMATCH");
  proxy.SetMode(Proxy::Mode::kAlterInfo);
  const CliResult altered = Enclavectl(Live(proxy.Url(), {"--expect-pcr0", kPcr0A, "--json"}));
  EXPECT_EQ(altered.exit_code, 1);
  EXPECT_EQ(ErrorCodeIn(altered.out), "APP_SIGNATURE_INVALID");
  proxy.SetMode(Proxy::Mode::kSwapKey);
  const CliResult swapped = Enclavectl(Live(proxy.Url(), {"--expect-pcr0", kPcr0A, "--json"}));
  EXPECT_EQ(swapped.exit_code, 1);
  EXPECT_EQ(ErrorCodeIn(swapped.out), "KEY_BINDING_MISMATCH");
}

TEST_F(LiveCli, UsageAndUnreachableServices) {
  EXPECT_EQ(Enclavectl({"verify"}).exit_code, 64);
  EXPECT_EQ(Enclavectl({"verify", "--url", url_, "--doc", "x"}).exit_code, 64);
  EXPECT_EQ(Enclavectl({"verify", "--url", url_, "--at", "doc"}).exit_code, 64);
  EXPECT_EQ(Enclavectl({"verify", "--url", url_, "--expect-nonce", "00"}).exit_code, 64);
  EXPECT_EQ(Enclavectl({"verify", "--url", "ftp://x"}).exit_code, 64);
  EXPECT_EQ(Enclavectl({"verify", "--doc", "x", "--insecure-tls"}).exit_code, 64);
  // Secure defaults: no expectation about the image is a usage error naming the flags.
  const CliResult no_image = Enclavectl({"verify", "--url", url_, "--json"});
  EXPECT_EQ(no_image.exit_code, 64);
  EXPECT_EQ(ErrorCodeIn(no_image.out), "INVALID_ARGUMENT");
  EXPECT_NE(no_image.out.find("--any-image"), std::string::npos) << no_image.out;
  const std::string fleet = dir_.Write("one.txt", core::AsBytes(url_ + "\n"));
  EXPECT_EQ(Enclavectl({"verify", "--targets", fleet}).exit_code, 64);
  const CliResult any = Enclavectl(Live(url_, {"--any-image"}));
  EXPECT_EQ(any.exit_code, 0) << any.out;
  EXPECT_EQ(any.out.rfind("ACCEPTED (any image", 0), 0U) << any.out;
  const CliResult closed =
      Enclavectl({"verify", "--url", "http://127.0.0.1:1", "--any-image", "--json"});
  EXPECT_EQ(closed.exit_code, 74);
  EXPECT_EQ(ErrorCodeIn(closed.out), "NETWORK");
}

TEST_F(LiveCli, AFleetOfEightWithOneMisconfigured) {
  std::string targets = "# fleet\n" + url_ + "\n";
  for (int i = 0; i < 6; ++i) {
    targets += Stack::Get().StartApp(kPcr0A) + "\n";
  }
  const std::string odd = Stack::Get().StartApp(kPcr0B);
  targets += odd + "\n";
  const std::string file = dir_.Write("targets.txt", core::AsBytes(targets));
  const CliResult text = Enclavectl(
      {"verify", "--targets", file, "--root", Stack::Get().Root(), "--expect-pcr0", kPcr0A});
  EXPECT_EQ(text.exit_code, 1) << text.out;
  EXPECT_NE(text.out.find("8 services: 7 accepted, 1 failed"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("FAIL  " + odd + "  PCR_MISMATCH"), std::string::npos) << text.out;
  const CliResult out = Enclavectl({"verify", "--targets", file, "--root", Stack::Get().Root(),
                                    "--expect-pcr0", kPcr0A, "--json"});
  EXPECT_EQ(out.exit_code, 1);
  const json fleet = json::parse(out.out);
  ASSERT_EQ(fleet["targets"].size(), 8U);
  for (const json& target : fleet["targets"]) {
    EXPECT_EQ(target["verdict"], target["url"] == odd ? "rejected" : "accepted") << target["url"];
  }
  // The warm cache: the shared development chain was verified once, then hit.
  EXPECT_GT(fleet["summary"]["chain_cache"]["hits"].get<int>(), 0);
  const std::string bad = dir_.Write("bad.txt", core::AsBytes("http://a\nnot a url\n"));
  const CliResult invalid = Enclavectl({"verify", "--targets", bad, "--any-image", "--json"});
  EXPECT_EQ(invalid.exit_code, 2);
  EXPECT_EQ(ErrorCodeIn(invalid.out), "TARGETS_INVALID");
}

// Issue 14 item 6 on real enclave-apps: v1 (PCR0 A, genesis) and v2 (PCR0 B, whose measured
// image config names A and a maintainer key).
TEST_F(LiveCli, MigrationStatusCheckMigrationAndALineageOfRealEnclaves) {
  const std::string maintainer = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
  static std::string v2;
  if (v2.empty()) {
    v2 = Stack::Get().StartApp(kPcr0B, R"({"previous_pcr0":")" + std::string(kPcr0A) +
                                           R"(","maintainer_pubkey":")" + maintainer + "\"}");
  }
  const std::string& root = Stack::Get().Root();
  const CliResult status =
      Enclavectl({"migration", "status", "--url", url_, "--root", root, "--expect-pcr0", kPcr0A});
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  EXPECT_NE(status.out.find("migration     no migration pending"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("maintainer    (not configured)"), std::string::npos);
  EXPECT_NE(status.out.find("previous PCR0 genesis"), std::string::npos);
  const CliResult status_json = Enclavectl(
      {"migration", "status", "--url", v2, "--root", root, "--expect-pcr0", kPcr0B, "--json"});
  EXPECT_EQ(status_json.exit_code, 0) << status_json.out;
  const json report = json::parse(status_json.out, nullptr, false);
  EXPECT_EQ(report.value("media_type", ""),
            "application/vnd.enclavectl.migration-status+json;version=1");
  EXPECT_EQ(report["migration"]["words"], "no migration pending");
  EXPECT_EQ(report["migration"]["state"], nullptr);
  EXPECT_EQ(report["claims"]["maintainer_pubkey"], maintainer);
  EXPECT_EQ(report["claims"]["previous_pcr0"], kPcr0A);
  EXPECT_EQ(report["responses_signed"], 4);
  EXPECT_EQ(report["retired"], false);
  // Secure default: an image expectation or --any-image.
  EXPECT_EQ(Enclavectl({"migration", "status", "--url", url_, "--root", root}).exit_code, 64);

  // verify --check-migration with the lineage pinned.
  const CliResult checked = Enclavectl(Live(v2, {"--expect-pcr0", kPcr0B, "--check-migration",
                                                 "--expect-previous-pcr0", kPcr0A, "--json"}));
  EXPECT_EQ(checked.exit_code, 0) << checked.out;
  const json verified = json::parse(checked.out, nullptr, false);
  EXPECT_EQ(verified["responses_signed"], 4);
  EXPECT_EQ(verified["migration"]["words"], "no migration pending");
  const CliResult wrong_lineage = Enclavectl(
      Live(v2, {"--expect-pcr0", kPcr0B, "--check-migration", "--expect-previous-pcr0", kPcr0B}));
  EXPECT_EQ(wrong_lineage.exit_code, 1);
  EXPECT_NE(wrong_lineage.err.find("PREVIOUS_PCR0_MISMATCH"), std::string::npos);
  const CliResult text = Enclavectl(Live(url_, {"--expect-pcr0", kPcr0A, "--check-migration"}));
  EXPECT_EQ(text.exit_code, 0) << text.out << text.err;
  EXPECT_NE(text.out.find("migration     no migration pending"), std::string::npos) << text.out;
  // --check-migration goes with --url only, and not with --bundle.
  EXPECT_EQ(Enclavectl(Live(url_, {"--expect-pcr0", kPcr0A, "--check-migration", "--bundle",
                                   (dir_.Path() / "b.zip").string()}))
                .exit_code,
            64);
  EXPECT_EQ(Enclavectl({"verify", "--doc", "x", "--any-image", "--check-migration"}).exit_code, 64);

  // A proxy that drops the migration status's signature, or alters its body.
  Proxy proxy(url_);
  proxy.SetMode(Proxy::Mode::kUnsignedMigration);
  const CliResult unsigned_status = Enclavectl(
      {"migration", "status", "--url", proxy.Url(), "--root", root, "--any-image", "--json"});
  EXPECT_EQ(unsigned_status.exit_code, 1) << unsigned_status.out;
  EXPECT_EQ(ErrorCodeIn(unsigned_status.out), "LIVE_RESPONSE_UNSIGNED");
  proxy.SetMode(Proxy::Mode::kAlterMigration);
  const CliResult altered = Enclavectl(Live(proxy.Url(), {"--any-image", "--check-migration"}));
  EXPECT_EQ(altered.exit_code, 1);
  EXPECT_NE(altered.err.find("APP_SIGNATURE_INVALID"), std::string::npos) << altered.err;

  // verify lineage: ok, broken, a PCR0 twice, a step whose PCR0 is not its line's, malformed.
  const auto lineage = [&](const std::string& name, const std::string& text_lines,
                           std::vector<std::string> extra = {}) {
    const std::string file = dir_.Write(name, core::AsBytes(text_lines));
    std::vector<std::string> args = {"verify", "lineage", "--targets", file, "--root", root};
    args.insert(args.end(), extra.begin(), extra.end());
    return Enclavectl(args);
  };
  const std::string a = url_ + " pcr0=" + kPcr0A + "\n";
  const std::string b = v2 + " pcr0=" + std::string(kPcr0B) + "\n";
  const CliResult ok = lineage("ok.txt", "# genesis first\n" + a + "\n" + b);
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("ACCEPTED"), std::string::npos) << ok.out;
  const CliResult ok_json = lineage("ok.txt", a + b, {"--json"});
  EXPECT_EQ(ok_json.exit_code, 0);
  const json walked = json::parse(ok_json.out, nullptr, false);
  EXPECT_EQ(walked.value("media_type", ""),
            "application/vnd.enclavectl.verify-lineage+json;version=1");
  EXPECT_EQ(walked["chain"], json::array({"genesis", kPcr0A, kPcr0B}));
  const CliResult broken = lineage("broken.txt", b + a, {"--json"});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_EQ(ErrorCodeIn(broken.out), "LINEAGE_BROKEN");
  EXPECT_EQ(json::parse(broken.out, nullptr, false)["error"]["index"], 0);
  const CliResult twice = lineage("twice.txt", a + a, {"--json"});
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_EQ(ErrorCodeIn(twice.out), "LINEAGE_BROKEN");
  const CliResult differs = lineage("differs.txt", a + v2 + " pcr0=" + kPcr0A + "\n");
  EXPECT_EQ(differs.exit_code, 1);
  EXPECT_NE(differs.err.find("PCR_MISMATCH"), std::string::npos) << differs.err;
  EXPECT_NE(differs.err.find("step 1"), std::string::npos) << differs.err;
  const CliResult malformed = lineage("bad.txt", a + url_ + " pcr0=abc\n", {"--json"});
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_EQ(ErrorCodeIn(malformed.out), "LINEAGE_INVALID");
  EXPECT_EQ(lineage("empty.txt", "# nothing\n").exit_code, 2);
}

}  // namespace
}  // namespace enclavectl::cli
