// Shell completion scripts from a described command tree (completion.hpp).
#include "enclavectl/cmddoc/completion.hpp"

#include <cctype>
#include <functional>
#include <sstream>

#include "text.hpp"

namespace enclavectl::cmddoc {
namespace {

// A POSIX shell single-quoted word (bash and zsh).
std::string Quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

// A fish single-quoted word: \' and \\ are the only escapes.
std::string FishQuote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "'";
}

// A shell function name for the program ("enclave-app" -> "enclave_app").
std::string Identifier(std::string_view name) {
  std::string out;
  for (char c : name) {
    out += (std::isalnum(static_cast<unsigned char>(c)) != 0) ? c : '_';
  }
  return out;
}

// "choice a b c", "file", "dir" or "text": the value spec the scripts' tables hold.
std::string ValueSpec(core::ValueKind kind, const std::vector<std::string>& choices) {
  switch (kind) {
    case core::ValueKind::kChoice:
      return "choice " + Join(choices, " ");
    case core::ValueKind::kFile:
      return "file";
    case core::ValueKind::kDirectory:
      return "dir";
    case core::ValueKind::kText:
      return "text";
    case core::ValueKind::kNone:
      break;
  }
  return "";
}

// The first sentence of a help text, short enough for a completion menu.
std::string Short(std::string_view text) {
  std::string out(text.substr(0, text.find('\n')));
  for (const char* stop : {". ", "; ", " ("}) {
    out = out.substr(0, out.find(stop));
  }
  if (out.size() > 70) {
    const std::size_t space = out.rfind(' ', 67);
    out = out.substr(0, space == std::string::npos ? 67 : space) + "...";
  }
  return out;
}

using Visit = std::function<void(const std::string& path, const core::CommandNode& node)>;

void Walk(const std::string& path, const core::CommandNode& node, const Visit& visit) {
  visit(path, node);
  for (const core::CommandNode* sub : VisibleCommands(node)) {
    Walk(path + " " + sub->name, *sub, visit);
  }
}

// The spec of the first positional that takes values: what a bare word completes to when
// the command has no subcommands.
std::string PositionalSpec(const core::CommandNode& node) {
  for (const core::CommandPositional& positional : node.positionals) {
    const std::string spec = ValueSpec(positional.kind, positional.choices);
    if (!spec.empty()) {
      return spec;
    }
  }
  return "";
}

// The tables both POSIX shells share: <id>_commands PATH, <id>_flags PATH,
// <id>_flag_value PATH FLAG, <id>_positional PATH; each prints nothing for an unknown key.
void PosixTables(std::ostream& out, const core::CommandNode& root, const std::string& id) {
  std::ostringstream commands;
  std::ostringstream flags;
  std::ostringstream values;
  std::ostringstream positionals;
  Walk(root.name, root, [&](const std::string& path, const core::CommandNode& node) {
    std::vector<std::string> names;
    for (const core::CommandNode* sub : VisibleCommands(node)) {
      names.push_back(sub->name);
    }
    if (!names.empty()) {
      commands << "    " << Quote(path) << ") echo " << Quote(Join(names, " ")) << " ;;\n";
    }
    const std::vector<std::string> flag_names = VisibleFlagNames(node);
    if (!flag_names.empty()) {
      flags << "    " << Quote(path) << ") echo " << Quote(Join(flag_names, " ")) << " ;;\n";
    }
    for (const core::CommandFlag& flag : node.flags) {
      const std::string spec = flag.max_values == 0 ? "" : ValueSpec(flag.kind, flag.choices);
      for (const std::string& name : flag.names) {
        if (!spec.empty()) {  // hidden flags too: their values must be skipped in the walk
          values << "    " << Quote(path + "|" + name) << ") echo " << Quote(spec) << " ;;\n";
        }
      }
    }
    const std::string positional = PositionalSpec(node);
    if (!positional.empty()) {
      positionals << "    " << Quote(path) << ") echo " << Quote(positional) << " ;;\n";
    }
  });
  out << id << "_commands() {\n  case \"$1\" in\n"
      << commands.str() << "  esac\n}\n"
      << id << "_flags() {\n  case \"$1\" in\n"
      << flags.str() << "  esac\n}\n"
      << "# The value a flag takes: 'choice A B...', 'file', 'dir' or 'text'; nothing for a "
         "switch.\n"
      << id << "_flag_value() {\n  case \"$1|$2\" in\n"
      << values.str() << "  esac\n}\n"
      << id << "_positional() {\n  case \"$1\" in\n"
      << positionals.str() << "  esac\n}\n";
}

// The walk over the typed words, shared by bash and zsh: `first`..`last` are the indices of
// the words before the one being completed in the array `words_var`.
void PosixWalk(std::ostream& out, const std::string& id, const std::string& root_name,
               const std::string& words, const std::string& first, const std::string& end) {
  out << "  local cmdpath=" << Quote(root_name) << " value='' word i\n"
      << "  for ((i = " << first << "; i < " << end << "; i++)); do\n"
      << "    word=\"${" << words << "[i]}\"\n"
      << "    if [[ -n $value ]]; then value=''; continue; fi\n"
      << "    case \"$word\" in\n"
      << "      -*) [[ -n $(" << id
      << "_flag_value \"$cmdpath\" \"$word\") ]] && value=\"$word\" ;;\n"
      << "      *) [[ \" $(" << id
      << "_commands \"$cmdpath\") \" == *\" $word \"* ]] && "
         "cmdpath=\"$cmdpath $word\" ;;\n"
      << "    esac\n"
      << "  done\n";
}

std::string Bash(const core::CommandNode& root) {
  const std::string id = "_" + Identifier(root.name);
  std::ostringstream out;
  out << "# bash completion for " << root.name << " (generated: " << root.name
      << " completion bash)\n";
  PosixTables(out, root, id);
  out << id << "_value() {\n"
      << "  local kind=\"$1\"\n  shift\n"
      << "  case \"$kind\" in\n"
      << "    choice) COMPREPLY=($(compgen -W \"$*\" -- \"$cur\")) ;;\n"
      << "    file) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
      << "    dir) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- \"$cur\")) ;;\n"
      << "    *) COMPREPLY=() ;;\n"
      << "  esac\n}\n"
      << id << "() {\n"
      << "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" spec commands\n"
      << "  COMPREPLY=()\n";
  PosixWalk(out, id, root.name, "COMP_WORDS", "1", "COMP_CWORD");
  out << "  if [[ -n $value ]]; then\n"
      << "    spec=$(" << id << "_flag_value \"$cmdpath\" \"$value\")\n"
      << "    " << id << "_value $spec\n"
      << "  elif [[ $cur == -* ]]; then\n"
      << "    COMPREPLY=($(compgen -W \"$(" << id << "_flags \"$cmdpath\")\" -- \"$cur\"))\n"
      << "  else\n"
      << "    commands=$(" << id << "_commands \"$cmdpath\")\n"
      << "    if [[ -n $commands ]]; then\n"
      << "      COMPREPLY=($(compgen -W \"$commands\" -- \"$cur\"))\n"
      << "    else\n"
      << "      spec=$(" << id << "_positional \"$cmdpath\")\n"
      << "      [[ -n $spec ]] && " << id << "_value $spec\n"
      << "    fi\n"
      << "  fi\n"
      << "  return 0\n"
      << "}\n"
      << "complete -F " << id << " " << root.name << "\n";
  return out.str();
}

std::string Zsh(const core::CommandNode& root) {
  const std::string id = "_" + Identifier(root.name);
  std::ostringstream out;
  out << "#compdef " << root.name << "\n"
      << "# zsh completion for " << root.name << " (generated: " << root.name
      << " completion zsh). Install as " << id << " in a directory of $fpath, or source it.\n";
  PosixTables(out, root, id);
  out << id << "_value() {\n"
      << "  local kind=\"$1\"\n  shift\n"
      << "  case \"$kind\" in\n"
      << "    choice) compadd -- \"$@\" ;;\n"
      << "    file) _files ;;\n"
      << "    dir) _files -/ ;;\n"
      << "    *) _message 'value' ;;\n"
      << "  esac\n}\n"
      << id << "() {\n"
      << "  local cur=\"${words[CURRENT]}\" spec commands\n"
      << "  local -a list\n";
  PosixWalk(out, id, root.name, "words", "2", "CURRENT");
  out << "  if [[ -n $value ]]; then\n"
      << "    spec=$(" << id << "_flag_value \"$cmdpath\" \"$value\")\n"
      << "    " << id << "_value ${=spec}\n"
      << "  elif [[ $cur == -* ]]; then\n"
      << "    list=(${=$(" << id << "_flags \"$cmdpath\")})\n"
      << "    compadd -a list\n"
      << "  else\n"
      << "    commands=$(" << id << "_commands \"$cmdpath\")\n"
      << "    if [[ -n $commands ]]; then\n"
      << "      list=(${=commands})\n"
      << "      compadd -a list\n"
      << "    else\n"
      << "      spec=$(" << id << "_positional \"$cmdpath\")\n"
      << "      [[ -n $spec ]] && " << id << "_value ${=spec}\n"
      << "    fi\n"
      << "  fi\n"
      << "}\n"
      << "if [[ \"${funcstack[1]}\" == \"" << id << "\" ]]; then\n"
      << "  " << id << " \"$@\"\n"
      << "else\n"
      << "  compdef " << id << " " << root.name << "\n"
      << "fi\n";
  return out.str();
}

std::string Fish(const core::CommandNode& root) {
  const std::string id = "__" + Identifier(root.name);
  std::ostringstream out;
  std::ostringstream commands;
  std::ostringstream values;
  std::ostringstream lines;
  const std::string program = root.name;
  Walk(root.name, root, [&](const std::string& path, const core::CommandNode& node) {
    const std::string at = "-n " + FishQuote(id + "_at " + FishQuote(path));
    std::vector<std::string> names;
    for (const core::CommandNode* sub : VisibleCommands(node)) {
      names.push_back(sub->name);
      lines << "complete -c " << program << " " << at << " -a " << FishQuote(sub->name) << " -d "
            << FishQuote(Short(sub->description)) << "\n";
    }
    if (!names.empty()) {
      commands << "        case " << FishQuote(path) << "\n            printf '%s\\n' "
               << Join(names, " ") << "\n";
    }
    for (const core::CommandFlag& flag : node.flags) {
      const std::string spec = flag.max_values == 0 ? "" : ValueSpec(flag.kind, flag.choices);
      for (const std::string& name : flag.names) {
        if (!spec.empty()) {
          values << "        case " << FishQuote(path + "|" + name) << "\n            return 0\n";
        }
      }
      if (flag.hidden) {
        continue;
      }
      lines << "complete -c " << program << " " << at;
      for (const std::string& name : flag.names) {
        if (name.size() == 2) {
          lines << " -s " << FishQuote(name.substr(1));
        } else if (name.rfind("--", 0) == 0) {
          lines << " -l " << FishQuote(name.substr(2));
        } else {
          lines << " -o " << FishQuote(name.substr(1));
        }
      }
      if (flag.max_values > 0) {
        switch (flag.kind) {
          case core::ValueKind::kChoice:
            lines << " -x -a " << FishQuote(Join(flag.choices, " "));
            break;
          case core::ValueKind::kFile:
            lines << " -r -F";
            break;
          case core::ValueKind::kDirectory:
            lines << " -x -a '(__fish_complete_directories)'";
            break;
          default:
            lines << " -x";
        }
      }
      lines << " -d " << FishQuote(Short(flag.description)) << "\n";
    }
    if (names.empty()) {
      for (const core::CommandPositional& positional : node.positionals) {
        if (positional.kind == core::ValueKind::kChoice) {
          lines << "complete -c " << program << " " << at << " -a "
                << FishQuote(Join(positional.choices, " ")) << "\n";
        } else if (positional.kind == core::ValueKind::kFile ||
                   positional.kind == core::ValueKind::kDirectory) {
          lines << "complete -c " << program << " " << at << " -F\n";
        }
      }
    }
  });
  out << "# fish completion for " << program << " (generated: " << program << " completion fish)\n"
      << "function " << id << "_commands\n    switch $argv[1]\n"
      << commands.str() << "    end\nend\n"
      << "# Whether a flag takes a value (the walk then skips that value).\n"
      << "function " << id << "_takes_value\n    switch \"$argv[1]|$argv[2]\"\n"
      << values.str() << "    end\n    return 1\nend\n"
      << "function " << id << "_path\n"
      << "    set -l cmdpath " << FishQuote(program) << "\n"
      << "    set -l skip 0\n"
      << "    for word in (commandline -opc)[2..-1]\n"
      << "        if test $skip -eq 1\n            set skip 0\n            continue\n        end\n"
      << "        switch $word\n"
      << "            case '-*'\n"
      << "                " << id << "_takes_value \"$cmdpath\" $word; and set skip 1\n"
      << "            case '*'\n"
      << "                if contains -- $word (" << id << "_commands \"$cmdpath\")\n"
      << "                    set cmdpath \"$cmdpath $word\"\n"
      << "                end\n"
      << "        end\n"
      << "    end\n"
      << "    echo $cmdpath\n"
      << "end\n"
      << "function " << id << "_at\n    test (" << id << "_path) = \"$argv[1]\"\nend\n"
      << "complete -c " << program << " -f\n"
      << lines.str();
  return out.str();
}

}  // namespace

std::optional<Shell> ShellFromName(std::string_view name) {
  if (name == "bash") {
    return Shell::kBash;
  }
  if (name == "zsh") {
    return Shell::kZsh;
  }
  if (name == "fish") {
    return Shell::kFish;
  }
  return std::nullopt;
}

std::string RenderCompletion(const core::CommandNode& root, Shell shell) {
  switch (shell) {
    case Shell::kBash:
      return Bash(root);
    case Shell::kZsh:
      return Zsh(root);
    case Shell::kFish:
      return Fish(root);
  }
  return "";
}

}  // namespace enclavectl::cmddoc
