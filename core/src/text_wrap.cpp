#include "enclavectl/core/text_wrap.hpp"

#include <algorithm>

namespace enclavectl::core {
namespace {

// Where continuation lines of `line` start.
std::size_t HangingIndent(std::string_view line, std::size_t width, bool command) {
  const std::size_t indent = std::min(line.find_first_not_of(' '), line.size());
  std::size_t column = command ? indent + 4 : indent;
  const std::size_t gap = line.find("  ", indent);
  if (!command && gap != std::string_view::npos) {
    const std::size_t text = line.find_first_not_of(' ', gap);
    if (text != std::string_view::npos) {
      column = text;
    }
  }
  // Leave at least half the width for the words.
  return std::min(column, width / 2);
}

bool IsExampleCommand(std::string_view line) {
  const std::string_view text = line.substr(std::min(line.find_first_not_of(' '), line.size()));
  return text.starts_with("enclavectl ") || text.starts_with("enclave-app ") ||
         text.starts_with("eval ");
}

void WrapLine(std::string_view line, std::size_t width, std::string& out) {
  const bool command = IsExampleCommand(line);
  const std::size_t hanging = HangingIndent(line, width, command);
  const std::size_t marker = command ? 2 : 0;  // room for " \"
  std::size_t pos = 0;
  while (pos < line.size()) {
    const std::size_t indent = pos == 0 ? 0 : hanging;
    const std::string_view rest = line.substr(pos);
    out.append(indent, ' ');
    if (indent + rest.size() <= width) {
      out += rest;
      out += '\n';
      return;
    }
    // The last space within the room, past the indentation; else split the word.
    const std::size_t room = width - indent - marker;
    std::size_t cut = rest.substr(0, room + 1).rfind(' ');
    const std::size_t words = std::min(rest.find_first_not_of(' '), rest.size());
    if (cut == std::string_view::npos || cut <= words) {
      cut = room;
    }
    std::string_view piece = rest.substr(0, cut);
    while (!piece.empty() && piece.back() == ' ') {
      piece.remove_suffix(1);
    }
    out += piece;
    // A break inside a shell comment needs no backslash (and must not get one).
    const bool in_comment = line.substr(0, pos + cut).find(" #") != std::string_view::npos;
    out += command && !in_comment ? " \\\n" : "\n";
    pos += cut;
    while (pos < line.size() && line[pos] == ' ') {
      ++pos;
    }
  }
}

}  // namespace

std::string WrapText(std::string_view text, std::size_t width) {
  width = std::clamp<std::size_t>(width, 20, kMaxHelpWidth);
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    const bool newline = end != std::string_view::npos;
    if (!newline) {
      end = text.size();
    }
    std::string_view line = text.substr(start, end - start);
    while (!line.empty() && line.back() == ' ') {
      line.remove_suffix(1);
    }
    if (line.size() <= width) {
      out += line;
      out += '\n';
    } else {
      WrapLine(line, width, out);
    }
    if (!newline) {
      out.pop_back();  // the text had no final newline
    }
    start = end + 1;
  }
  return out;
}

}  // namespace enclavectl::core
