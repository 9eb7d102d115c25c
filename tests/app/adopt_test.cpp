// Issue 14 item 5: adopting an Introspector deployment's key (adopt.hpp). The parameter's
// parsing and the plaintext's normalisation (migration.md 1.1, 3.2 step 5), the record's
// origin (bound by the GCM additional data), and the whole sealed setup over the fake KMS and
// the simulated NSM: adopt once, unseal afterwards, every refusal with its code.
#include "enclavectl/app/adopt.hpp"

#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "app_fakes.hpp"
#include "enclavectl/app/key_setup.hpp"
#include "enclavectl/app/sealed_store.hpp"
#include "enclavectl/app/service.hpp"
#include "enclavectl/core/encoding.hpp"

namespace enclavectl::app {
namespace {

using core::Bytes;
using core::ErrorCode;
using nlohmann::json;

constexpr const char* kSealKey = "arn:aws:kms:us-east-1:111122223333:key/seal-1";
constexpr const char* kIntrospectorKey = "arn:aws:kms:us-east-1:111122223333:key/introspector";
// secp256k1's group order n.
constexpr const char* kOrderHex =
    "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
constexpr const char* kSecretHex =
    "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0";

Bytes Pcr0(std::uint8_t fill) { return Bytes(48, fill); }
Bytes Hex(std::string_view text) { return *core::HexDecode(text); }

ErrorCode CodeOf(const core::Error& error) { return error.code; }

TEST(AdoptParameter, AbsentEmptyAndUnsetAreAbsent) {
  for (const std::optional<std::string>& value :
       {std::optional<std::string>(), std::optional<std::string>(""),
        std::optional<std::string>("  \n"), std::optional<std::string>("UNSET"),
        std::optional<std::string>(" UNSET\n")}) {
    auto parsed = ParseAdoptCiphertext(value);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(CodeOf(parsed.error()), ErrorCode::kAdoptCiphertextAbsent);
  }
  // "unset" is not Introspector's marker: it is (bad) base64, not absence.
  auto lower = ParseAdoptCiphertext(std::string("unset"));
  ASSERT_FALSE(lower);
  EXPECT_EQ(lower.error().code, ErrorCode::kAdoptCiphertextInvalid);
}

TEST(AdoptParameter, StandardPaddedBase64Only) {
  const Bytes blob = {1, 2, 3, 4, 5};
  auto parsed = ParseAdoptCiphertext(core::Base64Encode(blob) + "\n");
  ASSERT_TRUE(parsed) << parsed.error().detail;
  EXPECT_EQ(*parsed, blob);
  for (const char* bad :
       {"AQIDBAU", "AQIDBAU=x", "AQ-DBAU=", "AQ_DBAU=", "!!!!", "====", "AQIDBAU==="}) {
    auto refused = ParseAdoptCiphertext(std::string(bad));
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().code, ErrorCode::kAdoptCiphertextInvalid) << bad;
  }
  // Bounded: a blob over 6144 bytes, or text over 8192 characters.
  auto big = ParseAdoptCiphertext(core::Base64Encode(Bytes(6145, 7)));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, ErrorCode::kAdoptCiphertextInvalid);
  auto longest = ParseAdoptCiphertext(core::Base64Encode(Bytes(6144, 7)));
  EXPECT_TRUE(longest);
  auto too_long = ParseAdoptCiphertext(std::string(8196, 'A'));
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().code, ErrorCode::kAdoptCiphertextInvalid);
}

