// KmsAccountOperations (enclave-app kms_accounts.hpp) over the fake KMS that honours
// Recipient, EncryptionContext and a PCR0 condition, and the simulated NSM: accounts made and
// used, every refusal (wrong address, tampered envelope, policy not enclave-only, debug-mode
// enclave, owner authorization failures, stripped owner key), and the protocol's answers.
#include "enclavectl/app/kms_accounts.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "app_fakes.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/ethereum/signing.hpp"

namespace enclavectl::app {
namespace {

using core::Bytes;
using core::ErrorCode;

constexpr const char* kKey = "arn:aws:kms:us-east-1:111122223333:key/wallet-1";
constexpr const char* kOwnerSecretHex =
    "0b432b2677937381aef05bb02a66ecd012773062cf3fa2549e44f58ed2401710";
constexpr const char* kOtherSecretHex =
    "0000000000000000000000000000000000000000000000000000000000000003";

Bytes Pcr0(std::uint8_t fill) { return Bytes(48, fill); }
core::SecretBytes Secret(const char* hex) { return core::SecretBytes(*core::HexDecode(hex)); }

// Every request's client is the one fake KMS; the credentials each request brought are kept.
class ForwardingKms final : public EnclaveKms {
 public:
  explicit ForwardingKms(EnclaveKms& kms) : kms_(kms) {}
  core::Result<Bytes> DeriveSharedSecret(const std::string& key_id, core::ByteView spki,
                                         core::ByteView document) override {
    return kms_.DeriveSharedSecret(key_id, spki, document);
  }
  core::Result<SealedDataKey> GenerateDataKey(const std::string& key_id, std::uint32_t n,
                                              const EncryptionContext& context,
                                              core::ByteView document) override {
    return kms_.GenerateDataKey(key_id, n, context, document);
  }
  core::Result<Bytes> Decrypt(const std::string& key_id, core::ByteView blob,
                              const EncryptionContext& context, core::ByteView document) override {
    return kms_.Decrypt(key_id, blob, context, document);
  }
  core::Result<aws::KeyMetadata> DescribeKey(const std::string& key_id) override {
    return kms_.DescribeKey(key_id);
  }
  core::Result<std::string> GetKeyPolicy(const std::string& key_id) override {
    return kms_.GetKeyPolicy(key_id);
  }

