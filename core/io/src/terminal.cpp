#include "enclavectl/core/terminal.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>

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

}  // namespace enclavectl::core::io