TEST(AdoptSecret, SixtyFourHexDigitsOrThirtyTwoRawBytes) {
  const Bytes secret = Hex(kSecretHex);
  // 64 hex digits, as Introspector's Go code accepts them: either case, whitespace trimmed.
  for (const std::string& text :
       {std::string(kSecretHex), std::string(" ") + kSecretHex + "\n",
        core::HexEncode(secret).substr(0, 10) + "ABCDEF" + std::string(kSecretHex).substr(16)}) {
    auto normalised = NormaliseAdoptedSecret(core::AsBytes(text));
    ASSERT_TRUE(normalised) << text;
    EXPECT_EQ(core::HexEncode(normalised->View()).size(), 64U);
  }
  auto from_hex = NormaliseAdoptedSecret(core::AsBytes(std::string(kSecretHex)));
  ASSERT_TRUE(from_hex);
  EXPECT_EQ(core::ToBytes(from_hex->View()), secret);
  auto raw = NormaliseAdoptedSecret(secret);
  ASSERT_TRUE(raw);
  EXPECT_EQ(core::ToBytes(raw->View()), secret);
  // 32 raw bytes that start with whitespace are still the raw bytes.
  Bytes spaced = secret;
  spaced[0] = ' ';
  auto raw_spaced = NormaliseAdoptedSecret(spaced);
  ASSERT_TRUE(raw_spaced);
  EXPECT_EQ(core::ToBytes(raw_spaced->View()), spaced);
}

TEST(AdoptSecret, WrongLengthsZeroAndOrderAreRefused) {
  const std::string hex = kSecretHex;
  const std::vector<Bytes> bad = {
      Bytes(),
      Bytes(31, 1),
      Bytes(33, 1),
      Bytes(64, 'g'),                                   // 64 characters, not hex
      core::ToBytes(core::AsBytes(hex.substr(0, 63))),  // 63 hex digits
      core::ToBytes(core::AsBytes(hex + "0")),          // 65
      core::ToBytes(core::AsBytes("0x" + hex.substr(0, 62))),
      Bytes(4097, 'a'),
      Bytes(32, 0),                                        // zero
      core::ToBytes(core::AsBytes(std::string(64, '0'))),  // zero in hex
      Hex(kOrderHex),                                      // n
      core::ToBytes(core::AsBytes(std::string(kOrderHex))),
      Bytes(32, 0xff),  // > n
  };
  for (const Bytes& plaintext : bad) {
    auto refused = NormaliseAdoptedSecret(plaintext);
    ASSERT_FALSE(refused) << plaintext.size();
    EXPECT_EQ(refused.error().code, ErrorCode::kAdoptSecretInvalid) << plaintext.size();
    // Nothing of the plaintext is quoted.
    EXPECT_EQ(refused.error().detail.find(hex.substr(0, 16)), std::string::npos);
  }
  // n - 1 is the largest valid secret.
  Bytes largest = Hex(kOrderHex);
  largest[31] -= 1;
  EXPECT_TRUE(NormaliseAdoptedSecret(largest));
}

TEST(SealedRecordOrigin, IsBoundByTheAdditionalData) {
  const Bytes data_key(32, 0x11);
  const Bytes secret = Hex(kSecretHex);
  const Bytes public_key(33, 0x02);
  auto adopted = SealSecret(data_key, secret, kSealKey, Bytes{1, 2, 3}, public_key,
                            std::string(kSealedOriginAdopted));
  ASSERT_TRUE(adopted);
  const std::string text = EncodeSealedRecord(*adopted);
  EXPECT_NE(text.find("\"origin\": \"adopted\""), std::string::npos) << text;
  auto decoded = DecodeSealedRecord(text);
  ASSERT_TRUE(decoded) << decoded.error().detail;
  EXPECT_EQ(decoded->origin, "adopted");
  EXPECT_TRUE(OpenSealedSecret(*decoded, data_key));
  // Removing or changing the origin breaks the tag.
  SealedRecord stripped = *decoded;
  stripped.origin.clear();
  auto opened = OpenSealedSecret(stripped, data_key);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::kSealedRecordInvalid);
  SealedRecord relabelled = *decoded;
  relabelled.origin = "migrated";
  EXPECT_FALSE(OpenSealedSecret(relabelled, data_key));
  // Adding one to a generated record as well; generated records carry no member.
  auto generated = SealSecret(data_key, secret, kSealKey, Bytes{1, 2, 3}, public_key);
  ASSERT_TRUE(generated);
  EXPECT_EQ(EncodeSealedRecord(*generated).find("origin"), std::string::npos);
  SealedRecord claimed = *generated;
  claimed.origin = "adopted";
  EXPECT_FALSE(OpenSealedSecret(claimed, data_key));
  // Malformed origins are refused when decoding and when sealing.
  json edited = json::parse(text);
  for (const json& bad : {json("Adopted"), json(""), json(std::string(33, 'a')), json(7)}) {
    edited["origin"] = bad;
    auto refused = DecodeSealedRecord(edited.dump());
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().code, ErrorCode::kSealedRecordInvalid);
  }
  EXPECT_FALSE(SealSecret(data_key, secret, kSealKey, Bytes{1}, public_key, "a b"));
}

