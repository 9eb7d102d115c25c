// EIP-55 addresses (wallet.md 2.6, 4.2, 4.3): derivation, checksum text and strict parsing.
#include "enclavectl/ethereum/address.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "test_util.hpp"

namespace enclavectl::ethereum {
namespace {

using core::ErrorCode;
using test::Hex;

// wallet.md 4.2 (EIP-55's own test cases).
constexpr const char* kChecksummed[] = {
    "0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
};

std::string Lower(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

std::string Upper(std::string text) {
  for (std::size_t i = 2; i < text.size(); ++i) {
    text[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[i])));
  }
  return text;
}

TEST(Eip55, RoundTripsFromLowercaseGiveTheSpecText) {
  for (const char* text : kChecksummed) {
    auto from_lower = ParseAddress(Lower(text));
    ASSERT_TRUE(from_lower) << text;
    EXPECT_EQ(ChecksumAddress(*from_lower), text);
    auto from_upper = ParseAddress(Upper(text));
    ASSERT_TRUE(from_upper) << text;
    EXPECT_EQ(*from_upper, *from_lower);
    auto exact = ParseAddress(text);
    ASSERT_TRUE(exact) << text;
    EXPECT_EQ(LowercaseAddress(*exact), Lower(text));
  }
}

TEST(Eip55, AMixedCaseTypoIsRefused) {
  std::string text = kChecksummed[4];  // 0x5aAeb6...
  text[3] = 'A';                       // 0x5AAeb6...: one letter's case flipped
  auto parsed = ParseAddress(text);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kEthAddressChecksum);
}

TEST(Eip55, MalformedTextIsRefused) {
  for (const char* text :
       {"", "0x", "52908400098527886E0F7030069857D2E4169EE7",
        "0x52908400098527886E0F7030069857D2E4169EE", "0x52908400098527886E0F7030069857D2E4169EE77",
        "0x52908400098527886E0F7030069857D2E4169EEg", "1x52908400098527886E0F7030069857D2E4169EE7",
        " 0x52908400098527886E0F7030069857D2E4169EE"}) {
    auto parsed = ParseAddress(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code, ErrorCode::kEthAddressInvalid) << text;
  }
}

struct KeyVector {
  const char* secret;
  const char* address;
};

// wallet.md 4.3.
constexpr KeyVector kKeys[] = {
    {"f89f23eaeac18252fedf81bb8318d3c111d48c19b0680dcf6e0a8d5136caf287",
     "0x9141B7539E7902872095C408BfA294435e2b8c8a"},
    {"a93701ea343247db13466f6448ffbca658726e2b4a77530db3eca3c9250b4f0d",
     "0xa0967B1F698DC497A694FE955666D1dDd398145C"},
    {"de61e35e2e5eb9504d52f5042126591d80144d49f74b8ced68f4959a3e8edffd",
     "0xD5d13d1dD277BB9041e560A63ee29c086D370b0A"},
    {"56f01d5e01b6fd1cc123d8d1eae0d148e00c025b5be2ef624775f7a1b802e9c1",
     "0xc4488ebbE882fa2aF1D466CB2C8ecafE316c067a"},
    {"363af8b4d3ff22bb0e4ffc2ff198b4b5be0316f8a507ad5fe32f021c3d1ae8ad",
     "0xF9001e6AEE6EA439D713fBbF960EbA76f4770E2B"},
    {"0000000000000000000000000000000000000000000000000000000000000001",
     "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"},
    {"4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
     "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"},
};

TEST(Addresses, FromSecretKeysMatchTheSpec) {
  for (const KeyVector& v : kKeys) {
    auto address = AddressFromSecret(Hex(v.secret));
    ASSERT_TRUE(address) << v.secret;
    EXPECT_EQ(ChecksumAddress(*address), v.address);
  }
}

TEST(Addresses, FromPublicKeysInEveryEncoding) {
  const core::Bytes sec1 = Hex(
      "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798483ada7726a3c4655da4fbf"
      "c0e1108a8fd17b448a68554199c47d08ffb10d4b8");
  auto key = PublicKeyFromSecret(test::kSecretOne);
  ASSERT_TRUE(key);
  EXPECT_TRUE(core::Equal(*key, core::ByteView(sec1).subspan(1)));
  const core::Bytes raw64(sec1.begin() + 1, sec1.end());
  core::Bytes compressed(sec1.begin(), sec1.begin() + 33);
  compressed[0] = (sec1.back() % 2 == 0) ? 0x02 : 0x03;
  for (const core::Bytes& encoding : {sec1, raw64, compressed}) {
    auto address = AddressFromPublicKey(encoding);
    ASSERT_TRUE(address) << encoding.size();
    EXPECT_EQ(ChecksumAddress(*address), "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
  }
}

TEST(Addresses, BadPublicKeysAreRefused) {
  core::Bytes off_curve(64, 0x01);
  core::Bytes hybrid = Hex(
      "0679be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798483ada7726a3c4655da4fbf"
      "c0e1108a8fd17b448a68554199c47d08ffb10d4b8");
  for (const core::Bytes& key : {core::Bytes(63, 0x04), off_curve, hybrid, core::Bytes{}}) {
    auto address = AddressFromPublicKey(key);
    ASSERT_FALSE(address) << key.size();
    EXPECT_EQ(address.error().code, ErrorCode::kEthPublicKeyInvalid);
  }
}

TEST(Addresses, BadSecretKeysAreRefused) {
  const core::Bytes order = Hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  for (const core::Bytes& secret :
       {core::Bytes(32, 0), order, core::Bytes(31, 1), core::Bytes(33, 1)}) {
    auto address = AddressFromSecret(secret);
    ASSERT_FALSE(address);
    EXPECT_EQ(address.error().code, ErrorCode::kEthSecretKeyInvalid);
  }
}

}  // namespace
}  // namespace enclavectl::ethereum
