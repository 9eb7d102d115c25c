// Helpers of the ethereum tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string_view>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/ethereum/keccak.hpp"

namespace enclavectl::ethereum::test {

// Bytes of hex text with or without "0x" (test data: a bad literal fails the test).
inline core::Bytes Hex(std::string_view text) {
  if (text.substr(0, 2) == "0x") {
    text.remove_prefix(2);
  }
  auto bytes = core::HexDecode(text);
  EXPECT_TRUE(bytes) << text;
  return bytes ? *bytes : core::Bytes{};
}

inline Hash256 Hash(std::string_view text) {
  const core::Bytes bytes = Hex(text);
  Hash256 out{};
  EXPECT_EQ(bytes.size(), out.size());
  std::copy_n(bytes.begin(), std::min(bytes.size(), out.size()), out.begin());
  return out;
}

// n - s for a 32-byte big-endian s below the group order n: the high-s twin of a signature.
inline core::Bytes NegateModOrder(core::ByteView s) {
  const core::Bytes order = Hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  core::Bytes out(32, 0);
  int borrow = 0;
  for (std::size_t i = 32; i-- > 0;) {
    const int diff = int{order[i]} - int{s[i]} - borrow;
    out[i] = static_cast<std::uint8_t>(diff & 0xff);
    borrow = diff < 0 ? 1 : 0;
  }
  return out;
}

// The spec's keys (wallet.md 4.3).
inline const core::Bytes kSecretF89f =
    Hex("f89f23eaeac18252fedf81bb8318d3c111d48c19b0680dcf6e0a8d5136caf287");
inline const core::Bytes kSecretOne =
    Hex("0000000000000000000000000000000000000000000000000000000000000001");
// EIP-155's example key.
inline const core::Bytes kSecret4646 =
    Hex("4646464646464646464646464646464646464646464646464646464646464646");

}  // namespace enclavectl::ethereum::test
