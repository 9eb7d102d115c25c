#include "app_fakes.hpp"

#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/rand.h>

#include "enclavectl/app/keys.hpp"
#include "enclavectl/aws/recipient.hpp"
#include "enclavectl/core/ecdsa.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/verifier/verify.hpp"
#include "virtual_nitro.hpp"

namespace enclavectl::testing {
namespace {

using core::Bytes;
using core::ByteView;
using core::ErrorCode;
using core::Fail;

}  // namespace

const verifier::devca::DevCa& TestCa() {
  static const verifier::devca::DevCa ca = [] {
    verifier::devca::Options options;
    options.now = kVirtualNow;
    auto created = verifier::devca::DevCa::Create(options);
    EXPECT_TRUE(created);
    return std::move(*created);
  }();
  return ca;
}

const verifier::TrustAnchor& TestRoot() {
  static const verifier::TrustAnchor root = [] {
    auto anchor = verifier::TrustAnchor::FromPem(core::AsBytes(TestCa().RootPem()));
    EXPECT_TRUE(anchor);
    return std::move(*anchor);
  }();
  return root;
}

const core::io::Clock& TestClock() {
  static const core::io::FixedClock clock(core::UnixMillis{kVirtualNow.value + 60000});
  return clock;
}

Bytes HexBytes(std::string_view hex) {
  auto bytes = core::HexDecode(hex);
  EXPECT_TRUE(bytes) << hex;
  return bytes ? *bytes : Bytes{};
}

Bytes IndependentReproducibleKey(std::string_view kms_scalar_hex,
                                 const std::optional<core::Sha256Digest>& blockhash) {
  auto nums = app::MakeNumsKey(blockhash);
  EXPECT_TRUE(nums);
  core::EcGroupPtr p256(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  core::EcPointPtr peer(EC_POINT_new(p256.get()));
  EXPECT_EQ(EC_POINT_oct2point(p256.get(), peer.get(), nums->compressed.data(),
                               nums->compressed.size(), nullptr),
            1);
  const Bytes scalar = HexBytes(kms_scalar_hex);
  core::BignumPtr d(BN_bin2bn(scalar.data(), static_cast<int>(scalar.size()), nullptr));
  core::EcPointPtr shared(EC_POINT_new(p256.get()));
  EXPECT_EQ(EC_POINT_mul(p256.get(), shared.get(), nullptr, peer.get(), d.get(), nullptr), 1);
  core::BignumPtr x(BN_new());
  EXPECT_EQ(EC_POINT_get_affine_coordinates(p256.get(), shared.get(), x.get(), nullptr, nullptr),
            1);
  // reproducible-key.md 3 on OpenSSL's secp256k1.
  core::EcGroupPtr k1(EC_GROUP_new_by_curve_name(NID_secp256k1));
  const BIGNUM* n = EC_GROUP_get0_order(k1.get());
  if (BN_is_zero(x.get()) || BN_cmp(x.get(), n) >= 0) {
    BN_one(x.get());
  }
  core::EcPointPtr pub(EC_POINT_new(k1.get()));
  EXPECT_EQ(EC_POINT_mul(k1.get(), pub.get(), x.get(), nullptr, nullptr, nullptr), 1);
  Bytes out(65);
  EC_POINT_point2oct(k1.get(), pub.get(), POINT_CONVERSION_UNCOMPRESSED, out.data(), out.size(),
                     nullptr);
  return out;
}

SimulatedEnclave::SimulatedEnclave(const Bytes& pcr0) {
  auto ca = verifier::devca::DevCa::Deserialize(TestCa().Serialize());
  EXPECT_TRUE(ca);
  app::SimulatorOptions options;
  options.boot_pcrs[0] = pcr0;
  options.boot_pcrs[1] = Bytes(48, 0xb1);
  options.boot_pcrs[2] = Bytes(48, 0xb2);
  auto sim = app::NsmSimulator::Boot(std::move(*ca), options, TestClock());
  EXPECT_TRUE(sim);
  nsm = std::move(*sim);
  client = std::make_unique<app::NsmClient>(*nsm);
}

FakeKms::FakeKms() = default;

void FakeKms::AddAgreementKey(const std::string& key_id, ByteView private_scalar) {
  core::BignumPtr priv(
      BN_bin2bn(private_scalar.data(), static_cast<int>(private_scalar.size()), nullptr));
  core::EcGroupPtr group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  core::EcPointPtr point(EC_POINT_new(group.get()));
  ASSERT_EQ(EC_POINT_mul(group.get(), point.get(), priv.get(), nullptr, nullptr, nullptr), 1);
  Bytes pub(65);
  EC_POINT_point2oct(group.get(), point.get(), POINT_CONVERSION_UNCOMPRESSED, pub.data(),
                     pub.size(), nullptr);
  auto key = core::MakeEcKey(core::Curve::kP256, pub, priv.get());
  ASSERT_TRUE(key);
  std::lock_guard lock(mutex_);
  agreement_keys_[key_id] = std::move(*key);
}

void FakeKms::AddSymmetricKey(const std::string& key_id) {
  Bytes key(32);
  ASSERT_EQ(RAND_bytes(key.data(), 32), 1);
  std::lock_guard lock(mutex_);
  symmetric_keys_[key_id] = key;
}

void FakeKms::RequirePcr0(const std::string& key_id, const Bytes& pcr0) {
  std::lock_guard lock(mutex_);
  required_pcr0_[key_id] = pcr0;
}

core::Result<core::EvpPkeyPtr> FakeKms::Admit(const std::string& key_id, ByteView document) {
  ++calls_;
  if (fail_next_) {
    const ErrorCode code = *fail_next_;
    fail_next_.reset();
    return Fail(code, fail_message_);
  }
  verifier::VerificationPolicy policy;
  policy.time = TestClock().Now();
  auto verified = verifier::VerifyDocument(document, {&TestRoot(), nullptr}, policy);
  if (!verified) {
    return Fail(ErrorCode::kKmsValidation, "the attestation document does not verify");
  }
  const verifier::AttestationDocument& doc = verified->Document();
  if (const auto it = required_pcr0_.find(key_id); it != required_pcr0_.end()) {
    const auto pcr0 = doc.pcrs.find(0);
    if (pcr0 == doc.pcrs.end() || pcr0->second != it->second) {
      return Fail(ErrorCode::kKmsAccessDenied, "AccessDeniedException: PCR0 does not match");
    }
  }
  if (!doc.public_key) {
    return Fail(ErrorCode::kKmsValidation, "no public key in the attestation document");
  }
  const unsigned char* in = doc.public_key->data();
  core::EvpPkeyPtr key(d2i_PUBKEY(nullptr, &in, static_cast<long>(doc.public_key->size())));
  if (!key) {
    return Fail(ErrorCode::kKmsValidation, "the document's public key is not an RSA SPKI");
  }
  return key;
}

core::Result<Bytes> FakeKms::Wrap(ByteView plaintext, EVP_PKEY* recipient) {
  auto spki = aws::PublicKeyDer(recipient);
  if (!spki) {
    return Fail(spki.error());
  }
  // KMS's CiphertextForRecipient layout, as the local KMS writes it.
  return aws::EncryptForRecipient(plaintext, recipient, *spki);
}

core::Result<Bytes> FakeKms::DeriveSharedSecret(const std::string& key_id, ByteView peer_spki,
                                                ByteView attestation_document) {
  std::lock_guard lock(mutex_);
  auto recipient = Admit(key_id, attestation_document);
  if (!recipient) {
    return Fail(recipient.error());
  }
  const auto it = agreement_keys_.find(key_id);
  if (it == agreement_keys_.end()) {
    return Fail(ErrorCode::kKmsNotFound, "NotFoundException: no such key");
  }
  const unsigned char* in = peer_spki.data();
  core::EvpPkeyPtr peer(d2i_PUBKEY(nullptr, &in, static_cast<long>(peer_spki.size())));
  core::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, it->second.get(), nullptr));
  Bytes secret(32);
  std::size_t len = secret.size();
  if (!peer || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), secret.data(), &len) != 1 || len != 32) {
    return Fail(ErrorCode::kKmsValidation, core::DrainOpensslErrors("fake KMS: ECDH"));
  }
  return Wrap(secret, recipient->get());
}

