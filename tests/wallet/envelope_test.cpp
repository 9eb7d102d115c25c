// Account envelopes (wallet/envelope.hpp): the legacy layout against wallet.md 4.4's two
// vectors, the hardened v1 format, the address check of wallet.md 5.4, and each failure code.
#include "enclavectl/wallet/envelope.hpp"

#include <gtest/gtest.h>

#include <string>

#include "enclavectl/core/encoding.hpp"

namespace enclavectl::wallet {
namespace {

using core::ErrorCode;

// wallet.md 4.4.
constexpr const char* kDataKeyB64 = "gnbLKIT08rBb6beAGBqyhBb+usZKBSQ3DgAyDFEolzs=";
constexpr const char* kReadmeVector =
    "K20TvEKnpVnfHIcRDG4i+8hT6VoquHlZH7PuDtzxqvazlsYcZFkOj9eUpi5/kMo4LyK95Fdv6wfcwki0Fw1pl/"
    "2Z22He41dZCaZxhX98NvBiXA==";
constexpr const char* kReadmeKeyHex =
    "3a1076bf45ab87712ad64ccb3b10217737f7faacbf2872e88fdd9a537d8fe266";
constexpr const char* kReadmeKeyAddress = "0xC2D7CF95645D33006175B78989035C7c9061d3F9";
constexpr const char* kEnclaveVector =
    "MF8Yt0Xi4C3aFv8PXjhd+5gasW853AVvFpOwG4yAq5fmxoRlVzoKpY6Yp3Wbkzt2z9QwmVwdce6rYXwv";
// wallet.md 4.3.
constexpr const char* kKeyHex = "f89f23eaeac18252fedf81bb8318d3c111d48c19b0680dcf6e0a8d5136caf287";
constexpr const char* kAddress = "0x9141B7539E7902872095C408BfA294435e2b8c8a";
constexpr const char* kOtherAddress = "0xa0967B1F698DC497A694FE955666D1dDd398145C";
// Legacy GCM (same key and nonce) of the text "not a key".
constexpr const char* kNotAKeyVector = "dXpU/RK3+QrESXCGuvJKN98+6TQGps2GFw==";

core::Bytes DataKey() { return *core::Base64Decode(kDataKeyB64); }
core::SecretBytes Key(const char* hex) { return core::SecretBytes(*core::HexDecode(hex)); }
AccountBinding Binding(std::string address = kAddress) {
  return AccountBinding{"UID10000", std::move(address), "arn:aws:kms:us-east-1:111122223333:key/k",
                        ""};
}

TEST(WalletEnvelope, OpensBothLegacyVectors) {
  // The demo README's vector: plaintext "0x" + 64 hex.
  auto readme = OpenAccountKey(DataKey(), kReadmeVector, Binding(kReadmeKeyAddress));
  ASSERT_TRUE(readme) << readme.error().detail;
  EXPECT_EQ(core::HexEncode(readme->View()), kReadmeKeyHex);
  // The enclave layout: plaintext base64 of the key.
  auto enclave = OpenAccountKey(DataKey(), kEnclaveVector, Binding());
  ASSERT_TRUE(enclave) << enclave.error().detail;
  EXPECT_EQ(core::HexEncode(enclave->View()), kKeyHex);
  EXPECT_EQ(*DetectEnvelopeFormat(kEnclaveVector), EnvelopeFormat::kLegacy);
}

TEST(WalletEnvelope, LegacySealReproducesTheEnclaveVector) {
  auto sealed = SealAccountKey(DataKey(), Key(kKeyHex), Binding(), EnvelopeFormat::kLegacy);
  ASSERT_TRUE(sealed) << sealed.error().detail;
  EXPECT_EQ(*sealed, kEnclaveVector);
  EXPECT_EQ(sealed->size(), 80U);
}

TEST(WalletEnvelope, HardenedRoundTripIsRandomizedAndPrefixed) {
  auto a = SealAccountKey(DataKey(), Key(kKeyHex), Binding(), EnvelopeFormat::kHardenedV1);
  auto b = SealAccountKey(DataKey(), Key(kKeyHex), Binding(), EnvelopeFormat::kHardenedV1);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);  // a random nonce each time
  EXPECT_TRUE(a->starts_with(kHardenedV1Prefix));
  EXPECT_EQ(*DetectEnvelopeFormat(*a), EnvelopeFormat::kHardenedV1);
  auto opened = OpenAccountKey(DataKey(), *a, Binding());
  ASSERT_TRUE(opened) << opened.error().detail;
  EXPECT_EQ(core::HexEncode(opened->View()), kKeyHex);
  // Lowercase address text binds the same 20 bytes.
  std::string lower = kAddress;
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  EXPECT_TRUE(OpenAccountKey(DataKey(), *a, Binding(lower)));
}

TEST(WalletEnvelope, HardenedIsBoundToNameAndKeyId) {
  auto sealed = SealAccountKey(DataKey(), Key(kKeyHex), Binding(), EnvelopeFormat::kHardenedV1);
  ASSERT_TRUE(sealed);
  AccountBinding other_name = Binding();
  other_name.name = "UID10001";
  EXPECT_EQ(OpenAccountKey(DataKey(), *sealed, other_name).error().code,
            ErrorCode::kWalletDecryptFailed);
  AccountBinding other_key = Binding();
  other_key.key_id = "arn:aws:kms:us-east-1:111122223333:key/other";
  EXPECT_EQ(OpenAccountKey(DataKey(), *sealed, other_key).error().code,
            ErrorCode::kWalletDecryptFailed);
}

TEST(WalletEnvelope, ASwappedRowIsRefused) {
  // wallet.md 5.4: a legacy envelope carries no binding; the address check catches the swap.
  auto opened = OpenAccountKey(DataKey(), kEnclaveVector, Binding(kOtherAddress));
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::kWalletAddressMismatch);
  EXPECT_EQ(opened.error().detail.find(kKeyHex), std::string::npos);
  // A hardened envelope moved to another address fails its tag first.
  auto sealed = SealAccountKey(DataKey(), Key(kKeyHex), Binding(), EnvelopeFormat::kHardenedV1);
  EXPECT_EQ(OpenAccountKey(DataKey(), *sealed, Binding(kOtherAddress)).error().code,
            ErrorCode::kWalletDecryptFailed);
  // Sealing under an address that is not the key's is refused too.
  EXPECT_EQ(SealAccountKey(DataKey(), Key(kKeyHex), Binding(kOtherAddress), EnvelopeFormat::kLegacy)
                .error()
                .code,
            ErrorCode::kWalletAddressMismatch);
}

