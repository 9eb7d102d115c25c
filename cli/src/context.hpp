// Shared state of one CLI invocation and the helpers every subcommand uses.
#pragma once

#include <istream>
#include <ostream>
#include <span>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/suggest.hpp"

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
// A usage problem adds its "hint:" line, or "hint" and "suggestions" to the JSON.
// Progress lines go to stderr only when it is a terminal, never with --json or --quiet
// (`quiet`); colours go to stdout only when it is a terminal and NO_COLOR is unset
// (docs/cli-conventions.md "Progress and colour"). Tests' string streams get neither.
bool ProgressOn(const Context& ctx, bool quiet);
bool ColourOn(const Context& ctx);

int ReportError(Context& ctx, const core::Error& error, bool json, const char* media_type,
                const core::UsageProblem* usage = nullptr);
// help.cpp: a CLI11 parse error as a usage error (did you mean ...?).
int ReportParseError(Context& ctx, const CLI::App& app, const CLI::ParseError& e,
                     std::span<const std::string> args, bool json);

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
void RegisterMigration(CLI::App& app, Context& ctx);
void RegisterBitcoin(CLI::App& app, Context& ctx);
void RegisterWallet(CLI::App& app, Context& ctx);
void RegisterHelp(CLI::App& app, Context& ctx);
void RegisterMonitor(CLI::App& app, Context& ctx);
// doc_cmd.cpp: `completion` and the hidden `man --out DIR`.
void RegisterCompletion(CLI::App& app, Context& ctx);

}  // namespace enclavectl::cli
