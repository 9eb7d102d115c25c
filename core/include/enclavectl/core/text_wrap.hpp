// Wrapping of help and explanation text to a terminal width.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace enclavectl::core {

// The widest help text enclavectl prints, and the width when standard output is no terminal.
inline constexpr std::size_t kMaxHelpWidth = 100;

// `text` with every line longer than `width` (clamped to 20..kMaxHelpWidth) broken at spaces.
// A continuation line is indented to the line's description column (the text after the first
// run of two or more spaces, as in "  --root FILE    The root"), else to the line's own
// indent; an example command ("enclavectl ...", "eval ...") is continued with " \" (not
// within its "# comment") and indented 4 more. A word longer than the room left is split.
// Lines that fit are unchanged.
std::string WrapText(std::string_view text, std::size_t width);

}  // namespace enclavectl::core
