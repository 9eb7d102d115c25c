#include "enclavectl/core/ecdsa.hpp"

#include <gtest/gtest.h>

#include "enclavectl/core/encoding.hpp"

namespace enclavectl::core {
namespace {

TEST(Ecdsa, RawDerRoundTrip) {
  // r = 1, s = 2^255 (needs a leading zero in DER).
  Bytes raw(64, 0);
  raw[31] = 1;
  raw[32] = 0x80;
  auto der = RawSignatureToDer(raw, Curve::kP256);
  ASSERT_TRUE(der);
  EXPECT_EQ(HexEncode(*der),
            "3026020101022100800000000000000000000000000000000000000000000000000000000000"
            "0000");
  EXPECT_EQ(*DerSignatureToRaw(*der, Curve::kP256), raw);
}

TEST(Ecdsa, RejectsWrongLengthsAndBadDer) {
  EXPECT_EQ(RawSignatureToDer(Bytes(95), Curve::kP384).error().code,
            ErrorCode::kCoseSignatureLength);
  EXPECT_EQ(RawSignatureToDer(Bytes(96), Curve::kP256).error().code,
            ErrorCode::kCoseSignatureLength);
  EXPECT_EQ(DerSignatureToRaw(Bytes{0x30, 0x00}, Curve::kP256).error().code,
            ErrorCode::kInputEncoding);
  // Valid DER followed by a trailing byte.
  auto der = RawSignatureToDer(Bytes(64, 1), Curve::kP256);
  der->push_back(0);
  EXPECT_EQ(DerSignatureToRaw(*der, Curve::kP256).error().code, ErrorCode::kInputEncoding);
  // r larger than 32 bytes cannot be a P-256 value.
  auto wide = RawSignatureToDer(Bytes(96, 0xff), Curve::kP384);
  EXPECT_EQ(DerSignatureToRaw(*wide, Curve::kP256).error().code, ErrorCode::kInputEncoding);
}

TEST(Ecdsa, SignVerifyAndCurveDetection) {
  for (Curve curve : {Curve::kP256, Curve::kP384}) {
    auto key = GenerateEcKey(curve);
    ASSERT_TRUE(key);
    EXPECT_EQ(CurveOf(key->get()), curve);
    auto sig = EcdsaSignRaw(key->get(), AsBytes("message"));
    ASSERT_TRUE(sig);
    EXPECT_TRUE(EcdsaVerifyRaw(key->get(), AsBytes("message"), *sig));
    EXPECT_EQ(EcdsaVerifyRaw(key->get(), AsBytes("messagf"), *sig).error().code,
              ErrorCode::kSignatureInvalid);
  }
  EXPECT_FALSE(CurveOf(nullptr));
}

}  // namespace
}  // namespace enclavectl::core