TEST(WalletEnvelope, WrongDataKeyOrChangedBytesFailTheTag) {
  core::Bytes wrong = DataKey();
  wrong[0] ^= 1;
  EXPECT_EQ(OpenAccountKey(wrong, kEnclaveVector, Binding()).error().code,
            ErrorCode::kWalletDecryptFailed);
  core::Bytes raw = *core::Base64Decode(kEnclaveVector);
  raw[3] ^= 0x80;
  EXPECT_EQ(OpenAccountKey(DataKey(), core::Base64Encode(raw), Binding()).error().code,
            ErrorCode::kWalletDecryptFailed);
}

TEST(WalletEnvelope, MalformedTextIsRefused) {
  for (const std::string& text :
       {std::string(), std::string("not base64!"), std::string(600, 'A'), std::string("MF8Y t0Xi"),
        std::string("enclavectl:v1:"), std::string("enclavectl:v2:AAAA"), std::string("AAAA"),
        std::string("enclavectl:v1:AAAA")}) {
    auto opened = OpenAccountKey(DataKey(), text, Binding());
    ASSERT_FALSE(opened) << text;
    EXPECT_EQ(opened.error().code, ErrorCode::kWalletEnvelopeMalformed) << text;
  }
  EXPECT_EQ(DetectEnvelopeFormat("enclavectl:v1:").error().code,
            ErrorCode::kWalletEnvelopeMalformed);
}

TEST(WalletEnvelope, LegacyPlaintextMustBeAKeyText) {
  auto opened = OpenAccountKey(DataKey(), kNotAKeyVector, Binding());
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::kWalletKeyTextInvalid);
}

TEST(WalletEnvelope, BadDataKeyOrAddressIsAnInvalidAccount) {
  EXPECT_EQ(OpenAccountKey(core::Bytes(16, 1), kEnclaveVector, Binding()).error().code,
            ErrorCode::kWalletAccountInvalid);
  EXPECT_EQ(OpenAccountKey(DataKey(), kEnclaveVector, Binding("0x1234")).error().code,
            ErrorCode::kWalletAccountInvalid);
  EXPECT_EQ(SealAccountKey(DataKey(), core::SecretBytes(core::Bytes(32, 0)), Binding(),
                           EnvelopeFormat::kHardenedV1)
                .error()
                .code,
            ErrorCode::kEthSecretKeyInvalid);
  AccountBinding long_name = Binding();
  long_name.name = std::string(5000, 'n');
  EXPECT_EQ(AccountAad(long_name).error().code, ErrorCode::kWalletAccountInvalid);
}

TEST(WalletEnvelope, EncryptionContextNamesTheAccount) {
  std::string lower = kAddress;
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  auto context = AccountEncryptionContext(Binding(lower));
  ASSERT_TRUE(context);
  EXPECT_EQ(context->at("enclavectl:wallet"), "account-v1");
  EXPECT_EQ(context->at("enclavectl:name"), "UID10000");
  EXPECT_EQ(context->at("enclavectl:address"), kAddress);  // EIP-55 whatever the input case
  EXPECT_EQ(context->at("enclavectl:key-id"), Binding().key_id);
  EXPECT_FALSE(AccountEncryptionContext(Binding("0xzz")));
}

TEST(WalletEnvelope, GeneratedAccountsSealAndOpen) {
  auto a = GenerateAccount();
  auto b = GenerateAccount();
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->address, b->address);
  EXPECT_EQ(a->secret_key.size(), 32U);
  const AccountBinding binding{"n", a->address, "alias/wallet", ""};
  for (const EnvelopeFormat format : {EnvelopeFormat::kLegacy, EnvelopeFormat::kHardenedV1}) {
    auto sealed = SealAccountKey(DataKey(), a->secret_key, binding, format);
    ASSERT_TRUE(sealed);
    auto opened = OpenAccountKey(DataKey(), *sealed, binding);
    ASSERT_TRUE(opened) << EnvelopeFormatName(format);
    EXPECT_TRUE(core::Equal(opened->View(), a->secret_key.View()));
  }
}

}  // namespace
}  // namespace enclavectl::wallet