// The sealed setup with --adopt-ciphertext over the fakes.
class Adoption : public ::testing::Test {
 protected:
  void SetUp() override {
    kms_.AddSymmetricKey(kSealKey);
    kms_.AddSymmetricKey(kIntrospectorKey);
    kms_.RequirePcr0(kSealKey, Pcr0(0xa0));
    kms_.RequirePcr0(kIntrospectorKey, Pcr0(0xa0));
    adoption_.source = &parameter_;
    adoption_.kms_key_id = kIntrospectorKey;
  }
  // Introspector's first boot (migration.md 3.1): kms:Encrypt of 32 raw bytes, no context.
  void WriteParameter(const Bytes& plaintext) {
    parameter_.text = core::Base64Encode(kms_.EncryptUnattested(kIntrospectorKey, plaintext, {}));
  }
  core::Result<ObtainedKey> Obtain(bool adopt = true) {
    SetupContext context{*enclave_.client, kms_, store_,
                         ctx_.get(),       {},   adopt ? &adoption_ : nullptr};
    SetupRequest request;
    request.mode = KeyMode::kSealed;
    request.key_id = kSealKey;
    return ObtainKey(request, context);
  }
  static std::string PublicKeyOf(const Bytes& secret) {
    auto ctx = core::MakeSecp256k1Context();
    auto pair = MakeKeyPair(core::SecretBytes(secret), ctx.get());
    return pair ? core::HexEncode(pair->signing.Compressed()) : "";
  }

  core::Secp256k1ContextPtr ctx_ = core::MakeSecp256k1Context();
  testing::FakeKms kms_;
  testing::SimulatedEnclave enclave_{Pcr0(0xa0)};
  testing::MemoryStore store_;
  testing::MemoryStore parameter_;
  KeyAdoption adoption_;
};

TEST_F(Adoption, AdoptsOnceThenUnsealsTheRecord) {
  const Bytes secret = Hex(kSecretHex);
  WriteParameter(secret);
  auto adopted = Obtain();
  ASSERT_TRUE(adopted) << adopted.error().detail;
  EXPECT_EQ(core::HexEncode(adopted->keys.signing.Compressed()), PublicKeyOf(secret));
  EXPECT_EQ(adopted->origin, "adopted");
  EXPECT_FALSE(adopted->origin_provable);
  EXPECT_NE(adopted->detail.find("adopted from memory store"), std::string::npos);
  ASSERT_TRUE(store_.text);
  auto record = DecodeSealedRecord(*store_.text);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->origin, "adopted");
  EXPECT_EQ(record->key_arn, kSealKey);
  // The record holds no trace of the secret in the clear.
  EXPECT_EQ(store_.text->find(kSecretHex), std::string::npos);

  // Later boots: the parameter is gone (or reset to UNSET); the record is used, the flag
  // ignored and said so.
  parameter_.text = "UNSET";
  auto again = Obtain();
  ASSERT_TRUE(again) << again.error().detail;
  EXPECT_EQ(core::HexEncode(again->keys.signing.Compressed()), PublicKeyOf(secret));
  EXPECT_EQ(again->origin, "adopted");
  EXPECT_FALSE(again->origin_provable);
  EXPECT_NE(again->detail.find("--adopt-ciphertext ignored"), std::string::npos);
  auto without_flag = Obtain(false);
  ASSERT_TRUE(without_flag);
  EXPECT_EQ(without_flag->origin, "adopted");
}

TEST_F(Adoption, GeneratedKeysAreSealedAndProvable) {
  auto generated = Obtain(false);
  ASSERT_TRUE(generated) << generated.error().detail;
  EXPECT_EQ(generated->origin, "sealed");
  EXPECT_TRUE(generated->origin_provable);
}

