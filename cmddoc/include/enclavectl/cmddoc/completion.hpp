// Shell completion scripts rendered from a described command tree (describe.hpp), as
// `enclavectl completion bash|zsh|fish` prints them: subcommands, flags, the values of flags
// and positionals (choices, files, directories). Each script carries the tree as tables and a
// small walk over the words typed so far that finds the command and whether the word being
// completed is a flag's value. Hidden commands and flags are not offered. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "enclavectl/core/suggest.hpp"

namespace enclavectl::cmddoc {

enum class Shell : std::uint8_t { kBash, kZsh, kFish };

// "bash", "zsh" or "fish"; nullopt for anything else.
std::optional<Shell> ShellFromName(std::string_view name);

// The completion script for `root.name` in `shell`. Bash: `source <(...)` or install as
// bash-completion/completions/<name>; zsh: install as _<name> in $fpath or source it; fish:
// install as completions/<name>.fish or source it.
std::string RenderCompletion(const core::CommandNode& root, Shell shell);

}  // namespace enclavectl::cmddoc
