// `enclavectl monitor` end to end with the real Prometheus server (Debian's prometheus): the
// local stack of `enclavectl dev up`, an enclave-app --dev measured as PCR0 A behind an
// in-process switch (one fixed URL), the monitor scraped every second by a Prometheus started
// here on loopback. The verdict metric reads 1 in Prometheus; the switch then moves the URL
// to an enclave-app measured as PCR0 B and the verdict reads 0 (PCR_MISMATCH, the info
// metric's pcr0 label B) within two intervals. promtool check metrics accepts /metrics; the
// transitions are JSON lines; the evidence bundle of the rejection re-verifies offline.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "enclavectl/net/http_client.hpp"
#include "enclavectl/net/http_server.hpp"
#include "local_stack.hpp"
#include "subprocess.hpp"
#include "test_paths.hpp"

namespace enclavectl {
namespace {

using nlohmann::json;
using testing::ChildProcess;
using testing::CommandResult;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const std::string kPcr0A(96, 'a');
const std::string kPcr0B(96, 'b');
constexpr int kIntervalSeconds = 3;

std::string Slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A free loopback port (bound, then released).
std::uint16_t FreePort() {
  net::HttpServerOptions options;
  options.threads = 1;
  auto server =
      net::HttpServer::Start(options, [](const net::HttpRequest&) { return net::HttpResponse{}; });
  EXPECT_TRUE(server);
  const std::uint16_t port = (*server)->Port();
  (*server)->Stop();
  return port;
}

std::string Get(const std::string& url) {
  net::HttpClientRequest request;
  request.url = url;
  net::HttpClientOptions options;
  options.timeout_ms = 5000;
  auto answer = net::Fetch(request, options);
  if (!answer || answer->status != 200) {
    return "";
  }
  return std::string(core::AsChars(answer->body.View()));
}

// One URL in front of whichever enclave-app is current: the image change is one atomic
// switch, so the monitor never sees a service that is down in between.
class Switch {
 public:
  Switch() {
    net::HttpServerOptions options;
    options.threads = 2;
    auto server = net::HttpServer::Start(
        options, [this](const net::HttpRequest& request) { return Forward(request); });
    EXPECT_TRUE(server);
    server_ = std::move(*server);
  }
  ~Switch() { server_->Stop(); }
  Switch(const Switch&) = delete;
  Switch& operator=(const Switch&) = delete;
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(server_->Port()); }
  void SetUpstream(std::string upstream) {
    std::lock_guard lock(mutex_);
    upstream_ = std::move(upstream);
  }

 private:
  net::HttpResponse Forward(const net::HttpRequest& request) {
    net::HttpClientRequest upstream;
    {
      std::lock_guard lock(mutex_);
      upstream.url = upstream_ + request.target;
    }
    upstream.method = request.method;
    auto answer = net::Fetch(upstream, net::HttpClientOptions{});
    net::HttpResponse response;
    if (!answer) {
      response.status = 502;
      return response;
    }
    response.status = static_cast<unsigned>(answer->status);
    response.content_type = answer->Header("Content-Type").value_or("application/json");
    for (const net::HttpHeader& header : answer->headers) {
      std::string name = header.name;
      for (char& c : name) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      if (name.starts_with("x-")) {
        response.headers.emplace_back(header.name, header.value);
      }
    }
    response.body = std::string(core::AsChars(answer->body.View()));
    return response;
  }

