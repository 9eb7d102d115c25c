// Shared by `enclavectl kms serve` and `enclavectl dev up`: the flags of the local KMS and
// running it in the foreground or in the background (localkms/local_stack.hpp does the work).
#pragma once

#include <initializer_list>
#include <string>

#include "context.hpp"
#include "enclavectl/localkms/local_stack.hpp"

namespace enclavectl::cli {

using localkms::kLocalKmsMediaType;

struct ServeOptions {
  localkms::LocalStackOptions stack;
  // dev up --background: the server runs in a detached child (stack.pid_file, stack.log_file).
  bool background = false;
};

// `--state DIR`: the local stack's root, holding kms/ (the local KMS's state) and nsm/ (the
// simulator's CA), in dev up/down, kms serve/import-key/access-key and nsm attest.
inline constexpr const char* kDefaultStateRoot = ".enclavectl";
inline constexpr const char* kStateHelp =
    "The local stack's root directory (kms/ and nsm/ inside), as given to dev up";

// The local KMS's state directory of the stack root `root`: root/kms. A `root` that is itself
// a KMS state directory (the old meaning of `kms --state`) is accepted for one release with a
// deprecation warning on stderr.
std::string KmsStateDir(Context& ctx, const std::string& root);

// The directory `part` ("kms", "nsm") of the stack root `root`: root/part, or `root` itself
// (with a deprecation warning naming the `label` state directory) when root/part is no
// directory but `root` holds one of `part_files`, i.e. is one (the old meaning of --state).
std::string StackPartDir(Context& ctx, const std::string& root, const char* part, const char* label,
                         std::initializer_list<const char*> part_files);

// Registers the options `kms serve` and `dev up` share: --listen, --attestation-root (with
// `root_help`), --ready-file, --json, --quiet, --max-connections.
void AddServeOptions(CLI::App* cmd, ServeOptions& options, const std::string& root_help);

// Starts the local KMS and prints the client environment; in the foreground blocks until
// SIGINT or SIGTERM, in the background returns once the child listens. Returns the exit code.
int RunLocalKms(Context& ctx, ServeOptions options);

}  // namespace enclavectl::cli
