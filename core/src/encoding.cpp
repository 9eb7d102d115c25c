#include "enclavectl/core/encoding.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <new>
#include <optional>

#include "enclavectl/core/handles.hpp"

namespace enclavectl::core {
namespace {

bool IsAsciiSpace(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool IsHexDigit(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool IsBase64Char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// `text` without one leading "0x" or "0X".
std::string_view StripHexPrefix(std::string_view text) noexcept {
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
  }
  return text;
}

// The hex digits of `text` without whitespace and an optional leading 0x/0X; nullopt when
// another character is present.
std::optional<std::string> LenientHexDigits(std::string_view text) {
  text = StripHexPrefix(TrimWhitespace(text));
  std::string digits;
  digits.reserve(text.size());
  for (const char c : text) {
    if (IsAsciiSpace(c)) {
      continue;
    }
    if (!IsHexDigit(c)) {
      return std::nullopt;
    }
    digits.push_back(c);
  }
  return digits;
}

}  // namespace

std::string_view TrimWhitespace(std::string_view text) noexcept {
  while (!text.empty() && IsAsciiSpace(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && IsAsciiSpace(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) noexcept {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

std::string HexEncode(ByteView bytes) {
  if (bytes.empty()) {
    return {};
  }
  std::string out(2 * bytes.size() + 1, '\0');
  std::size_t written = 0;
  if (OPENSSL_buf2hexstr_ex(out.data(), out.size(), &written, bytes.data(), bytes.size(), '\0') !=
      1) {
    // Only possible when the buffer is too small, which the size above rules out.
    throw std::bad_alloc();
  }
  out.resize(written > 0 ? written - 1 : 0);  // `written` counts the terminating NUL
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

Result<Bytes> HexDecode(std::string_view text) {
  if (text.size() % 2 != 0) {
    return Fail(ErrorCode::kInputEncoding, "hex text has an odd number of digits");
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!IsHexDigit(text[i])) {
      return Fail(ErrorCode::kInputEncoding, "invalid hex digit at position " + std::to_string(i));
    }
  }
  if (text.empty()) {
    return Bytes{};
  }
  // OPENSSL_hexstr2buf_ex wants a NUL-terminated string.
  std::string terminated(text);
  Bytes out(text.size() / 2);
  std::size_t written = 0;
  if (OPENSSL_hexstr2buf_ex(out.data(), out.size(), &written, terminated.c_str(), '\0') != 1 ||
      written != out.size()) {
    return Fail(ErrorCode::kInputEncoding, DrainOpensslErrors("hex decoding failed"));
  }
  return out;
}

Result<Bytes> HexDecodeLenient(std::string_view text) {
  const std::optional<std::string> digits = LenientHexDigits(text);
  if (!digits) {
    // Name the first offending character's position in the text as given.
    const std::string_view rest = StripHexPrefix(TrimWhitespace(text));
    const auto start = static_cast<std::size_t>(rest.data() - text.data());
    for (std::size_t i = start; i < text.size(); ++i) {
      if (!IsAsciiSpace(text[i]) && !IsHexDigit(text[i])) {
        return Fail(ErrorCode::kInputEncoding,
                    "invalid hex digit at position " + std::to_string(i));
      }
    }
    return Fail(ErrorCode::kInputEncoding, "invalid hex");
  }
  return HexDecode(*digits);
}

bool LooksLikeLenientHex(std::string_view text) noexcept {
  text = StripHexPrefix(TrimWhitespace(text));
  std::size_t digits = 0;
  for (const char c : text) {
    if (IsAsciiSpace(c)) {
      continue;
    }
    if (!IsHexDigit(c)) {
      return false;
    }
    ++digits;
  }
  return digits > 0 && digits % 2 == 0;
}

std::string Base64Encode(ByteView bytes) {
  if (bytes.empty()) {
    return {};
  }
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max() / 4 * 3 - 3)) {
    throw std::bad_alloc();  // cannot be represented in OpenSSL's int length
  }
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),  // NOLINT
                                      bytes.data(), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

Result<Bytes> Base64Decode(std::string_view text) {
  // OpenSSL's decoder treats '-' as an end marker and stops silently; check the alphabet
  // first so that nothing is ever dropped.
  bool seen_padding = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (IsAsciiSpace(c)) {
      continue;
    }
    if (c == '=') {
      seen_padding = true;
      continue;
    }
    if (!IsBase64Char(c) || seen_padding) {
      return Fail(ErrorCode::kInputEncoding,
                  "invalid base64 character at position " + std::to_string(i));
    }
  }
  if (text.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return Fail(ErrorCode::kInputTooLarge, "base64 text too large");
  }
  EvpEncodeCtxPtr ctx(EVP_ENCODE_CTX_new());
  if (!ctx) {
    throw std::bad_alloc();
  }
  EVP_DecodeInit(ctx.get());
  Bytes out(((text.size() + 3) / 4) * 3 + 80);
  int len = 0;
  if (EVP_DecodeUpdate(ctx.get(), out.data(), &len,
                       reinterpret_cast<const unsigned char*>(text.data()),  // NOLINT
                       static_cast<int>(text.size())) < 0) {
    return Fail(ErrorCode::kInputEncoding, "invalid base64");
  }
  int tail = 0;
  if (EVP_DecodeFinal(ctx.get(), out.data() + len, &tail) != 1) {  // NOLINT
    return Fail(ErrorCode::kInputEncoding, "invalid base64 length or padding");
  }
  out.resize(static_cast<std::size_t>(len) + static_cast<std::size_t>(tail));
  return out;
}

bool LooksLikeHex(std::string_view text) noexcept {
  text = TrimWhitespace(text);
  if (text.empty()) {
    return false;
  }
  for (char c : text) {
    if (!IsHexDigit(c)) {
      return false;
    }
  }
  return true;
}

}  // namespace enclavectl::core
