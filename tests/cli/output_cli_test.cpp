// How enclavectl treats its outputs (issue 19): a failed write to standard output is an I/O
// error (exit 74), never a silent success.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace enclavectl {
namespace {

int ShellExit(const std::string& command) {
  const int status = std::system(command.c_str());  // NOLINT(cert-env33-c): test-only
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(OutputCli, AFailedWriteToStandardOutputExits74) {
  if (!std::filesystem::exists("/dev/full")) {
    GTEST_SKIP() << "no /dev/full";
  }
  EXPECT_EQ(ShellExit(std::string(ENCLAVECTL_BINARY) + " errors > /dev/full 2>/dev/null"), 74);
  EXPECT_EQ(ShellExit(std::string(ENCLAVECTL_BINARY) + " errors --json > /dev/full 2>/dev/null"),
            74);
  EXPECT_EQ(ShellExit(std::string(ENCLAVECTL_BINARY) + " errors > /dev/null"), 0);
}

}  // namespace
}  // namespace enclavectl
