// Seed (a) (nitro-enclave-wallet) and seed (b) (aws-nitro-enclaves-rs) protocol codecs and keys
// (../shared/spec/wallet.md 1, 2.2-2.3, 2.8-2.9, 4.6-4.7): Python json.dumps formatting,
// bytes.fromhex, the RFC 6979 P-256 and secp256k1 vectors, request completeness, frames,
// account requests/responses, the error envelope and the dispatcher over a fake.
#include "enclavectl/app/seed_wallet.hpp"

#include <gtest/gtest.h>

#include <string>

#include "enclavectl/app/accounts.hpp"
#include "enclavectl/app/seed_keys.hpp"
#include "enclavectl/core/ecdsa.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/ethereum/address.hpp"
#include "enclavectl/ethereum/keccak.hpp"
#include "enclavectl/ethereum/signing.hpp"
#include "seed_fakes.hpp"

namespace enclavectl::app {
namespace {

using core::ErrorCode;
using core::HexEncode;

core::Bytes Hex(std::string_view text) { return core::HexDecode(text).value(); }

constexpr std::string_view kP256Secret =
    "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
constexpr std::string_view kK1Secret =
    "f89f23eaeac18252fedf81bb8318d3c111d48c19b0680dcf6e0a8d5136caf287";

TEST(SeedWalletFormat, PythonJsonDumps) {
  EXPECT_EQ(PythonJsonObject({{"r", "0x1f"}, {"s", "0x7a"}}), R"({"r": "0x1f", "s": "0x7a"})");
  EXPECT_EQ(PythonJsonObject({{"error", "unknown action"}}), R"({"error": "unknown action"})");
  // ensure_ascii: quotes, backslash, controls, DEL, BMP and astral characters.
  EXPECT_EQ(PythonJsonObject({{"e", "a\"b\\c\n\t\x01\x7f\xc3\xa9\xf0\x9f\x98\x80"}}),
            R"({"e": "a\"b\\c\n\t\u0001\u007f\u00e9\ud83d\ude00"})");
  EXPECT_EQ(PythonJsonObject({{"e", "\xff"}}), R"({"e": "\ufffd"})");
  EXPECT_EQ(PythonHexInt(Hex("00019f41")), "0x19f41");
  EXPECT_EQ(PythonHexInt(Hex("0000")), "0x0");
}

TEST(SeedWalletFormat, PythonFromHex) {
  EXPECT_EQ(HexEncode(PythonFromHex("68656C6c6f").value()), "68656c6c6f");
  EXPECT_EQ(HexEncode(PythonFromHex(" 68 65\t6c\n").value()), "68656c");
  EXPECT_TRUE(PythonFromHex("").value().empty());
  const auto check = [](std::string_view text, std::size_t position) {
    auto bytes = PythonFromHex(text);
    ASSERT_FALSE(bytes) << text;
    EXPECT_EQ(bytes.error().code, ErrorCode::kSeedWalletRequestInvalid);
    EXPECT_EQ(bytes.error().detail, "non-hexadecimal number found in fromhex() arg at position " +
                                        std::to_string(position));
  };
  check("0x12", 1);
  check("6 8", 1);
  check("686", 3);
  check("zz", 0);
  check("ab\xc3\xa9", 2);  // non-ASCII: counted in characters
}

TEST(SeedWalletFormat, RequestCompleteness) {
  EXPECT_EQ(ClassifySeedWalletRequest(R"({"action": "get_public_key"})"),
            core::JsonPrefix::kComplete);
  EXPECT_EQ(ClassifySeedWalletRequest(R"({"action": "get_pub)"), core::JsonPrefix::kIncomplete);
  EXPECT_EQ(ClassifySeedWalletRequest(""), core::JsonPrefix::kIncomplete);
  EXPECT_EQ(ClassifySeedWalletRequest("{\"a\": tru"), core::JsonPrefix::kIncomplete);
  EXPECT_EQ(ClassifySeedWalletRequest("hello"), core::JsonPrefix::kInvalid);
  EXPECT_EQ(ClassifySeedWalletRequest("{} {"), core::JsonPrefix::kInvalid);
  EXPECT_EQ(ClassifySeedWalletRequest("{\"a\": \"\xc3"), core::JsonPrefix::kIncomplete);
}

// wallet.md 4.6: RFC 6979 A.2.5, P-256 with SHA-256.
TEST(SeedWalletKeys, P256Rfc6979Vectors) {
  auto key = SeedWalletKey::FromScalar(SeedRevision::kV1, Hex(kP256Secret)).value();
  EXPECT_EQ(HexEncode(key.PublicKey()),
            "0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
            "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299");
  auto sample = key.Sign(core::AsBytes(std::string_view("sample"))).value();
  EXPECT_EQ(HexEncode(sample.r),
            "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716");
  EXPECT_EQ(HexEncode(sample.s),
            "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8");
  auto test = key.Sign(core::AsBytes(std::string_view("test"))).value();
  EXPECT_EQ(HexEncode(test.r), "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367");
  EXPECT_EQ(HexEncode(test.s), "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083");
  EXPECT_EQ(PythonHexInt(test.s),
            "0x19f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083");
  // And OpenSSL verifies it.
  auto pkey = core::MakeEcKey(core::Curve::kP256, key.PublicKey()).value();
  core::Bytes raw(sample.r.begin(), sample.r.end());
  raw.insert(raw.end(), sample.s.begin(), sample.s.end());
  EXPECT_TRUE(core::EcdsaVerifyRaw(pkey.get(), core::AsBytes(std::string_view("sample")), raw));
  EXPECT_FALSE(core::EcdsaVerifyRaw(pkey.get(), core::AsBytes(std::string_view("other")), raw));
  EXPECT_EQ(SeedWalletKey::FromScalar(SeedRevision::kV1, core::Bytes(32, 0)).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(SignP256Rfc6979(core::Bytes(31, 1), core::Sha256Digest{}).error().code,
            ErrorCode::kInvalidArgument);
}

// wallet.md 4.7: secp256k1, RFC 6979, low s.
TEST(SeedWalletKeys, Secp256k1Vectors) {
  auto key = SeedWalletKey::FromScalar(SeedRevision::kV2, Hex(kK1Secret)).value();
  const auto digest = ethereum::Keccak256Of(core::AsBytes(std::string_view("hello world")));
  auto signature = key.Sign(digest).value();
  EXPECT_EQ(HexEncode(signature.r) + HexEncode(signature.s),
            "b08fa9f215e438f2ea605c21fdb89a4c2777b2423364030553e3db2a7d76db07"
            "7a239c57c8c583d70a41f41ab2fdbcf16d7b6b0610628eeb0428a6e7aeadead8");
  core::Bytes one(32, 0);
  one[31] = 1;
  auto key1 = SeedWalletKey::FromScalar(SeedRevision::kV2, one).value();
  EXPECT_EQ(HexEncode(key1.PublicKey()),
            "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
            "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8");
  auto empty = key1.Sign(ethereum::Keccak256Of({})).value();
  EXPECT_EQ(HexEncode(empty.r) + HexEncode(empty.s),
            "03925438bf9bdfed9cb8d9d9467f8fc624f389846f0db71f4f5c84b483077da6"
            "2ca68cb1027ace392bc6a84fe0ba29288aa07942f571f56201dd33c009ee3886");
  auto short_digest = key.Sign(core::Bytes(31, 1));
  ASSERT_FALSE(short_digest);
  EXPECT_EQ(short_digest.error().code, ErrorCode::kSeedWalletRequestInvalid);
  EXPECT_NE(SeedWalletKey::Generate(SeedRevision::kV2).value().PublicKey(),
            SeedWalletKey::Generate(SeedRevision::kV2).value().PublicKey());
}

TEST(SeedWalletService, RepliesAsTheSeed) {
  const SeedWalletService v1(SeedWalletKey::FromScalar(SeedRevision::kV1, Hex(kP256Secret)).value(),
                             {});
  EXPECT_EQ(v1.Handle(R"({"action": "get_public_key"})"),
            R"({"public_key": "0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6)"
            R"(7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299"})");
  EXPECT_EQ(v1.Handle(R"({"action": "sign", "message": "74657374"})"),
            R"({"r": "0xf1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367", )"
            R"("s": "0x19f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083"})");
  EXPECT_EQ(v1.Handle(R"({"action": "nope"})"), R"({"error": "unknown action"})");
  EXPECT_EQ(v1.Handle(R"({"message": "00"})"), R"({"error": "unknown action"})");
  EXPECT_EQ(v1.Handle(R"({"action": "sign"})"), R"({"error": "'message'"})");
  EXPECT_EQ(v1.Handle(R"({"action": "sign", "message": 5})"),
            R"({"error": "fromhex() argument must be str, not int"})");
  EXPECT_EQ(v1.Handle(R"({"action": "sign", "message": "0x00"})"),
            R"({"error": "non-hexadecimal number found in fromhex() arg at position 1"})");
  EXPECT_EQ(v1.Handle(""), R"x({"error": "Expecting value: line 1 column 1 (char 0)"})x");
  EXPECT_EQ(v1.Handle(R"({"action": "get_attestation", "nonce": "00"})"),
            R"({"error": "attestation unavailable"})");
  EXPECT_EQ(SeedWalletService::Refuse(ErrorCode::kInputTooLarge),
            R"({"error": "request too large"})");
  EXPECT_EQ(SeedWalletService::Refuse(ErrorCode::kAppRequestTimeout),
            R"({"error": "request timeout"})");
  EXPECT_EQ(SeedWalletService::Refuse(ErrorCode::kAppOverloaded), R"({"error": "server busy"})");
  auto not_object = DecodeSeedWalletRequest("[1]");
  ASSERT_FALSE(not_object);
  EXPECT_EQ(not_object.error().code, ErrorCode::kSeedWalletRequestInvalid);
  EXPECT_EQ(DecodeSeedWalletRequest(std::string(5000, ' ')).error().code,
            ErrorCode::kInputTooLarge);

  const SeedWalletService v2(SeedWalletKey::FromScalar(SeedRevision::kV2, Hex(kK1Secret)).value(),
                             [](core::ByteView nonce, core::ByteView public_key) {
                               core::Bytes out(nonce.begin(), nonce.end());
                               out.insert(out.end(), public_key.begin(), public_key.end());
                               return core::Result<core::Bytes>(out);
                             });
  const std::string reply = v2.Handle(R"({"action": "get_public_key"})");
  EXPECT_NE(reply.find(R"(", "address": "0x9141b7539e7902872095c408bfa294435e2b8c8a"})"),
            std::string::npos)
      << reply;
  EXPECT_EQ(v2.Handle(R"({"action": "sign", "message": "68656c6c6f"})"),
            R"({"error": "The provided data must be the same length as the hash algorithm's )"
            R"(digest size."})");
  const std::string attestation = v2.Handle(R"({"action": "get_attestation", "nonce": "0A0b"})");
  core::Bytes expected{0x0a, 0x0b};
  const auto& public_key = v2.Key().PublicKey();
  expected.insert(expected.end(), public_key.begin(), public_key.end());
  EXPECT_EQ(attestation,
            PythonJsonObject({{"attestation_document", core::Base64Encode(expected)}}));
  EXPECT_EQ(v2.Handle(R"({"action": "get_attestation", "nonce": ""})"),
            R"({"error": "nonce must be 1..1024 bytes"})");
  EXPECT_EQ(v2.Handle(R"({"action": "get_attestation"})"), R"({"error": "'nonce'"})");
}

}  // namespace
}  // namespace enclavectl::app
