#include "enclavectl/core/cbor.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "enclavectl/core/encoding.hpp"

namespace enclavectl::core::cbor {
namespace {

Bytes H(std::string_view hex) { return *HexDecode(hex); }

Result<Item> DecodeHex(std::string_view hex, const DecodeLimits& limits = {}) {
  return Decode(H(hex), limits);
}

// RFC 8949 Appendix A: items in preferred serialization decode and re-encode unchanged.
TEST(Cbor, Rfc8949AppendixARoundTrips) {
  for (const char* hex : {"00",
                          "01",
                          "0a",
                          "17",
                          "1818",
                          "1819",
                          "1864",
                          "1903e8",
                          "1a000f4240",
                          "1b000000e8d4a51000",
                          "1bffffffffffffffff",
                          "20",
                          "29",
                          "3863",
                          "3903e7",
                          "3bffffffffffffffff",
                          "40",
                          "4401020304",
                          "60",
                          "6161",
                          "6449455446",
                          "62225c",
                          "63e6b0b4",
                          "80",
                          "83010203",
                          "8301820203820405",
                          "98190102030405060708090a0b0c0d0e0f101112131415161718181819",
                          "a0",
                          "a201020304",
                          "a26161016162820203",
                          "826161a161626163",
                          "c074323031332d30332d32315432303a30343a30305a",
                          "d82076687474703a2f2f7777772e6578616d706c652e636f6d",
                          "f4",
                          "f5",
                          "f6",
                          "d28101",
                          "d4a0",
                          "c6a0",
                          "d818a0"}) {
    auto item = DecodeHex(hex);
    ASSERT_TRUE(item) << hex << ": " << item.error().detail;
    EXPECT_EQ(HexEncode(Encode(*item)), hex);
  }
}

TEST(Cbor, DecodesValues) {
  EXPECT_EQ(DecodeHex("3bffffffffffffffff")->uint_value, UINT64_MAX);
  EXPECT_EQ(DecodeHex("3bffffffffffffffff")->type, Type::kNegative);
  EXPECT_EQ(DecodeHex("3863")->AsInt64(), -100);
  EXPECT_FALSE(DecodeHex("3bffffffffffffffff")->AsInt64());
  const Item map = *DecodeHex("a26161016162820203");
  ASSERT_EQ(map.type, Type::kMap);
  EXPECT_EQ(map.Find("a")->uint_value, 1U);
  EXPECT_EQ(map.Find("b")->children.size(), 2U);
  EXPECT_EQ(map.Find("c"), nullptr);
  EXPECT_EQ(DecodeHex("a201020304")->Find(std::int64_t{3})->uint_value, 4U);
}

// Indefinite lengths (genuine documents from mid-2025 use an indefinite payload map).
TEST(Cbor, DecodesIndefiniteLengths) {
  auto bytes = DecodeHex("5f42010243030405ff");
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->bytes, (Bytes{1, 2, 3, 4, 5}));
  EXPECT_TRUE(bytes->indefinite);
  EXPECT_EQ(DecodeHex("7f657374726561646d696e67ff")->Text(), "streaming");
  EXPECT_EQ(DecodeHex("9fff")->children.size(), 0U);
  auto nested = DecodeHex("9f018202039f0405ffff");
  ASSERT_TRUE(nested);
  EXPECT_EQ(nested->children.size(), 3U);
  auto map = DecodeHex("bf61610161629f0203ffff");
  ASSERT_TRUE(map);
  EXPECT_TRUE(map->indefinite);
  EXPECT_EQ(map->MapSize(), 2U);
  // Indefinite containers re-encode as indefinite.
  EXPECT_EQ(HexEncode(Encode(*map)), "bf61610161629f0203ffff");
}

struct BadCase {
  const char* hex;
  ErrorCode code;
};

TEST(Cbor, RejectsMalformedInput) {
  const BadCase cases[] = {
      {"", ErrorCode::kTruncated},
      {"18", ErrorCode::kTruncated},
      {"1a0000", ErrorCode::kTruncated},
      {"6261", ErrorCode::kTruncated},
      {"5a00000010", ErrorCode::kTruncated},
      {"830102", ErrorCode::kTruncated},
      {"bf0102", ErrorCode::kTruncated},
      {"0001", ErrorCode::kTrailingBytes},
      {"a0a0", ErrorCode::kTrailingBytes},
      {"1c", ErrorCode::kCborMalformed},
      {"ff", ErrorCode::kCborMalformed},
      {"8101ff", ErrorCode::kTrailingBytes},
      {"81ff", ErrorCode::kCborMalformed},
      {"5f01ff", ErrorCode::kCborMalformed},
      {"5f6161ff", ErrorCode::kCborMalformed},
      {"5f5f4101ffff", ErrorCode::kCborMalformed},
      {"bf01ff", ErrorCode::kCborMalformed},
      {"f90000", ErrorCode::kCborUnsupported},
      {"fa47c35000", ErrorCode::kCborUnsupported},
      {"fb3ff199999999999a", ErrorCode::kCborUnsupported},
      {"f7", ErrorCode::kCborUnsupported},
      {"a2010101 02", ErrorCode::kCborDuplicateKey},
  };
  for (const BadCase& c : cases) {
    std::string hex = c.hex;
    hex.erase(std::remove(hex.begin(), hex.end(), ' '), hex.end());
    auto item = DecodeHex(hex);
    ASSERT_FALSE(item) << c.hex;
    EXPECT_EQ(item.error().code, c.code) << c.hex << ": " << item.error().detail;
  }
}

TEST(Cbor, SimpleValuesOtherThanBoolAndNullAreRejected) {
  for (const char* hex : {"e0", "f0", "f3", "f820", "f8ff", "fc", "fd", "fe"}) {
    auto item = DecodeHex(hex);
    ASSERT_FALSE(item) << hex;
    EXPECT_TRUE(item.error().code == ErrorCode::kCborMalformed ||
                item.error().code == ErrorCode::kCborUnsupported)
        << hex;
  }
}

// STYLE.md section 6: a 30-byte input declaring 1.7 billion items must fail at once, not
// allocate.
TEST(Cbor, DeclaredCountsAreCheckedBeforeAllocation) {
  auto huge = DecodeHex("9a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a");
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().code, ErrorCode::kCborLimitExceeded);
  EXPECT_EQ(DecodeHex("9bffffffffffffffff00").error().code, ErrorCode::kCborLimitExceeded);
  EXPECT_EQ(DecodeHex("bb7fffffffffffffff00").error().code, ErrorCode::kCborLimitExceeded);
  // 20 entries declared, 3 bytes present: the count cannot fit in what remains.
  EXPECT_EQ(DecodeHex("94010203").error().code, ErrorCode::kTruncated);
  EXPECT_EQ(DecodeHex("b9ffff00").error().code, ErrorCode::kCborLimitExceeded);
  // A byte string longer than the input is truncation (libcbor checks string lengths).
  EXPECT_EQ(DecodeHex("5b7fffffffffffffff00").error().code, ErrorCode::kTruncated);
}

