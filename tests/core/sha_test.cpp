#include "enclavectl/core/sha.hpp"

#include <gtest/gtest.h>

#include "enclavectl/core/encoding.hpp"

namespace enclavectl::core {
namespace {

// FIPS 180-2 appendix examples ("abc").
TEST(Sha, KnownAnswers) {
  EXPECT_EQ(HexEncode(Sha256(AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexEncode(Sha384(AsBytes("abc"))),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
            "8086072ba1e7cc2358baeca134c825a7");
  EXPECT_EQ(HexEncode(Sha256(Bytes{})),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha, IncrementalEqualsOneShotAndResets) {
  Sha384Hasher hasher;
  hasher.Update(AsBytes("a"));
  hasher.Update(AsBytes("bc"));
  EXPECT_EQ(hasher.Finish(), Sha384(AsBytes("abc")));
  hasher.Update(AsBytes("abc"));
  EXPECT_EQ(hasher.Finish(), Sha384(AsBytes("abc")));
  Sha256Hasher h256;
  h256.Update(AsBytes("ab"));
  h256.Update(AsBytes("c"));
  EXPECT_EQ(h256.Finish(), Sha256(AsBytes("abc")));
}

// nsm.md section 4: extending a fresh PCR with 01 02 03.
TEST(Sha, PcrExtendVector) {
  Sha384Hasher hasher;
  hasher.Update(Bytes(48, 0));
  hasher.Update(Bytes{1, 2, 3});
  EXPECT_EQ(HexEncode(hasher.Finish()),
            "cb178fcd3f328244c05c6248723fd068b3a1dda878e1ab8be911098f199958ad"
            "d55d0c27f04826d27b44d949a650694e");
}

}  // namespace
}  // namespace enclavectl::core
