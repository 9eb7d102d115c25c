// Runs `enclavectl ARGS` in-process (cli::Run) with a given clock and standard input (tests
// only): arguments in, exit code and both streams out.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "enclavectl/cli/cli.hpp"
#include "enclavectl/core/file_io.hpp"

namespace enclavectl::testing {

struct CliResult {
  int exit_code = 0;
  std::string out;
  std::string err;
  nlohmann::json Json() const { return nlohmann::json::parse(out); }
};

inline CliResult RunCli(std::vector<std::string> args, const core::io::Clock& clock,
                        const std::string& input = "") {
  args.insert(args.begin(), "enclavectl");
  std::vector<const char*> argv;
  argv.reserve(args.size());
  for (const std::string& arg : args) {
    argv.push_back(arg.c_str());
  }
  std::istringstream in(input);
  std::ostringstream out;
  std::ostringstream err;
  const int code = cli::Run(static_cast<int>(argv.size()), argv.data(), in, out, err, clock);
  return {code, out.str(), err.str()};
}

}  // namespace enclavectl::testing
