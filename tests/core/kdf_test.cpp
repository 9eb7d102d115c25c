#include "enclavectl/core/kdf.hpp"

#include <gtest/gtest.h>

#include "enclavectl/core/encoding.hpp"

namespace enclavectl::core {
namespace {

Bytes Hex(std::string_view hex) { return *HexDecode(hex); }

// RFC 4231 test cases 1 and 2.
TEST(Kdf, HmacSha256KnownAnswers) {
  EXPECT_EQ(HexEncode(HmacSha256(Bytes(20, 0x0b), AsBytes("Hi There"))),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(HexEncode(HmacSha256(AsBytes("Jefe"), AsBytes("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// RFC 5869 test cases 1 (salt and info) and 3 (neither).
TEST(Kdf, HkdfSha256KnownAnswers) {
  auto one = HkdfSha256(Bytes(22, 0x0b), Hex("000102030405060708090a0b0c"),
                        Hex("f0f1f2f3f4f5f6f7f8f9"), 42);
  ASSERT_TRUE(one);
  EXPECT_EQ(HexEncode(one->View()),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  auto three = HkdfSha256(Bytes(22, 0x0b), {}, {}, 42);
  ASSERT_TRUE(three);
  EXPECT_EQ(HexEncode(three->View()),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(Kdf, HkdfSha256RefusesLengthsOutsideTheRfc) {
  for (std::size_t length : {std::size_t{0}, std::size_t{255 * 32 + 1}}) {
    auto refused = HkdfSha256(Bytes(32, 1), {}, {}, length);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  }
  auto longest = HkdfSha256(Bytes(32, 1), {}, {}, 255 * 32);
  ASSERT_TRUE(longest);
  EXPECT_EQ(longest->size(), 255U * 32);
}

}  // namespace
}  // namespace enclavectl::core
