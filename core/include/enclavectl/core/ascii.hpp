// ASCII case helpers shared by the aws and kmspolicy sources (IAM compares action names, condition
// keys and Bool values case-insensitively in ASCII; HTTP header names likewise). Internal.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include "enclavectl/core/encoding.hpp"

namespace enclavectl::core::ascii {

inline char Lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

inline std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) { return Lower(c); });
  return out;
}

inline bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) noexcept {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(),
                    [](char a, char b) { return Lower(a) == Lower(b); });
}

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) noexcept {
  return core::EqualsIgnoreCase(a, b);
}

}  // namespace enclavectl::core::ascii
