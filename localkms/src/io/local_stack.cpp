#include "enclavectl/localkms/local_stack.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/error_codes.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/output.hpp"
#include "enclavectl/core/report_json.hpp"
#include "enclavectl/net/fd_limit.hpp"

namespace enclavectl::localkms {
namespace {

using core::ErrorCode;

// Blocks SIGINT and SIGTERM in this thread (and the server threads it starts), so that
// sigwait receives them.
sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

// Open files: raises the soft limit to the hard one (said on `err` unless quiet) and keeps
// --max-connections within it (a warning on `err` when it shrinks).
void FitConnectionsToFdLimit(std::ostream& err, LocalStackOptions& run) {
  const net::FdLimit fd_limit = net::RaiseFdLimit();
  if (!run.quiet || !fd_limit.error.empty()) {
    err << "local KMS: " << net::DescribeFdLimit(fd_limit) << "\n";
  }
  if (fd_limit.soft == 0) {
    return;
  }
  const net::ConnectionCap cap =
      net::FitConnections("--max-connections", run.server.max_connections,
                          net::ConnectionBudget(fd_limit.soft), fd_limit.soft);
  if (!cap.warning.empty()) {
    err << "local KMS: warning: " << cap.warning << "\n";
  }
  err << std::flush;
  run.server.max_connections = cap.max_connections;
}

struct Started {
  std::unique_ptr<LocalKmsServer> server;
  std::string environment;  // what to print: JSON or exports
};

// Starts the server (SIGINT/SIGTERM already blocked), logging to `err`, and writes the ready
// file.
core::Result<Started> Start(const LocalStackOptions& options, const core::io::Clock& clock,
                            std::ostream& err) {
  LocalStackOptions run = options;
  FitConnectionsToFdLimit(err, run);
  auto log_mutex = std::make_shared<std::mutex>();
  std::ostream* log = &err;
  run.server.warn = [log_mutex, log](const std::string& line) {
    std::lock_guard lock(*log_mutex);
    *log << "local KMS: warning: " << line << "\n" << std::flush;
  };
  if (!options.quiet) {
    run.server.log = [log_mutex, log](const std::string& line) {
      std::lock_guard lock(*log_mutex);
      *log << line << "\n" << std::flush;
    };
  }
  auto server = LocalKmsServer::Start(run.server, clock);
  if (!server) {
    return core::Fail(server.error());
  }
  auto key = AccessKeyFor(options.server.state_dir, "");
  if (!key) {
    return core::Fail(key.error());
  }
  const nlohmann::json env = ClientEnvironment(**server, *key, options);
  Started started{std::move(*server), options.json ? env.dump() + "\n" : ExportLines(env)};
  if (!options.ready_file.empty()) {
    const std::string text = env.dump() + "\n";
    // A report for whoever waits on it, holding the secret: written by the output rules
    // (core/io/output.hpp), a new file 0600.
    core::io::OutputOptions private_file;
    private_file.private_file = true;
    if (auto written = core::io::WriteOutput(options.ready_file, core::AsBytes(text), private_file);
        !written) {
      return core::Fail(written.error());
    }
  }
  if (!options.env_file.empty()) {
    // A state file holding the secret: 0600 like the rest of the state.
    const std::string text = env.dump() + "\n";
    core::io::OutputOptions private_file;
    private_file.private_file = true;
    if (auto written = core::io::WriteOutput(options.env_file, core::AsBytes(text), private_file);
        !written) {
      return core::Fail(written.error());
    }
  }
  return started;
}

// Waits for SIGINT or SIGTERM (blocked by the caller), stops the server and removes the ready
// file. Returns the signal number.
int WaitAndStop(LocalKmsServer& server, const LocalStackOptions& options) {
  sigset_t set = StopSignals();
  int signal_number = 0;
  sigwait(&set, &signal_number);
  server.Stop();
  // Only a file we created: never a FIFO, a device or a link the ready file was written to.
  struct stat ready {};
  if (!options.ready_file.empty() && ::lstat(options.ready_file.c_str(), &ready) == 0 &&
      S_ISREG(ready.st_mode)) {
    ::unlink(options.ready_file.c_str());
  }
  if (!options.env_file.empty()) {
    ::unlink(options.env_file.c_str());
  }
  return signal_number;
}

bool WriteAll(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string ReadAll(int fd) {
  std::string out;
  char buffer[4096];  // NOLINT(modernize-avoid-c-arrays)
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return out;
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

// A small file of /proc, whole (its size is not known in advance); empty when unreadable.
std::string ReadProcFile(pid_t pid, const char* name) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/" + name, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

// /proc/PID/stat field 22: the process's start time in clock ticks since boot; empty when the
// process is gone. (Field 2, the command name in parentheses, may contain spaces.)
std::string ProcStartTime(pid_t pid) {
  const std::string stat = ReadProcFile(pid, "stat");
  const std::size_t close = stat.rfind(')');
  if (close == std::string::npos) {
    return "";
  }
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  for (int number = 3; number <= 22 && (fields >> field); ++number) {
    if (number == 22) {
      return field;
    }
  }
  return "";
}

// /proc/PID/cmdline with its NULs (and any line breaks) as spaces.
std::string ProcCommandLine(pid_t pid) {
  std::string text = ReadProcFile(pid, "cmdline");
  while (!text.empty() && text.back() == '\0') {
    text.pop_back();
  }
  for (char& c : text) {
    if (c == '\0' || c == '\n' || c == '\r') {
      c = ' ';
    }
  }
  return text;
}

// The child of the background mode: detached, logging to a file, reporting readiness (or the
// error) through `report_fd`.
[[noreturn]] void BackgroundChild(const LocalStackOptions& options, const core::io::Clock& clock,
                                  int report_fd) {
  ::setsid();
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);  // NOLINT
  const int log_fd =
      ::open(options.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);  // NOLINT
  if (null_fd >= 0) {
    ::dup2(null_fd, STDIN_FILENO);
  }
  if (log_fd >= 0) {
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
  }
  sigset_t set = StopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  auto started = Start(options, clock, std::cerr);
  if (!started) {
    const core::ErrorCodeInfo& info = core::InfoFor(started.error().code);
    const std::string line = std::string(info.name) + ": " + started.error().detail;
    std::cerr << "enclavectl: " << line << "\n" << std::flush;
    WriteAll(report_fd,
             "ERR " + std::to_string(static_cast<unsigned>(started.error().code)) + "\n" + line);
    ::close(report_fd);
    ::_exit(core::ExitCodeFor(info.exit_class));
  }
  WriteAll(report_fd, "OK\n" + started->environment);
  OPENSSL_cleanse(started->environment.data(), started->environment.size());
  ::close(report_fd);
  const int signal_number = WaitAndStop(*started->server, options);
  std::cerr << "local KMS stopped (signal " << signal_number << ")\n" << std::flush;
  ::unlink(options.pid_file.c_str());
  ::_exit(0);
}

}  // namespace

core::Status ParseListen(LocalStackOptions& options) {
  const std::string& text = options.listen;
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return core::Fail(ErrorCode::kInvalidArgument, "--listen must be HOST:PORT");
  }
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  const char* begin = text.data() + colon + 1;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(begin, end, port);
  if (ec != std::errc() || ptr != end || port > 65535) {
    return core::Fail(ErrorCode::kInvalidArgument, "--listen: the port is not 0..65535");
  }
  options.server.host = host;
  options.server.port = static_cast<std::uint16_t>(port);
  return core::Ok();
}

nlohmann::json ClientEnvironment(const LocalKmsServer& server, const AccessKey& key,
                                 const LocalStackOptions& options) {
  nlohmann::json roots = nlohmann::json::array();
  for (const std::string& root : server.Roots()) {
    roots.push_back(root);
  }
  nlohmann::json out = core::ReportHeader(kLocalKmsMediaType, core::Verdict::kAccepted);
  out.update({{"endpoint", server.Endpoint()},
              {"region", server.Region()},
              {"access_key_id", key.access_key_id},
              {"secret_access_key", std::string(core::AsChars(key.secret_access_key.View()))},
              {"principal", key.principal},
              {"state_dir", options.server.state_dir},
              {"attestation_roots", std::move(roots)},
              {"pid", ::getpid()}});
  if (!options.nsm_state.empty()) {
    out["nsm_state"] = options.nsm_state;
    out["attestation_root_pem"] = options.nsm_state + "/root.pem";
  }
  return out;
}

std::optional<nlohmann::json> ParseEnvironment(std::string_view text) {
  nlohmann::json env = nlohmann::json::parse(text, nullptr, false);
  if (env.is_discarded() || !env.is_object()) {
    return std::nullopt;
  }
  // Files of a server started before the keys became snake_case (docs/cli-conventions.md).
  for (const auto& [old_key, key] : {std::pair{"mediaType", "media_type"},
                                     {"accessKeyId", "access_key_id"},
                                     {"secretAccessKey", "secret_access_key"},
                                     {"stateDir", "state_dir"},
                                     {"attestationRoots", "attestation_roots"},
                                     {"nsmState", "nsm_state"},
                                     {"attestationRootPem", "attestation_root_pem"}}) {
    if (env.contains(old_key) && !env.contains(key)) {
      env[key] = std::move(env[old_key]);
      env.erase(old_key);
    }
  }
  if (!env.contains("verdict")) {
    env["verdict"] = core::VerdictName(core::Verdict::kAccepted);
  }
  auto is_string = [&env](const char* member) {
    return env.contains(member) && env[member].is_string();
  };
  bool ok = is_string("endpoint") && is_string("region") && is_string("access_key_id") &&
            is_string("secret_access_key") && is_string("state_dir") &&
            (!env.contains("nsm_state") ||
             (is_string("nsm_state") && is_string("attestation_root_pem"))) &&
            env.contains("pid") && env["pid"].is_number_integer() &&
            env.contains("attestation_roots") && env["attestation_roots"].is_array();
  for (const auto& root : ok ? env["attestation_roots"] : nlohmann::json::array()) {
    ok = ok && root.is_string();
  }
  if (!ok) {
    core::WipeJsonStrings(env);
    return std::nullopt;
  }
  return env;
}

std::string ExportLines(const nlohmann::json& env) {
  const std::string endpoint = env["endpoint"].get<std::string>();
  const std::string region = env["region"].get<std::string>();
  std::string out = "# local KMS " + endpoint + " (state " + env["state_dir"].get<std::string>() +
                    ", pid " + std::to_string(env["pid"].get<int>()) + ")\n";
  for (const auto& root : env["attestation_roots"]) {
    out += "# Recipient documents must chain to: " + root.get<std::string>() + "\n";
  }
  if (env.contains("nsm_state")) {
    const std::string root =
        std::filesystem::path(env["nsm_state"].get<std::string>()).parent_path().string();
    out += "# simulated NSM: enclavectl nsm attest --state " + root + " ... (root " +
           env["attestation_root_pem"].get<std::string>() + ")\n";
  }
  out += "export AWS_ENDPOINT_URL_KMS=" + endpoint + "\n";
  out += "export AWS_REGION=" + region + "\n";
  out += "export AWS_DEFAULT_REGION=" + region + "\n";
  out += "export AWS_ACCESS_KEY_ID=" + env["access_key_id"].get<std::string>() + "\n";
  out += "export AWS_SECRET_ACCESS_KEY=" + env["secret_access_key"].get<std::string>() + "\n";
  out += "unset AWS_SESSION_TOKEN AWS_PROFILE\n";
  return out;
}

core::Status ServeUntilSignal(const LocalStackOptions& options, const core::io::Clock& clock,
                              std::ostream& out, std::ostream& err) {
  sigset_t set = StopSignals();
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &set, &previous);
  auto started = Start(options, clock, err);
  if (started) {
    out << started->environment << std::flush;
    OPENSSL_cleanse(started->environment.data(), started->environment.size());
    const int signal_number = WaitAndStop(*started->server, options);
    if (!options.quiet) {
      err << "local KMS stopped (signal " << signal_number << ")\n";
    }
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (!started) {
    return core::Fail(started.error());
  }
  return core::Ok();
}

core::Result<BackgroundStart> StartInBackground(const LocalStackOptions& options,
                                                const core::io::Clock& clock) {
  int fds[2] = {-1, -1};  // NOLINT(modernize-avoid-c-arrays)
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return core::Fail(ErrorCode::kIoWrite, "cannot create a pipe");
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return core::Fail(ErrorCode::kIoWrite, "cannot fork");
  }
  if (pid == 0) {
    ::close(fds[0]);
    BackgroundChild(options, clock, fds[1]);
  }
  ::close(fds[1]);
  std::string report = ReadAll(fds[0]);
  ::close(fds[0]);
  BackgroundStart start;
  start.pid = pid;
  if (report.rfind("OK\n", 0) != 0) {
    if (report.rfind("ERR ", 0) == 0) {
      // "ERR VALUE\nCODE: detail" (no secret: the server did not start).
      const std::size_t newline = report.find('\n');
      unsigned value = 0;
      std::from_chars(report.data() + 4, report.data() + report.size(), value);
      start.child_error = newline == std::string::npos ? "" : report.substr(newline + 1);
      start.address_in_use = value == static_cast<unsigned>(ErrorCode::kListenFailed) &&
                             start.child_error.find("in use") != std::string::npos;
      const std::size_t colon = start.child_error.find(": ");
      start.failure = {
          core::InfoFor(static_cast<ErrorCode>(value)).code,
          colon == std::string::npos ? start.child_error : start.child_error.substr(colon + 2), -1};
    } else {
      OPENSSL_cleanse(report.data(), report.size());
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    start.child_exit_code =
        WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : 74;
    return start;
  }
  // The proof `dev down` asks for: this pid, started at this time, with this command line.
  const std::string pid_text = std::to_string(pid) + "\nstart_time=" + ProcStartTime(pid) +
                               "\ncmdline=" + ProcCommandLine(pid) + "\n";
  if (auto written = core::io::WriteFileAtomic(options.pid_file, core::AsBytes(pid_text));
      !written) {
    OPENSSL_cleanse(report.data(), report.size());
    ::kill(pid, SIGTERM);
    return core::Fail(written.error());
  }
  start.environment = report.substr(3);
  OPENSSL_cleanse(report.data(), report.size());
  return start;
}

core::Result<Stopped> IdentifyBackground(const std::string& pid_file) {
  std::ifstream file(pid_file);
  if (!file) {
    return Stopped{StopOutcome::kNoPidFile, 0, ""};
  }
  std::string first;
  std::string start_time;
  std::string command_line;
  std::getline(file, first);
  for (std::string line; std::getline(file, line);) {
    if (line.rfind("start_time=", 0) == 0) {
      start_time = line.substr(11);
    } else if (line.rfind("cmdline=", 0) == 0) {
      command_line = line.substr(8);
    }
  }
  const std::string_view digits = core::TrimWhitespace(first);
  pid_t pid = 0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || pid <= 1) {
    return core::Fail(ErrorCode::kInvalidArgument, pid_file + " holds no pid");
  }
  const std::string actual_start = ProcStartTime(pid);
  if (actual_start.empty()) {
    return Stopped{StopOutcome::kNotRunning, pid, ""};
  }
  const std::string actual_command = ProcCommandLine(pid);
  const std::string found = pid_file + " names pid " + std::to_string(pid) + " (" +
                            (actual_command.empty() ? "no command line" : actual_command) + ")";
  if (start_time.empty() || command_line.empty()) {
    return Stopped{StopOutcome::kNotOurs, pid,
                   found +
                       ", but the file has no start time and command line recorded by "
                       "`dev up --background`"};
  }
  if (start_time != actual_start) {
    return Stopped{StopOutcome::kNotOurs, pid,
                   found +
                       ", started at another time than the recorded server (the pid was "
                       "reused)"};
  }
  if (command_line != actual_command) {
    return Stopped{StopOutcome::kNotOurs, pid,
                   found + ", not the recorded command line (" + command_line + ")"};
  }
  return Stopped{StopOutcome::kRunning, pid, ""};
}

core::Result<Stopped> StopBackground(const std::string& pid_file) {
  auto found = IdentifyBackground(pid_file);
  if (!found) {
    return found;
  }
  const pid_t pid = found->pid;
  if (found->outcome == StopOutcome::kNotRunning) {
    std::error_code ignored;
    std::filesystem::remove(pid_file, ignored);
  }
  if (found->outcome != StopOutcome::kRunning) {
    return found;
  }
  if (::kill(pid, SIGTERM) != 0) {
    std::error_code ignored;
    std::filesystem::remove(pid_file, ignored);
    return Stopped{StopOutcome::kNotRunning, pid, ""};
  }
  // The server removes its pid file when it has stopped.
  for (int i = 0; i < 100 && ::kill(pid, 0) == 0 && std::filesystem::exists(pid_file); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Stopped{StopOutcome::kStopped, pid, ""};
}

}  // namespace enclavectl::localkms