TEST(Cbor, DepthItemAndSizeLimits) {
  std::string deep;
  for (int i = 0; i < 17; ++i) {
    deep += "81";
  }
  deep += "00";
  EXPECT_EQ(DecodeHex(deep).error().code, ErrorCode::kCborLimitExceeded);
  EXPECT_TRUE(DecodeHex(deep.substr(2)));  // depth 16 is allowed

  DecodeLimits small;
  small.max_items = 10;
  EXPECT_TRUE(DecodeHex("89000000000000000000", small));  // 1 + 9 items
  EXPECT_EQ(DecodeHex("8a0000000000000000000000", small).error().code,
            ErrorCode::kCborLimitExceeded);
  small = DecodeLimits{};
  small.max_container_entries = 2;
  EXPECT_EQ(DecodeHex("83010203", small).error().code, ErrorCode::kCborLimitExceeded);
  small = DecodeLimits{};
  small.max_input_bytes = 4;
  EXPECT_EQ(DecodeHex("4401020304", small).error().code, ErrorCode::kInputTooLarge);
}

TEST(Cbor, DuplicateKeyReportsEntryIndex) {
  auto item = DecodeHex("a3616101616202616103");
  ASSERT_FALSE(item);
  EXPECT_EQ(item.error().code, ErrorCode::kCborDuplicateKey);
  EXPECT_EQ(item.error().index, 2);
  // Structurally equal keys are duplicates even if encoded differently (1 vs 0x1801).
  EXPECT_EQ(DecodeHex("a20101180102").error().code, ErrorCode::kCborDuplicateKey);
}

TEST(Cbor, ConstructedItemsEncode) {
  Item map = Item::Map();
  map.Add(Item::Int(1), Item::Int(-35));
  EXPECT_EQ(HexEncode(Encode(map)), "a1013822");
  EXPECT_EQ(HexEncode(Encode(Item::Int(INT64_MIN))), "3b7fffffffffffffff");
  EXPECT_EQ(HexEncode(Encode(Item::Tag(18, Item::Array({})))), "d280");
  EXPECT_EQ(HexEncode(Encode(Item::ByteString({}))), "40");
  EXPECT_EQ(HexEncode(Encode(Item::TextString(""))), "60");
  Item indefinite = Item::Map();
  indefinite.indefinite = true;
  indefinite.Add(Item::TextString("a"), Item::Null());
  EXPECT_EQ(HexEncode(Encode(indefinite)), "bf6161f6ff");
}

}  // namespace
}  // namespace enclavectl::core::cbor
