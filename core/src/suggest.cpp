#include "enclavectl/core/suggest.hpp"

#include <algorithm>
#include <numeric>

namespace enclavectl::core {
namespace {

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool StartsWithIgnoringCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(),
                    [](char a, char b) { return Lower(a) == Lower(b); });
}

// "-x", "--name", "--name=value"; not "-" (standard input) and not a negative number.
bool LooksLikeFlag(std::string_view arg) {
  return arg.size() > 1 && arg[0] == '-' && !(arg[1] >= '0' && arg[1] <= '9');
}

const CommandNode* FindSubcommand(const CommandNode& node, std::string_view name) {
  for (const CommandNode& sub : node.commands) {
    if (sub.name == name) {
      return &sub;
    }
  }
  return nullptr;
}

const CommandFlag* FindFlag(const CommandNode& node, std::string_view name) {
  for (const CommandFlag& flag : node.flags) {
    if (std::find(flag.names.begin(), flag.names.end(), name) != flag.names.end()) {
      return &flag;
    }
  }
  return nullptr;
}

std::string DidYouMean(const std::vector<std::string>& names) {
  std::string out = "did you mean ";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) {
      out += i + 1 == names.size() ? " or " : ", ";
    }
    out += "'" + names[i] + "'";
  }
  return out + "?";
}

UsageProblem Unknown(ErrorCode code, std::string_view typed, const std::string& path,
                     const std::vector<std::string>& candidates) {
  const bool command = code == ErrorCode::kUnknownCommand;
  UsageProblem problem;
  problem.code = code;
  problem.message = std::string(command ? "unknown command '" : "unknown flag '") +
                    std::string(typed) + "' for '" + path + "'";
  problem.suggestions = SuggestNames(typed, candidates);
  problem.hint = !problem.suggestions.empty() ? DidYouMean(problem.suggestions)
                 : command                    ? "'" + path + " --help' lists the commands"
                                              : "'" + path + " --help' lists its flags";
  return problem;
}

UsageProblem UnknownCommand(const CommandNode& node, std::string_view typed,
                            const std::string& path) {
  std::vector<std::string> names;
  for (const CommandNode& sub : node.commands) {
    if (!sub.hidden) {
      names.push_back(sub.name);
    }
  }
  return Unknown(ErrorCode::kUnknownCommand, typed, path, names);
}

UsageProblem UnknownFlag(const CommandNode& node, std::string_view typed, const std::string& path) {
  std::vector<std::string> names;
  for (const CommandFlag& flag : node.flags) {
    if (!flag.hidden) {
      names.insert(names.end(), flag.names.begin(), flag.names.end());
    }
  }
  return Unknown(ErrorCode::kUnknownFlag, typed, path, names);
}

// How many of the arguments after args[at] are values of `flag` (the parser's rule: at least
// min_values, then more up to max_values until a flag, a subcommand or "--").
std::size_t ValuesOf(const CommandNode& node, const CommandFlag& flag,
                     std::span<const std::string> args, std::size_t at) {
  std::size_t count = 0;
  while (count < flag.max_values && at + 1 + count < args.size()) {
    const std::string& next = args[at + 1 + count];
    if (count >= flag.min_values &&
        (LooksLikeFlag(next) || next == "--" || FindSubcommand(node, next) != nullptr)) {
      break;
    }
    ++count;
  }
  return count;
}

