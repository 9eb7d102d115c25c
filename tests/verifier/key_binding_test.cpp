#include "enclavectl/verifier/key_binding.hpp"

#include <gtest/gtest.h>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/sha.hpp"

namespace enclavectl::verifier {
namespace {

constexpr const char* kGenerator =
    "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";

// nsm.md section 4 worked example: the generator G as the bound key.
TEST(KeyBinding, Pcr16OfTheGenerator) {
  const core::Bytes g = *core::HexDecode(kGenerator);
  EXPECT_EQ(core::HexEncode(core::Sha256(g)),
            "0f715baf5d4c2ed329785cef29e562f73488c8a2bb9dbc5700b361d54b9b0554");
  EXPECT_EQ(core::HexEncode(KeyBindingPcrValue(g)),
            "0ab18de2920f558b74715ca379bd6c80dd07517d01f8c9a60dd5befea8ee93dd"
            "d37c45156939b7f16a42f3aa502bd47a");
}

TEST(KeyBinding, CompressesAndValidatesKeys) {
  const std::string uncompressed =
      "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
      "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8";
  EXPECT_EQ(core::HexEncode(*CompressSecp256k1PublicKey(*core::HexDecode(uncompressed))),
            kGenerator);
  EXPECT_EQ(core::HexEncode(*CompressSecp256k1PublicKey(*core::HexDecode(kGenerator))), kGenerator);
  // x = 5 is not on secp256k1 (5^3 + 7 = 132 is not a square mod p).
  core::Bytes off_curve(33, 0);
  off_curve[0] = 0x02;
  off_curve[32] = 5;
  EXPECT_EQ(CompressSecp256k1PublicKey(off_curve).error().code, core::ErrorCode::kPolicyInvalid);
  EXPECT_EQ(CompressSecp256k1PublicKey(core::Bytes(32, 1)).error().code,
            core::ErrorCode::kPolicyInvalid);
}

TEST(NitridingUserData, RoundTripAndLayoutErrors) {
  NitridingUserData fields;
  fields.tls_key_hash.fill(0xaa);
  fields.app_key_hash.fill(0xbb);
  const core::Bytes encoded = EncodeNitridingUserData(fields);
  ASSERT_EQ(encoded.size(), 68U);
  EXPECT_EQ(encoded[0], 0x12);
  EXPECT_EQ(encoded[1], 0x20);
  EXPECT_EQ(encoded[34], 0x12);
  EXPECT_EQ(encoded[35], 0x20);
  auto parsed = ParseNitridingUserData(encoded);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->tls_key_hash, fields.tls_key_hash);
  EXPECT_EQ(parsed->app_key_hash, fields.app_key_hash);

  core::Bytes bad_first = encoded;
  bad_first[1] = 0x21;
  EXPECT_EQ(ParseNitridingUserData(bad_first).error().code, core::ErrorCode::kUserDataLayout);
  core::Bytes bad_second = encoded;
  bad_second[34] = 0x13;
  EXPECT_EQ(ParseNitridingUserData(bad_second).error().code, core::ErrorCode::kUserDataLayout);
  EXPECT_EQ(ParseNitridingUserData(core::Bytes(67)).error().code, core::ErrorCode::kUserDataLayout);
  EXPECT_EQ(ParseNitridingUserData({}).error().code, core::ErrorCode::kUserDataLayout);
}

}  // namespace
}  // namespace enclavectl::verifier
