// Man pages in roff (man(7) macros) rendered from a described command tree (describe.hpp):
// one page for the program and one per top-level command group (enclavectl-verify(1), ...),
// with NAME, SYNOPSIS, DESCRIPTION, OPTIONS, EXAMPLES (the "Examples:" paragraphs of the
// help footers), EXIT STATUS (the "Exit codes:" paragraphs and, when asked, the exit classes
// of core/error_codes.hpp) and SEE ALSO. Pure: text in, text out; the caller writes files.
#pragma once

#include <string>
#include <vector>

#include "enclavectl/core/suggest.hpp"

namespace enclavectl::cmddoc {

struct ManOptions {
  std::string program;        // "enclavectl"
  std::string section = "1";  // "1" or "8"
  std::string version;        // "0.1.0", in the page footer ("enclavectl 0.1.0")
  std::string manual = "User Commands";
  bool exit_classes = true;                // list the exit classes (0, 1, 2, 64, 74, 70)
  std::vector<std::string> see_also = {};  // extra "name(section)" references
};

struct ManPage {
  std::string name;  // "enclavectl-verify"
  std::string file;  // "enclavectl-verify.1"
  std::string text;  // roff
};

// The program's page and, unless `with_groups` is false, one page per non-hidden command of
// `root` ("<program>-<command>"), which documents that command and every subcommand under it.
// Hidden commands and flags are left out.
std::vector<ManPage> RenderManPages(const core::CommandNode& root, const ManOptions& options,
                                    bool with_groups = true);

// `text` as roff body text: backslashes, hyphens and non-ASCII characters escaped, a
// leading '.' or '\'' made literal. One output line per input line.
std::string RoffEscape(std::string_view text);

}  // namespace enclavectl::cmddoc