namespace {

// The fake blob: key id, a hash of the context, an IV and the data XOR SHA-256(key || IV).
Bytes Pad(const Bytes& key, ByteView iv) {
  Bytes input = key;
  input.insert(input.end(), iv.begin(), iv.end());
  const core::Sha256Digest pad = core::Sha256(input);
  return {pad.begin(), pad.end()};
}

std::string ContextText(const app::EncryptionContext& context) {
  std::string text;
  for (const auto& [name, value] : context) {
    text += name + "=" + value + ";";
  }
  return text;
}

}  // namespace

core::Result<app::SealedDataKey> FakeKms::GenerateDataKey(const std::string& key_id,
                                                          std::uint32_t number_of_bytes,
                                                          const app::EncryptionContext& context,
                                                          ByteView attestation_document) {
  std::lock_guard lock(mutex_);
  auto recipient = Admit(key_id, attestation_document);
  if (!recipient) {
    return Fail(recipient.error());
  }
  const auto it = symmetric_keys_.find(key_id);
  if (it == symmetric_keys_.end() || number_of_bytes != 32) {
    return Fail(ErrorCode::kKmsNotFound, "NotFoundException: no such key");
  }
  Bytes data(32);
  Bytes iv(16);
  RAND_bytes(data.data(), 32);
  RAND_bytes(iv.data(), 16);
  const Bytes pad = Pad(it->second, iv);
  std::string blob = key_id + "|" + ContextText(context) + "|" + core::HexEncode(iv) + "|";
  Bytes masked(32);
  for (std::size_t i = 0; i < 32; ++i) {
    masked[i] = static_cast<std::uint8_t>(data[i] ^ pad[i]);
  }
  blob += core::HexEncode(masked);
  auto wrapped = Wrap(data, recipient->get());
  if (!wrapped) {
    return Fail(wrapped.error());
  }
  return app::SealedDataKey{Bytes(blob.begin(), blob.end()), std::move(*wrapped)};
}

