// Small text helpers the renderers share (man.cpp, completion.cpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "enclavectl/core/suggest.hpp"

namespace enclavectl::cmddoc {

// `text` split at '\n' (a trailing newline adds no empty line).
std::vector<std::string> Lines(std::string_view text);
// `text` split at blank lines, each paragraph without its trailing newline.
std::vector<std::string> Paragraphs(std::string_view text);
std::string Join(const std::vector<std::string>& items, std::string_view separator);
// The commands of `node` that are not hidden, in definition order.
std::vector<const core::CommandNode*> VisibleCommands(const core::CommandNode& node);
// The spellings of the flags of `node` that are not hidden.
std::vector<std::string> VisibleFlagNames(const core::CommandNode& node);

}  // namespace enclavectl::cmddoc
