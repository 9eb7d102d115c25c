// Nettle's P-384 verification (core/p384.hpp) against OpenSSL's: the same answer for genuine
// signatures, for the other valid s, and for every malformed signature and point.
#include "enclavectl/core/p384.hpp"

#include <gtest/gtest.h>

#include "enclavectl/core/ecdsa.hpp"
#include "enclavectl/core/encoding.hpp"

namespace enclavectl::core {
namespace {

constexpr const char* kOrderHex =
    "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc529"
    "73";

bool OpensslAccepts(EVP_PKEY* key, ByteView message, ByteView raw) {
  auto der = RawSignatureToDer(raw, Curve::kP384);
  if (!der) {
    return false;
  }
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok =
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha384(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx.get(), der->data(), der->size(), message.data(), message.size()) == 1;
  DrainOpensslErrors("");
  return ok;
}

Bytes Subtract(const Bytes& a, const Bytes& b) {  // a - b, both 48 bytes, a >= b
  Bytes out(48);
  int borrow = 0;
  for (int i = 47; i >= 0; --i) {
    const int d = a[static_cast<std::size_t>(i)] - b[static_cast<std::size_t>(i)] - borrow;
    borrow = d < 0 ? 1 : 0;
    out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(d + (borrow != 0 ? 256 : 0));
  }
  return out;
}

class P384 : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = GenerateEcKey(Curve::kP384);
    ASSERT_TRUE(key);
    key_ = std::move(*key);
    auto point = p384::PublicPoint(key_.get());
    ASSERT_TRUE(point);
    point_ = *point;
  }
  EvpPkeyPtr key_;
  p384::Point point_{};
};

TEST_F(P384, AgreesWithOpensslOnGenuineAndChangedSignatures) {
  for (int i = 0; i < 40; ++i) {
    const Bytes message(static_cast<std::size_t>(i * 37), static_cast<std::uint8_t>(i));
    auto raw = EcdsaSignRaw(key_.get(), message);
    ASSERT_TRUE(raw);
    EXPECT_TRUE(p384::Verify(point_, message, *raw)) << i;
    EXPECT_TRUE(OpensslAccepts(key_.get(), message, *raw));
    Bytes changed = *raw;
    changed[static_cast<std::size_t>(i) % changed.size()] ^= 0x10;
    const auto status = p384::Verify(point_, message, changed);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().code, ErrorCode::kSignatureInvalid);
    EXPECT_FALSE(OpensslAccepts(key_.get(), message, changed));
    Bytes other_message = message;
    other_message.push_back(0x00);
    EXPECT_FALSE(p384::Verify(point_, other_message, *raw));
  }
}

TEST_F(P384, TheOtherValidSIsAcceptedAsOpensslDoes) {
  const Bytes message = {1, 2, 3};
  auto raw = EcdsaSignRaw(key_.get(), message);
  ASSERT_TRUE(raw);
  const Bytes n = HexDecode(kOrderHex).value();
  Bytes high = *raw;
  const Bytes s(raw->begin() + 48, raw->end());
  const Bytes other = Subtract(n, s);
  std::copy(other.begin(), other.end(), high.begin() + 48);
  EXPECT_TRUE(OpensslAccepts(key_.get(), message, high));
  EXPECT_TRUE(p384::Verify(point_, message, high));
}

TEST_F(P384, ScalarsOutsideOneToNMinusOneAreRefused) {
  const Bytes message = {1, 2, 3};
  auto raw = EcdsaSignRaw(key_.get(), message);
  ASSERT_TRUE(raw);
  const Bytes n = HexDecode(kOrderHex).value();
  const Bytes zero(48, 0x00);
  const Bytes ones(48, 0xFF);
  for (const bool r_side : {true, false}) {
    for (const Bytes* value : {&zero, &n, &ones}) {
      Bytes bad = *raw;
      std::copy(value->begin(), value->end(), bad.begin() + (r_side ? 0 : 48));
      const auto status = p384::Verify(point_, message, bad);
      ASSERT_FALSE(status);
      EXPECT_EQ(status.error().code, ErrorCode::kSignatureInvalid);
      EXPECT_FALSE(OpensslAccepts(key_.get(), message, bad));
    }
  }
}

TEST_F(P384, MalformedPointsAndLengthsAreRefused) {
  const Bytes message = {1, 2, 3};
  auto raw = EcdsaSignRaw(key_.get(), message);
  ASSERT_TRUE(raw);
  p384::Point off_curve = point_;
  off_curve[96] ^= 0x01;
  p384::Point compressed_prefix = point_;
  compressed_prefix[0] = 0x02;
  p384::Point x_too_large = point_;
  std::fill(x_too_large.begin() + 1, x_too_large.begin() + 49, 0xFF);
  const p384::Point zero{0x04};
  for (const p384::Point* point : std::initializer_list<const p384::Point*>{
           &off_curve, &compressed_prefix, &x_too_large, &zero}) {
    const auto status = p384::Verify(*point, message, *raw);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().code, ErrorCode::kInputEncoding);
  }
  EXPECT_EQ(p384::Verify(ByteView(point_).first(96), message, *raw).error().code,
            ErrorCode::kInputEncoding);
  EXPECT_EQ(p384::Verify(point_, message, ByteView(*raw).first(95)).error().code,
            ErrorCode::kCoseSignatureLength);
  Bytes longer = *raw;
  longer.push_back(0);
  EXPECT_EQ(p384::Verify(point_, message, longer).error().code, ErrorCode::kCoseSignatureLength);
}

TEST_F(P384, OnlyP384KeysHaveAPoint) {
  auto p256 = GenerateEcKey(Curve::kP256);
  ASSERT_TRUE(p256);
  EXPECT_EQ(p384::PublicPoint(p256->get()).error().code, ErrorCode::kCertKeyType);
  EXPECT_EQ(p384::PublicPoint(nullptr).error().code, ErrorCode::kCertKeyType);
  EXPECT_EQ(point_[0], 0x04);
}

TEST_F(P384, EcdsaVerifyRawUsesItWithTheSameAnswers) {
  const Bytes message = {9, 8, 7};
  auto raw = EcdsaSignRaw(key_.get(), message);
  ASSERT_TRUE(raw);
  EXPECT_TRUE(EcdsaVerifyRaw(key_.get(), message, *raw));
  Bytes bad = *raw;
  bad[5] ^= 1;
  EXPECT_EQ(EcdsaVerifyRaw(key_.get(), message, bad).error().code, ErrorCode::kSignatureInvalid);
  EXPECT_EQ(EcdsaVerifyRaw(key_.get(), message, ByteView(*raw).first(10)).error().code,
            ErrorCode::kCoseSignatureLength);
}

}  // namespace
}  // namespace enclavectl::core
