// The local stack's process management, behind `enclavectl kms serve`, `dev up` and `dev down`:
// the local KMS in the foreground until SIGINT/SIGTERM, or detached in the background (a pid
// file and a log), and the environment a client needs (endpoint, region, credentials).
// Adapter layer: processes, signals and files (docs/local-stack.md).
#pragma once

#include <sys/types.h>

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/localkms/server.hpp"

namespace enclavectl::localkms {

inline constexpr const char* kLocalKmsMediaType =
    "application/vnd.enclavectl.local-kms+json;version=1";
inline constexpr const char* kDefaultListen = "127.0.0.1:4599";

struct LocalStackOptions {
  ServerOptions server;
  std::string listen = kDefaultListen;  // HOST:PORT, parsed into server.host/port
  bool json = false;                    // the environment as one JSON object, not exports
  bool quiet = false;                   // no request log
  std::string ready_file;  // the JSON, once listening (core/io/output.hpp rules, new: 0600)
  std::string nsm_state;   // dev up: the simulator's state directory, shown to the user
  // Background mode: the detached child removes pid_file when it stops and logs to log_file.
  std::string pid_file;
  std::string log_file;
  // dev up: the environment as JSON (0600, it holds the secret) while the server runs, so that
  // a second `dev up` can print it again; removed when the server stops.
  std::string env_file;
};

// Parses `options.listen`, HOST:PORT (IPv4 or [IPv6]; PORT 0..65535), into `options.server`.
// Fails with kInvalidArgument (options unchanged).
[[nodiscard]] core::Status ParseListen(LocalStackOptions& options);

// The client environment of a running server as JSON (docs/cli-conventions.md): media_type
// (kLocalKmsMediaType), verdict ("accepted"), endpoint, region, access_key_id,
// secret_access_key (a secret: printed to the user only), principal, state_dir,
// attestation_roots, pid (this process), and nsm_state/attestation_root_pem when
// options.nsm_state is set.
nlohmann::json ClientEnvironment(const LocalKmsServer& server, const AccessKey& key,
                                 const LocalStackOptions& options);

// An environment read back from a file ClientEnvironment's JSON was written to (dev up's
// env_file): parsed, the camelCase keys of files written by older versions renamed to
// snake_case. nullopt (nothing kept) when it is not such an object, so ExportLines can use it.
std::optional<nlohmann::json> ParseEnvironment(std::string_view text);

// The same environment (ClientEnvironment's or ParseEnvironment's) as shell lines: comments, AWS_*
// exports, unset of the session token.
std::string ExportLines(const nlohmann::json& env);

// Runs the local KMS in the foreground: raises the open-file limit (said on `err` unless
// quiet; --max-connections kept within it), starts the server with SIGINT/SIGTERM blocked,
// writes the environment (JSON or exports) to `out` and the ready file, logs requests to `err`
// unless quiet, and returns once a signal stopped it (ready file removed). Fails, before
// anything is written to `out`, with LocalKmsServer::Start's codes, AccessKeyFor's and kIoWrite
// (the ready file).
[[nodiscard]] core::Status ServeUntilSignal(const LocalStackOptions& options,
                                            const core::io::Clock& clock, std::ostream& out,
                                            std::ostream& err);

// A background start: the child's pid and the environment to print, or, when the child did
// not start (its error is in the log file), the exit code to return (the child's, else 74).
struct BackgroundStart {
  pid_t pid = 0;
  std::string environment;  // holds the secret access key
  int child_exit_code = 0;  // non-zero: not started
  // Not started: the child's error ("CODE: message", also in the log), its code and whether
  // its listen address was in use.
  std::string child_error;
  bool address_in_use = false;
  // Not started: the child's error as an Error (kIoWrite "see the log" when it said nothing).
  core::Error failure{core::ErrorCode::kIoWrite, "the local KMS did not start; see its log", -1};
};

// Forks a detached child (new session, stdin /dev/null, stdout/stderr appended to
// options.log_file) that serves like ServeUntilSignal, waits until it listens (or fails), and
// writes its pid file: the pid on the first line, then `start_time=` (/proc/PID/stat field 22)
// and `cmdline=` (/proc/PID/cmdline, NULs as spaces), the proof StopBackground asks for. Flush the
// caller's streams first. Fails with kIoWrite (pipe, fork, the pid file: the child is then sent
// SIGTERM).
[[nodiscard]] core::Result<BackgroundStart> StartInBackground(const LocalStackOptions& options,
                                                              const core::io::Clock& clock);

// What StopBackground found.
enum class StopOutcome {
  kNoPidFile,   // nothing was running for this pid file
  kNotRunning,  // the pid file named a process that is gone; the file is removed
  kStopped,     // SIGTERM sent; waited (at most 10 s) until the server removed its pid file
  kRunning,     // IdentifyBackground: the recorded server is alive
  kNotOurs,     // the pid file names a live process that is not provably our server: untouched
};
struct Stopped {
  StopOutcome outcome = StopOutcome::kNoPidFile;
  pid_t pid = 0;
  std::string found;  // kNotOurs: what the pid names and why it is not ours
};

// What a pid file names: the live process it recorded (same pid, same start time, same
// command line), a process that is gone, or a live process that is not provably ours.
// Fails with kInvalidArgument when the file holds no pid (> 1).
[[nodiscard]] core::Result<Stopped> IdentifyBackground(const std::string& pid_file);

// Stops the background server whose pid is in `pid_file`, only when IdentifyBackground proves
// it is the recorded one (kStopped); never signals anything else (kNotOurs). Fails with
// kInvalidArgument when the file holds no pid (> 1).
[[nodiscard]] core::Result<Stopped> StopBackground(const std::string& pid_file);

}  // namespace enclavectl::localkms
