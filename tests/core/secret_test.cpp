#include "enclavectl/core/secret.hpp"

#include <gtest/gtest.h>

#include <type_traits>

namespace enclavectl::core {
namespace {

static_assert(!std::is_copy_constructible_v<SecretBytes>);
static_assert(!std::is_copy_assignable_v<SecretBytes>);
static_assert(std::is_nothrow_move_constructible_v<SecretBytes>);

TEST(SecretBytes, MoveLeavesSourceEmpty) {
  SecretBytes a(Bytes{1, 2, 3});
  SecretBytes b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the contract under test
  EXPECT_EQ(b.size(), 3U);
  EXPECT_TRUE(Equal(b.View(), Bytes{1, 2, 3}));
  b.Clear();
  EXPECT_TRUE(b.empty());
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEqual(Bytes{1, 2}, Bytes{1, 2}));
  EXPECT_FALSE(ConstantTimeEqual(Bytes{1, 2}, Bytes{1, 3}));
  EXPECT_FALSE(ConstantTimeEqual(Bytes{1, 2}, Bytes{1, 2, 3}));
  EXPECT_TRUE(ConstantTimeEqual(Bytes{}, Bytes{}));
}

}  // namespace
}  // namespace enclavectl::core
