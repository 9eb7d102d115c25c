// The width help text is wrapped to (docs/cli-conventions.md "Help").
#pragma once

#include <cstddef>

namespace enclavectl::core::io {

// The COLUMNS environment variable when set, else the width of the terminal standard output
// is (TIOCGWINSZ), else kMaxHelpWidth (100: not a terminal). Callers clamp it (WrapText does).
std::size_t HelpColumns();

}  // namespace enclavectl::core::io
