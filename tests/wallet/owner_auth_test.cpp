// Owner authorization (wallet/owner_auth.hpp), its binding into the hardened envelope
// (envelope.hpp) and its wire fields (protocol.hpp). Every check has a failing case: wrong key,
// wrong digest, wrong name, replayed authorization, missing signature for an owned account,
// stripped owner key, malformed fields.
#include "enclavectl/wallet/owner_auth.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <variant>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/wallet/envelope.hpp"
#include "enclavectl/wallet/protocol.hpp"

namespace enclavectl::wallet {
namespace {

using core::ErrorCode;

// BIP-340 test vector 1 (bip-0340/test-vectors.csv): public key, message, signature.
constexpr const char* kBipKey = "dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659";
constexpr const char* kBipMessage =
    "243f6a8885a308d313198a2e03707344a4093822299f31d0082efa98ec4e6c89";
constexpr const char* kBipSignature =
    "6896bd60eeae296db48a229ff71dfe071bde413e6d43f917dc8dcf8c78de3341"
    "8906d11ac976abccb20b091292bff4ea897efcb639ea871cfa95f6de339e4b0a";

// wallet.md 4.3 #1, and an owner secret.
constexpr const char* kKeyHex = "f89f23eaeac18252fedf81bb8318d3c111d48c19b0680dcf6e0a8d5136caf287";
constexpr const char* kAddress = "0x9141B7539E7902872095C408BfA294435e2b8c8a";
constexpr const char* kOwnerSecretHex =
    "0b432b2677937381aef05bb02a66ecd012773062cf3fa2549e44f58ed2401710";
constexpr const char* kOtherOwnerSecretHex =
    "0000000000000000000000000000000000000000000000000000000000000003";

core::SecretBytes Secret(const char* hex) { return core::SecretBytes(*core::HexDecode(hex)); }
template <std::size_t N>
std::array<std::uint8_t, N> Array(const char* hex) {
  auto bytes = *core::HexDecode(hex);
  std::array<std::uint8_t, N> out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}
ethereum::Address Address() { return *ethereum::ParseAddress(kAddress); }
ethereum::Hash256 Digest(std::uint8_t fill) {
  ethereum::Hash256 out{};
  out.fill(fill);
  return out;
}
core::Bytes Nonce(std::uint8_t fill, std::size_t len = 16) { return core::Bytes(len, fill); }

TEST(WalletOwnerAuth, VerifiesTheBip340Vector) {
  const auto key = ParseOwnerKey(kBipKey);
  ASSERT_TRUE(key);
  const auto message = Array<32>(kBipMessage);
  auto signature = Array<64>(kBipSignature);
  EXPECT_TRUE(VerifyOwnerSignature(*key, message, signature));
  signature[63] ^= 1;
  EXPECT_EQ(VerifyOwnerSignature(*key, message, signature).error().code,
            ErrorCode::kAccountOwnerAuthInvalid);
}

TEST(WalletOwnerAuth, OwnerKeysAreXOnly) {
  EXPECT_TRUE(ParseOwnerKey(kBipKey));
  EXPECT_TRUE(ParseOwnerKey("DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659"));
  for (const char* bad :
       {"", "dff1", "0xdff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba6",
        // 33-byte compressed SEC1 key
        "02dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659",
        // x >= p: not a field element
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "zz f1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659"}) {
    auto key = ParseOwnerKey(bad);
    ASSERT_FALSE(key) << bad;
    EXPECT_EQ(key.error().code, ErrorCode::kAccountOwnerKeyInvalid) << bad;
  }
  auto key = OwnerKeyOf(Secret(kOwnerSecretHex));
  ASSERT_TRUE(key);
  EXPECT_EQ(*ParseOwnerKey(OwnerKeyHex(*key)), *key);
  EXPECT_EQ(OwnerKeyOf(core::SecretBytes(core::Bytes(32, 0))).error().code,
            ErrorCode::kEthSecretKeyInvalid);
}

TEST(WalletOwnerAuth, TheMessageBindsEveryField) {
  const auto base = OwnerAuthMessage("UID1", Address(), Digest(1), Nonce(7));
  EXPECT_EQ(base, OwnerAuthMessage("UID1", Address(), Digest(1), Nonce(7)));
  EXPECT_NE(base, OwnerAuthMessage("UID2", Address(), Digest(1), Nonce(7)));
  EXPECT_NE(base, OwnerAuthMessage("UID1", ethereum::Address{}, Digest(1), Nonce(7)));
  EXPECT_NE(base, OwnerAuthMessage("UID1", Address(), Digest(2), Nonce(7)));
  EXPECT_NE(base, OwnerAuthMessage("UID1", Address(), Digest(1), Nonce(8)));
  EXPECT_NE(base, OwnerAuthMessage("UID1", Address(), Digest(1), Nonce(7, 17)));
}

TEST(WalletOwnerAuth, OnlyTheOwnersSignatureOverThisRequestPasses) {
  const OwnerKey owner = *OwnerKeyOf(Secret(kOwnerSecretHex));
  const core::Bytes nonce = Nonce(9, 32);
  const auto signature = *SignOwnerAuth(Secret(kOwnerSecretHex),
                                        OwnerAuthMessage("UID1", Address(), Digest(1), nonce));
  EXPECT_TRUE(CheckOwnerAuthorization(&owner, "UID1", Address(), Digest(1), &nonce, &signature));
  // Wrong key: another owner signed.
  const auto other = *SignOwnerAuth(Secret(kOtherOwnerSecretHex),
                                    OwnerAuthMessage("UID1", Address(), Digest(1), nonce));
  EXPECT_EQ(
      CheckOwnerAuthorization(&owner, "UID1", Address(), Digest(1), &nonce, &other).error().code,
      ErrorCode::kAccountOwnerAuthInvalid);
  // Wrong digest, name or nonce: the signature was for another request.
  EXPECT_EQ(CheckOwnerAuthorization(&owner, "UID1", Address(), Digest(2), &nonce, &signature)
                .error()
                .code,
            ErrorCode::kAccountOwnerAuthInvalid);
  EXPECT_EQ(CheckOwnerAuthorization(&owner, "UID2", Address(), Digest(1), &nonce, &signature)
                .error()
                .code,
            ErrorCode::kAccountOwnerAuthInvalid);
  const core::Bytes other_nonce = Nonce(10, 32);
  EXPECT_EQ(CheckOwnerAuthorization(&owner, "UID1", Address(), Digest(1), &other_nonce, &signature)
                .error()
                .code,
            ErrorCode::kAccountOwnerAuthInvalid);
  // Missing signature for an owned account.
  EXPECT_EQ(
      CheckOwnerAuthorization(&owner, "UID1", Address(), Digest(1), nullptr, nullptr).error().code,
      ErrorCode::kAccountOwnerAuthMissing);
  EXPECT_EQ(
      CheckOwnerAuthorization(&owner, "UID1", Address(), Digest(1), &nonce, nullptr).error().code,
      ErrorCode::kAccountOwnerAuthMissing);
  // A nonce too short or too long.
  const core::Bytes short_nonce = Nonce(9, 15);
  const core::Bytes long_nonce = Nonce(9, 33);
  EXPECT_EQ(CheckOwnerAuthorization(&owner, "UID1", Address(), Digest(1), &short_nonce, &signature)
                .error()
                .code,
            ErrorCode::kAccountOwnerNonceInvalid);
  EXPECT_EQ(CheckOwnerAuthorization(&owner, "UID1", Address(), Digest(1), &long_nonce, &signature)
                .error()
                .code,
            ErrorCode::kAccountOwnerNonceInvalid);
  // Unowned accounts: no fields needed, and fields with nothing to check them against refused.
  EXPECT_TRUE(CheckOwnerAuthorization(nullptr, "UID1", Address(), Digest(1), nullptr, nullptr));
  EXPECT_EQ(CheckOwnerAuthorization(nullptr, "UID1", Address(), Digest(1), &nonce, &signature)
                .error()
                .code,
            ErrorCode::kAccountRequestInvalid);
}

TEST(WalletOwnerAuth, TheReplayCacheRefusesASecondUseAndIsBounded) {
  OwnerReplayCache cache(2);
  EXPECT_TRUE(cache.Remember(Digest(1)));
  EXPECT_EQ(cache.Remember(Digest(1)).error().code, ErrorCode::kAccountOwnerNonceReplayed);
  EXPECT_TRUE(cache.Remember(Digest(2)));
  EXPECT_TRUE(cache.Remember(Digest(3)));  // forgets Digest(1), the oldest
  EXPECT_EQ(cache.Size(), 2U);
  EXPECT_EQ(cache.Remember(Digest(3)).error().code, ErrorCode::kAccountOwnerNonceReplayed);
  EXPECT_TRUE(cache.Remember(Digest(1)));
  EXPECT_EQ(OwnerReplayCache().Size(), 0U);
}

AccountBinding OwnedBinding(const OwnerKey& owner) {
  return AccountBinding{"UID1", kAddress, "arn:aws:kms:us-east-1:111122223333:key/k",
                        OwnerKeyHex(owner)};
}

TEST(WalletOwnerAuth, TheOwnerKeyIsBoundIntoTheHardenedEnvelope) {
  const OwnerKey owner = *OwnerKeyOf(Secret(kOwnerSecretHex));
  const OwnerKey other = *OwnerKeyOf(Secret(kOtherOwnerSecretHex));
  const core::Bytes data_key(32, 0x42);
  const AccountBinding owned = OwnedBinding(owner);
  auto sealed = SealAccountKey(data_key, Secret(kKeyHex), owned, EnvelopeFormat::kHardenedV1);
  ASSERT_TRUE(sealed);
  EXPECT_TRUE(OpenAccountKey(data_key, *sealed, owned));
  // Stripped owner key: the AAD differs.
  AccountBinding stripped = owned;
  stripped.owner_key.clear();
  EXPECT_EQ(OpenAccountKey(data_key, *sealed, stripped).error().code,
            ErrorCode::kWalletDecryptFailed);
  // Another owner key substituted.
  AccountBinding swapped = owned;
  swapped.owner_key = OwnerKeyHex(other);
  EXPECT_EQ(OpenAccountKey(data_key, *sealed, swapped).error().code,
            ErrorCode::kWalletDecryptFailed);
  // An owner key added to an unowned account.
  auto unowned = SealAccountKey(data_key, Secret(kKeyHex), stripped, EnvelopeFormat::kHardenedV1);
  ASSERT_TRUE(unowned);
  EXPECT_EQ(OpenAccountKey(data_key, *unowned, owned).error().code,
            ErrorCode::kWalletDecryptFailed);
  // The legacy layout binds nothing: no owned account in it, written or read.
  EXPECT_EQ(SealAccountKey(data_key, Secret(kKeyHex), owned, EnvelopeFormat::kLegacy).error().code,
            ErrorCode::kWalletAccountInvalid);
  auto legacy = SealAccountKey(data_key, Secret(kKeyHex), stripped, EnvelopeFormat::kLegacy);
  ASSERT_TRUE(legacy);
  EXPECT_EQ(OpenAccountKey(data_key, *legacy, owned).error().code,
            ErrorCode::kWalletAccountInvalid);
  // A malformed owner key in the binding.
  AccountBinding bad = owned;
  bad.owner_key = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
  EXPECT_EQ(AccountAad(bad).error().code, ErrorCode::kAccountOwnerKeyInvalid);
  // The KMS EncryptionContext names the owner; without one it has no such entry.
  auto context = AccountEncryptionContext(owned);
  ASSERT_TRUE(context);
  EXPECT_EQ(context->at("enclavectl:owner-key"), OwnerKeyHex(owner));
  EXPECT_EQ(AccountEncryptionContext(stripped)->count("enclavectl:owner-key"), 0U);
}

protocol::Credential Cred() {
  protocol::Credential out;
  out.access_key_id = "AKID";
  out.secret_access_key = core::SecretBytes(core::AsBytes(std::string_view("secret")));
  return out;
}

TEST(WalletProtocol, OwnerFieldsRoundTrip) {
  const OwnerKey owner = *OwnerKeyOf(Secret(kOwnerSecretHex));
  protocol::GenerateRequest generate;
  generate.credential = Cred();
  generate.key_id = "alias/wallet";
  generate.name = "UID1";
  generate.owner_key = owner;
  auto decoded =
      protocol::DecodeRequest(protocol::EncodeRequest(protocol::Request(std::move(generate))));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(std::get<protocol::GenerateRequest>(*decoded).owner_key, owner);

  protocol::SignRequest sign;
  sign.credential = Cred();
  sign.key_id = "alias/wallet";
  sign.name = "UID1";
  sign.encrypted_data_key = core::Bytes{1};
  sign.encrypted_private_key = "Ag==";
  sign.digest = Digest(5);
  sign.owner_key = owner;
  sign.owner_auth = protocol::OwnerAuthorization{Nonce(3, 20), OwnerSignature{}};
  sign.owner_auth->signature.fill(0x11);
  const OwnerSignature expected_signature = sign.owner_auth->signature;
  auto decoded_sign =
      protocol::DecodeRequest(protocol::EncodeRequest(protocol::Request(std::move(sign))));
  ASSERT_TRUE(decoded_sign);
  const auto& got = std::get<protocol::SignRequest>(*decoded_sign);
  EXPECT_EQ(got.owner_key, owner);
  ASSERT_TRUE(got.owner_auth);
  EXPECT_EQ(got.owner_auth->nonce, Nonce(3, 20));
  EXPECT_EQ(got.owner_auth->signature, expected_signature);

  protocol::GenerateResponse response;
  response.encrypted_data_key = core::Bytes{1};
  response.encrypted_private_key = "enclavectl:v1:Ag==";
  response.owner_key = owner;
  auto decoded_response = protocol::DecodeResponse(protocol::EncodeGenerateResponse(response));
  ASSERT_TRUE(decoded_response);
  EXPECT_EQ(std::get<protocol::GenerateResponse>(*decoded_response).owner_key, owner);
  response.owner_key.reset();
  const std::string unowned = protocol::EncodeGenerateResponse(response);
  EXPECT_EQ(unowned.find("ownerKey"), std::string::npos);
}

TEST(WalletProtocol, MalformedOwnerFieldsAreRefused) {
  const std::string head =
      R"({"apiRequest":"sign","credential":{"aws_access_key_id":"A","aws_secret_access_key":"s",)"
      R"("aws_session_token":""},"key_id":"k","name":"n","encryptedDataKey":"AQ==",)"
      R"("encryptedPrivateKey":"Ag==","message":")" +
      std::string(64, 'a') + "\"";
  const std::string key = R"(,"ownerKey":")" + std::string(kBipKey) + "\"";
  const std::string nonce = R"(,"ownerNonce":")" + std::string(32, '0') + "\"";
  const std::string sig = R"(,"ownerSignature":")" + std::string(128, '1') + "\"";
  const auto code = [](const std::string& text) {
    auto r = protocol::DecodeRequest(text);
    return r ? std::optional<ErrorCode>() : std::optional<ErrorCode>(r.error().code);
  };
  EXPECT_EQ(code(head + key + nonce + sig + "}"), std::nullopt);
  EXPECT_EQ(code(head + key + "}"), std::nullopt);  // the enclave then says auth missing
  EXPECT_EQ(code(head + nonce + sig + "}"), ErrorCode::kAccountRequestInvalid);  // no ownerKey
  EXPECT_EQ(code(head + key + nonce + "}"), ErrorCode::kAccountRequestInvalid);
  EXPECT_EQ(code(head + key + sig + "}"), ErrorCode::kAccountRequestInvalid);
  EXPECT_EQ(code(head + R"(,"ownerKey":"02)" + std::string(kBipKey) + "\"}"),
            ErrorCode::kAccountOwnerKeyInvalid);
  EXPECT_EQ(code(head + key + R"(,"ownerNonce":")" + std::string(30, '0') + "\"" + sig + "}"),
            ErrorCode::kAccountOwnerNonceInvalid);
  EXPECT_EQ(code(head + key + R"(,"ownerNonce":")" + std::string(66, '0') + "\"" + sig + "}"),
            ErrorCode::kAccountOwnerNonceInvalid);
  EXPECT_EQ(code(head + key + nonce + R"(,"ownerSignature":"11"})"),
            ErrorCode::kAccountRequestInvalid);
  EXPECT_EQ(code(head + R"(,"ownerKey":7})"), ErrorCode::kAccountRequestInvalid);
}

