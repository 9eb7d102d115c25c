// The server binaries out of file descriptors, as a user runs them: the real `enclave-app
// --dev` and `enclavectl kms serve`, each started with RLIMIT_NOFILE soft = hard = 64 and
// --max-connections 1000, flooded with 300 idle loopback connections. Each must warn that
// --max-connections shrinks, stay nearly idle (before the fix accept() failed with EMFILE
// and was retried at once, spinning a core), and serve a normal request again once the idle
// connections close.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "enclavectl/aws/curl_transport.hpp"
#include "enclavectl/aws/environment.hpp"
#include "enclavectl/aws/kms_client.hpp"
#include "enclavectl/aws/retry.hpp"
#include "enclavectl/core/file_io.hpp"
#include "fd_exhaustion.hpp"
#include "subprocess.hpp"

namespace enclavectl {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;

constexpr int kFdLimit = 64;
constexpr int kIdleConnections = 300;
constexpr const char* kShrinkWarning =
    "--max-connections 1000 is more than the open-file limit of 64 allows";

std::filesystem::path Scratch() {
  // Never destroyed, so that the exit handler can still read it.
  static const std::filesystem::path* dir = [] {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "enclavectl-fdlimit-XXXXXX").string();
    auto* made = new std::filesystem::path(::mkdtemp(pattern.data()));  // NOLINT
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(Scratch(), ignored);
    });
    return made;
  }();
  return *dir;
}

