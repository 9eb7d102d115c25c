#include "local_stack.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <iostream>
#include <mutex>
#include <sstream>

#include "enclavectl/core/file_io.hpp"
#include "enclavectl/net/fd_limit.hpp"

namespace enclavectl::cli {
namespace {


nlohmann::json Environment(const localkms::LocalKmsServer& server, const localkms::AccessKey& key,
                           const ServeOptions& options) {
  nlohmann::json roots = nlohmann::json::array();
  for (const std::string& root : server.Roots()) {
    roots.push_back(root);
  }
  nlohmann::json out = {
      {"mediaType", kLocalKmsMediaType},
      {"endpoint", server.Endpoint()},
      {"region", server.Region()},
      {"accessKeyId", key.access_key_id},
      {"secretAccessKey", std::string(core::AsChars(key.secret_access_key.View()))},
      {"principal", key.principal},
      {"stateDir", options.server.state_dir},
      {"attestationRoots", std::move(roots)},
      {"pid", ::getpid()}};
  if (!options.nsm_state.empty()) {
    out["nsmState"] = options.nsm_state;
    out["attestationRootPem"] = options.nsm_state + "/root.pem";
  }
  return out;
}

std::string ExportLines(const nlohmann::json& env) {
  const std::string endpoint = env["endpoint"].get<std::string>();
  const std::string region = env["region"].get<std::string>();
  std::string out = "# local KMS " + endpoint + " (state " + env["stateDir"].get<std::string>() +
                    ", pid " + std::to_string(env["pid"].get<int>()) + ")\n";
  for (const auto& root : env["attestationRoots"]) {
    out += "# Recipient documents must chain to: " + root.get<std::string>() + "\n";
  }
  if (env.contains("nsmState")) {
    out += "# simulated NSM: enclavectl nsm attest --state " + env["nsmState"].get<std::string>() +
           " ... (root " + env["attestationRootPem"].get<std::string>() + ")\n";
  }
  out += "export AWS_ENDPOINT_URL_KMS=" + endpoint + "\n";
  out += "export AWS_REGION=" + region + "\n";
  out += "export AWS_DEFAULT_REGION=" + region + "\n";
  out += "export AWS_ACCESS_KEY_ID=" + env["accessKeyId"].get<std::string>() + "\n";
  out += "export AWS_SECRET_ACCESS_KEY=" + env["secretAccessKey"].get<std::string>() + "\n";
  out += "unset AWS_SESSION_TOKEN AWS_PROFILE\n";
  return out;
}

// Blocks SIGINT and SIGTERM in this thread (and the server threads it starts), so that
// sigwait receives them.
sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

// Open files: raises the soft limit to the hard one (said on stderr unless --quiet) and keeps
// --max-connections within it (a warning on stderr when it shrinks).
void FitConnectionsToFdLimit(Context& ctx, ServeOptions& run) {
  const net::FdLimit fd_limit = net::RaiseFdLimit();
  if (!run.quiet || !fd_limit.error.empty()) {
    ctx.err << "local KMS: " << net::DescribeFdLimit(fd_limit) << "\n";
  }
  if (fd_limit.soft == 0) {
    return;
  }
  const net::ConnectionCap cap =
      net::FitConnections("--max-connections", run.server.max_connections,
                          net::ConnectionBudget(fd_limit.soft), fd_limit.soft);
  if (!cap.warning.empty()) {
    ctx.err << "local KMS: warning: " << cap.warning << "\n";
  }
  ctx.err << std::flush;
  run.server.max_connections = cap.max_connections;
}

// Starts the server and prints the environment to `out`; returns the server or the exit code.
std::unique_ptr<localkms::LocalKmsServer> Start(Context& ctx, const ServeOptions& options,
                                          std::string& environment, int& exit_code) {
  ServeOptions run = options;
  FitConnectionsToFdLimit(ctx, run);
  auto log_mutex = std::make_shared<std::mutex>();
  std::ostream* err = &ctx.err;
  run.server.warn = [log_mutex, err](const std::string& line) {
    std::lock_guard lock(*log_mutex);
    *err << "local KMS: warning: " << line << "\n" << std::flush;
  };
  if (!options.quiet) {
    run.server.log = [log_mutex, err](const std::string& line) {
      std::lock_guard lock(*log_mutex);
      *err << line << "\n" << std::flush;
    };
  }
  auto server = localkms::LocalKmsServer::Start(run.server, ctx.clock);
  if (!server) {
    exit_code = ReportError(ctx, server.error(), options.json, kLocalKmsMediaType);
    return nullptr;
  }
  auto key = localkms::AccessKeyFor(options.server.state_dir, "");
  if (!key) {
    exit_code = ReportError(ctx, key.error(), options.json, kLocalKmsMediaType);
    return nullptr;
  }
  const nlohmann::json env = Environment(**server, *key, options);
  environment = options.json ? env.dump() + "\n" : ExportLines(env);
  if (!options.ready_file.empty()) {
    const std::string text = env.dump() + "\n";
    if (auto written = core::io::WriteFileAtomic(options.ready_file, core::AsBytes(text));
        !written) {
      exit_code = ReportError(ctx, written.error(), options.json, kLocalKmsMediaType);
      return nullptr;
    }
  }
  exit_code = 0;
  return std::move(*server);
}

int Foreground(Context& ctx, const ServeOptions& options) {
  sigset_t set = StopSignals();
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &set, &previous);
  std::string environment;
  int exit_code = 0;
  auto server = Start(ctx, options, environment, exit_code);
  if (server) {
    ctx.out << environment << std::flush;
    int signal_number = 0;
    sigwait(&set, &signal_number);
    server->Stop();
    if (!options.quiet) {
      ctx.err << "local KMS stopped (signal " << signal_number << ")\n";
    }
    if (!options.ready_file.empty()) {
      ::unlink(options.ready_file.c_str());
    }
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return exit_code;
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

// The child of the background mode: detached, logging to a file, reporting readiness (or the
// error) through `report_fd`.
[[noreturn]] void BackgroundChild(Context& ctx, const ServeOptions& options, int report_fd) {
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
  std::ostringstream out;
  Context child{out, std::cerr, ctx.clock, ctx.in};
  std::string environment;
  int exit_code = 0;
  auto server = Start(child, options, environment, exit_code);
  if (!server) {
    WriteAll(report_fd, "ERR\n");
    ::close(report_fd);
    std::cerr << std::flush;
    ::_exit(exit_code);
  }
  WriteAll(report_fd, "OK\n" + environment);
  ::close(report_fd);
  int signal_number = 0;
  sigwait(&set, &signal_number);
  server->Stop();
  std::cerr << "local KMS stopped (signal " << signal_number << ")\n" << std::flush;
  ::unlink(options.pid_file.c_str());
  if (!options.ready_file.empty()) {
    ::unlink(options.ready_file.c_str());
  }
  ::_exit(0);
}

int Background(Context& ctx, const ServeOptions& options) {
  int fds[2] = {-1, -1};  // NOLINT(modernize-avoid-c-arrays)
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return ReportError(ctx, {core::ErrorCode::kIoWrite, "cannot create a pipe", -1}, options.json,
                       kLocalKmsMediaType);
  }
  ctx.out << std::flush;
  ctx.err << std::flush;
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return ReportError(ctx, {core::ErrorCode::kIoWrite, "cannot fork", -1}, options.json,
                       kLocalKmsMediaType);
  }
  if (pid == 0) {
    ::close(fds[0]);
    BackgroundChild(ctx, options, fds[1]);
  }
  ::close(fds[1]);
  std::string report;
  char buffer[4096];  // NOLINT(modernize-avoid-c-arrays)
  while (true) {
    const ssize_t n = ::read(fds[0], buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    report.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  if (report.rfind("OK\n", 0) != 0) {
    OPENSSL_cleanse(report.data(), report.size());
    int status = 0;
    ::waitpid(pid, &status, 0);
    ctx.err << "enclavectl: the local KMS did not start; see " << options.log_file << "\n";
    return WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : 74;
  }
  const std::string pid_text = std::to_string(pid) + "\n";
  if (auto written = core::io::WriteFileAtomic(options.pid_file, core::AsBytes(pid_text));
      !written) {
    ::kill(pid, SIGTERM);
    return ReportError(ctx, written.error(), options.json, kLocalKmsMediaType);
  }
  ctx.out << report.substr(3) << std::flush;
  OPENSSL_cleanse(report.data(), report.size());
  return 0;
}

}  // namespace

void AddServeOptions(CLI::App* cmd, ServeOptions& options, const std::string& root_help) {
  cmd->add_option("--listen", options.listen, "HOST:PORT to listen on (port 0: any free port)")
      ->default_str(kDefaultListen);
  cmd->add_option("--attestation-root", options.server.attestation_root_paths, root_help);
  cmd->add_option("--ready-file", options.ready_file,
                  "Write the environment as JSON to this file once listening (removed on exit)");
  cmd->add_flag("--json", options.json,
                "Print the environment as one JSON object instead of shell exports");
  cmd->add_flag("--quiet", options.quiet, "Do not log requests");
  cmd->add_option("--max-connections", options.server.max_connections,
                  "Open connections at most (lowered, with a warning, to what the open-file "
                  "limit allows)")
      ->default_str("4096");
}

core::Status ParseListen(ServeOptions& options) {
  const std::string& text = options.listen;
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return core::Fail(core::ErrorCode::kInvalidArgument, "--listen must be HOST:PORT");
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
    return core::Fail(core::ErrorCode::kInvalidArgument, "--listen: the port is not 0..65535");
  }
  options.server.host = host;
  options.server.port = static_cast<std::uint16_t>(port);
  return core::Ok();
}

int RunLocalKms(Context& ctx, ServeOptions options) {
  if (auto parsed = ParseListen(options); !parsed) {
    return ReportError(ctx, parsed.error(), options.json, kLocalKmsMediaType);
  }
  return options.background ? Background(ctx, options) : Foreground(ctx, options);
}

}  // namespace enclavectl::cli