 private:
  EnclaveKms& kms_;
};

class FakeFactory final : public AccountKmsFactory {
 public:
  explicit FakeFactory(EnclaveKms& kms) : kms_(kms) {}
  std::unique_ptr<EnclaveKms> ForCredential(const accounts::Credential& credential) override {
    const std::lock_guard lock(mutex_);
    seen_.push_back(credential.access_key_id + ":" +
                    std::string(core::AsChars(credential.secret_access_key.View())));
    return std::make_unique<ForwardingKms>(kms_);
  }
  std::vector<std::string> Seen() {
    const std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  EnclaveKms& kms_;
  std::mutex mutex_;
  std::vector<std::string> seen_;
};

accounts::Credential Cred() {
  accounts::Credential out;
  out.access_key_id = "AKIDPARENT";
  out.secret_access_key = core::SecretBytes(core::AsBytes(std::string_view("parent-secret")));
  return out;
}

accounts::GenerateRequest GenerateFor(const std::string& name,
                                      std::optional<wallet::OwnerKey> owner = std::nullopt) {
  accounts::GenerateRequest request;
  request.credential = Cred();
  request.key_id = kKey;
  request.name = name;
  request.owner_key = owner;
  return request;
}

accounts::SignRequest SignFor(const std::string& name, const accounts::GenerateResponse& account,
                              std::uint8_t digest_fill) {
  accounts::SignRequest request;
  request.credential = Cred();
  request.key_id = kKey;
  request.name = name;
  request.address = account.address;
  request.encrypted_data_key = account.encrypted_data_key;
  request.encrypted_private_key = account.encrypted_private_key;
  request.digest.fill(digest_fill);
  request.owner_key = account.owner_key;
  return request;
}

void Authorize(accounts::SignRequest& request, const char* secret_hex, std::uint8_t nonce_fill) {
  accounts::OwnerAuthorization auth;
  auth.nonce = Bytes(16, nonce_fill);
  auth.signature = *wallet::SignOwnerAuth(
      Secret(secret_hex),
      wallet::OwnerAuthMessage(request.name, *request.address, request.digest, auth.nonce));
  request.owner_auth = std::move(auth);
}

ErrorCode CodeOf(const core::Result<accounts::SignResponse>& result) {
  EXPECT_FALSE(result);
  return result ? ErrorCode::kInternal : result.error().code;
}

class KmsAccounts : public ::testing::Test {
 protected:
  explicit KmsAccounts(std::uint8_t pcr0_fill = 0xa0, KmsAccountOptions options = {})
      : enclave_(Pcr0(pcr0_fill)), factory_(kms_) {
    kms_.AddSymmetricKey(kKey);
    kms_.RequirePcr0(kKey, Pcr0(pcr0_fill));
    ops_ = std::make_unique<KmsAccountOperations>(*enclave_.client, factory_, options);
  }
  accounts::GenerateResponse Generate(const std::string& name,
                                      std::optional<wallet::OwnerKey> owner = std::nullopt) {
    auto account = ops_->Generate(GenerateFor(name, owner));
    EXPECT_TRUE(account) << account.error().detail;
    return account ? std::move(*account) : accounts::GenerateResponse{};
  }
  void ExpectSignsFor(const accounts::SignRequest& request) {
    auto signed_digest = ops_->Sign(request);
    ASSERT_TRUE(signed_digest) << signed_digest.error().detail;
    const auto raw = ethereum::EncodeSignature(signed_digest->signature, 0);
    auto recovered = ethereum::RecoverAddress(request.digest, raw);
    ASSERT_TRUE(recovered);
    EXPECT_EQ(*recovered, signed_digest->address);
    if (request.address) {
      EXPECT_EQ(*recovered, *request.address);
    }
  }
  testing::SimulatedEnclave enclave_;
  testing::FakeKms kms_;
  FakeFactory factory_;
  std::unique_ptr<KmsAccountOperations> ops_;
};

TEST_F(KmsAccounts, GeneratesHardenedAccountsAndSigns) {
  const auto a = Generate("UID1");
  const auto b = Generate("UID2");
  EXPECT_NE(a.address, b.address);
  EXPECT_EQ(a.encrypted_private_key.rfind("enclavectl:v1:", 0), 0U);
  EXPECT_FALSE(a.owner_key);
  ExpectSignsFor(SignFor("UID1", a, 0x11));
  ExpectSignsFor(SignFor("UID2", b, 0x22));
  // The parent's credentials reached the KMS client of every request.
  for (const std::string& seen : factory_.Seen()) {
    EXPECT_EQ(seen, "AKIDPARENT:parent-secret");
  }
  EXPECT_EQ(factory_.Seen().size(), 4U);
}

TEST_F(KmsAccounts, RefusesAWrongAddressASwappedRowAndATamperedEnvelope) {
  const auto a = Generate("UID1");
  const auto b = Generate("UID2");
  auto wrong = SignFor("UID1", a, 0x11);
  wrong.address = b.address;  // bound into the context: KMS refuses the data key
  EXPECT_EQ(CodeOf(ops_->Sign(wrong)), ErrorCode::kKmsInvalidCiphertext);
  auto renamed = SignFor("UID2", a, 0x11);  // a's row under b's name
  EXPECT_EQ(CodeOf(ops_->Sign(renamed)), ErrorCode::kKmsInvalidCiphertext);
  auto swapped = SignFor("UID1", a, 0x11);
  swapped.encrypted_private_key = b.encrypted_private_key;  // b's key, a's data key
  EXPECT_EQ(CodeOf(ops_->Sign(swapped)), ErrorCode::kWalletDecryptFailed);
  auto tampered = SignFor("UID1", a, 0x11);
  std::string& text = tampered.encrypted_private_key;
  text[text.size() - 3] = text[text.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(CodeOf(ops_->Sign(tampered)), ErrorCode::kWalletDecryptFailed);
  auto no_address = SignFor("UID1", a, 0x11);
  no_address.address.reset();
  EXPECT_EQ(CodeOf(ops_->Sign(no_address)), ErrorCode::kAccountRequestInvalid);
  auto other_key = SignFor("UID1", a, 0x11);
  other_key.key_id = "arn:aws:kms:us-east-1:111122223333:key/nope";
  EXPECT_EQ(CodeOf(ops_->Sign(other_key)), ErrorCode::kKmsNotFound);
  // The envelope errors the parent sees.
  EXPECT_EQ(accounts::EnvelopeErrorFor(core::Error{ErrorCode::kKmsInvalidCiphertext, ""}),
            accounts::EnvelopeError::kDecryptFailed);
}

TEST_F(KmsAccounts, RefusesAKeyWhosePolicyIsNotEnclaveOnly) {
  const auto a = Generate("UID1");
  for (const auto kind : {testing::PolicyKind::kUnattested, testing::PolicyKind::kAllowsEncrypt}) {
    kms_.SetKeyPolicy(kKey, testing::MakeKeyPolicy(kind, core::HexEncode(Pcr0(0xa0))));
    auto refused = ops_->Generate(GenerateFor("UID3"));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::kAccountKeyPolicyRefused);
    EXPECT_EQ(CodeOf(ops_->Sign(SignFor("UID1", a, 0x11))), ErrorCode::kAccountKeyPolicyRefused);
  }
  // --insecure-skip-policy-check does not reach the accounts outside --dev.
  KmsAccountOptions skip_only;
  skip_only.policy.skip = true;
  KmsAccountOperations skip_ops(*enclave_.client, factory_, skip_only);
  EXPECT_EQ(CodeOf(skip_ops.Sign(SignFor("UID1", a, 0x11))), ErrorCode::kAccountKeyPolicyRefused);
  // Enclave-only, but for another image's PCR0.
  kms_.SetKeyPolicy(
      kKey, testing::MakeKeyPolicy(testing::PolicyKind::kEnclaveOnly, core::HexEncode(Pcr0(0xb7))));
  EXPECT_EQ(CodeOf(ops_->Sign(SignFor("UID1", a, 0x11))), ErrorCode::kAccountKeyPolicyRefused);
  EXPECT_EQ(accounts::EnvelopeErrorFor(core::Error{ErrorCode::kAccountKeyPolicyRefused, ""}),
            accounts::EnvelopeError::kPolicyRefused);
}

TEST_F(KmsAccounts, OwnedAccountsSignOnlyWithTheOwnersFreshSignature) {
  const wallet::OwnerKey owner = *wallet::OwnerKeyOf(Secret(kOwnerSecretHex));
  const auto a = Generate("UID1", owner);
  ASSERT_TRUE(a.owner_key);
  EXPECT_EQ(*a.owner_key, owner);

  auto request = SignFor("UID1", a, 0x11);
  EXPECT_EQ(CodeOf(ops_->Sign(request)), ErrorCode::kAccountOwnerAuthMissing);
  Authorize(request, kOtherSecretHex, 1);  // wrong key
  EXPECT_EQ(CodeOf(ops_->Sign(request)), ErrorCode::kAccountOwnerAuthInvalid);
  Authorize(request, kOwnerSecretHex, 1);
  auto other_digest = SignFor("UID1", a, 0x12);  // the owner signed for another digest
  other_digest.owner_auth =
      accounts::OwnerAuthorization{request.owner_auth->nonce, request.owner_auth->signature};
  EXPECT_EQ(CodeOf(ops_->Sign(other_digest)), ErrorCode::kAccountOwnerAuthInvalid);
  ExpectSignsFor(request);
  EXPECT_EQ(CodeOf(ops_->Sign(request)), ErrorCode::kAccountOwnerNonceReplayed);
  Authorize(request, kOwnerSecretHex, 2);  // a fresh nonce
  ExpectSignsFor(request);

  // Stripped owner key: the request looks unowned, but the envelope and the KMS context are
  // bound to the owner, so nothing decrypts.
  auto stripped = SignFor("UID1", a, 0x13);
  stripped.owner_key.reset();
  EXPECT_EQ(CodeOf(ops_->Sign(stripped)), ErrorCode::kKmsInvalidCiphertext);
  // Another owner substituted (with that owner's valid signature): the same.
  auto substituted = SignFor("UID1", a, 0x13);
  substituted.owner_key = *wallet::OwnerKeyOf(Secret(kOtherSecretHex));
  Authorize(substituted, kOtherSecretHex, 3);
  EXPECT_EQ(CodeOf(ops_->Sign(substituted)), ErrorCode::kKmsInvalidCiphertext);
  // An owner key that is not on the curve.
  wallet::OwnerKey bad{};
  bad.fill(0xff);
  auto refused = ops_->Generate(GenerateFor("UID9", bad));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kAccountOwnerKeyInvalid);
}

class KmsAccountsDebugEnclave : public KmsAccounts {
 protected:
  KmsAccountsDebugEnclave() : KmsAccounts(0x00) {}
};

TEST_F(KmsAccountsDebugEnclave, ADebugModeEnclaveRefusesWithoutDev) {
  auto refused = ops_->Generate(GenerateFor("UID1"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kAccountDebugEnclaveRefused);
  EXPECT_EQ(kms_.Calls(), 0);  // refused before any KMS call
  // A policy pinned to an all-zero PCR0 is never enclave-only (anyone can run a debug
  // enclave): with --dev the check may be skipped, never without it.
  KmsAccountOptions dev;
  dev.dev = true;
  dev.policy.skip = true;
  KmsAccountOptions skip_only;
  skip_only.policy.skip = true;
  KmsAccountOperations skip_ops(*enclave_.client, factory_, skip_only);
  auto skipped = skip_ops.Generate(GenerateFor("UID1"));
  ASSERT_FALSE(skipped);
  EXPECT_EQ(skipped.error().code, ErrorCode::kAccountDebugEnclaveRefused);
  KmsAccountOptions dev_checked;
  dev_checked.dev = true;
  KmsAccountOperations checked_ops(*enclave_.client, factory_, dev_checked);
  auto not_enclave_only = checked_ops.Generate(GenerateFor("UID1"));
  ASSERT_FALSE(not_enclave_only);
  EXPECT_EQ(not_enclave_only.error().code, ErrorCode::kAccountKeyPolicyRefused);
  KmsAccountOperations dev_ops(*enclave_.client, factory_, dev);
  auto account = dev_ops.Generate(GenerateFor("UID1"));
  ASSERT_TRUE(account) << account.error().detail;
  EXPECT_EQ(CodeOf(ops_->Sign(SignFor("UID1", *account, 0x11))),
            ErrorCode::kAccountDebugEnclaveRefused);
  EXPECT_TRUE(dev_ops.Sign(SignFor("UID1", *account, 0x11)));
}

class KmsAccountsLegacy : public KmsAccounts {
 protected:
  static KmsAccountOptions Legacy() {
    KmsAccountOptions options;
    options.format = wallet::EnvelopeFormat::kLegacy;
    return options;
  }
  KmsAccountsLegacy() : KmsAccounts(0xa0, Legacy()) {}
};

TEST_F(KmsAccountsLegacy, WritesTheSeedLayoutOnlyWhenAskedAndReadsIt) {
  const auto a = Generate("UID1");
  EXPECT_EQ(a.encrypted_private_key.size(), 80U);  // wallet.md 2.5: 60 bytes of base64
  EXPECT_EQ(*wallet::DetectEnvelopeFormat(a.encrypted_private_key),
            wallet::EnvelopeFormat::kLegacy);
  ExpectSignsFor(SignFor("UID1", a, 0x11));
  auto no_address = SignFor("UID1", a, 0x11);  // wallet.md 2.8: address optional
  no_address.address.reset();
  auto signed_digest = ops_->Sign(no_address);
  ASSERT_TRUE(signed_digest);
  EXPECT_EQ(signed_digest->address, a.address);
  const auto b = Generate("UID2");
  auto wrong = SignFor("UID1", a, 0x11);
  wrong.address = b.address;
  EXPECT_EQ(CodeOf(ops_->Sign(wrong)), ErrorCode::kWalletAddressMismatch);
  // The legacy layout binds nothing, so it holds no owned account.
  auto owned = ops_->Generate(GenerateFor("UID3", *wallet::OwnerKeyOf(Secret(kOwnerSecretHex))));
  ASSERT_FALSE(owned);
  EXPECT_EQ(owned.error().code, ErrorCode::kWalletAccountInvalid);
  // A hardened enclave still reads legacy rows (existing tables).
  KmsAccountOperations hardened(*enclave_.client, factory_, KmsAccountOptions{});
  EXPECT_TRUE(hardened.Sign(SignFor("UID1", a, 0x11)));
}

TEST_F(KmsAccounts, TheServiceAnswersEnvelopes) {
  const accounts::AccountService service(*ops_);
  const std::string generated = service.Handle(accounts::EncodeRequest(GenerateFor("UID1")));
  auto response = accounts::DecodeResponse(generated);
  ASSERT_TRUE(response) << generated;
  const auto& account = std::get<accounts::GenerateResponse>(*response);
  // The credentials are never echoed.
  EXPECT_EQ(generated.find("parent-secret"), std::string::npos);
  auto request = SignFor("UID1", account, 0x44);
  request.address = ethereum::Address{};
  auto answer =
      accounts::DecodeResponse(service.Handle(accounts::EncodeRequest(std::move(request))));
  ASSERT_TRUE(answer);
  EXPECT_EQ(std::get<accounts::EnvelopeError>(*answer), accounts::EnvelopeError::kDecryptFailed);
}

// One Recipient serves requests for recipient_lifetime, then a new one is made; a failed KMS
// call drops it; lifetime 0 makes one per request. Counted in NSM exchanges: the gate makes
// two (DescribePCR 0, and again in the policy check), a new Recipient one more (Attestation).
class CountingTransport final : public NsmTransport {
 public:
  explicit CountingTransport(NsmTransport& inner) : inner_(inner) {}
  core::Result<Bytes> Exchange(core::ByteView request) override {
    ++count;
    return inner_.Exchange(request);
  }
  int count = 0;

 private:
  NsmTransport& inner_;
};

TEST_F(KmsAccounts, OneRecipientServesItsLifetime) {
  CountingTransport counting(*enclave_.nsm);
  NsmClient nsm(counting);
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  KmsAccountOptions options;
  options.now = [&now] { return now; };
  KmsAccountOperations ops(nsm, factory_, options);
  const auto exchanges = [&](const auto& call) {
    const int before = counting.count;
    call();
    return counting.count - before;
  };
  accounts::GenerateResponse a;
  EXPECT_EQ(exchanges([&] { a = *ops.Generate(GenerateFor("UID1")); }), 3);
  EXPECT_EQ(exchanges([&] { EXPECT_TRUE(ops.Sign(SignFor("UID1", a, 1))); }), 2);
  now += std::chrono::seconds(59);
  EXPECT_EQ(exchanges([&] { EXPECT_TRUE(ops.Sign(SignFor("UID1", a, 2))); }), 2);
  now += std::chrono::seconds(1);
  EXPECT_EQ(exchanges([&] { EXPECT_TRUE(ops.Sign(SignFor("UID1", a, 3))); }), 3);
  // A failed KMS call drops the Recipient.
  auto wrong = SignFor("UID1", a, 4);
  wrong.name = "UID2";
  EXPECT_EQ(exchanges([&] { EXPECT_FALSE(ops.Sign(wrong)); }), 2);
  EXPECT_EQ(exchanges([&] { EXPECT_TRUE(ops.Sign(SignFor("UID1", a, 5))); }), 3);

  KmsAccountOptions fresh;
  fresh.recipient_lifetime = std::chrono::seconds(0);
  KmsAccountOperations fresh_ops(nsm, factory_, fresh);
  EXPECT_EQ(exchanges([&] { EXPECT_TRUE(fresh_ops.Sign(SignFor("UID1", a, 6))); }), 3);
  EXPECT_EQ(exchanges([&] { EXPECT_TRUE(fresh_ops.Sign(SignFor("UID1", a, 7))); }), 3);
}

}  // namespace
}  // namespace enclavectl::app
