// The CLI11 command tree of a program described as a core::CommandNode (core/suggest.hpp):
// names, arities, help texts, value kinds and choices. The one walk over CLI11 that the usage
// errors ("did you mean ...?"), `help`, the man pages and the shell completions all share.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "enclavectl/core/suggest.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace enclavectl::cmddoc {

// Describes `app` and its subcommands. Option groups belong to their command; a command or
// flag in no group (CLI11's hidden ones) is marked hidden. A value's kind comes from the
// option: choices from a validator described as "{a,b,c}" (CLI::IsMember, or a
// description-only validator for a value CLI11 does not check itself), a file or directory from the
// type name
// ("FILE", "DIR", "PATH") or from the help text naming a file, an image or a directory;
// any other value is free text. Pure: reads the in-memory tree only.
core::CommandNode DescribeApp(const CLI::App& app);

// The "{a,b,c}" set of `text`, the way CLI11 describes IsMember ("TEXT:{a,b,c}"): the
// values between the first '{' and the next '}', split at commas; empty when there is none.
std::vector<std::string> ChoicesOf(std::string_view type_name);

}  // namespace enclavectl::cmddoc
