// Keccak-256: the spec's vectors (wallet.md 4.1), the SHA3 guard, and multi-block inputs
// around the 136-byte rate whose digests were computed with ethers 6.17 (keccak256).
#include "enclavectl/ethereum/keccak.hpp"

#include <gtest/gtest.h>

#include <string>

#include "enclavectl/core/encoding.hpp"
#include "test_util.hpp"

namespace enclavectl::ethereum {
namespace {

std::string KeccakHex(core::ByteView data) { return core::HexEncode(Keccak256Of(data)); }

core::Bytes Pattern(std::size_t n) {
  core::Bytes out(n);
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = static_cast<std::uint8_t>(i & 0xffU);
  }
  return out;
}

TEST(Keccak256, SpecVectors) {
  EXPECT_EQ(KeccakHex({}), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  EXPECT_EQ(KeccakHex(core::AsBytes("abc")),
            "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  EXPECT_EQ(KeccakHex(core::AsBytes("hello world")),
            "47173285a8d7341e5e972fc677286384f802f8ef42a5ec5f03bbfa254cb01fad");
}

TEST(Keccak256, IsNotSha3) {
  // SHA3-256("") differs only in the padding byte (0x06): it must never come out.
  EXPECT_NE(KeccakHex({}), "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
}

struct MultiBlock {
  std::size_t len;
  const char* digest;
};

// bytes[i] = i mod 256; digests from ethers 6.17.0 keccak256 (an independent implementation).
constexpr MultiBlock kMultiBlock[] = {
    {135, "cbdfd9dee5faad3818d6b06f95a219fd290b0e1706f6a82e5a595b9ce9faca62"},
    {136, "7ce759f1ab7f9ce437719970c26b0a66ff11fe3e38e17df89cf5d29c7d7f807e"},
    {137, "ac73d4fae68b8453f764007c1a20ce95994187861f0c3227a3a8e99a73a3b1db"},
    {272, "fdf2ec49e749960d3c8521a0219af8d03e30e2b3bf19bd16150ee0eaf133d66e"},
    {1000, "aca79e4146e30eb1c733f6d6060d72471c36ea4e01ebf45d7f4916249c2bbd82"},
};

TEST(Keccak256, MultiBlockInputsMatchEthers) {
  for (const MultiBlock& v : kMultiBlock) {
    EXPECT_EQ(KeccakHex(Pattern(v.len)), v.digest) << v.len;
  }
}

TEST(Keccak256, IncrementalUpdatesGiveTheOneShotDigest) {
  const core::Bytes data = Pattern(1000);
  for (std::size_t step : {1U, 7U, 135U, 136U, 137U, 500U}) {
    Keccak256 hasher;
    for (std::size_t pos = 0; pos < data.size(); pos += step) {
      hasher.Update(core::ByteView(data).subspan(pos, std::min(step, data.size() - pos)));
    }
    EXPECT_EQ(core::HexEncode(hasher.Finish()), kMultiBlock[4].digest) << step;
  }
}

TEST(Keccak256, PermutationOfTheZeroState) {
  // Keccak team's KeccakF-1600 intermediate values: the first lane after one permutation of
  // the all-zero state.
  std::array<std::uint64_t, 25> state{};
  KeccakF1600(state);
  EXPECT_EQ(state[0], 0xF1258F7940E1DDE7ULL);
  EXPECT_EQ(state[1], 0x84D5CCF933C0478AULL);
}

}  // namespace
}  // namespace enclavectl::ethereum