  std::unique_ptr<net::HttpServer> server_;
  std::mutex mutex_;
  std::string upstream_ = "http://127.0.0.1:1";
};

class MonitorE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_);
    std::string error;
    ASSERT_TRUE(
        testing::StartLocalStack(ENCLAVECTL_BINARY, (dir_ / "stack").string(), local_, error))
        << error;
    nsm_ = local_.nsm;
    root_ = local_.root;
    env_ = testing::Environment(local_.env);
    key_arn_ = testing::CreateKmsKey(
        local_, {"--key-spec", "ECC_NIST_P256", "--key-usage", "KEY_AGREEMENT"}, error);
    ASSERT_FALSE(key_arn_.empty()) << error;
  }

  void TearDown() override {
    children_.clear();  // SIGKILL and reap
    testing::StopLocalStack(ENCLAVECTL_BINARY, local_);
    if (!HasFailure()) {
      std::error_code ignored;
      fs::remove_all(dir_, ignored);
    } else {
      std::cerr << "logs kept in " << dir_ << "\n";
    }
  }

  // Starts an enclave-app --dev measured as `pcr0_hex`, set up with the stack's key.
  std::string StartApp(const std::string& pcr0_hex) {
    const std::string tag = std::to_string(children_.size());
    const fs::path log = dir_ / ("app-" + tag + ".log");
    children_.emplace_back(
        std::vector<std::string>{ENCLAVE_APP_BINARY, "--dev", "--nsm-state", nsm_, "--pcr",
                                 "0=" + pcr0_hex, "--listen", "127.0.0.1:0", "--vsock-port", "0",
                                 "--threads", "1", "--sealed-store",
                                 "file:" + (dir_ / ("sealed-" + tag + ".json")).string(),
                                 "--key-mode", "reproducible", "--key-id", key_arn_},
        env_, log.string());
    for (int i = 0; i < 600; ++i) {
      const std::string text = Slurp(log);
      const std::size_t at = text.find("listening on http://");
      if (at != std::string::npos && text.find("setup done") != std::string::npos) {
        const std::size_t start = at + std::string("listening on ").size();
        return text.substr(start, text.find(' ', start) - start);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "enclave-app did not start:\n" << Slurp(log);
    return "http://127.0.0.1:1";
  }

  // Waits for `needle` in the file at `path`; the text.
  std::string WaitFor(const fs::path& path, const std::string& needle, int seconds = 30) {
    for (int i = 0; i < seconds * 10; ++i) {
      std::string text = Slurp(path);
      if (text.find(needle) != std::string::npos) {
        return text;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "no '" << needle << "' in " << path << ":\n" << Slurp(path);
    return "";
  }

  // The instant vector of `query` in Prometheus.
  json Query(const std::string& query) {
    std::string encoded;
    for (const char ch : query) {
      const auto c = static_cast<unsigned char>(ch);
      if (std::isalnum(c) != 0 || c == '_') {
        encoded.push_back(static_cast<char>(c));
      } else {
        char hex[4];
        std::snprintf(hex, sizeof hex, "%%%02X", c);
        encoded += hex;
      }
    }
    const json answer =
        json::parse(Get(prometheus_ + "/api/v1/query?query=" + encoded), nullptr, false);
    if (!answer.is_object() || answer.value("status", "") != "success") {
      return json::array();
    }
    return answer["data"]["result"];
  }

  // Polls until `query` gives one series whose value is `value`; the seconds it took.
  double WaitForValue(const std::string& query, const std::string& value, double seconds) {
    const auto start = Clock::now();
    while (std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
      const json result = Query(query);
      if (result.size() == 1 && result[0]["value"][1] == value) {
        return std::chrono::duration<double>(Clock::now() - start).count();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    ADD_FAILURE() << query << " never gave " << value << " within " << seconds
                  << " s; last: " << Query(query).dump();
    return seconds;
  }

  fs::path dir_ =
      fs::temp_directory_path() / ("enclavectl-monitor-e2e-" + std::to_string(::getpid()));
  testing::LocalStack local_;
  std::string nsm_;
  std::string root_;
  std::string key_arn_;
  std::string prometheus_;
  std::vector<std::string> env_;
  std::vector<ChildProcess> children_;
};

std::vector<json> JsonLines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.front() == '{') {
      out.push_back(json::parse(line));
    }
  }
  return out;
}

TEST_F(MonitorE2e, PrometheusSeesTheVerdictTurnZeroWhenTheImageChanges) {
  Switch front;
  front.SetUpstream(StartApp(kPcr0A));
  const fs::path targets = dir_ / "targets.txt";
  std::ofstream(targets) << "# the fleet\n" << front.Url() << "\n";

  // The monitor: transitions on stdout, its address on stderr (both in the log).
  const fs::path monitor_log = dir_ / "monitor.log";
  const fs::path evidence = dir_ / "evidence";
  children_.emplace_back(
      std::vector<std::string>{ENCLAVECTL_BINARY, "monitor", "--targets", targets.string(),
                               "--root", root_, "--expect-pcr0", kPcr0A, "--interval",
                               std::to_string(kIntervalSeconds) + "s", "--jitter", "0", "--listen",
                               "127.0.0.1:0", "--evidence-dir", evidence.string(),
                               "--evidence-keep", "5"},
      env_, monitor_log.string());
  const std::string started = WaitFor(monitor_log, "/metrics\n");
  const std::size_t at = started.find("metrics on http://");
  ASSERT_NE(at, std::string::npos) << started;
  const std::string metrics_url =
      started.substr(at + 11, started.find('\n', at) - at - 11);  // http://127.0.0.1:P/metrics
  const std::string metrics_host = metrics_url.substr(7, metrics_url.find("/metrics") - 7);

  // Prometheus on loopback, scraping the monitor every second.
  const std::uint16_t prometheus_port = FreePort();
  prometheus_ = "http://127.0.0.1:" + std::to_string(prometheus_port);
  const fs::path config = dir_ / "prometheus.yml";
  std::ofstream(config) << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                        << "scrape_configs:\n  - job_name: enclavectl\n"
                        << "    static_configs:\n      - targets: ['" << metrics_host << "']\n";
  children_.emplace_back(
      std::vector<std::string>{"prometheus", "--config.file=" + config.string(),
                               "--storage.tsdb.path=" + (dir_ / "tsdb").string(),
                               "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port)},
      testing::Environment({}), (dir_ / "prometheus.log").string());

  // Accepted: 1 in Prometheus, with PCR0 A on the info metric.
  const std::string verdict = "enclavectl_monitor_verdict{job=\"enclavectl\"}";
  WaitForValue(verdict, "1", 30);
  EXPECT_EQ(Query("enclavectl_monitor_target_info{pcr0=\"" + kPcr0A + "\"}").size(), 1U);

  // The exposition is valid Prometheus text.
  const std::string text = Get(metrics_url);
  ASSERT_FALSE(text.empty());
  std::ofstream(dir_ / "metrics.txt") << text;
  const CommandResult checked = testing::RunCommand(
      {"sh", "-c", "promtool check metrics < '" + (dir_ / "metrics.txt").string() + "'"},
      testing::Environment({}));
  EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err << text;
  for (const char* name :
       {"enclavectl_monitor_verdict", "enclavectl_monitor_last_success_timestamp_seconds",
        "enclavectl_monitor_target_info", "enclavectl_monitor_attestation_age_seconds",
        "enclavectl_monitor_leaf_certificate_expiry_timestamp_seconds",
        "enclavectl_monitor_check_duration_seconds_bucket", "enclavectl_monitor_checks_total"}) {
    EXPECT_NE(text.find(std::string(name) + "{"), std::string::npos) << name << "\n" << text;
  }

  // The image changes behind the same URL: 0 within two intervals, for PCR_MISMATCH.
  const std::string upstream_b = StartApp(kPcr0B);
  front.SetUpstream(upstream_b);
  const double took = WaitForValue(verdict, "0", 4 * kIntervalSeconds);
  EXPECT_LE(took, 2 * kIntervalSeconds) << "the verdict turned 0 after " << took << " s";
  std::cout << "verdict 0 in Prometheus " << took << " s after the image changed (interval "
            << kIntervalSeconds << " s)\n";
  WaitForValue("enclavectl_monitor_target_info{pcr0=\"" + kPcr0B + "\"}", "1", 5);
  EXPECT_FALSE(Query("enclavectl_monitor_check_failures_total{code=\"PCR_MISMATCH\"}").empty());

  // Two transitions on stdout, the second with its evidence bundle.
  const std::string log = WaitFor(monitor_log, "\"to\":\"rejected\"");
  const std::vector<json> lines = JsonLines(log);
  ASSERT_EQ(lines.size(), 2U) << log;
  EXPECT_EQ(lines[0]["from"], "unknown");
  EXPECT_EQ(lines[0]["to"], "accepted");
  EXPECT_EQ(lines[0]["pcr0"], kPcr0A);
  EXPECT_EQ(lines[1]["from"], "accepted");
  EXPECT_EQ(lines[1]["to"], "rejected");
  EXPECT_EQ(lines[1]["error"]["code"], "PCR_MISMATCH");
  EXPECT_EQ(lines[1]["pcr0"], kPcr0B);
  ASSERT_TRUE(lines[1]["evidence"].is_string());
  const std::string bundle = lines[1]["evidence"];
  EXPECT_EQ(testing::FilesWithSuffix(evidence, ".zip").size(), 2U);
  // Offline, the bundle gives the same verdict; with PCR0 B expected it is accepted.
  const CommandResult again =
      testing::RunCommand({ENCLAVECTL_BINARY, "verify", "--bundle", bundle, "--root", root_,
                           "--expect-pcr0", kPcr0A, "--json"},
                          env_);
  EXPECT_EQ(again.exit_code, 1) << again.out << again.err;
  EXPECT_NE(again.out.find("PCR_MISMATCH"), std::string::npos) << again.out;
  const CommandResult accepted = testing::RunCommand(
      {ENCLAVECTL_BINARY, "verify", "--bundle", bundle, "--root", root_, "--expect-pcr0", kPcr0B},
      env_);
  EXPECT_EQ(accepted.exit_code, 0) << accepted.out << accepted.err;

  // SIGTERM ends the monitor with 0.
  ChildProcess& monitor = children_.at(1);
  const int status = monitor.Stop(SIGTERM, std::chrono::seconds(10));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

// --once: one round, the exit code of verify --targets; a port in use: MONITOR_LISTEN_FAILED.
TEST_F(MonitorE2e, OnceAndAPortInUse) {
  const std::string url = StartApp(kPcr0A);
  const fs::path targets = dir_ / "targets.txt";
  std::ofstream(targets) << url << "\n";
  const std::vector<std::string> base = {
      ENCLAVECTL_BINARY, "monitor", "--targets", targets.string(), "--root", root_, "--once"};
  auto with = [&base](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  const CommandResult ok = testing::RunCommand(with({"--expect-pcr0", kPcr0A}), env_);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  const std::vector<json> lines = JsonLines(ok.out);
  ASSERT_EQ(lines.size(), 1U) << ok.out;
  EXPECT_EQ(lines[0]["to"], "accepted");
  const CommandResult bad = testing::RunCommand(with({"--expect-pcr0", kPcr0B}), env_);
  EXPECT_EQ(bad.exit_code, 1) << bad.err;
  EXPECT_EQ(JsonLines(bad.out).at(0)["error"]["code"], "PCR_MISMATCH");
  // No image expectation: a usage error, as for verify.
  EXPECT_EQ(testing::RunCommand(base, env_).exit_code, 64);
  // --check-key-policy audits each target's key with the monitor's credentials: the stack's
  // key has the default policy (the account may use it), so the target is rejected for it.
  const CommandResult policy =
      testing::RunCommand(with({"--expect-pcr0", kPcr0A, "--check-key-policy"}), env_);
  EXPECT_EQ(policy.exit_code, 1) << policy.out << policy.err;
  const std::vector<json> audited = JsonLines(policy.out);
  ASSERT_EQ(audited.size(), 1U) << policy.out;
  EXPECT_EQ(audited[0]["error"]["code"], "POLICY_NOT_ENCLAVE_ONLY") << policy.out;
  EXPECT_EQ(
      testing::RunCommand(with({"--expect-pcr0", kPcr0A, "--region", "us-east-1"}), env_).exit_code,
      64);  // --region only goes with --check-key-policy

  // A port already taken.
  net::HttpServerOptions options;
  options.threads = 1;
  auto taken =
      net::HttpServer::Start(options, [](const net::HttpRequest&) { return net::HttpResponse{}; });
  ASSERT_TRUE(taken);
  const CommandResult busy = testing::RunCommand(
      with({"--expect-pcr0", kPcr0A, "--listen", "127.0.0.1:" + std::to_string((*taken)->Port())}),
      env_);
  EXPECT_EQ(busy.exit_code, 74) << busy.err;
  EXPECT_NE(busy.err.find("MONITOR_LISTEN_FAILED"), std::string::npos) << busy.err;
  (*taken)->Stop();
}

}  // namespace
}  // namespace enclavectl