core::Result<Bytes> FakeKms::Decrypt(const std::string& key_id, ByteView ciphertext_blob,
                                     const app::EncryptionContext& context,
                                     ByteView attestation_document) {
  std::lock_guard lock(mutex_);
  auto recipient = Admit(key_id, attestation_document);
  if (!recipient) {
    return Fail(recipient.error());
  }
  const std::string blob(core::AsChars(ciphertext_blob));
  const std::string prefix = key_id + "|" + ContextText(context) + "|";
  const auto it = symmetric_keys_.find(key_id);
  if (it == symmetric_keys_.end() || blob.rfind(prefix, 0) != 0 ||
      blob.size() != prefix.size() + 32 + 1 + 64) {
    return Fail(ErrorCode::kKmsInvalidCiphertext, "InvalidCiphertextException");
  }
  auto iv = core::HexDecode(std::string_view(blob).substr(prefix.size(), 32));
  auto masked = core::HexDecode(std::string_view(blob).substr(prefix.size() + 33));
  if (!iv || !masked) {
    return Fail(ErrorCode::kKmsInvalidCiphertext, "InvalidCiphertextException");
  }
  const Bytes pad = Pad(it->second, *iv);
  Bytes data(32);
  for (std::size_t i = 0; i < 32; ++i) {
    data[i] = static_cast<std::uint8_t>((*masked)[i] ^ pad[i]);
  }
  return Wrap(data, recipient->get());
}

std::string MakeKeyPolicy(PolicyKind kind, const std::string& pcr0_hex) {
  const std::string role = kEnclaveRoleArn;
  std::string attested_actions =
      R"(["kms:Decrypt","kms:GenerateDataKey","kms:DeriveSharedSecret"])";
  std::string statements =
      R"({"Sid":"EnclaveAttestedUse","Effect":"Allow","Principal":{"AWS":")" + role +
      R"("},"Action":)" + attested_actions +
      R"(,"Resource":"*","Condition":{"StringEqualsIgnoreCase":{"kms:RecipientAttestation:ImageSha384":")" +
      pcr0_hex + R"("}}},)" + R"({"Sid":"EnclaveRead","Effect":"Allow","Principal":{"AWS":")" +
      role + R"("},"Action":["kms:DescribeKey","kms:GetKeyPolicy"],"Resource":"*"})";
  if (kind == PolicyKind::kAllowsEncrypt) {
    statements += R"(,{"Sid":"ParentEncrypt","Effect":"Allow","Principal":{"AWS":")" + role +
                  R"("},"Action":"kms:Encrypt","Resource":"*"})";
  } else if (kind == PolicyKind::kUnattested) {
    statements += R"(,{"Sid":"Unattested","Effect":"Allow","Principal":{"AWS":")" + role +
                  R"("},"Action":["kms:Decrypt","kms:DeriveSharedSecret"],"Resource":"*"})";
  } else if (kind == PolicyKind::kAdminCanChange) {
    statements +=
        R"(,{"Sid":"Admin","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["kms:PutKeyPolicy","kms:DescribeKey"],"Resource":"*"})";
  }
  return R"({"Version":"2012-10-17","Statement":[)" + statements + "]}";
}

