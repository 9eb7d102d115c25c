// Man pages in roff from a described command tree (man.hpp).
#include "enclavectl/cmddoc/man.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <sstream>

#include "enclavectl/core/error_codes.hpp"
#include "text.hpp"

namespace enclavectl::cmddoc {
namespace {

// What a page collects from the help footers of the commands it documents.
struct FooterParts {
  std::vector<std::string> notes;     // other paragraphs, kept with their command
  std::vector<std::string> examples;  // example lines, without their indentation
  std::vector<std::string> exit_texts;
};

void AddUnique(std::vector<std::string>& list, std::string item) {
  if (std::find(list.begin(), list.end(), item) == list.end()) {
    list.push_back(std::move(item));
  }
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

FooterParts SplitFooter(std::string_view footer) {
  FooterParts parts;
  for (const std::string& paragraph : Paragraphs(footer)) {
    const std::vector<std::string> lines = Lines(paragraph);
    if (lines.empty()) {
      continue;
    }
    if (StartsWith(lines.front(), "Examples:") || StartsWith(lines.front(), "Example:")) {
      // Continuation lines ("\" at the end) stay with their example.
      for (std::size_t i = 1; i < lines.size(); ++i) {
        std::string line = lines[i];
        line.erase(0, std::min(line.find_first_not_of(' '), std::size_t{2}));
        parts.examples.push_back(line);
      }
    } else if (StartsWith(lines.front(), "Exit codes:") ||
               StartsWith(lines.front(), "Exit code:")) {
      parts.exit_texts.push_back(Join(lines, " "));
    } else {
      parts.notes.push_back(paragraph);
    }
  }
  return parts;
}

// A description without the "program version - " that CLI11's help starts with.
std::string WithoutBanner(const std::string& program, std::string description) {
  const std::size_t dash = description.find(" - ");
  if (StartsWith(description, program + " ") && dash != std::string::npos) {
    description.erase(0, dash + 3);
  }
  return description;
}

// The whatis text of NAME: the description's first clause.
std::string Summary(const std::string& program, std::string description) {
  description = WithoutBanner(program, description);
  std::size_t end = description.size();
  for (const char* stop : {". ", ": ", "\n"}) {
    end = std::min(end, description.find(stop));
  }
  description.resize(end);
  while (!description.empty() && (description.back() == '.' || description.back() == ' ')) {
    description.pop_back();
  }
  if (description.size() > 100) {
    const std::size_t space = description.rfind(' ', 100);
    description.resize(space == std::string::npos ? 100 : space);
  }
  return description.empty() ? program : description;
}

std::string Bold(std::string_view text) { return "\\fB" + RoffEscape(text) + "\\fR"; }
std::string Italic(std::string_view text) { return "\\fI" + RoffEscape(text) + "\\fR"; }

// One line of a synopsis (inside .nf/.fi).
std::string SynopsisLine(const std::string& path, const core::CommandNode& node) {
  std::string line = Bold(path);
  if (!VisibleCommands(node).empty()) {
    return line + " " + Italic("command") + " [" + Italic("options") + "]\n";
  }
  if (std::any_of(node.flags.begin(), node.flags.end(),
                  [](const core::CommandFlag& f) { return !f.hidden; })) {
    line += " [" + Italic("options") + "]";
  }
  for (const core::CommandPositional& positional : node.positionals) {
    std::string word = Italic(positional.name) + (positional.repeated ? "..." : "");
    line += " " + (positional.required ? word : "[" + word + "]");
  }
  return line + "\n";
}

void RenderFlag(std::ostream& out, const core::CommandFlag& flag) {
  out << ".TP\n";
  std::string head;
  for (const std::string& name : flag.names) {
    head += (head.empty() ? "" : ", ") + Bold(name);
  }
  if (!flag.value_name.empty()) {
    head += " " + Italic(flag.value_name);
    if (flag.max_values > 1) {
      head += "...";
    }
  }
  out << head << "\n" << RoffEscape(flag.description) << "\n";
  if (!flag.choices.empty()) {
    out << ".br\nOne of: " << RoffEscape(Join(flag.choices, ", ")) << ".\n";
  }
  if (!flag.default_value.empty()) {
    out << ".br\nDefault: " << RoffEscape(flag.default_value) << ".\n";
  }
  if (!flag.env.empty()) {
    out << ".br\nEnvironment: " << Bold(flag.env) << ".\n";
  }
}

void RenderOptions(std::ostream& out, const core::CommandNode& node) {
  for (const core::CommandPositional& positional : node.positionals) {
    out << ".TP\n" << Italic(positional.name) << "\n" << RoffEscape(positional.description) << "\n";
    if (!positional.choices.empty()) {
      out << ".br\nOne of: " << RoffEscape(Join(positional.choices, ", ")) << ".\n";
    }
  }
  for (const core::CommandFlag& flag : node.flags) {
    if (!flag.hidden) {
      RenderFlag(out, flag);
    }
  }
}

void RenderNotes(std::ostream& out, const std::vector<std::string>& notes) {
  for (const std::string& note : notes) {
    const std::vector<std::string> lines = Lines(note);
    const bool preformatted = std::any_of(lines.begin() + 1, lines.end(),
                                          [](const std::string& l) { return StartsWith(l, "  "); });
    out << ".PP\n";
    if (preformatted) {
      out << ".nf\n" << RoffEscape(note) << "\n.fi\n";
    } else {
      out << RoffEscape(Join(lines, " ")) << "\n";
    }
  }
}

// One command of a group page and every subcommand under it, as subsections.
void RenderSubcommands(std::ostream& out, const std::string& path, const core::CommandNode& node,
                       FooterParts& collected) {
  for (const core::CommandNode* sub : VisibleCommands(node)) {
    const std::string sub_path = path + " " + sub->name;
    FooterParts parts = SplitFooter(sub->footer);
    out << ".SS \"" << RoffEscape(sub_path) << "\"\n";
    out << ".nf\n" << SynopsisLine(sub_path, *sub) << ".fi\n";
    out << ".PP\n" << RoffEscape(sub->description) << "\n";
    RenderNotes(out, parts.notes);
    if (!sub->positionals.empty() || !sub->flags.empty()) {
      out << ".PP\nOptions:\n";
      RenderOptions(out, *sub);
    }
    for (std::string& line : parts.examples) {
      collected.examples.push_back(std::move(line));
    }
    for (std::string& text : parts.exit_texts) {
      AddUnique(collected.exit_texts, std::move(text));
    }
    RenderSubcommands(out, sub_path, *sub, collected);
  }
}

const char* ExitClassMeaning(core::ExitClass exit_class) {
  switch (exit_class) {
    case core::ExitClass::kRejected:
      return "verification failed: the input is well formed but not acceptable";
    case core::ExitClass::kMalformed:
      return "malformed input: a document, file or answer could not be decoded";
    case core::ExitClass::kUsage:
      return "usage error: an unknown command or flag, a missing or invalid value";
    case core::ExitClass::kIo:
      return "I/O error: a file, network, device or service failure";
    case core::ExitClass::kInternal:
      return "internal error: a bug or resource exhaustion";
  }
  return "";
}

void RenderExitStatus(std::ostream& out, const std::vector<std::string>& texts,
                      const ManOptions& options) {
  if (texts.empty() && !options.exit_classes) {
    return;
  }
  out << ".SH \"EXIT STATUS\"\n";
  for (const std::string& text : texts) {
    out << ".PP\n" << RoffEscape(text) << "\n";
  }
  if (!options.exit_classes) {
    return;
  }
  out << ".TP\n.B 0\nsuccess: the input was accepted, the command did what was asked\n";
  for (core::ExitClass exit_class :
       {core::ExitClass::kRejected, core::ExitClass::kMalformed, core::ExitClass::kUsage,
        core::ExitClass::kIo, core::ExitClass::kInternal}) {
    out << ".TP\n.B " << core::ExitCodeFor(exit_class) << "\n"
        << ExitClassMeaning(exit_class) << " (" << core::ExitClassName(exit_class) << ")\n";
  }
  out << ".PP\nEvery error carries a stable code; " << Bold(options.program + " errors")
      << " lists them with their exit class.\n";
}

void RenderHeader(std::ostream& out, const std::string& name, const ManOptions& options,
                  const std::string& summary) {
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  out << ".\\\" Generated from the command-line definitions by cmddoc; do not edit.\n"
      << ".TH \"" << RoffEscape(upper) << "\" \"" << options.section << "\" \"\" \""
      << RoffEscape(options.program + " " + options.version) << "\" \""
      << RoffEscape(options.manual) << "\"\n"
      << ".nh\n.ad l\n"
      << ".SH NAME\n"
      << RoffEscape(name) << " \\- " << RoffEscape(summary) << "\n";
}

void RenderExamples(std::ostream& out, const std::vector<std::string>& examples) {
  if (examples.empty()) {
    return;
  }
  out << ".SH EXAMPLES\n.nf\n.RS 4\n";
  for (const std::string& line : examples) {
    out << RoffEscape(line) << "\n";
  }
  out << ".RE\n.fi\n";
}

void RenderSeeAlso(std::ostream& out, std::vector<std::string> refs) {
  if (refs.empty()) {
    return;
  }
  out << ".SH \"SEE ALSO\"\n";
  for (std::size_t i = 0; i < refs.size(); ++i) {
    const std::size_t paren = refs[i].find('(');
    out << ".BR " << RoffEscape(refs[i].substr(0, paren)) << " "
        << RoffEscape(refs[i].substr(paren)) << (i + 1 < refs.size() ? " ," : "") << "\n";
  }
}

ManPage ProgramPage(const core::CommandNode& root, const ManOptions& options, bool with_groups) {
  std::ostringstream out;
  FooterParts parts = SplitFooter(root.footer);
  RenderHeader(out, options.program, options, Summary(options.program, root.description));
  out << ".SH SYNOPSIS\n.nf\n" << SynopsisLine(options.program, root) << ".fi\n";
  out << ".SH DESCRIPTION\n"
      << RoffEscape(WithoutBanner(options.program, root.description)) << "\n";
  RenderNotes(out, parts.notes);
  std::vector<std::string> see_also;
  const std::vector<const core::CommandNode*> commands = VisibleCommands(root);
  if (!commands.empty()) {
    out << ".SH COMMANDS\n";
    for (const core::CommandNode* sub : commands) {
      const std::string page = options.program + "-" + sub->name;
      out << ".TP\n" << Bold(sub->name) << "\n" << RoffEscape(sub->description) << "\n";
      if (with_groups) {
        out << "See " << Bold(page) << "(" << options.section << ").\n";
        see_also.push_back(page + "(" + options.section + ")");
      }
    }
  }
  out << ".SH OPTIONS\n";
  RenderOptions(out, root);
  if (!with_groups) {
    RenderSubcommands(out, options.program, root, parts);
  }
  RenderExamples(out, parts.examples);
  RenderExitStatus(out, parts.exit_texts, options);
  see_also.insert(see_also.end(), options.see_also.begin(), options.see_also.end());
  RenderSeeAlso(out, see_also);
  return {options.program, options.program + "." + options.section, out.str()};
}

ManPage GroupPage(const core::CommandNode& group, const ManOptions& options) {
  std::ostringstream out;
  const std::string name = options.program + "-" + group.name;
  const std::string path = options.program + " " + group.name;
  FooterParts parts = SplitFooter(group.footer);
  RenderHeader(out, name, options, Summary(options.program, group.description));
  out << ".SH SYNOPSIS\n.nf\n" << SynopsisLine(path, group);
  for (const core::CommandNode* sub : VisibleCommands(group)) {
    out << SynopsisLine(path + " " + sub->name, *sub);
  }
  out << ".fi\n";
  out << ".SH DESCRIPTION\n" << RoffEscape(group.description) << "\n";
  RenderNotes(out, parts.notes);
  out << ".SH OPTIONS\n";
  RenderOptions(out, group);
  if (!VisibleCommands(group).empty()) {
    out << ".SH COMMANDS\n";
    RenderSubcommands(out, path, group, parts);
  }
  RenderExamples(out, parts.examples);
  RenderExitStatus(out, parts.exit_texts, options);
  std::vector<std::string> see_also{options.program + "(" + options.section + ")"};
  see_also.insert(see_also.end(), options.see_also.begin(), options.see_also.end());
  RenderSeeAlso(out, see_also);
  return {name, name + "." + options.section, out.str()};
}

}  // namespace

std::string RoffEscape(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (line_start && (c == '.' || c == '\'')) {
      out += "\\&";
    }
    line_start = c == '\n';
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      // UTF-8 -> \[uXXXX]; a malformed byte becomes U+FFFD.
      std::uint32_t code = 0xFFFD;
      const std::size_t extra = c >= 0xF8 ? 0 : c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
      bool whole = extra > 0 && i + extra < text.size();
      for (std::size_t k = 1; whole && k <= extra; ++k) {
        whole = (static_cast<unsigned char>(text[i + k]) & 0xC0u) == 0x80u;
      }
      if (whole) {  // else only this byte is replaced; the next ones are read on their own
        code = c & (0x3Fu >> extra);
        for (std::size_t k = 1; k <= extra; ++k) {
          code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3Fu);
        }
        i += extra;
      }
      char buffer[16];
      std::snprintf(buffer, sizeof buffer, "\\[u%04X]", static_cast<unsigned>(code));
      out += buffer;
    }
  }
  return out;
}

std::vector<ManPage> RenderManPages(const core::CommandNode& root, const ManOptions& options,
                                    bool with_groups) {
  std::vector<ManPage> pages{ProgramPage(root, options, with_groups)};
  if (with_groups) {
    for (const core::CommandNode* group : VisibleCommands(root)) {
      pages.push_back(GroupPage(*group, options));
    }
  }
  return pages;
}

}  // namespace enclavectl::cmddoc
