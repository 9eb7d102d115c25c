#include "enclavectl/core/json.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "enclavectl/core/limits.hpp"

namespace enclavectl::core {

std::size_t JsonNestingDepth(std::string_view text) noexcept {
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

namespace {

std::string Member(std::string_view what, std::string_view key) {
  return std::string(what) + ": \"" + SafeExcerpt(key, 40) + "\"";
}

// Remembers the first key repeated within one object and whether a number is not finite.
class StrictChecker final : public nlohmann::json_sax<nlohmann::json> {
 public:
  bool null() override { return true; }
  bool boolean(bool /*value*/) override { return true; }
  bool number_integer(number_integer_t /*value*/) override { return true; }
  bool number_unsigned(number_unsigned_t /*value*/) override { return true; }
  bool number_float(number_float_t value, const string_t& /*text*/) override {
    if (!std::isfinite(value)) {
      non_finite = true;
    }
    return true;
  }
  bool string(string_t& /*value*/) override { return true; }
  bool binary(binary_t& /*value*/) override { return true; }
  bool start_object(std::size_t /*elements*/) override {
    open_objects.emplace_back();
    return true;
  }
  bool key(string_t& key) override {
    if (!open_objects.empty() && !open_objects.back().insert(key).second && duplicate.empty()) {
      duplicate = key;
    }
    return true;
  }
  bool end_object() override {
    if (!open_objects.empty()) {
      open_objects.pop_back();
    }
    return true;
  }
  bool start_array(std::size_t /*elements*/) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& /*error*/) override {
    error_position = position;
    return false;
  }

  // One set of keys per open object.
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  bool non_finite = false;
  // nlohmann's count of bytes read when the syntax error was found (the offending byte is
  // the last one read).
  std::size_t error_position = 0;
};

// "line L, column C" (both from 1, columns in bytes) of the byte nlohmann stopped at.
std::string LineAndColumn(std::string_view text, std::size_t position) {
  const std::size_t offset = std::min(position > 0 ? position - 1 : 0, text.size());
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(offset - line_start + 1);
}

}  // namespace

JsonPrefix ClassifyJsonPrefix(std::string_view text, std::size_t max_depth) noexcept {
  if (JsonNestingDepth(text) > max_depth) {
    return JsonPrefix::kInvalid;
  }
  try {
    StrictChecker checker;
    if (nlohmann::json::sax_parse(text.begin(), text.end(), &checker,
                                  nlohmann::json::input_format_t::json, /*strict=*/true)) {
      return JsonPrefix::kComplete;
    }
    // nlohmann counts the end of input as one more byte read: an error found there means the
    // text stopped early, not that it went wrong.
    return checker.error_position > text.size() ? JsonPrefix::kIncomplete : JsonPrefix::kInvalid;
  } catch (...) {  // std::bad_alloc while building key sets
    return JsonPrefix::kInvalid;
  }
}

Result<nlohmann::json> ParseStrictJson(std::string_view text, std::size_t max_bytes, ErrorCode code,
                                       std::string_view what, std::size_t max_depth) {
  if (text.size() > max_bytes) {
    return Fail(ErrorCode::kInputTooLarge,
                std::string(what) + " is " + std::to_string(text.size()) +
                    " bytes, more than the limit of " + std::to_string(max_bytes));
  }
  // Before the parser, so that a hostile input cannot make it build (and later destroy) a
  // deep tree.
  if (JsonNestingDepth(text) > max_depth) {
    return Fail(
        code, std::string(what) + " nests arrays/objects deeper than " + std::to_string(max_depth));
  }
  // A SAX pass first (repeated keys, non-finite numbers), then a plain parse: nlohmann's
  // callback parser rescans the enclosing container after every object (quadratic in the
  // length of an array of objects, minutes for a 4 MiB body), this is linear.
  StrictChecker checker;
  if (!nlohmann::json::sax_parse(text.begin(), text.end(), &checker,
                                 nlohmann::json::input_format_t::json, /*strict=*/true)) {
    return Fail(code, std::string(what) + " is not valid JSON (syntax error at " +
                          LineAndColumn(text, checker.error_position) + ")");
  }
  const bool non_finite = checker.non_finite;
  const std::string& duplicate = checker.duplicate;
  nlohmann::json value = nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                               /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return Fail(code, std::string(what) + " is not valid JSON");
  }
  if (non_finite) {
    return Fail(code, std::string(what) + " holds a number out of range");
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

const char* JsonTypeName(const nlohmann::json& value) noexcept {
  switch (value.type()) {
    case nlohmann::json::value_t::object:
      return "object";
    case nlohmann::json::value_t::array:
      return "array";
    case nlohmann::json::value_t::string:
      return "string";
    case nlohmann::json::value_t::boolean:
      return "boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return "number";
    case nlohmann::json::value_t::binary:
      return "binary";
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      return "null";
  }
  return "null";
}

Result<JsonObjectView> JsonObjectView::Of(const nlohmann::json& value, ErrorCode code,
                                          std::string_view what) {
  if (!value.is_object()) {
    return Fail(code, std::string(what) + " must be a JSON object, not " +
                          std::string(JsonTypeName(value)));
  }
  return JsonObjectView(value, code, std::string(what));
}

const nlohmann::json* JsonObjectView::Find(std::string_view key) const noexcept {
  const auto& object = value_->get_ref<const nlohmann::json::object_t&>();
  const auto found = object.find(key);
  return found == object.end() ? nullptr : &found->second;
}

tl::unexpected<Error> JsonObjectView::TypeError(std::string_view key, const char* expected,
                                                const nlohmann::json& found) const {
  return Fail(code_, Member(what_, key) + " must be " + expected + ", not " +
                         std::string(JsonTypeName(found)));
}

Result<std::string> JsonObjectView::String(std::string_view key) const {
  auto value = OptionalString(key);
  if (!value) {
    return Fail(value.error());
  }
  if (!value->has_value()) {
    return Fail(code_, Member(what_, key) + " is missing");
  }
  return std::move(**value);
}

Result<std::optional<std::string>> JsonObjectView::OptionalString(std::string_view key) const {
  const nlohmann::json* member = Find(key);
  if (member == nullptr || member->is_null()) {
    return std::optional<std::string>();
  }
  if (!member->is_string()) {
    return TypeError(key, "a string", *member);
  }
  return std::optional<std::string>(member->get_ref<const std::string&>());
}

Result<bool> JsonObjectView::Bool(std::string_view key) const {
  auto value = OptionalBool(key);
  if (!value) {
    return Fail(value.error());
  }
  if (!value->has_value()) {
    return Fail(code_, Member(what_, key) + " is missing");
  }
  return **value;
}

Result<std::optional<bool>> JsonObjectView::OptionalBool(std::string_view key) const {
  const nlohmann::json* member = Find(key);
  if (member == nullptr || member->is_null()) {
    return std::optional<bool>();
  }
  if (!member->is_boolean()) {
    return TypeError(key, "true or false", *member);
  }
  return std::optional<bool>(member->get_ref<const nlohmann::json::boolean_t&>());
}

Result<std::uint64_t> JsonObjectView::Uint(std::string_view key, std::uint64_t max) const {
  auto value = OptionalUint(key, max);
  if (!value) {
    return Fail(value.error());
  }
  if (!value->has_value()) {
    return Fail(code_, Member(what_, key) + " is missing");
  }
  return **value;
}

Result<std::optional<std::uint64_t>> JsonObjectView::OptionalUint(std::string_view key,
                                                                  std::uint64_t max) const {
  const nlohmann::json* member = Find(key);
  if (member == nullptr || member->is_null()) {
    return std::optional<std::uint64_t>();
  }
  std::uint64_t number = 0;
  if (member->is_number_unsigned()) {
    number = member->get_ref<const nlohmann::json::number_unsigned_t&>();
  } else if (member->is_number_integer()) {
    const auto signed_value = member->get_ref<const nlohmann::json::number_integer_t&>();
    if (signed_value < 0) {
      return Fail(code_, Member(what_, key) + " must not be negative");
    }
    number = static_cast<std::uint64_t>(signed_value);
  } else if (member->is_number_float()) {
    const double real = member->get_ref<const nlohmann::json::number_float_t&>();
    // 2^64 as a double; anything at or above it (or fractional, or negative) is refused.
    constexpr double kTwoTo64 = 18446744073709551616.0;
    if (!(real >= 0.0) || real >= kTwoTo64 || std::floor(real) != real) {
      return Fail(code_, Member(what_, key) + " must be a whole number in range");
    }
    number = static_cast<std::uint64_t>(real);
  } else {
    return TypeError(key, "a number", *member);
  }
  if (number > max) {
    return Fail(code_, Member(what_, key) + " is larger than " + std::to_string(max));
  }
  return std::optional<std::uint64_t>(number);
}

Result<JsonObjectView> JsonObjectView::Object(std::string_view key) const {
  auto value = OptionalObject(key);
  if (!value) {
    return Fail(value.error());
  }
  if (!value->has_value()) {
    return Fail(code_, Member(what_, key) + " is missing");
  }
  return **value;
}

Result<std::optional<JsonObjectView>> JsonObjectView::OptionalObject(std::string_view key) const {
  const nlohmann::json* member = Find(key);
  if (member == nullptr || member->is_null()) {
    return std::optional<JsonObjectView>();
  }
  if (!member->is_object()) {
    return TypeError(key, "an object", *member);
  }
  return std::optional<JsonObjectView>(
      JsonObjectView(*member, code_, what_ + "." + SafeExcerpt(key, 40)));
}

Result<const nlohmann::json*> JsonObjectView::Array(std::string_view key,
                                                    std::size_t max_items) const {
  const nlohmann::json* member = Find(key);
  if (member == nullptr) {
    return Fail(code_, Member(what_, key) + " is missing");
  }
  if (!member->is_array()) {
    return TypeError(key, "an array", *member);
  }
  if (member->size() > max_items) {
    return Fail(code_,
                Member(what_, key) + " has more than " + std::to_string(max_items) + " elements");
  }
  return member;
}

Status JsonObjectView::OnlyKeys(std::initializer_list<std::string_view> allowed) const {
  for (const auto& [name, unused] : value_->get_ref<const nlohmann::json::object_t&>()) {
    bool known = false;
    for (const std::string_view candidate : allowed) {
      known = known || candidate == name;
    }
    if (!known) {
      return Fail(code_, Member(what_, name) + " is not a known member");
    }
  }
  return {};
}

Result<std::string> JsonString(const nlohmann::json& value, ErrorCode code, std::string_view what) {
  if (!value.is_string()) {
    return Fail(code,
                std::string(what) + " must be a string, not " + std::string(JsonTypeName(value)));
  }
  return value.get_ref<const std::string&>();
}

}  // namespace enclavectl::core
