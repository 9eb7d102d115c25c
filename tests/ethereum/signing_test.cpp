// Digest signing, EIP-191 personal_sign and recovery: the spec's vectors (wallet.md 4.7),
// ethers 6.17's signMessage output for the same keys (both use RFC 6979, so the bytes are
// equal), and one refusal per check of a signature.
#include "enclavectl/ethereum/signing.hpp"

#include <gtest/gtest.h>

#include <string>

#include "enclavectl/core/encoding.hpp"
#include "test_util.hpp"

namespace enclavectl::ethereum {
namespace {

using core::ErrorCode;
using test::Hex;

std::string SignatureHex(const Signature& sig, std::uint8_t v_base) {
  return core::HexEncode(EncodeSignature(sig, v_base));
}

TEST(SignDigest, MatchesTheSpecVectors) {
  auto first = SignDigest(test::kSecretF89f, Keccak256Of(core::AsBytes("hello world")));
  ASSERT_TRUE(first);
  EXPECT_EQ(SignatureHex(*first, 0),
            "b08fa9f215e438f2ea605c21fdb89a4c2777b2423364030553e3db2a7d76db077a239c57c8c583d70a41f"
            "41ab2fdbcf16d7b6b0610628eeb0428a6e7aeadead800");
  auto second = SignDigest(test::kSecretOne, Keccak256Of({}));
  ASSERT_TRUE(second);
  EXPECT_EQ(SignatureHex(*second, 0),
            "03925438bf9bdfed9cb8d9d9467f8fc624f389846f0db71f4f5c84b483077da62ca68cb1027ace392bc6a"
            "84fe0ba29288aa07942f571f56201dd33c009ee388601");
  EXPECT_EQ(EncodeSignature(*second, kLegacyVBase)[64], 28);
}

TEST(SignDigest, RecoversTheSignersAddress) {
  const Hash256 digest = Keccak256Of(core::AsBytes("a digest to sign"));
  auto sig = SignDigest(test::kSecretF89f, digest);
  ASSERT_TRUE(sig);
  for (std::uint8_t v_base : {std::uint8_t{0}, kLegacyVBase}) {
    auto address = RecoverAddress(digest, EncodeSignature(*sig, v_base));
    ASSERT_TRUE(address);
    EXPECT_EQ(ChecksumAddress(*address), "0x9141B7539E7902872095C408BfA294435e2b8c8a");
  }
  // Another digest recovers another key: the signature binds the digest.
  auto other = RecoverAddress(Keccak256Of(core::AsBytes("another")), EncodeSignature(*sig, 27));
  ASSERT_TRUE(other);
  EXPECT_NE(ChecksumAddress(*other), "0x9141B7539E7902872095C408BfA294435e2b8c8a");
}

TEST(SignDigest, RefusesBadSecrets) {
  auto sig = SignDigest(core::Bytes(32, 0), Hash256{});
  ASSERT_FALSE(sig);
  EXPECT_EQ(sig.error().code, ErrorCode::kEthSecretKeyInvalid);
}

TEST(PersonalSign, MatchesEthersSignMessage) {
  auto hash = PersonalMessageHash(core::AsBytes("hello world"));
  ASSERT_TRUE(hash);
  EXPECT_EQ(core::HexEncode(*hash),
            "d9eba16ed0ecae432b71fe008c98cc872bb4cc214d3220a36f365326cf807d68");
  auto sig = SignPersonalMessage(test::kSecretF89f, core::AsBytes("hello world"));
  ASSERT_TRUE(sig);
  EXPECT_EQ(core::HexEncode(*sig),
            "bd7f2b108b3eeaf236202f7587fecbf373151ea0bb4e71b5d0178fa93119073526af3b639cb6c078f274"
            "79974ee1894c106dc8bedb180358ba9e74bec4e028a51b");
  auto empty = SignPersonalMessage(test::kSecretF89f, {});
  ASSERT_TRUE(empty);
  EXPECT_EQ(core::HexEncode(*empty),
            "259fe98a8f17f12871ce399ae7e5c41c956a6ab24f5490ff6c4e6a7f7e5e89d95af43523ca874e1e7a74"
            "376ea46ca3bc778deac6ccaf4f17e091986055fc80c71b");
}

TEST(PersonalSign, RefusesOversizedMessages) {
  const core::Bytes big(core::limits::kMaxEthPersonalMessageBytes + 1, 'a');
  auto hash = PersonalMessageHash(big);
  ASSERT_FALSE(hash);
  EXPECT_EQ(hash.error().code, ErrorCode::kEthMessageTooLarge);
  EXPECT_TRUE(PersonalMessageHash(core::ByteView(big).first(big.size() - 1)));
}

// The group order n and n/2 + 1 (the smallest high s).
constexpr std::string_view kOrderHex =
    "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";

TEST(ParseSignature, RefusesEveryMalformedShape) {
  const Hash256 digest = Keccak256Of(core::AsBytes("x"));
  const Signature65 good = EncodeSignature(*SignDigest(test::kSecretOne, digest), 27);
  ASSERT_TRUE(RecoverAddress(digest, good));

  std::vector<std::pair<core::Bytes, const char*>> cases;
  cases.emplace_back(core::Bytes(good.begin(), good.end() - 1), "64 bytes");
  core::Bytes v2(good.begin(), good.end());
  v2[64] = 2;
  cases.emplace_back(v2, "v = 2");
  core::Bytes v29 = v2;
  v29[64] = 29;
  cases.emplace_back(v29, "v = 29");
  core::Bytes zero_r(good.begin(), good.end());
  std::fill(zero_r.begin(), zero_r.begin() + 32, 0);
  cases.emplace_back(zero_r, "r = 0");
  core::Bytes zero_s(good.begin(), good.end());
  std::fill(zero_s.begin() + 32, zero_s.begin() + 64, 0);
  cases.emplace_back(zero_s, "s = 0");
  core::Bytes r_order(good.begin(), good.end());
  const core::Bytes order = Hex(kOrderHex);
  std::copy(order.begin(), order.end(), r_order.begin());
  cases.emplace_back(r_order, "r = n");
  // The malleated twin (r, n - s, v ^ 1) recovers the same key but has a high s (EIP-2).
  core::Bytes high_s(good.begin(), good.end());
  const core::Bytes negated = test::NegateModOrder(core::ByteView(good).subspan(32, 32));
  std::copy(negated.begin(), negated.end(), high_s.begin() + 32);
  high_s[64] = static_cast<std::uint8_t>(good[64] ^ 1U);
  cases.emplace_back(high_s, "high s");
  for (const auto& [bytes, why] : cases) {
    auto address = RecoverAddress(digest, bytes);
    ASSERT_FALSE(address) << why;
    EXPECT_EQ(address.error().code, ErrorCode::kEthSignatureMalformed) << why;
  }
}

TEST(RecoverAddress, AnRWithNoCurvePointRecoversNothing) {
  // For some small r, no point has x = r: recovery fails with kEthSignatureInvalid. Every other
  // r gives some key; none gives another error.
  int unrecoverable = 0;
  for (std::uint8_t r = 1; r <= 40; ++r) {
    Signature sig;
    sig.r[31] = r;
    sig.s[31] = 1;
    auto key = RecoverPublicKey(Hash256{1}, sig);
    if (!key) {
      EXPECT_EQ(key.error().code, ErrorCode::kEthSignatureInvalid);
      ++unrecoverable;
    }
  }
  EXPECT_GT(unrecoverable, 0);
}

}  // namespace
}  // namespace enclavectl::ethereum
