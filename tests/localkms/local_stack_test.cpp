// The local stack's process management (localkms/local_stack.hpp), called directly: the
// listen address, the client environment, and a background local KMS started and stopped in
// a temporary directory (the `dev up --background` / `dev down` flow without the CLI).
#include "enclavectl/localkms/local_stack.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "enclavectl/core/encoding.hpp"
#include "json_conventions.hpp"
#include "test_paths.hpp"

namespace enclavectl::localkms {
namespace {

using core::ErrorCode;

TEST(LocalStack, ParseListen) {
  LocalStackOptions options;
  options.listen = "127.0.0.1:0";
  ASSERT_TRUE(ParseListen(options));
  EXPECT_EQ(options.server.host, "127.0.0.1");
  EXPECT_EQ(options.server.port, 0);
  options.listen = "[::1]:4599";
  ASSERT_TRUE(ParseListen(options));
  EXPECT_EQ(options.server.host, "::1");
  EXPECT_EQ(options.server.port, 4599);
  for (const char* bad : {"4599", ":4599", "host:", "host:65536", "host:12x", "host:-1"}) {
    options.listen = bad;
    EXPECT_EQ(ParseListen(options).error().code, ErrorCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(options.server.port, 4599);  // unchanged by the failures
}

constexpr const char* kExports =
    "# local KMS http://127.0.0.1:4599 (state dev/kms, pid 42)\n"
    "# Recipient documents must chain to: root A\n"
    "# simulated NSM: enclavectl nsm attest --state dev ... (root dev/nsm/root.pem)\n"
    "export AWS_ENDPOINT_URL_KMS=http://127.0.0.1:4599\n"
    "export AWS_REGION=us-east-1\n"
    "export AWS_DEFAULT_REGION=us-east-1\n"
    "export AWS_ACCESS_KEY_ID=AKIDLOCAL\n"
    "export AWS_SECRET_ACCESS_KEY=secret\n"
    "unset AWS_SESSION_TOKEN AWS_PROFILE\n";

TEST(LocalStack, ExportLines) {
  const nlohmann::json env = {{"endpoint", "http://127.0.0.1:4599"},
                              {"region", "us-east-1"},
                              {"access_key_id", "AKIDLOCAL"},
                              {"secret_access_key", "secret"},
                              {"state_dir", "dev/kms"},
                              {"attestation_roots", {"root A"}},
                              {"pid", 42},
                              {"nsm_state", "dev/nsm"},
                              {"attestation_root_pem", "dev/nsm/root.pem"}};
  EXPECT_EQ(ExportLines(env), kExports);
  auto parsed = ParseEnvironment(env.dump());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(ExportLines(*parsed), kExports);
}

// An env file written by a server of an older version (camelCase keys) is read back the same;
// anything ExportLines could not use is refused, never half read.
TEST(LocalStack, ParseEnvironmentReadsBothSpellings) {
  const nlohmann::json old = {
      {"mediaType", kLocalKmsMediaType}, {"endpoint", "http://127.0.0.1:4599"},
      {"region", "us-east-1"},           {"accessKeyId", "AKIDLOCAL"},
      {"secretAccessKey", "secret"},     {"stateDir", "dev/kms"},
      {"attestationRoots", {"root A"}},  {"pid", 42},
      {"nsmState", "dev/nsm"},           {"attestationRootPem", "dev/nsm/root.pem"}};
  auto parsed = ParseEnvironment(old.dump());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(ExportLines(*parsed), kExports);
  EXPECT_EQ((*parsed)["media_type"], kLocalKmsMediaType);
  EXPECT_EQ((*parsed)["verdict"], "accepted");
  EXPECT_FALSE(parsed->contains("accessKeyId"));
  for (const char* member : {"endpoint", "accessKeyId", "pid", "attestationRoots"}) {
    nlohmann::json broken = old;
    broken.erase(member);
    EXPECT_FALSE(ParseEnvironment(broken.dump())) << member;
  }
  nlohmann::json bad_root = old;
  bad_root["attestationRoots"] = {1};
  EXPECT_FALSE(ParseEnvironment(bad_root.dump()));
  nlohmann::json no_pem = old;
  no_pem.erase("attestationRootPem");
  EXPECT_FALSE(ParseEnvironment(no_pem.dump()));
  EXPECT_FALSE(ParseEnvironment("[1]"));
  EXPECT_FALSE(ParseEnvironment("{"));
}

LocalStackOptions BackgroundOptions(const std::filesystem::path& dir) {
  LocalStackOptions options;
  options.listen = "127.0.0.1:0";
  options.json = true;
  options.quiet = true;
  options.server.state_dir = (dir / "kms").string();
  options.server.threads = 1;
  options.ready_file = (dir / "ready.json").string();
  options.pid_file = (dir / "kms.pid").string();
  options.log_file = (dir / "kms.log").string();
  EXPECT_TRUE(ParseListen(options));
  return options;
}

TEST(LocalStack, BackgroundStartAndStop) {
  testing::ScopedTempDir dir;
  const LocalStackOptions options = BackgroundOptions(dir.Path());
  const core::io::SystemClock clock;
  auto started = StartInBackground(options, clock);
  ASSERT_TRUE(started) << started.error().detail;
  ASSERT_EQ(started->child_exit_code, 0) << testing::ReadText(options.log_file);
  const nlohmann::json env = nlohmann::json::parse(started->environment);
  testing::ExpectJsonConventions(started->environment, kLocalKmsMediaType, 0);
  EXPECT_EQ(env["pid"].get<int>(), started->pid);
  EXPECT_EQ(env["state_dir"], options.server.state_dir);
  EXPECT_EQ(env["endpoint"].get<std::string>().rfind("http://127.0.0.1:", 0), 0U);
  // The pid, then the proof dev down asks for: its start time and command line.
  const std::string pid_text = testing::ReadText(options.pid_file);
  EXPECT_EQ(pid_text.substr(0, pid_text.find('\n')), std::to_string(started->pid));
  EXPECT_NE(pid_text.find("\nstart_time="), std::string::npos) << pid_text;
  EXPECT_NE(pid_text.find("\ncmdline="), std::string::npos) << pid_text;
  EXPECT_EQ(nlohmann::json::parse(testing::ReadText(options.ready_file)), env);

  auto stopped = StopBackground(options.pid_file);
  ASSERT_TRUE(stopped) << stopped.error().detail;
  EXPECT_EQ(stopped->outcome, StopOutcome::kStopped);
  EXPECT_EQ(stopped->pid, started->pid);
  // The child removed its pid and ready files and exited 0 (setsid detaches it from the
  // terminal, not from this parent, which reaps it).
  int status = 0;
  EXPECT_EQ(::waitpid(started->pid, &status, 0), started->pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_FALSE(std::filesystem::exists(options.pid_file));
  EXPECT_FALSE(std::filesystem::exists(options.ready_file));
  EXPECT_NE(testing::ReadText(options.log_file).find("local KMS stopped (signal 15)"),
            std::string::npos);
  // Nothing left to stop.
  EXPECT_EQ(StopBackground(options.pid_file)->outcome, StopOutcome::kNoPidFile);
}

TEST(LocalStack, BackgroundChildThatCannotStart) {
  testing::ScopedTempDir dir;
  const LocalStackOptions options = BackgroundOptions(dir.Path());
  std::filesystem::create_directories(options.server.state_dir);
  dir.Write("kms/state.json", core::AsBytes("{\"mediaType\": \"x\"}"));
  const core::io::SystemClock clock;
  auto started = StartInBackground(options, clock);
  ASSERT_TRUE(started) << started.error().detail;
  EXPECT_EQ(started->child_exit_code, 2);  // LOCAL_KMS_STATE: malformed
  EXPECT_TRUE(started->environment.empty());
  EXPECT_FALSE(std::filesystem::exists(options.pid_file));
  EXPECT_NE(testing::ReadText(options.log_file).find("LOCAL_KMS_STATE"), std::string::npos);
}

TEST(LocalStack, StopBackgroundPidFiles) {
  testing::ScopedTempDir dir;
  const std::string junk = dir.Write("junk.pid", core::AsBytes("12ab\n"));
  EXPECT_EQ(StopBackground(junk).error().code, ErrorCode::kInvalidArgument);
  const std::string init = dir.Write("init.pid", core::AsBytes("1\n"));
  EXPECT_EQ(StopBackground(init).error().code, ErrorCode::kInvalidArgument);
  // A pid that is certainly gone: a child that exited and was reaped.
  const pid_t child = ::fork();
  if (child == 0) {
    ::_exit(0);
  }
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);
  const std::string gone = dir.Write("gone.pid", core::AsBytes(std::to_string(child) + "\n"));
  auto stopped = StopBackground(gone);
  ASSERT_TRUE(stopped) << stopped.error().detail;
  EXPECT_EQ(stopped->outcome, StopOutcome::kNotRunning);
  EXPECT_EQ(stopped->pid, child);
  EXPECT_FALSE(std::filesystem::exists(gone));
}

}  // namespace
}  // namespace enclavectl::localkms
