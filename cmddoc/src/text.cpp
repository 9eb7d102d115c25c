#include "text.hpp"

namespace enclavectl::cmddoc {

std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    out.emplace_back(text.substr(0, newline));
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
  }
  return out;
}

std::vector<std::string> Paragraphs(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  for (const std::string& line : Lines(text)) {
    if (line.find_first_not_of(" \t") == std::string::npos) {
      if (!current.empty()) {
        out.push_back(current);
        current.clear();
      }
      continue;
    }
    current += (current.empty() ? "" : "\n") + line;
  }
  if (!current.empty()) {
    out.push_back(current);
  }
  return out;
}

std::string Join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) {
      out += separator;
    }
    out += item;
  }
  return out;
}

std::vector<const core::CommandNode*> VisibleCommands(const core::CommandNode& node) {
  std::vector<const core::CommandNode*> out;
  for (const core::CommandNode& sub : node.commands) {
    if (!sub.hidden) {
      out.push_back(&sub);
    }
  }
  return out;
}

std::vector<std::string> VisibleFlagNames(const core::CommandNode& node) {
  std::vector<std::string> out;
  for (const core::CommandFlag& flag : node.flags) {
    if (!flag.hidden) {
      out.insert(out.end(), flag.names.begin(), flag.names.end());
    }
  }
  return out;
}

}  // namespace enclavectl::cmddoc
