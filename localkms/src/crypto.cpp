#include "enclavectl/localkms/crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <new>

#include "enclavectl/aws/recipient.hpp"

namespace enclavectl::localkms {
namespace {

using core::ErrorCode;
using core::Fail;

constexpr std::uint8_t kCiphertextVersion = 0x01;
constexpr std::size_t kKeyIdLen = 36;
constexpr std::size_t kHeaderLen = 1 + kKeyIdLen;
constexpr std::size_t kIvLen = 12;
constexpr std::size_t kTagLen = 16;
constexpr std::string_view kAadLabel = "enclavectl-localkms-v1";

// OpenSSL's group name for each curve spec.
const char* GroupName(KeySpec spec) noexcept {
  switch (spec) {
    case KeySpec::kEccNistP256:
      return "P-256";
    case KeySpec::kEccNistP384:
      return "P-384";
    case KeySpec::kEccSecgP256k1:
      return "secp256k1";
    case KeySpec::kSymmetricDefault:
      break;
  }
  return nullptr;
}

std::optional<KeySpec> SpecOfGroup(std::string_view group) noexcept {
  if (group == "prime256v1" || group == "P-256") {
    return KeySpec::kEccNistP256;
  }
  if (group == "secp384r1" || group == "P-384") {
    return KeySpec::kEccNistP384;
  }
  if (group == "secp256k1") {
    return KeySpec::kEccSecgP256k1;
  }
  return std::nullopt;
}

std::string GroupOf(EVP_PKEY* key) {
  std::array<char, 64> name{};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name.data(), name.size(),
                                     &len) != 1) {
    core::DrainOpensslErrors("");
    return "";
  }
  return std::string(name.data(), len);
}

// The DER private key (SEC1 for EC keys), written straight into wiped memory.
core::Result<core::SecretBytes> PrivateDer(EVP_PKEY* key) {
  const int len = i2d_PrivateKey(key, nullptr);
  if (len <= 0) {
    return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("cannot encode a private key"));
  }
  core::SecretBytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.MutableData();
  if (i2d_PrivateKey(key, &p) != len) {
    return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("cannot encode a private key"));
  }
  return out;
}

core::EvpPkeyPtr ParsePrivate(const core::SecretBytes& material) {
  const unsigned char* in = material.View().data();
  core::EvpPkeyPtr key(d2i_AutoPrivateKey(nullptr, &in, static_cast<long>(material.size())));
  if (!key) {
    core::DrainOpensslErrors("");
  }
  return key;
}

core::Result<KeyMaterial> FromPrivateKey(EVP_PKEY* key) {
  auto material = PrivateDer(key);
  if (!material) {
    return Fail(material.error());
  }
  auto public_key = aws::PublicKeyDer(key);
  if (!public_key) {
    return Fail(public_key.error());
  }
  return KeyMaterial{std::move(*material), std::move(*public_key)};
}

void PutU32(core::Bytes& out, std::size_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>((value >> shift) & 0xff));
  }
}

core::Bytes Aad(core::ByteView header, const aws::EncryptionContext& context) {
  const core::Bytes canonical = CanonicalContext(context);
  const core::ByteView label = core::AsBytes(kAadLabel);
  // Sized up front and copied: g++ 12 -O2 reports false -Warray-bounds / -Wstringop-overflow
  // for the growing vector inserts this was written with.
  core::Bytes aad(label.size() + header.size() + canonical.size());
  auto out = std::copy(label.begin(), label.end(), aad.begin());
  out = std::copy(header.begin(), header.end(), out);
  std::copy(canonical.begin(), canonical.end(), out);
  return aad;
}

}  // namespace

core::Result<KeyMaterial> GenerateKeyMaterial(KeySpec spec) {
  if (spec == KeySpec::kSymmetricDefault) {
    core::SecretBytes key(32);
    if (RAND_bytes(key.MutableData(), static_cast<int>(key.size())) != 1) {
      return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("the CSPRNG failed"));
    }
    return KeyMaterial{std::move(key), {}};
  }
  // GroupName is never null for the asymmetric specs.
  core::EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", GroupName(spec)));
  if (!key) {
    return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("EC key generation failed"));
  }
  return FromPrivateKey(key.get());
}

