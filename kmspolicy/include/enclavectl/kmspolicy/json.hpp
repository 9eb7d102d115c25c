// Strict JSON for untrusted text (key policies, KMS responses, instance metadata answers):
// a size limit, a nesting limit checked before parsing, duplicate object keys rejected, and
// no exceptions (parse layer: pure).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "enclavectl/core/result.hpp"

namespace enclavectl::kmspolicy {

// Parses `text` (untrusted) as one JSON value. Fails with `code` when the text is larger than
// `max_bytes` (then with kInputTooLarge), nests deeper than limits::kMaxJsonDepth, is not
// valid JSON (including invalid UTF-8), or repeats a key within one object: IAM would read a
// policy with a repeated "Condition" differently from what a reviewer sees. `what` names the
// input in the error detail ("key policy"); the detail never quotes the input.
[[nodiscard]] core::Result<nlohmann::json> ParseStrictJson(std::string_view text,
                                                           std::size_t max_bytes,
                                                           core::ErrorCode code,
                                                           std::string_view what);

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

}  // namespace enclavectl::kmspolicy