// Walks `args` down `root`; `path` ends as the command reached ("enclavectl policy lint").
std::optional<UsageProblem> Walk(const CommandNode& root, std::span<const std::string> args,
                                 std::string& path) {
  const CommandNode* node = &root;
  path = root.name;
  std::size_t positionals = 0;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      return std::nullopt;
    }
    if (LooksLikeFlag(arg)) {
      const bool long_flag = arg.starts_with("--");
      const std::size_t name_len = long_flag ? arg.find('=') : std::size_t{2};
      const std::string_view name = std::string_view(arg).substr(0, name_len);
      const CommandFlag* flag = FindFlag(*node, name);
      if (flag == nullptr) {
        return UnknownFlag(*node, name, path);
      }
      if (name.size() == arg.size()) {  // no "=value" or "-xVALUE": values follow
        i += ValuesOf(*node, *flag, args, i);
      }
      continue;
    }
    if (const CommandNode* sub = FindSubcommand(*node, arg)) {
      node = sub;
      path += " " + arg;
      positionals = 0;
    } else if (positionals < node->max_positionals) {
      ++positionals;
    } else if (!node->commands.empty()) {
      return UnknownCommand(*node, arg, path);
    } else {
      return std::nullopt;  // an extra value: the parser's own message says so
    }
  }
  return std::nullopt;
}

}  // namespace

std::size_t EditDistance(std::string_view a, std::string_view b) {
  // Three rows of the dynamic-programming table: two back (for swaps), previous, current.
  std::vector<std::size_t> two_back(b.size() + 1);
  std::vector<std::size_t> previous(b.size() + 1);
  std::vector<std::size_t> current(b.size() + 1);
  std::iota(previous.begin(), previous.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = Lower(a[i - 1]) == Lower(b[j - 1]) ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && Lower(a[i - 1]) == Lower(b[j - 2]) &&
          Lower(a[i - 2]) == Lower(b[j - 1])) {
        current[j] = std::min(current[j], two_back[j - 2] + 1);
      }
    }
    two_back.swap(previous);
    previous.swap(current);
  }
  return previous[b.size()];
}

std::vector<std::string> SuggestNames(std::string_view typed,
                                      std::span<const std::string> candidates,
                                      std::size_t max_results) {
  const std::size_t letters = typed.size() - std::min(typed.find_first_not_of('-'), typed.size());
  const std::size_t limit = std::clamp<std::size_t>((letters + 1) / 3, 1, 3);
  std::vector<std::pair<std::size_t, std::string>> scored;
  for (const std::string& candidate : candidates) {
    const std::size_t distance = EditDistance(typed, candidate);
    if (distance == 0) {
      continue;
    }
    if (distance <= limit) {
      scored.emplace_back(distance, candidate);
    } else if (letters >= 2 && StartsWithIgnoringCase(candidate, typed)) {
      scored.emplace_back(limit + 1, candidate);
    }
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> out;
  for (const auto& [score, name] : scored) {
    if (out.size() < max_results && std::find(out.begin(), out.end(), name) == out.end()) {
      out.push_back(name);
    }
  }
  return out;
}

std::optional<UsageProblem> FindUnknownName(const CommandNode& root,
                                            std::span<const std::string> args) {
  std::string path;
  return Walk(root, args, path);
}

UsageProblem DiagnoseUsage(const CommandNode& root, std::span<const std::string> args,
                           ParseFailure failure, std::string_view parser_message) {
  std::string path;
  if (std::optional<UsageProblem> unknown = Walk(root, args, path)) {
    return *unknown;
  }
  UsageProblem problem;
  problem.code =
      failure == ParseFailure::kInvalid ? ErrorCode::kInvalidArgument : ErrorCode::kMissingArgument;
  problem.message = failure == ParseFailure::kMissingCommand ? "'" + path + "' needs a command"
                                                             : std::string(parser_message);
  problem.hint = "'" + path + " --help' shows its usage";
  return problem;
}

CommandLookup FindCommand(const CommandNode& root, std::span<const std::string> path) {
  const CommandNode* node = &root;
  std::string walked = root.name;
  for (const std::string& word : path) {
    const CommandNode* sub = FindSubcommand(*node, word);
    if (sub == nullptr) {
      return {nullptr, UnknownCommand(*node, word, walked)};
    }
    node = sub;
    walked += " " + word;
  }
  return {node, std::nullopt};
}

}  // namespace enclavectl::core
