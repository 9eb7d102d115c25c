#include "enclavectl/core/cose.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "enclavectl/core/encoding.hpp"

namespace enclavectl::core::cose {
namespace {

TEST(Cose, SigStructureEncoding) {
  // nsm.md 5.1: 84 6a "Signature1" 44 a1013822 40 <payload bstr>
  const Bytes protected_header = {0xa1, 0x01, 0x38, 0x22};
  EXPECT_EQ(HexEncode(SigStructure(protected_header, {}, Bytes{0x01})),
            "846a5369676e61747572653144a101382240"
            "4101");
}

class CoseSignTest : public ::testing::TestWithParam<Curve> {};

TEST_P(CoseSignTest, SignVerifyRoundTrip) {
  auto key = GenerateEcKey(GetParam());
  ASSERT_TRUE(key);
  const Bytes payload = {0xa1, 0x61, 0x61, 0x01};
  auto signed1 = SignEcdsa(key->get(), payload);
  ASSERT_TRUE(signed1);
  EXPECT_EQ(signed1->alg, GetParam() == Curve::kP256 ? kAlgEs256 : kAlgEs384);
  EXPECT_EQ(signed1->signature.size(), 2 * CoordinateSize(GetParam()));
  for (bool tagged : {false, true}) {
    signed1->tagged = tagged;
    const Bytes encoded = Encode(*signed1);
    EXPECT_EQ(encoded[0], tagged ? 0xd2 : 0x84);
    auto decoded = Decode(encoded);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->tagged, tagged);
    EXPECT_EQ(decoded->payload, payload);
    EXPECT_TRUE(VerifyEcdsa(*decoded, key->get()));
  }
}

TEST_P(CoseSignTest, TamperingIsDetected) {
  auto key = GenerateEcKey(GetParam());
  auto other = GenerateEcKey(GetParam());
  auto signed1 = SignEcdsa(key->get(), Bytes{1, 2, 3});
  ASSERT_TRUE(signed1);
  Sign1 bad_payload = *signed1;
  bad_payload.payload[0] ^= 1;
  EXPECT_EQ(VerifyEcdsa(bad_payload, key->get()).error().code, ErrorCode::kSignatureInvalid);
  Sign1 bad_signature = *signed1;
  bad_signature.signature.back() ^= 1;
  EXPECT_EQ(VerifyEcdsa(bad_signature, key->get()).error().code, ErrorCode::kSignatureInvalid);
  EXPECT_EQ(VerifyEcdsa(*signed1, other->get()).error().code, ErrorCode::kSignatureInvalid);
  Sign1 short_signature = *signed1;
  short_signature.signature.pop_back();
  EXPECT_EQ(VerifyEcdsa(short_signature, key->get()).error().code, ErrorCode::kCoseSignatureLength);
  Sign1 zero_signature = *signed1;
  std::fill(zero_signature.signature.begin(), zero_signature.signature.end(), 0);
  EXPECT_EQ(VerifyEcdsa(zero_signature, key->get()).error().code, ErrorCode::kSignatureInvalid);
}

INSTANTIATE_TEST_SUITE_P(Curves, CoseSignTest, ::testing::Values(Curve::kP256, Curve::kP384));

TEST(Cose, AlgorithmMustMatchKey) {
  auto p256 = GenerateEcKey(Curve::kP256);
  auto p384 = GenerateEcKey(Curve::kP384);
  auto signed1 = SignEcdsa(p256->get(), Bytes{1});
  EXPECT_EQ(VerifyEcdsa(*signed1, p384->get()).error().code, ErrorCode::kCoseAlgorithm);
  signed1->alg = -36;  // ES512
  EXPECT_EQ(VerifyEcdsa(*signed1, p256->get()).error().code, ErrorCode::kCoseAlgorithm);
}

struct BadCose {
  const char* hex;
  ErrorCode code;
};

TEST(Cose, RejectsMalformedStructure) {
  const BadCose cases[] = {
      {"83404040", ErrorCode::kCoseStructure},              // 3 elements
      {"a0", ErrorCode::kCoseStructure},                    // not an array
      {"d18443a10126a0404140", ErrorCode::kCoseStructure},  // tag 17
      {"8443a10126a0f64140", ErrorCode::kCoseStructure},    // nil (detached) payload
      {"8443a1012680404140", ErrorCode::kCoseStructure},    // unprotected not a map
      {"84a10126a0404140", ErrorCode::kCoseStructure},      // protected not a bstr
      {"8443a10126a0406140", ErrorCode::kCoseStructure},    // signature not a bstr
      {"8440a0404140", ErrorCode::kCoseHeader},             // empty protected: no alg
      {"8441a0a0404140", ErrorCode::kCoseHeader},           // protected {} : no alg
      {"8443a10161a0404140", ErrorCode::kCoseHeader},       // protected truncated
      {"8441f6a0404140", ErrorCode::kCoseHeader},           // protected not a map
      {"8444a1016161a0404140", ErrorCode::kCoseHeader},     // alg is text
      {"8443a10126a1012640 4140", ErrorCode::kCoseHeader},  // alg protected and unprotected
      {"8443a10126a0404140ff", ErrorCode::kTrailingBytes},
  };
  for (const BadCose& c : cases) {
    std::string hex = c.hex;
    hex.erase(std::remove(hex.begin(), hex.end(), ' '), hex.end());
    auto decoded = Decode(*HexDecode(hex));
    ASSERT_FALSE(decoded) << c.hex;
    EXPECT_EQ(decoded.error().code, c.code) << c.hex << ": " << decoded.error().detail;
  }
  // A well-formed minimal structure decodes.
  auto ok = Decode(*HexDecode("8443a10126a0404140"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->alg, kAlgEs256);
}

}  // namespace
}  // namespace enclavectl::core::cose
