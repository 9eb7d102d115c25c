// The one strict JSON reader for untrusted text (parse layer: pure). Everything that comes
// from outside as JSON (live answers, bundles, KMS/SSM/IMDS answers, setup and sign bodies,
// key policies, configuration files) is parsed with ParseStrictJson and read through
// JsonObjectView, whose accessors turn type mismatches, out-of-range numbers and missing
// members into error codes. No function here throws: nlohmann's throwing accessors
// (`get<T>()`, `at()`, `operator[]` on a const value of the wrong type) are never applied to
// untrusted values elsewhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::core {

// The deepest nesting of arrays and objects in `text`, counted outside strings (a linear scan
// that any bytes survive; run before a parser builds a tree).
std::size_t JsonNestingDepth(std::string_view text) noexcept;

// Parses `text` (untrusted) as one JSON value. Fails with `code` when the text nests deeper
// than `max_depth`, is not valid JSON (including invalid UTF-8), holds a number
// that is not finite (1e999), or repeats a key within one object (IAM would read a policy
// with a repeated "Condition" differently from what a reviewer sees); with kInputTooLarge
// when it is larger than `max_bytes`. `what` names the input in the error detail ("key
// policy"); the detail never quotes the input beyond a short SafeExcerpt of a key.
[[nodiscard]] Result<nlohmann::json> ParseStrictJson(std::string_view text, std::size_t max_bytes,
                                                     ErrorCode code, std::string_view what,
                                                     std::size_t max_depth = limits::kMaxJsonDepth);

// What a stream of bytes received so far (untrusted) holds, for protocols that end a request
// where its JSON value ends (no framing: wallet.md 1.2).
enum class JsonPrefix : std::uint8_t {
  kComplete,    // exactly one JSON value (whitespace around it allowed)
  kIncomplete,  // the start of one: more bytes could complete it (also the empty text)
  kInvalid,     // neither: no byte that follows can make it one JSON value
};

// Classifies `text` with the same syntax as ParseStrictJson (nlohmann's strict parser: one
// value, nothing after it; invalid UTF-8 is invalid unless it is a sequence cut at the end).
// Nesting deeper than `max_depth` is kInvalid. A complete value may still fail
// ParseStrictJson's semantic checks (repeated keys, non-finite numbers). Linear in the size.
JsonPrefix ClassifyJsonPrefix(std::string_view text,
                              std::size_t max_depth = limits::kMaxJsonDepth) noexcept;

// Serialises `value` with `indent` (-1: compact). Invalid UTF-8 in strings (which only values
// built from command-line text can hold) is replaced by U+FFFD instead of throwing.
std::string DumpJson(const nlohmann::json& value, int indent = -1);
std::string DumpJson(const nlohmann::ordered_json& value, int indent = -1);

// Overwrites every string in `value` (recursively) with zeros, for trees that held secrets
// (key material, plaintexts in base64) before they are freed. Object keys are not wiped.
void WipeJsonStrings(nlohmann::json& value) noexcept;

// `text` (untrusted) made safe for an error message: at most `max_chars` characters, every
// byte outside printable ASCII replaced by '?', "..." appended when cut.
std::string SafeExcerpt(std::string_view text, std::size_t max_chars = 64);

// The JSON type name of `value` for error details: "object", "array", "string", "number",
// "boolean", "null".
const char* JsonTypeName(const nlohmann::json& value) noexcept;

// A borrowed, non-throwing view of one JSON object from outside. Every accessor fails with
// the view's `code`, naming `what` and the member ("KMS answer: \"KeyId\" must be a string,
// not a number"). "Optional" accessors take an absent member and an explicit null as
// nullopt; any other type is an error, never a silent default. The viewed value must outlive
// the view.
class JsonObjectView {
 public:
  // Fails with `code` unless `value` is an object.
  [[nodiscard]] static Result<JsonObjectView> Of(const nlohmann::json& value, ErrorCode code,
                                                 std::string_view what);

  // The member, or nullptr when absent (any type, null included).
  const nlohmann::json* Find(std::string_view key) const noexcept;
  bool Has(std::string_view key) const noexcept { return Find(key) != nullptr; }

  [[nodiscard]] Result<std::string> String(std::string_view key) const;
  [[nodiscard]] Result<std::optional<std::string>> OptionalString(std::string_view key) const;
  [[nodiscard]] Result<bool> Bool(std::string_view key) const;
  [[nodiscard]] Result<std::optional<bool>> OptionalBool(std::string_view key) const;
  // An integer in [0, max]: a negative, fractional or larger number fails (1.0 is accepted,
  // 1.5 is not).
  [[nodiscard]] Result<std::uint64_t> Uint(std::string_view key, std::uint64_t max) const;
  [[nodiscard]] Result<std::optional<std::uint64_t>> OptionalUint(std::string_view key,
                                                                  std::uint64_t max) const;
  // A nested object as a view with the same code; `what` becomes "what.key".
  [[nodiscard]] Result<JsonObjectView> Object(std::string_view key) const;
  [[nodiscard]] Result<std::optional<JsonObjectView>> OptionalObject(std::string_view key) const;
  // An array of at most `max_items` elements (the elements are not checked).
  [[nodiscard]] Result<const nlohmann::json*> Array(std::string_view key,
                                                    std::size_t max_items) const;

  // Fails naming the first member not in `allowed` (for inputs where an unknown member is a
  // mistake worth reporting, such as a misspelt configuration key).
  [[nodiscard]] Status OnlyKeys(std::initializer_list<std::string_view> allowed) const;

  const nlohmann::json& Value() const noexcept { return *value_; }
  ErrorCode Code() const noexcept { return code_; }
  const std::string& What() const noexcept { return what_; }

 private:
  JsonObjectView(const nlohmann::json& value, ErrorCode code, std::string what)
      : value_(&value), code_(code), what_(std::move(what)) {}
  tl::unexpected<Error> TypeError(std::string_view key, const char* expected,
                                  const nlohmann::json& found) const;

  const nlohmann::json* value_;
  ErrorCode code_;
  std::string what_;
};

// A string element of an untrusted array (or any value): fails with `code` unless `value` is
// a string.
[[nodiscard]] Result<std::string> JsonString(const nlohmann::json& value, ErrorCode code,
                                             std::string_view what);

}  // namespace enclavectl::core
