// RLP: the Ethereum wiki's examples, round trips, and one refusal per strictness rule.
#include "enclavectl/ethereum/rlp.hpp"

#include <gtest/gtest.h>

#include <string>

#include "enclavectl/core/encoding.hpp"
#include "test_util.hpp"

namespace enclavectl::ethereum {
namespace {

using core::ErrorCode;
using test::Hex;

RlpItem Str(std::string_view text) { return RlpItem::String(core::AsBytes(text)); }

TEST(Rlp, EncodesTheWikiExamples) {
  // ethereum.org "Recursive-length prefix (RLP) serialization" examples.
  EXPECT_EQ(core::HexEncode(RlpEncode(Str("dog"))), "83646f67");
  EXPECT_EQ(core::HexEncode(RlpEncode(RlpItem::List({Str("cat"), Str("dog")}))),
            "c88363617483646f67");
  EXPECT_EQ(core::HexEncode(RlpEncode(Str(""))), "80");
  EXPECT_EQ(core::HexEncode(RlpEncode(RlpItem::List({}))), "c0");
  EXPECT_EQ(core::HexEncode(RlpEncode(RlpItem::Uint(0))), "80");
  EXPECT_EQ(core::HexEncode(RlpEncode(RlpItem::String(Hex("00")))), "00");
  EXPECT_EQ(core::HexEncode(RlpEncode(RlpItem::Uint(15))), "0f");
  EXPECT_EQ(core::HexEncode(RlpEncode(RlpItem::Uint(1024))), "820400");
  EXPECT_EQ(core::HexEncode(RlpEncode(RlpItem::BigEndian(Hex("000400")))), "820400");
  // The set-theoretic representation of three: [ [], [[]], [ [], [[]] ] ].
  const RlpItem empty = RlpItem::List({});
  const RlpItem one = RlpItem::List({empty});
  EXPECT_EQ(core::HexEncode(RlpEncode(RlpItem::List({empty, one, RlpItem::List({empty, one})}))),
            "c7c0c1c0c3c0c1c0");
  const std::string lorem = "Lorem ipsum dolor sit amet, consectetur adipisicing elit";
  EXPECT_EQ(core::HexEncode(RlpEncode(Str(lorem))), "b838" + core::HexEncode(core::AsBytes(lorem)));
}

TEST(Rlp, RoundTripsAcrossTheLengthBoundaries) {
  for (std::size_t len : {0U, 1U, 55U, 56U, 255U, 256U, 70000U}) {
    const RlpItem item = RlpItem::List(
        {RlpItem::String(core::Bytes(len, 0xaa)), RlpItem::Uint(len), RlpItem::List({})});
    const core::Bytes encoded = RlpEncode(item);
    auto decoded = RlpDecode(encoded);
    ASSERT_TRUE(decoded) << len << ": " << decoded.error().detail;
    EXPECT_EQ(*decoded, item) << len;
    EXPECT_EQ(RlpEncode(*decoded), encoded);
  }
}

struct Refusal {
  const char* hex;
  ErrorCode code;
  const char* why;
};

constexpr Refusal kRefusals[] = {
    {"", ErrorCode::kEthRlpMalformed, "empty"},
    {"8100", ErrorCode::kEthRlpMalformed, "a byte below 0x80 in a one-byte string"},
    {"817f", ErrorCode::kEthRlpMalformed, "0x7f encoded as a string"},
    {"83646f", ErrorCode::kEthRlpMalformed, "truncated string"},
    {"b80100", ErrorCode::kEthRlpMalformed, "long form for a 1-byte length"},
    {"b837"
     "00",
     ErrorCode::kEthRlpMalformed, "long form for 55"},
    {"b90038", ErrorCode::kEthRlpMalformed, "length with a leading zero byte"},
    {"b9", ErrorCode::kEthRlpMalformed, "truncated length"},
    {"c3646f", ErrorCode::kEthRlpMalformed, "truncated list"},
    {"c283010203", ErrorCode::kEthRlpMalformed, "an inner item runs past its list"},
    {"8080", ErrorCode::kEthRlpMalformed, "trailing bytes"},
    {"c0c0", ErrorCode::kEthRlpMalformed, "two top-level items"},
    {"bfffffffffffffffff", ErrorCode::kEthRlpMalformed, "a length larger than the input"},
};

TEST(Rlp, NonCanonicalOrBrokenInputIsRefused) {
  for (const Refusal& r : kRefusals) {
    auto decoded = RlpDecode(Hex(r.hex));
    ASSERT_FALSE(decoded) << r.why;
    EXPECT_EQ(decoded.error().code, r.code) << r.why;
  }
}

TEST(Rlp, LimitsAreEnforced) {
  // 17 nested lists: one deeper than kMaxRlpDepth.
  core::Bytes deep(core::limits::kMaxRlpDepth + 1);
  for (std::size_t i = 0; i < deep.size(); ++i) {
    deep[i] = static_cast<std::uint8_t>(0xc0 + deep.size() - 1 - i);
  }
  auto nested = RlpDecode(deep);
  ASSERT_FALSE(nested);
  EXPECT_EQ(nested.error().code, ErrorCode::kEthRlpLimitExceeded);
  EXPECT_TRUE(RlpDecode(core::ByteView(deep).subspan(1)));  // 16 levels are fine

  const core::Bytes big = RlpEncode(RlpItem::String(core::Bytes(100, 1)));
  auto too_big = RlpDecode(big, 50);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().code, ErrorCode::kEthRlpLimitExceeded);
}

TEST(Rlp, IntegersMustBeCanonical) {
  auto ok = RlpToUint64(RlpItem::Uint(0x1234), ErrorCode::kEthTxMalformed);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 0x1234U);
  EXPECT_EQ(*RlpToUint64(RlpItem::Uint(0), ErrorCode::kEthTxMalformed), 0U);
  for (const RlpItem& bad :
       {RlpItem::String(Hex("0012")), RlpItem::String(core::Bytes(9, 1)), RlpItem::List({})}) {
    auto value = RlpToUint64(bad, ErrorCode::kEthTxMalformed);
    ASSERT_FALSE(value);
    EXPECT_EQ(value.error().code, ErrorCode::kEthTxMalformed);
  }
  EXPECT_FALSE(RlpToBigEndian(RlpItem::String(core::Bytes(33, 1)), 32, ErrorCode::kEthTxMalformed));
}

}  // namespace
}  // namespace enclavectl::ethereum