core::Result<KeyMaterial> ImportPrivateKeyPem(core::ByteView pem, KeySpec& out_spec) {
  core::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) {
    return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("out of memory"));
  }
  core::EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    core::DrainOpensslErrors("");
    return Fail(ErrorCode::kKeyImport, "the file is not an unencrypted PEM private key");
  }
  if (EVP_PKEY_is_a(key.get(), "EC") != 1) {
    return Fail(ErrorCode::kKeyImport, "the private key is not an elliptic-curve key");
  }
  const std::string group = GroupOf(key.get());
  const std::optional<KeySpec> spec = SpecOfGroup(group);
  if (!spec) {
    return Fail(ErrorCode::kKeyImport, "the private key's curve (" +
                                           (group.empty() ? "unknown" : group) +
                                           ") is not P-256, P-384 or secp256k1");
  }
  auto material = FromPrivateKey(key.get());
  if (!material) {
    return Fail(material.error());
  }
  out_spec = *spec;
  return material;
}

core::Status CheckKeyMaterial(KeySpec spec, const core::SecretBytes& material,
                              core::ByteView public_key) {
  if (spec == KeySpec::kSymmetricDefault) {
    if (material.size() != 32 || !public_key.empty()) {
      return Fail(ErrorCode::kLocalKmsState, "a symmetric key's material is not 32 bytes");
    }
    return core::Ok();
  }
  core::EvpPkeyPtr key = ParsePrivate(material);
  if (!key || EVP_PKEY_is_a(key.get(), "EC") != 1 || SpecOfGroup(GroupOf(key.get())) != spec) {
    return Fail(ErrorCode::kLocalKmsState, std::string("an asymmetric key's material is not a ") +
                                               KeySpecName(spec) + " private key");
  }
  auto derived = aws::PublicKeyDer(key.get());
  if (!derived || !core::Equal(*derived, public_key)) {
    return Fail(ErrorCode::kLocalKmsState,
                "an asymmetric key's material does not match its public key");
  }
  return core::Ok();
}

core::Bytes CanonicalContext(const aws::EncryptionContext& context) {
  core::Bytes out;
  PutU32(out, context.size());
  for (const auto& [key, value] : context) {  // std::map: sorted by key bytes
    PutU32(out, key.size());
    out.insert(out.end(), key.begin(), key.end());
    PutU32(out, value.size());
    out.insert(out.end(), value.begin(), value.end());
  }
  return out;
}

core::Result<core::Bytes> SealSymmetric(const KeyRecord& key, core::ByteView plaintext,
                                        const aws::EncryptionContext& context) {
  if (key.spec != KeySpec::kSymmetricDefault || key.material.size() != 32 ||
      key.key_id.size() != kKeyIdLen) {
    return Fail(ErrorCode::kInternal, "not a symmetric key");
  }
  core::Bytes out;
  out.reserve(kHeaderLen + kIvLen + plaintext.size() + kTagLen);
  out.push_back(kCiphertextVersion);
  out.insert(out.end(), key.key_id.begin(), key.key_id.end());
  std::array<std::uint8_t, kIvLen> iv{};
  if (RAND_bytes(iv.data(), static_cast<int>(iv.size())) != 1) {
    return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("the CSPRNG failed"));
  }
  const core::Bytes aad = Aad(core::ByteView(out).first(kHeaderLen), context);
  out.insert(out.end(), iv.begin(), iv.end());
  const std::size_t body_at = out.size();
  out.resize(body_at + plaintext.size() + kTagLen);
  core::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int final_len = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.material.View().data(),
                         iv.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data() + body_at, &len, plaintext.data(),  // NOLINT
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + body_at + len, &final_len) != 1 ||  // NOLINT
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagLen),
                          out.data() + body_at + plaintext.size()) != 1) {  // NOLINT
    return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("AES-256-GCM failed"));
  }
  return out;
}