TEST_F(Adoption, ReproducibleKeysAreProvable) {
  constexpr const char* kAgreementKey = "arn:aws:kms:us-east-1:111122223333:key/agree-1";
  kms_.AddAgreementKey(kAgreementKey, Hex(kSecretHex));
  SetupContext context{*enclave_.client, kms_, store_, ctx_.get(), {}, &adoption_};
  SetupRequest request;
  request.key_id = kAgreementKey;
  auto derived = ObtainKey(request, context);
  ASSERT_TRUE(derived) << derived.error().detail;
  EXPECT_EQ(derived->origin, "reproducible");
  EXPECT_TRUE(derived->origin_provable);
  EXPECT_FALSE(store_.text);  // adoption is sealed mode's only
}

TEST_F(Adoption, RefusalsHaveTheirCodesAndSealNothing) {
  // Absent parameter: nothing is generated instead.
  auto absent = Obtain();
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().code, ErrorCode::kAdoptCiphertextAbsent);
  parameter_.text = "UNSET";
  EXPECT_EQ(Obtain().error().code, ErrorCode::kAdoptCiphertextAbsent);
  parameter_.text = "not base64!";
  EXPECT_EQ(Obtain().error().code, ErrorCode::kAdoptCiphertextInvalid);
  // A zero secret, and one not below the order.
  WriteParameter(Bytes(32, 0));
  EXPECT_EQ(Obtain().error().code, ErrorCode::kAdoptSecretInvalid);
  WriteParameter(Hex(kOrderHex));
  EXPECT_EQ(Obtain().error().code, ErrorCode::kAdoptSecretInvalid);
  EXPECT_FALSE(store_.text);

  // Introspector's key policy as its deploy scripts leave it (the role may kms:Encrypt
  // without an attestation) is not enclave-only: refused before Decrypt.
  WriteParameter(Hex(kSecretHex));
  kms_.SetKeyPolicy(kIntrospectorKey, testing::MakeKeyPolicy(testing::PolicyKind::kAllowsEncrypt,
                                                             core::HexEncode(Pcr0(0xa0))));
  auto loose = Obtain();
  ASSERT_FALSE(loose);
  EXPECT_EQ(loose.error().code, ErrorCode::kAdoptKeyPolicyUnsafe);
  // Pinned to another image (V1's PCR0 only): not enclave-only for this one either.
  kms_.SetKeyPolicy(kIntrospectorKey, testing::MakeKeyPolicy(testing::PolicyKind::kEnclaveOnly,
                                                             core::HexEncode(Pcr0(0xee))));
  EXPECT_EQ(Obtain().error().code, ErrorCode::kAdoptKeyPolicyUnsafe);
  EXPECT_FALSE(store_.text);

  // A ciphertext under another key than the one named: KMS refuses the Decrypt.
  kms_.SetKeyPolicy(kIntrospectorKey, testing::MakeKeyPolicy(testing::PolicyKind::kEnclaveOnly,
                                                             core::HexEncode(Pcr0(0xa0))));
  parameter_.text = core::Base64Encode(kms_.EncryptUnattested(kSealKey, Hex(kSecretHex), {}));
  EXPECT_FALSE(Obtain());
  EXPECT_FALSE(store_.text);
}

TEST_F(Adoption, EnclaveInfoReportsTheOrigin) {
  WriteParameter(Hex(kSecretHex));
  ServiceOptions options;
  SetupRequest configured;
  configured.mode = KeyMode::kSealed;
  configured.key_id = kSealKey;
  options.configured = configured;
  options.adoption = adoption_;
  testing::CaptureLog log;
  auto service = KeyService::Create(options, *enclave_.client, kms_, store_, log);
  ASSERT_TRUE(service);
  auto info = [&] {
    net::HttpRequest request;
    request.method = "GET";
    request.path = "/v1/enclave-info";
    return json::parse((*service)->Handle(request).body);
  };
  EXPECT_TRUE(info()["key_origin"].is_null());
  EXPECT_TRUE(info()["key_origin_provable"].is_null());
  ASSERT_TRUE((*service)->Setup(configured));
  EXPECT_EQ(info()["key_origin"], "adopted");
  EXPECT_EQ(info()["key_origin_provable"], false);
}

}  // namespace
}  // namespace enclavectl::app
