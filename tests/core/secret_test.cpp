#include "enclavectl/core/secret.hpp"

#include <gtest/gtest.h>
#include <openssl/crypto.h>

#include <type_traits>
#include <vector>

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

TEST(SecretBytes, OrdinaryHeapUntilTheSecureHeapIsInitialised) {
  const bool initialised = CRYPTO_secure_malloc_initialized() == 1;
  SecretBytes a(Bytes{1, 2, 3});
  EXPECT_EQ(a.IsLocked(), initialised);
  EXPECT_FALSE(SecretBytes().IsLocked());
}

// enclave-app initialises OpenSSL's secure heap (mlock'ed, not dumped): SecretBytes then
// allocates there, and falls back to the ordinary heap when it is full. CTest runs every test
// in its own process, so the process-wide heap does not leak into the other tests.
TEST(SecretBytes, LockedMemoryWithFallbackWhenFull) {
  if (CRYPTO_secure_malloc_initialized() == 0) {
    ASSERT_NE(CRYPTO_secure_malloc_init(4096, 16), 0);
  }
  SecretBytes small(Bytes(32, 7));
  EXPECT_TRUE(small.IsLocked());
  EXPECT_TRUE(Equal(small.View(), Bytes(32, 7)));
  std::vector<SecretBytes> many;
  for (int i = 0; i < 8; ++i) {
    many.emplace_back(1024);  // more than the heap holds: the last ones are not locked
  }
  EXPECT_TRUE(many.front().IsLocked());
  EXPECT_FALSE(many.back().IsLocked());
  EXPECT_EQ(many.back().size(), 1024U);
  SecretBytes moved = std::move(many.front());
  EXPECT_TRUE(moved.IsLocked());
  many.clear();
  moved.Clear();
  EXPECT_FALSE(moved.IsLocked());
}

}  // namespace
}  // namespace enclavectl::core
