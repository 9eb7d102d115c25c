#include "enclavectl/core/encoding.hpp"

#include <gtest/gtest.h>

namespace enclavectl::core {
namespace {

TEST(Hex, EncodesLowerCase) {
  EXPECT_EQ(HexEncode(Bytes{0x00, 0xab, 0xCD, 0xff}), "00abcdff");
  EXPECT_EQ(HexEncode(Bytes{}), "");
}

TEST(Hex, DecodesEitherCase) {
  EXPECT_EQ(*HexDecode("00ABcdFF"), (Bytes{0x00, 0xab, 0xcd, 0xff}));
  EXPECT_EQ(*HexDecode(""), Bytes{});
}

TEST(Hex, RejectsOddLengthAndBadDigits) {
  EXPECT_EQ(HexDecode("abc").error().code, ErrorCode::kInputEncoding);
  EXPECT_EQ(HexDecode("zz").error().code, ErrorCode::kInputEncoding);
  EXPECT_EQ(HexDecode("ab:cd").error().code, ErrorCode::kInputEncoding);
  EXPECT_EQ(HexDecode("0x00").error().code, ErrorCode::kInputEncoding);
}

TEST(Hex, RoundTripsEveryByte) {
  Bytes all(256);
  for (std::size_t i = 0; i < all.size(); ++i) {
    all[i] = static_cast<std::uint8_t>(i);
  }
  EXPECT_EQ(*HexDecode(HexEncode(all)), all);
}

// RFC 4648 section 10 test vectors.
TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(AsBytes(plain)), encoded);
    auto decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded) << encoded;
    EXPECT_EQ(AsChars(*decoded), plain);
  }
}

TEST(Base64, IgnoresWhitespaceAndLineBreaks) {
  EXPECT_EQ(AsChars(*Base64Decode(" Zm9v\nYmFy\r\n")), "foobar");
}

TEST(Base64, RejectsInvalidInput) {
  // Missing padding, characters outside the alphabet (including URL-safe ones, which
  // OpenSSL would silently treat as an end marker), data after padding.
  for (const char* bad : {"Zm9vYg", "Zm9v-mFy", "Zm9v_mFy", "Zm9vYg==Zg==", "Zm9v!", "Z==="}) {
    auto decoded = Base64Decode(bad);
    ASSERT_FALSE(decoded) << bad;
    EXPECT_EQ(decoded.error().code, ErrorCode::kInputEncoding) << bad;
  }
}

TEST(Base64, RoundTripsLongInput) {
  Bytes data(5000);
  for (std::size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<std::uint8_t>(i * 7 + 3);
  }
  EXPECT_EQ(*Base64Decode(Base64Encode(data)), data);
}

TEST(Text, LooksLikeHexAndTrim) {
  EXPECT_TRUE(LooksLikeHex(" 8444a1\n"));
  EXPECT_FALSE(LooksLikeHex("hEShATgi"));
  EXPECT_FALSE(LooksLikeHex("   "));
  EXPECT_EQ(TrimWhitespace("\t a b \n"), "a b");
}

TEST(Text, EqualsIgnoreCaseIsAsciiOnly) {
  EXPECT_TRUE(EqualsIgnoreCase("X-Attestation-Pubkey", "x-attestation-pubkey"));
  EXPECT_TRUE(EqualsIgnoreCase("02ABcd", "02abCD"));
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
  EXPECT_FALSE(EqualsIgnoreCase("abc", "abd"));
  EXPECT_FALSE(EqualsIgnoreCase("abc", "ab"));
  EXPECT_FALSE(EqualsIgnoreCase("[", "{"));  // 0x5b vs 0x7b: not letters
  EXPECT_FALSE(EqualsIgnoreCase("\xc4", "\xe4"));
}

}  // namespace
}  // namespace enclavectl::core
