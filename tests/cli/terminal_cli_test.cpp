// Colours and progress only where a person reads them (docs/cli-conventions.md "Progress and
// colour"): the built binary under a real pseudo-terminal (Python's pty module) paints its
// verdicts; with NO_COLOR, through a pipe or with --json it writes no escape sequence.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "subprocess.hpp"
#include "test_paths.hpp"

namespace enclavectl::testing {
namespace {

// Runs argv on a pseudo-terminal (stdout and stderr both the terminal) and returns what the
// terminal showed.
constexpr const char* kOnTerminal = R"(import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(status))
)";

std::string Doc() {
  return (TestdataDir() / "attestation" / "evervault_2022-10-13_valid.cbor").string();
}

CommandResult OnTerminal(std::vector<std::string> args,
                         const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv = {"python3", "-c", kOnTerminal, ENCLAVECTL_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, Environment(env));
}

const std::vector<std::string> kVerify = {"verify", "--doc", "", "--at", "doc", "--any-image"};

std::vector<std::string> VerifyArgs() {
  std::vector<std::string> args = kVerify;
  args[2] = Doc();
  return args;
}

TEST(TerminalCli, AVerdictIsPaintedOnATerminal) {
  const CommandResult run = OnTerminal(VerifyArgs(), {{"TERM", "xterm"}, {"NO_COLOR", ""}});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("\x1b[32mACCEPTED\x1b[0m"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\x1b[33mANY IMAGE\x1b[0m"), std::string::npos) << run.out;
}

TEST(TerminalCli, ARejectionIsPaintedRed) {
  std::vector<std::string> args = VerifyArgs();
  args.back() = "--expect-pcr";
  args.push_back("0=" + std::string(96, '0'));
  const CommandResult run = OnTerminal(args, {{"TERM", "xterm"}, {"NO_COLOR", ""}});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find("\x1b[31mREJECTED\x1b[0m"), std::string::npos) << run.out;
}

TEST(TerminalCli, NoColorTurnsColoursOff) {
  const CommandResult run = OnTerminal(VerifyArgs(), {{"TERM", "xterm"}, {"NO_COLOR", "1"}});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("ACCEPTED"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find('\x1b'), std::string::npos) << run.out;
}

TEST(TerminalCli, ADumbTerminalGetsNoColours) {
  const CommandResult run = OnTerminal(VerifyArgs(), {{"TERM", "dumb"}, {"NO_COLOR", ""}});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(run.out.find('\x1b'), std::string::npos) << run.out;
}

TEST(TerminalCli, APipeGetsNoColoursAndNoProgress) {
  std::vector<std::string> argv = {ENCLAVECTL_BINARY};
  const std::vector<std::string> args = VerifyArgs();
  argv.insert(argv.end(), args.begin(), args.end());
  const CommandResult run = RunCommand(argv, Environment({{"TERM", "xterm"}, {"NO_COLOR", ""}}));
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(run.out.find('\x1b'), std::string::npos) << run.out;
  EXPECT_EQ((run.out + run.err).find('\r'), std::string::npos);
}

TEST(TerminalCli, JsonOnATerminalIsPlainJson) {
  std::vector<std::string> args = VerifyArgs();
  args.push_back("--json");
  const CommandResult run = OnTerminal(args, {{"TERM", "xterm"}, {"NO_COLOR", ""}});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(run.out.find('\x1b'), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\"verdict\""), std::string::npos) << run.out;
}

TEST(TerminalCli, BatchLinesArePaintedOnATerminal) {
  const CommandResult run = OnTerminal(
      {"verify", "--at", "doc", "--any-image", "--doc", Doc(), "--doc", Doc(), "--jobs", "1"},
      {{"TERM", "xterm"}, {"NO_COLOR", ""}});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find(": \x1b[32maccepted\x1b[0m"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace enclavectl::testing
