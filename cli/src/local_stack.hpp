// Shared by `enclavectl kms serve` and `enclavectl dev up`: running the local KMS in the
// foreground (until SIGINT/SIGTERM) or in the background, and printing what a client needs.
#pragma once

#include <string>

#include "context.hpp"
#include "enclavectl/localkms/server.hpp"

namespace enclavectl::cli {

inline constexpr const char* kLocalKmsMediaType =
    "application/vnd.enclavectl.local-kms+json;version=1";
inline constexpr const char* kDefaultListen = "127.0.0.1:4599";

struct ServeOptions {
  localkms::ServerOptions server;
  std::string listen = kDefaultListen;
  bool json = false;       // the environment as one JSON object instead of shell exports
  bool quiet = false;      // no request log
  std::string ready_file;  // written (atomically) with the JSON once the server listens
  std::string nsm_state;   // dev up: the simulator's state directory, shown to the user
  // Background mode (dev up --background): the server runs in a detached child; its pid goes
  // to pid_file and its log to log_file.
  bool background = false;
  std::string pid_file;
  std::string log_file;
};

// Registers the options `kms serve` and `dev up` share: --listen, --attestation-root (with
// `root_help`), --ready-file, --json, --quiet, --max-connections.
void AddServeOptions(CLI::App* cmd, ServeOptions& options, const std::string& root_help);

// Parses HOST:PORT (IPv4 or [IPv6]; PORT 0..65535) into `options.server`. Fails with
// kInvalidArgument.
[[nodiscard]] core::Status ParseListen(ServeOptions& options);

// Starts the local KMS and prints the client environment; in the foreground blocks until
// SIGINT or SIGTERM, in the background returns once the child listens. Before it starts, the
// soft open-file limit is raised to the hard one and --max-connections kept within it (both
// said on stderr, or in the background child's log). Returns the exit code.
int RunLocalKms(Context& ctx, ServeOptions options);

}  // namespace enclavectl::cli
