// `--out FILE|-` (docs/cli-conventions.md, Outputs): the flag, its hidden old spelling, and
// writing a command's output by the rules of core/io/output.hpp ("-" is standard output).
#pragma once

#include <string>

#include "context.hpp"
#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/output.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::cli {

// Adds `--out` with `help`, and `--output` as a hidden alias kept for one release, both
// setting `path`.
CLI::Option* AddOutOption(CLI::App* cmd, std::string& path, const std::string& help);

// Writes `data` to `path`: "-" goes to the command's standard output stream (whose write
// failures exit 74), anything else through core::io::WriteOutput.
[[nodiscard]] core::Status WriteOut(Context& ctx, const std::string& path, core::ByteView data,
                                    const core::io::OutputOptions& options = {});

// `--out -` and `--json` would put two documents on standard output: a usage error.
[[nodiscard]] core::Status CheckOutWithJson(const std::string& path, bool json);

}  // namespace enclavectl::cli
