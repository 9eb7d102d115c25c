#include "enclavectl/kmspolicy/json.hpp"

#include <openssl/crypto.h>

#include <set>
#include <vector>

#include "enclavectl/core/limits.hpp"

namespace enclavectl::kmspolicy {
namespace {

using core::ErrorCode;
using core::Fail;

// The deepest nesting of arrays and objects in `text`, counted outside strings. Runs before
// the parser so that a hostile input cannot make it build (and later destroy) a deep tree.
std::size_t MaxNesting(std::string_view text) noexcept {
  std::size_t depth = 0;
  std::size_t max_depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
      max_depth = depth > max_depth ? depth : max_depth;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return max_depth;
}

}  // namespace

core::Result<nlohmann::json> ParseStrictJson(std::string_view text, std::size_t max_bytes,
                                             ErrorCode code, std::string_view what) {
  if (text.size() > max_bytes) {
    return Fail(ErrorCode::kInputTooLarge, std::string(what) + " is " +
                                               std::to_string(text.size()) +
                                               " bytes, more than the limit of " +
                                               std::to_string(max_bytes));
  }
  if (MaxNesting(text) > core::limits::kMaxJsonDepth) {
    return Fail(code, std::string(what) + " nests arrays/objects deeper than " +
                          std::to_string(core::limits::kMaxJsonDepth));
  }
  // One set of keys per open object; a repeated key is remembered and reported after parsing.
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  const nlohmann::json::parser_callback_t callback =
      [&open_objects, &duplicate](int /*depth*/, nlohmann::json::parse_event_t event,
                                  nlohmann::json& parsed) {
        switch (event) {
          case nlohmann::json::parse_event_t::object_start:
            open_objects.emplace_back();
            break;
          case nlohmann::json::parse_event_t::object_end:
            if (!open_objects.empty()) {
              open_objects.pop_back();
            }
            break;
          case nlohmann::json::parse_event_t::key:
            if (!open_objects.empty() && parsed.is_string() &&
                !open_objects.back().insert(parsed.get<std::string>()).second &&
                duplicate.empty()) {
              duplicate = parsed.get<std::string>();
            }
            break;
          default:
            break;
        }
        return true;
      };
  nlohmann::json value =
      nlohmann::json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return Fail(code, std::string(what) + " is not valid JSON");
  }
  if (!duplicate.empty()) {
    return Fail(code, std::string(what) + " repeats the key \"" + SafeExcerpt(duplicate) +
                          "\" in one object");
  }
  return value;
}

std::string DumpJson(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string DumpJson(const nlohmann::ordered_json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void WipeJsonStrings(nlohmann::json& value) noexcept {
  if (value.is_string()) {
    std::string& text = value.get_ref<std::string&>();
    OPENSSL_cleanse(text.data(), text.size());
  } else if (value.is_structured()) {
    for (nlohmann::json& child : value) {
      WipeJsonStrings(child);
    }
  }
}

std::string SafeExcerpt(std::string_view text, std::size_t max_chars) {
  std::string out;
  const std::size_t n = text.size() < max_chars ? text.size() : max_chars;
  out.reserve(n + 3);
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[i];
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  if (n < text.size()) {
    out += "...";
  }
  return out;
}

}  // namespace enclavectl::kmspolicy
