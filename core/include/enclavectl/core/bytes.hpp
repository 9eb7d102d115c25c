// Byte containers and views used across enclavectl.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace enclavectl::core {

// Owned bytes.
using Bytes = std::vector<std::uint8_t>;
// Borrowed bytes; the caller keeps the storage alive.
using ByteView = std::span<const std::uint8_t>;

using Sha256Digest = std::array<std::uint8_t, 32>;
using Sha384Digest = std::array<std::uint8_t, 48>;

// Views the characters of `text` as bytes (no copy).
inline ByteView AsBytes(std::string_view text) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};  // NOLINT
}

// Views bytes as characters (no copy).
inline std::string_view AsChars(ByteView bytes) noexcept {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};  // NOLINT
}

// Copies a view into owned bytes.
inline Bytes ToBytes(ByteView bytes) { return {bytes.begin(), bytes.end()}; }

// Byte-wise equality of two views (not constant time; use ConstantTimeEqual for secrets).
inline bool Equal(ByteView a, ByteView b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// Constant-time equality (CRYPTO_memcmp) for secrets and MACs; sizes are not secret.
bool ConstantTimeEqual(ByteView a, ByteView b) noexcept;

// True when every byte is zero (also for an empty view).
inline bool IsAllZero(ByteView bytes) noexcept {
  for (std::uint8_t b : bytes) {
    if (b != 0) {
      return false;
    }
  }
  return true;
}

}  // namespace enclavectl::core
