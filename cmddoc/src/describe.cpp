// CLI11 -> core::CommandNode (describe.hpp).
#include "enclavectl/cmddoc/describe.hpp"

#include <algorithm>
#include <cctype>

#include <CLI/CLI.hpp>

namespace enclavectl::cmddoc {
namespace {

std::size_t Count(int n) { return n < 0 ? 0 : static_cast<std::size_t>(n); }

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool HasWord(const std::string& text, std::string_view word) {
  std::size_t at = text.find(word);
  while (at != std::string::npos) {
    const bool start = at == 0 || word.front() == '.' ||
                       std::isalnum(static_cast<unsigned char>(text[at - 1])) == 0;
    const std::size_t end = at + word.size();
    const bool stop = end >= text.size() ||
                      std::isalpha(static_cast<unsigned char>(text[end])) == 0 || text[end] == 's';
    if (start && stop) {
      return true;
    }
    at = text.find(word, at + 1);
  }
  return false;
}

// What kind of value `opt` takes (describe.hpp DescribeApp).
core::ValueKind KindOf(const CLI::Option& opt, const std::vector<std::string>& choices) {
  if (opt.get_items_expected_max() == 0) {
    return core::ValueKind::kNone;
  }
  if (!choices.empty()) {
    return core::ValueKind::kChoice;
  }
  const std::string type = opt.get_type_name();
  const std::string base = type.substr(0, type.find(':'));
  if (base == "DIR" || base == "DIRECTORY") {
    return core::ValueKind::kDirectory;
  }
  if (base == "FILE" || base == "PATH") {
    return core::ValueKind::kFile;
  }
  if (base != "TEXT") {
    return core::ValueKind::kText;  // numbers, durations
  }
  const std::string text = Lower(opt.get_description());
  if (HasWord(text, "directory")) {
    return core::ValueKind::kDirectory;
  }
  // Words of help texts that name a file: "the key policy JSON file", "Where to write the
  // document", "Sign with this PEM certificate", "Attestation document: raw CBOR, ...",
  // "boot PCRs measured from this EIF". Anything else is text (a completion offers nothing).
  for (std::string_view word :
       {"file", "path", ".json", "pem", "certificate", "ramdisk", "this eif", "this init",
        "this nsm driver", "where to write", "write the", "write to", "kernel config",
        "kernel image", "an enclave image"}) {
    if (HasWord(text, word)) {
      return core::ValueKind::kFile;
    }
  }
  if (text.rfind("attestation document", 0) == 0 || text.rfind("an attestation document", 0) == 0 ||
      text.rfind("the enclave's attestation document", 0) == 0) {
    return core::ValueKind::kFile;
  }
  return core::ValueKind::kText;
}

std::string ValueName(const CLI::Option& opt, core::ValueKind kind) {
  const std::string type = opt.get_type_name();
  const std::string base = type.substr(0, type.find(':'));
  if (base == "TEXT" && kind == core::ValueKind::kFile) {
    return "FILE";
  }
  if (base == "TEXT" && kind == core::ValueKind::kDirectory) {
    return "DIR";
  }
  return base;
}

// Whether `node` already has a flag spelled like `opt` (option groups repeat --help).
bool Known(const core::CommandNode& node, const CLI::Option& opt) {
  for (const std::string& name : opt.get_lnames()) {
    for (const core::CommandFlag& flag : node.flags) {
      if (std::find(flag.names.begin(), flag.names.end(), "--" + name) != flag.names.end()) {
        return true;
      }
    }
  }
  return false;
}

void Describe(const CLI::App& app, core::CommandNode& node) {
  for (const CLI::Option* opt : app.get_options()) {
    const std::vector<std::string> choices = ChoicesOf(opt->get_type_name());
    if (!opt->nonpositional()) {
      node.max_positionals += Count(opt->get_items_expected_max());
      core::CommandPositional& positional = node.positionals.emplace_back();
      positional.name = opt->get_name();
      positional.description = opt->get_description();
      positional.kind = KindOf(*opt, choices);
      positional.choices = choices;
      positional.required = opt->get_required();
      positional.repeated = opt->get_items_expected_max() > 1;
      continue;
    }
    if (Known(node, *opt)) {
      continue;  // an option group's own --help
    }
    core::CommandFlag& flag = node.flags.emplace_back();
    flag.min_values = Count(opt->get_items_expected_min());
    flag.max_values = Count(opt->get_items_expected_max());
    flag.hidden = opt->get_group().empty();
    for (const std::string& name : opt->get_lnames()) {
      flag.names.push_back("--" + name);
    }
    for (const std::string& name : opt->get_snames()) {
      flag.names.push_back("-" + name);
    }
    flag.description = opt->get_description();
    flag.kind = KindOf(*opt, choices);
    flag.value_name =
        flag.kind == core::ValueKind::kNone ? std::string() : ValueName(*opt, flag.kind);
    flag.choices = choices;
    flag.default_value = opt->get_default_str();
    flag.env = opt->get_envname();
  }
  for (const CLI::App* sub : app.get_subcommands(nullptr)) {
    if (sub->get_name().empty()) {
      Describe(*sub, node);
    } else {
      core::CommandNode& child = node.commands.emplace_back();
      child.name = sub->get_name();
      child.hidden = sub->get_group().empty();
      child.description = sub->get_description();
      child.footer = sub->get_footer();
      Describe(*sub, child);
    }
  }
}

}  // namespace

std::vector<std::string> ChoicesOf(std::string_view type_name) {
  std::vector<std::string> out;
  const std::size_t open = type_name.find('{');
  const std::size_t close = type_name.find('}', open);
  if (open == std::string_view::npos || close == std::string_view::npos) {
    return out;
  }
  std::string_view set = type_name.substr(open + 1, close - open - 1);
  while (!set.empty()) {
    const std::size_t comma = set.find(',');
    const std::string_view item = set.substr(0, comma);
    if (!item.empty() && std::find(out.begin(), out.end(), item) == out.end()) {
      out.emplace_back(item);
    }
    set = comma == std::string_view::npos ? std::string_view() : set.substr(comma + 1);
  }
  return out;
}

core::CommandNode DescribeApp(const CLI::App& app) {
  core::CommandNode root;
  root.name = app.get_name();
  root.description = app.get_description();
  root.footer = app.get_footer();
  Describe(app, root);
  return root;
}

}  // namespace enclavectl::cmddoc
