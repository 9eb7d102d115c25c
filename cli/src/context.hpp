// Shared state of one CLI invocation and the helpers every subcommand uses.
#pragma once

#include <istream>
#include <ostream>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::cli {

struct Context {
  std::ostream& out;
  std::ostream& err;
  const core::io::Clock& clock;
  // Where confirmations are read from (lock-policy --apply).
  std::istream& in;
  int exit_code = 0;
};

// Reports a failure that happened before any verification (usage, I/O, a bad input file):
// one line on stderr, or a JSON object with `media_type` on stdout when `json` is set.
// Returns the exit code for the error's class.
int ReportError(Context& ctx, const core::Error& error, bool json, const char* media_type);

// Subcommand registration (one file each).
void RegisterVerify(CLI::App& app, Context& ctx);
void RegisterErrors(CLI::App& app, Context& ctx);
void RegisterNsm(CLI::App& app, Context& ctx);
void RegisterEif(CLI::App& app, Context& ctx);
void RegisterPolicy(CLI::App& app, Context& ctx);
void RegisterLockPolicy(CLI::App& app, Context& ctx);
void RegisterKms(CLI::App& app, Context& ctx);
void RegisterDev(CLI::App& app, Context& ctx);
void RegisterSignature(CLI::App& app, Context& ctx);
void RegisterBitcoin(CLI::App& app, Context& ctx);

}  // namespace enclavectl::cli
