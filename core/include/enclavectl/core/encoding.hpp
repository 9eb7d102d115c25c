// Hex and base64 text encodings (through OpenSSL).
#pragma once

#include <string>
#include <string_view>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::core {

// Lower-case hex, no separators.
std::string HexEncode(ByteView bytes);

// Decodes hex (either case, no separators, even length). Fails with kInputEncoding.
[[nodiscard]] Result<Bytes> HexDecode(std::string_view text);

// Standard base64 with padding, no line breaks.
std::string Base64Encode(ByteView bytes);

// Decodes standard base64 (RFC 4648 section 4, padding required); ASCII whitespace and
// line breaks are ignored. Fails with kInputEncoding on any other character, a missing
// padding or data after the padding.
[[nodiscard]] Result<Bytes> Base64Decode(std::string_view text);

// True when `text` (after trimming ASCII whitespace) is non-empty and consists of hex
// digits only.
bool LooksLikeHex(std::string_view text) noexcept;

// `text` without leading and trailing ASCII whitespace.
std::string_view TrimWhitespace(std::string_view text) noexcept;

// ASCII case-insensitive equality (HTTP header names, hex digits); other bytes compare as is.
bool EqualsIgnoreCase(std::string_view a, std::string_view b) noexcept;

}  // namespace enclavectl::core
