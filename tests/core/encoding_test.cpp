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

// Hex as people paste it: `xxd -p` lines (60 columns, LF or CRLF), a 0x prefix, upper case.
TEST(Hex, LenientDecodingAcceptsPastedForms) {
  const Bytes expected = {0x84, 0x44, 0xa1, 0x01, 0x38, 0x22};
  for (const char* text :
       {"8444a1013822", "8444A1013822", "0x8444a1013822", "0X8444A1013822", "  8444a1\n013822\n",
        "8444\r\na101\r\n3822\r\n", "0x 8444 a101 3822", "\t0x8444a1013822\t"}) {
    auto bytes = HexDecodeLenient(text);
    ASSERT_TRUE(bytes) << text << ": " << bytes.error().detail;
    EXPECT_EQ(*bytes, expected) << text;
    EXPECT_TRUE(LooksLikeLenientHex(text)) << text;
  }
  // The strict decoder stays strict (wire formats).
  EXPECT_FALSE(HexDecode("0x8444"));
  EXPECT_FALSE(HexDecode("84 44"));
  EXPECT_TRUE(HexDecodeLenient("") && HexDecodeLenient("")->empty());
}

TEST(Hex, LenientDecodingStillRejectsNonHex) {
  for (const char* text : {"0x", "84g4", "x8444", "0x0x8444", "844", "84-44", "hEShATgi", "   "}) {
    EXPECT_FALSE(LooksLikeLenientHex(text)) << text;
  }
  for (const char* text : {"84g4", "x8444", "0x0x8444", "844", "84-44"}) {
    auto bytes = HexDecodeLenient(text);
    ASSERT_FALSE(bytes) << text;
    EXPECT_EQ(bytes.error().code, ErrorCode::kInputEncoding) << text;
  }
  EXPECT_NE(HexDecodeLenient(" 84g4").error().detail.find("position 3"), std::string::npos);
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