std::string Slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// `argv` run with RLIMIT_NOFILE soft = hard = kFdLimit (the shell's ulimit sets both, then
// execs: the child keeps the pid).
std::vector<std::string> Limited(std::vector<std::string> argv) {
  std::vector<std::string> out = {
      "/bin/sh", "-c", "ulimit -n " + std::to_string(kFdLimit) + " && exec \"$@\"", "limited"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

// Waits (at most a minute: the sanitizer build starts slowly) until `ready(log)` holds.
template <typename Ready>
bool WaitFor(ChildProcess& child, const std::string& log, Ready ready) {
  for (int i = 0; i < 600; ++i) {
    if (ready(Slurp(log))) {
      return true;
    }
    if (!child.Running()) {
      return false;
    }
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

// Opens kIdleConnections idle connections to `port`, measures the child's CPU time over 2 s
// and closes them again. Returns the CPU seconds (negative: unreadable).
double CpuWhileFlooded(ChildProcess& child, std::uint16_t port) {
  std::vector<testing::RawConnection> idle(kIdleConnections);
  int connected = 0;
  for (auto& connection : idle) {
    connected += connection.Connect(port, 2000ms) ? 1 : 0;
  }
  EXPECT_GT(connected, kIdleConnections / 2);
  std::this_thread::sleep_for(500ms);  // the server takes in (and refuses) what it can
  const double before = testing::ChildCpuSeconds(child.pid());
  std::this_thread::sleep_for(2s);
  const double after = testing::ChildCpuSeconds(child.pid());
  EXPECT_TRUE(child.Running());
  return before < 0 || after < 0 ? -1 : after - before;
}

TEST(ServersUnderFdLimit, EnclaveAppStaysIdleAndServesAgain) {
  const std::string log = (Scratch() / "enclave-app.log").string();
  ChildProcess app(
      Limited({ENCLAVE_APP_BINARY, "--dev", "--nsm-state", (Scratch() / "nsm").string(), "--listen",
               "127.0.0.1:0", "--vsock-port", "0", "--threads", "1", "--max-connections", "1000",
               "--kms-endpoint", "http://127.0.0.1:9", "--sealed-store",
               "file:" + (Scratch() / "sealed.json").string()}),
      testing::Environment({}), log);
  ASSERT_TRUE(WaitFor(app, log, [](const std::string& text) {
    return text.find("listening on http://") != std::string::npos;
  })) << Slurp(log);
  const std::string text = Slurp(log);
  const std::size_t at = text.find("listening on http://127.0.0.1:") + 30;
  const auto port = static_cast<std::uint16_t>(std::stoul(text.substr(at)));
  EXPECT_NE(text.find("open files: soft limit 64 (hard limit 64)"), std::string::npos) << text;
  EXPECT_NE(text.find(kShrinkWarning), std::string::npos) << text;

  const double cpu = CpuWhileFlooded(app, port);
  EXPECT_GE(cpu, 0);
  EXPECT_LT(cpu, 0.5) << "enclave-app spins with 300 idle connections (CPU seconds in 2 s)";

  // Served again: the pause after an EMFILE is at most 1 s; allow a few tries.
  std::string response;
  for (int attempt = 0; attempt < 10 && response.rfind("HTTP/1.1 200", 0) != 0; ++attempt) {
    testing::RawConnection probe;
    if (probe.Connect(port, 3000ms) &&
        probe.Send("GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) {
      response = probe.ReadAll();
    }
    if (response.rfind("HTTP/1.1 200", 0) != 0) {
      std::this_thread::sleep_for(500ms);
    }
  }
  EXPECT_EQ(response.rfind("HTTP/1.1 200", 0), 0U) << response << "\n" << Slurp(log);
  EXPECT_NE(app.Stop(SIGTERM), -1);
}

TEST(ServersUnderFdLimit, KmsServeStaysIdleAndServesAgain) {
  const std::string log = (Scratch() / "kms.log").string();
  const std::string ready = (Scratch() / "kms-ready.json").string();
  ChildProcess kms(
      Limited({ENCLAVECTL_BINARY, "kms", "serve", "--state", (Scratch() / "kms").string(),
               "--listen", "127.0.0.1:0", "--ready-file", ready, "--max-connections", "1000"}),
      testing::Environment({}), log);
  ASSERT_TRUE(WaitFor(kms, log, [&ready](const std::string&) {
    return std::filesystem::exists(ready);
  })) << Slurp(log);
  const nlohmann::json env = nlohmann::json::parse(Slurp(ready));
  const std::string endpoint = env["endpoint"].get<std::string>();
  const auto port =
      static_cast<std::uint16_t>(std::stoul(endpoint.substr(endpoint.rfind(':') + 1)));
  const std::string text = Slurp(log);
  EXPECT_NE(text.find("open files: soft limit 64 (hard limit 64)"), std::string::npos) << text;
  EXPECT_NE(text.find(kShrinkWarning), std::string::npos) << text;

  const double cpu = CpuWhileFlooded(kms, port);
  EXPECT_GE(cpu, 0);
  EXPECT_LT(cpu, 0.5) << "kms serve spins with 300 idle connections (CPU seconds in 2 s)";

  // A signed request (SigV4) is served again.
  aws::MapEnvironment no_env;
  aws::AwsCredentials credentials;
  credentials.access_key_id = env["access_key_id"].get<std::string>();
  credentials.secret_access_key =
      core::SecretBytes(core::AsBytes(env["secret_access_key"].get<std::string>()));
  aws::KmsClientOptions options;
  auto resolved = aws::ResolveKmsEndpoint(endpoint, "us-east-1", no_env);
  ASSERT_TRUE(resolved);
  options.endpoint = *resolved;
  options.retry = aws::RetryPolicy{5, 200, 1000};
  aws::CurlTransport transport("enclavectl-test");
  const core::io::SystemClock clock;
  aws::RealSleeper sleeper;
  aws::KmsClient client(options, transport, credentials, clock, sleeper);
  aws::GenerateRandomRequest request;
  request.number_of_bytes = 16;
  auto random = client.GenerateRandom(request);
  ASSERT_TRUE(random) << random.error().detail << "\n" << Slurp(log);
  EXPECT_NE(kms.Stop(SIGTERM), -1);
}

}  // namespace
}  // namespace enclavectl