std::optional<std::string> CiphertextKeyId(core::ByteView blob) {
  if (blob.size() < kHeaderLen + kIvLen + kTagLen || blob[0] != kCiphertextVersion) {
    return std::nullopt;
  }
  std::string key_id(core::AsChars(blob.subspan(1, kKeyIdLen)));
  if (!IsKeyIdFormat(key_id)) {
    return std::nullopt;
  }
  return key_id;
}

core::Result<core::SecretBytes> OpenSymmetric(const KeyRecord& key, core::ByteView blob,
                                              const aws::EncryptionContext& context) {
  const std::optional<std::string> named = CiphertextKeyId(blob);
  if (!named || *named != key.key_id || key.spec != KeySpec::kSymmetricDefault ||
      key.material.size() != 32) {
    return Fail(ErrorCode::kKmsInvalidCiphertext, "the ciphertext does not belong to this key");
  }
  const core::ByteView iv = blob.subspan(kHeaderLen, kIvLen);
  const core::ByteView body =
      blob.subspan(kHeaderLen + kIvLen, blob.size() - kHeaderLen - kIvLen - kTagLen);
  core::Bytes tag(blob.end() - static_cast<std::ptrdiff_t>(kTagLen), blob.end());
  const core::Bytes aad = Aad(blob.first(kHeaderLen), context);
  core::SecretBytes out(body.size());
  core::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int final_len = 0;
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.material.View().data(),
                         iv.data()) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out.MutableData(), &len, body.data(),
                        static_cast<int>(body.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagLen), tag.data()) !=
          1 ||
      EVP_DecryptFinal_ex(ctx.get(), out.MutableData() + len, &final_len) != 1) {  // NOLINT
    core::DrainOpensslErrors("");
    return Fail(ErrorCode::kKmsInvalidCiphertext,
                "the ciphertext or its encryption context does not authenticate");
  }
  return out;
}

core::Result<core::SecretBytes> DeriveSharedSecret(const KeyRecord& key, core::ByteView peer_spki) {
  const char* group = GroupName(key.spec);
  if (group == nullptr) {
    return Fail(ErrorCode::kInternal, "not an elliptic-curve key");
  }
  const unsigned char* in = peer_spki.data();
  core::EvpPkeyPtr peer(d2i_PUBKEY(nullptr, &in, static_cast<long>(peer_spki.size())));
  if (!peer || in != peer_spki.data() + peer_spki.size()) {  // NOLINT: OpenSSL's cursor
    core::DrainOpensslErrors("");
    return Fail(ErrorCode::kKmsValidation,
                "The public key must be a DER-encoded X.509 SubjectPublicKeyInfo");
  }
  if (EVP_PKEY_is_a(peer.get(), "EC") != 1 || SpecOfGroup(GroupOf(peer.get())) != key.spec) {
    return Fail(ErrorCode::kKmsValidation,
                std::string("The public key is not on the curve of the KMS key (") +
                    KeySpecName(key.spec) + ")");
  }
  core::EvpPkeyPtr own = ParsePrivate(key.material);
  if (!own) {
    return Fail(ErrorCode::kInternal, "the key's material cannot be read");
  }
  core::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, own.get(), nullptr));
  std::size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1) {
    return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("ECDH setup failed"));
  }
  // validate_peer = 1: the point must be on the curve and not the identity.
  if (EVP_PKEY_derive_set_peer_ex(ctx.get(), peer.get(), 1) != 1) {
    core::DrainOpensslErrors("");
    return Fail(ErrorCode::kKmsValidation, "The public key is not a valid point on the curve");
  }
  if (EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1) {
    return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("ECDH failed"));
  }
  core::SecretBytes secret(len);
  if (EVP_PKEY_derive(ctx.get(), secret.MutableData(), &len) != 1 || len != secret.size()) {
    return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("ECDH failed"));
  }
  return secret;
}

std::string RandomUuid() {
  std::array<std::uint8_t, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::bad_alloc();  // the CSPRNG only fails when it cannot allocate or seed
  }
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out.push_back('-');
    }
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0x0f]);
  }
  return out;
}

}  // namespace enclavectl::localkms
