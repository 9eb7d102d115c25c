// What the terminal can show: the width help text is wrapped to (docs/cli-conventions.md
// "Help"), and whether progress lines and colours are wanted ("Progress and colour").
#pragma once

#include <cstddef>

namespace enclavectl::core::io {

// The COLUMNS environment variable when set, else the width of the terminal standard output
// is (TIOCGWINSZ), else kMaxHelpWidth (100: not a terminal). Callers clamp it (WrapText does).
std::size_t HelpColumns();

// True when `fd` is a terminal and TERM is not "dumb": progress lines may be drawn on it.
// Never true for a pipe, a file or a CI log.
bool ProgressWanted(int fd);

// True when ProgressWanted(fd) and NO_COLOR is unset or empty (https://no-color.org).
bool ColourWanted(int fd);

}  // namespace enclavectl::core::io
