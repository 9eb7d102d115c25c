// Child processes for integration tests: the built enclavectl binary, the AWS CLI and Python
// from the machine image. Output goes to files (no pipes to drain); every child is bounded
// in time and killed when its owner goes away.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace enclavectl::testing {

struct CommandResult {
  int exit_code = -1;  // -1: killed after the timeout or by a signal
  std::string out;
  std::string err;
};

// The current environment with `overrides` applied (an empty value removes the variable).
std::vector<std::string> Environment(const std::map<std::string, std::string>& overrides);

// Runs `argv` (argv[0] looked up in PATH) to completion with `env`, standard input from
// /dev/null, at most `timeout`.
CommandResult RunCommand(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                         std::chrono::seconds timeout = std::chrono::seconds(120));

// A child running in the background; SIGKILLed and reaped on destruction.
class ChildProcess {
 public:
  ChildProcess() = default;
  // Starts `argv` with `env`; stdout and stderr go to `log_path`.
  ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env,
               const std::string& log_path);
  ~ChildProcess();
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool Running();
  // Sends `signal` and waits (at most `timeout`) for the exit; returns the wait status or -1.
  int Stop(int signal, std::chrono::seconds timeout = std::chrono::seconds(20));

 private:
  pid_t pid_ = -1;
};

}  // namespace enclavectl::testing
