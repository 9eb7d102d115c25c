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

  // Starts an enclave-app --dev set up with the stack's key; returns its base URL.
  std::string StartApp(const std::string& pcr0_hex) {
    const std::string tag = std::to_string(apps_.size());
    const std::string log = (dir_ / ("app-" + tag + ".log")).string();
    apps_.emplace_back(
        std::vector<std::string>{ENCLAVE_APP_BINARY, "--dev", "--nsm-state", nsm_, "--pcr",
                                 "0=" + pcr0_hex, "--listen", "127.0.0.1:0", "--vsock-port", "0",
                                 "--threads", "1", "--sealed-store",
                                 "file:" + (dir_ / ("sealed-" + tag + ".json")).string(),
                                 "--key-mode", "reproducible", "--key-id", key_arn_},
        env_, log);
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
    const std::string state = (dir_ / "stack").string();
    const CommandResult up =
        testing::RunCommand({ENCLAVECTL_BINARY, "dev", "up", "--state", state, "--listen",
                             "127.0.0.1:0", "--background", "--json"},
                            testing::Environment({}));
    if (up.exit_code != 0) {
      ADD_FAILURE() << "dev up: " << up.err;
      return;
    }
    std::atexit([] { Get().Down(); });
    state_ = state;
    const json env = json::parse(up.out);
    nsm_ = state + "/nsm";
    root_ = nsm_ + "/root.pem";
    env_ =
        testing::Environment({{"AWS_ACCESS_KEY_ID", env["accessKeyId"].get<std::string>()},
                              {"AWS_SECRET_ACCESS_KEY", env["secretAccessKey"].get<std::string>()},
                              {"AWS_REGION", env["region"].get<std::string>()},
                              {"AWS_DEFAULT_REGION", env["region"].get<std::string>()},
                              {"AWS_ENDPOINT_URL_KMS", env["endpoint"].get<std::string>()},
                              {"AWS_PROFILE", ""},
                              {"AWS_SESSION_TOKEN", ""}});
    const CommandResult key =
        testing::RunCommand({"aws", "kms", "create-key", "--key-spec", "ECC_NIST_P256",
                             "--key-usage", "KEY_AGREEMENT", "--output", "json"},
                            env_);
    if (key.exit_code != 0) {
      ADD_FAILURE() << "aws kms create-key: " << key.err;
      return;
    }
    key_arn_ = json::parse(key.out)["KeyMetadata"]["Arn"].get<std::string>();
    ready_ = true;
  }

  void Down() {
    apps_.clear();  // SIGKILL and reap
    if (!state_.empty()) {
      testing::RunCommand({ENCLAVECTL_BINARY, "dev", "down", "--state", state_},
                          testing::Environment({}));
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::filesystem::path dir_;
  std::string state_;
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
  enum class Mode : std::uint8_t { kPass, kReplayAttestation, kAlterInfo, kSwapKey };

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
    if (request.path == "/v1/info") {
      if (mode_ == Mode::kAlterInfo) {
        response.body.insert(response.body.size() - 1, " ");  // still the same JSON
      } else if (mode_ == Mode::kSwapKey) {
        json body = json::parse(response.body);
        body["public_key"] = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
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

  const CliResult again =
      Enclavectl({"verify", "--bundle", bundle, "--root", Stack::Get().Root(), "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  const json replayed = json::parse(again.out);
  EXPECT_EQ(replayed["verdict"], "accepted");
  EXPECT_EQ(replayed["bundle"]["recorded_verdict"], "accepted");
  EXPECT_EQ(replayed["captured_at"], report["captured_at"]);
  EXPECT_EQ(replayed["nonce"], report["nonce"]);

  // Offline with the AWS root: the development chain is refused, as it was not trusted.
  const CliResult aws = Enclavectl({"verify", "--bundle", bundle});
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
  const CliResult bad =
      Enclavectl({"verify", "--bundle", tampered, "--root", Stack::Get().Root(), "--json"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_EQ(ErrorCodeIn(bad.out).rfind("BUNDLE_", 0), 0U) << bad.out;
  const std::string garbage = dir_.Write("garbage.zip", core::Bytes(100, 'x'));
  const CliResult junk = Enclavectl({"verify", "--bundle", garbage, "--json"});
  EXPECT_EQ(junk.exit_code, 2);
  EXPECT_EQ(ErrorCodeIn(junk.out), "BUNDLE_MALFORMED");
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
  ASSERT_EQ(Enclavectl(Live(proxy.Url(), {})).exit_code, 0);  // through the honest proxy
  proxy.SetMode(Proxy::Mode::kReplayAttestation);
  const CliResult replayed = Enclavectl(Live(proxy.Url(), {"--json"}));
  EXPECT_EQ(replayed.exit_code, 1);
  EXPECT_EQ(ErrorCodeIn(replayed.out), "NONCE_MISMATCH");
  proxy.SetMode(Proxy::Mode::kAlterInfo);
  const CliResult altered = Enclavectl(Live(proxy.Url(), {"--json"}));
  EXPECT_EQ(altered.exit_code, 1);
  EXPECT_EQ(ErrorCodeIn(altered.out), "APP_SIGNATURE_INVALID");
  proxy.SetMode(Proxy::Mode::kSwapKey);
  const CliResult swapped = Enclavectl(Live(proxy.Url(), {"--json"}));
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
  const CliResult closed = Enclavectl({"verify", "--url", "http://127.0.0.1:1", "--json"});
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
  const CliResult invalid = Enclavectl({"verify", "--targets", bad, "--json"});
  EXPECT_EQ(invalid.exit_code, 2);
  EXPECT_EQ(ErrorCodeIn(invalid.out), "TARGETS_INVALID");
}

}  // namespace
}  // namespace enclavectl::cli
