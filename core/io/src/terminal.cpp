#include "enclavectl/core/terminal.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <string_view>

#include "enclavectl/core/text_wrap.hpp"

namespace enclavectl::core::io {

std::size_t HelpColumns() {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read once per command, before any thread starts
  if (const char* columns = std::getenv("COLUMNS"); columns != nullptr && *columns != '\0') {
    return std::strtoul(columns, nullptr, 10);
  }
  winsize size{};
  if (isatty(STDOUT_FILENO) == 1 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 &&
      size.ws_col > 0) {
    return size.ws_col;
  }
  return kMaxHelpWidth;
}

namespace {

// NOLINTBEGIN(concurrency-mt-unsafe): read once per command, before any thread starts
bool EnvironmentSet(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0';
}

bool DumbTerminal() {
  const char* term = std::getenv("TERM");
  return term != nullptr && std::string_view(term) == "dumb";
}
// NOLINTEND(concurrency-mt-unsafe)

}  // namespace

bool ProgressWanted(int fd) { return isatty(fd) == 1 && !DumbTerminal(); }

bool ColourWanted(int fd) { return ProgressWanted(fd) && !EnvironmentSet("NO_COLOR"); }

}  // namespace enclavectl::core::io
