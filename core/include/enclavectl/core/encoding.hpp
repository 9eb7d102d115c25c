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

// Decodes hex as people paste it: ASCII whitespace and line breaks anywhere (as `xxd -p`
// wraps at 60 columns, CRLF included), one optional leading "0x"/"0X", either case. For values
// a user types or pastes (flags, files they write); wire formats use the strict HexDecode.
// Fails with kInputEncoding.
[[nodiscard]] Result<Bytes> HexDecodeLenient(std::string_view text);

// True when `text` is hex as HexDecodeLenient reads it: after removing ASCII whitespace and
// an optional leading "0x"/"0X", non-empty, hex digits only, and an even number of them.
bool LooksLikeLenientHex(std::string_view text) noexcept;

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
