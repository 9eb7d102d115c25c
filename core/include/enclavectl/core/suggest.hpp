// "Did you mean ...?" for command lines: the edit distance between names, and a walk over a
// command tree (names and arities, as the CLI parser defines them) that finds the first
// unknown command or flag. Pure: the CLI describes its tree, this code never sees CLI11.
// The same description also carries each command's and flag's help text, value kind and
// choices, from which cmddoc renders man pages and shell completions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "enclavectl/core/error_codes.hpp"

namespace enclavectl::core {

// Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of two
// adjacent characters each cost 1. ASCII case is ignored.
std::size_t EditDistance(std::string_view a, std::string_view b);

// The names in `candidates` close to `typed`, best first, at most `max_results`: within an
// edit distance of about a third of the typed length (at least 1, at most 3), then names that
// start with `typed` (two characters or more). Leading dashes are compared like letters.
std::vector<std::string> SuggestNames(std::string_view typed,
                                      std::span<const std::string> candidates,
                                      std::size_t max_results = 3);

// What a flag's or a positional's value is, for completion: nothing to complete, free text,
// a file, a directory, or one of `choices`.
enum class ValueKind : std::uint8_t { kNone, kText, kFile, kDirectory, kChoice };

// A flag of a command: its spellings ("--root", "-r") and how many values one use takes.
// The fields after `hidden` document it (help text, value name, kind, choices, default,
// environment variable); the usage walk ignores them.
struct CommandFlag {
  std::vector<std::string> names;
  std::size_t min_values = 0;
  std::size_t max_values = 0;  // more than min_values: takes further values until a flag
  bool hidden = false;         // an old spelling: accepted, never suggested
  std::string description = {};
  std::string value_name = {};  // "TEXT", "FILE", "UINT" ...; empty for a switch
  ValueKind kind = ValueKind::kNone;
  std::vector<std::string> choices = {};
  std::string default_value = {};
  std::string env = {};
};

// A positional argument of a command ("policy" of `policy lint policy.json`).
struct CommandPositional {
  std::string name;
  std::string description = {};
  ValueKind kind = ValueKind::kText;
  std::vector<std::string> choices = {};
  bool required = false;
  bool repeated = false;
};

// A command: its flags, how many positional values it takes, its subcommands; then its help
// text (one-line description, the footer with examples and exit codes) and positionals.
struct CommandNode {
  std::string name;
  std::vector<CommandFlag> flags;
  std::size_t max_positionals = 0;
  bool hidden = false;
  std::vector<CommandNode> commands;
  std::string description = {};
  std::string footer = {};
  std::vector<CommandPositional> positionals = {};
};

// What is wrong with a command line, for the usage error report.
struct UsageProblem {
  ErrorCode code = ErrorCode::kInvalidArgument;  // kUnknownCommand or kUnknownFlag
  std::string message;                           // "unknown command 'verfy'"
  std::vector<std::string> suggestions;          // "verify"
  std::string hint;                              // "did you mean 'verify'?"
};

// The first unknown command or flag in `args` (the arguments after the program name), found
// by walking `root` the way the parser does; nullopt when every name in it is known. "--"
// ends the walk.
std::optional<UsageProblem> FindUnknownName(const CommandNode& root,
                                            std::span<const std::string> args);

// How the parser failed, when it was not at an unknown name.
enum class ParseFailure : std::uint8_t {
  kInvalid,         // a value of the wrong form, flags that exclude each other, an extra value
  kMissingValue,    // a required flag or a flag's value is missing
  kMissingCommand,  // a command that needs a subcommand was given none
};

// The usage error for a command line the parser refused: the first unknown command or flag
// (FindUnknownName) when there is one, else `parser_message` (kInvalidArgument or
// kMissingArgument) with a hint at the help of the command the walk reached.
UsageProblem DiagnoseUsage(const CommandNode& root, std::span<const std::string> args,
                           ParseFailure failure, std::string_view parser_message);

// The command `path` names (`enclavectl help eif measure`), or the problem with its first
// unknown word.
struct CommandLookup {
  const CommandNode* node = nullptr;
  std::optional<UsageProblem> problem;
};
CommandLookup FindCommand(const CommandNode& root, std::span<const std::string> path);

}  // namespace enclavectl::core