TEST(WalletProtocol, NewEnvelopeErrors) {
  using protocol::EnvelopeError;
  for (const auto code : {ErrorCode::kAccountOwnerAuthMissing, ErrorCode::kAccountOwnerAuthInvalid,
                          ErrorCode::kAccountOwnerNonceReplayed}) {
    EXPECT_EQ(protocol::EnvelopeErrorFor(core::Error{code, ""}), EnvelopeError::kOwnerAuthFailed);
  }
  for (const auto code :
       {ErrorCode::kAccountKeyPolicyRefused, ErrorCode::kAccountDebugEnclaveRefused}) {
    EXPECT_EQ(protocol::EnvelopeErrorFor(core::Error{code, ""}), EnvelopeError::kPolicyRefused);
  }
  EXPECT_EQ(protocol::EnvelopeErrorFor(core::Error{ErrorCode::kWalletDecryptFailed, ""}),
            EnvelopeError::kDecryptFailed);
  EXPECT_EQ(protocol::EnvelopeErrorFor(core::Error{ErrorCode::kWalletAddressMismatch, ""}),
            EnvelopeError::kAddressMismatch);
  EXPECT_EQ(protocol::EnvelopeErrorFor(core::Error{ErrorCode::kAccountOwnerKeyInvalid, ""}),
            EnvelopeError::kBadRequest);
  for (const auto error : {EnvelopeError::kOwnerAuthFailed, EnvelopeError::kPolicyRefused}) {
    auto decoded = protocol::DecodeResponse(protocol::EncodeErrorResponse(error));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(std::get<EnvelopeError>(*decoded), error);
  }
  EXPECT_STREQ(protocol::EnvelopeErrorName(EnvelopeError::kOwnerAuthFailed), "owner_auth_failed");
  EXPECT_STREQ(protocol::EnvelopeErrorName(EnvelopeError::kPolicyRefused), "policy_refused");
}

}  // namespace
}  // namespace enclavectl::wallet
