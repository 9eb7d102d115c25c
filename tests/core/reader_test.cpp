#include "enclavectl/core/reader.hpp"

#include <gtest/gtest.h>

namespace enclavectl::core {
namespace {

TEST(Reader, ReadsBigEndianIntegers) {
  const Bytes data = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                      0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
  Reader reader(data);
  EXPECT_EQ(*reader.ReadU8(), 0x01);
  EXPECT_EQ(*reader.ReadU16(), 0x0203);
  EXPECT_EQ(*reader.ReadU32(), 0x04050607U);
  EXPECT_EQ(*reader.ReadU64(), 0x08090a0b0c0d0e0fULL);
  EXPECT_TRUE(reader.AtEnd());
  EXPECT_TRUE(reader.ExpectEnd());
}

TEST(Reader, ShortReadFailsWithoutMoving) {
  const Bytes data = {0x01, 0x02, 0x03};
  Reader reader(data);
  ASSERT_TRUE(reader.ReadU8());
  auto value = reader.ReadU32();
  ASSERT_FALSE(value);
  EXPECT_EQ(value.error().code, ErrorCode::kTruncated);
  EXPECT_EQ(reader.Offset(), 1U);
  EXPECT_EQ(*reader.ReadU16(), 0x0203);
}

TEST(Reader, TakeAndSkipAreBounded) {
  const Bytes data(10, 0xaa);
  Reader reader(data);
  auto taken = reader.Take(4);
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->size(), 4U);
  EXPECT_FALSE(reader.Skip(7));
  EXPECT_TRUE(reader.Skip(6));
  EXPECT_FALSE(reader.Take(1));
  // A huge length never wraps around.
  Reader other(data);
  EXPECT_EQ(other.Take(SIZE_MAX).error().code, ErrorCode::kTruncated);
}

TEST(Reader, ExpectEndReportsTrailingBytes) {
  const Bytes data = {1, 2};
  Reader reader(data);
  ASSERT_TRUE(reader.ReadU8());
  auto end = reader.ExpectEnd();
  ASSERT_FALSE(end);
  EXPECT_EQ(end.error().code, ErrorCode::kTrailingBytes);
}

}  // namespace
}  // namespace enclavectl::core