void FakeKms::AddAlias(const std::string& alias, const std::string& arn) {
  std::lock_guard lock(mutex_);
  aliases_[alias] = arn;
}

void FakeKms::SetKeyMaterial(const std::string& key_arn, std::string origin, bool multi_region) {
  std::lock_guard lock(mutex_);
  key_material_[key_arn] = {std::move(origin), multi_region};
}

void FakeKms::SetKeyPolicy(const std::string& key_arn, std::string text) {
  std::lock_guard lock(mutex_);
  policies_[key_arn] = std::move(text);
}

void FakeKms::Block() {
  std::lock_guard lock(mutex_);
  blocked_ = true;
}

void FakeKms::Unblock() {
  {
    std::lock_guard lock(mutex_);
    blocked_ = false;
  }
  blocked_cv_.notify_all();
}

int FakeKms::Waiting() {
  std::lock_guard lock(mutex_);
  return waiting_;
}

core::Result<aws::KeyMetadata> FakeKms::DescribeKey(const std::string& key_id) {
  std::unique_lock lock(mutex_);
  ++waiting_;
  blocked_cv_.wait(lock, [this] { return !blocked_; });
  --waiting_;
  if (fail_next_) {
    const ErrorCode code = *fail_next_;
    fail_next_.reset();
    return Fail(code, fail_message_);
  }
  std::string arn = key_id;
  if (const auto alias = aliases_.find(key_id); alias != aliases_.end()) {
    arn = alias->second;
  }
  if (agreement_keys_.count(arn) == 0 && symmetric_keys_.count(arn) == 0) {
    return Fail(ErrorCode::kKmsNotFound, "NotFoundException: no such key");
  }
  aws::KeyMetadata metadata;
  metadata.arn = arn;
  metadata.key_id = arn.substr(arn.rfind('/') + 1);
  metadata.enabled = true;
  metadata.origin = "AWS_KMS";
  if (const auto material = key_material_.find(arn); material != key_material_.end()) {
    metadata.origin = material->second.first;
    metadata.multi_region = material->second.second;
  }
  return metadata;
}

core::Result<std::string> FakeKms::GetKeyPolicy(const std::string& key_id) {
  std::lock_guard lock(mutex_);
  if (fail_next_) {
    const ErrorCode code = *fail_next_;
    fail_next_.reset();
    return Fail(code, fail_message_);
  }
  if (const auto it = policies_.find(key_id); it != policies_.end()) {
    return it->second;
  }
  if (agreement_keys_.count(key_id) == 0 && symmetric_keys_.count(key_id) == 0) {
    return Fail(ErrorCode::kKmsNotFound, "NotFoundException: no such key");
  }
  const auto pcr0 = required_pcr0_.find(key_id);
  return MakeKeyPolicy(
      PolicyKind::kEnclaveOnly,
      core::HexEncode(pcr0 != required_pcr0_.end() ? pcr0->second : Bytes(48, 0xa0)));
}

Bytes FakeKms::EncryptUnattested(const std::string& key_id, ByteView plaintext,
                                 const app::EncryptionContext& context) {
  std::lock_guard lock(mutex_);
  const auto it = symmetric_keys_.find(key_id);
  EXPECT_TRUE(it != symmetric_keys_.end());
  EXPECT_EQ(plaintext.size(), 32U);
  if (it == symmetric_keys_.end() || plaintext.size() != 32) {
    return {};
  }
  Bytes iv(16);
  RAND_bytes(iv.data(), 16);
  const Bytes pad = Pad(it->second, iv);
  std::string blob = key_id + "|" + ContextText(context) + "|" + core::HexEncode(iv) + "|";
  Bytes masked(32);
  for (std::size_t i = 0; i < 32; ++i) {
    masked[i] = static_cast<std::uint8_t>(plaintext[i] ^ pad[i]);
  }
  blob += core::HexEncode(masked);
  return Bytes(blob.begin(), blob.end());
}

core::Result<std::optional<std::string>> MemoryStore::Load() { return text; }

core::Status MemoryStore::Create(std::string_view new_text) {
  if (inject_before_create) {
    text = std::move(inject_before_create);
    inject_before_create.reset();
  }
  if (text) {
    return Fail(ErrorCode::kSealedKeyExists, "a record exists");
  }
  text = std::string(new_text);
  return core::Ok();
}

void CaptureLog::Log(app::LogLevel /*level*/, std::string_view line) {
  std::lock_guard lock(mutex_);
  lines_.emplace_back(line);
}

std::vector<std::string> CaptureLog::Lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

}  // namespace enclavectl::testing
