#include "enclavectl/app/keys.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "enclavectl/core/ecdsa.hpp"
#include "enclavectl/core/kdf.hpp"
#include "enclavectl/core/sha.hpp"

namespace enclavectl::app {
namespace {

using core::ErrorCode;
using core::Fail;

// The order n of the P-256 group, big-endian.
constexpr std::array<std::uint8_t, 32> kP256Order = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

// a < b for big-endian numbers of the same length. Not constant time: used on public values
// (signature s) and on rejection tests whose outcome is public.
bool LessThan(ByteView a, ByteView b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

// out = a - b (big-endian, same length, a >= b).
void Subtract(ByteView a, ByteView b, std::uint8_t* out) {
  int borrow = 0;
  for (std::size_t i = a.size(); i-- > 0;) {
    int diff = static_cast<int>(a[i]) - static_cast<int>(b[i]) - borrow;
    borrow = diff < 0 ? 1 : 0;
    out[i] = static_cast<std::uint8_t>(diff + (borrow * 256));  // NOLINT: bounded index
  }
}

// Normalises raw r||s (32 + 32) so that s <= n/2 (s -> n - s), as for secp256k1's low-S rule.
void NormaliseLowS(Bytes& raw, const std::array<std::uint8_t, 32>& order) {
  std::array<std::uint8_t, 32> half{};
  // half = floor(order / 2)
  int carry = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const int value = (carry * 256) + order[i];
    half[i] = static_cast<std::uint8_t>(value / 2);
    carry = value % 2;
  }
  const ByteView s(raw.data() + 32, 32);
  if (LessThan(half, s)) {
    std::array<std::uint8_t, 32> low{};
    Subtract(order, s, low.data());
    std::copy(low.begin(), low.end(), raw.begin() + 32);
  }
}

const EC_GROUP* P256Group() {
  static const core::EcGroupPtr group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  return group.get();
}

core::Result<Bytes> PointToOctets(const EC_POINT* point, point_conversion_form_t form) {
  Bytes out(form == POINT_CONVERSION_COMPRESSED ? 33 : 65);
  if (EC_POINT_point2oct(P256Group(), point, form, out.data(), out.size(), nullptr) != out.size()) {
    return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("EC_POINT_point2oct"));
  }
  return out;
}

core::Result<Bytes> EncodeSpki(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  if (len <= 0) {
    return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("i2d_PUBKEY"));
  }
  core::OpensslBytesPtr owner(der);
  return Bytes(der, der + len);  // NOLINT: OpenSSL hands out a pointer and a length
}

void PutBe32(std::uint32_t value, std::uint8_t* out) {
  for (int i = 3; i >= 0; --i) {
    out[i] = static_cast<std::uint8_t>(value & 0xffU);  // NOLINT: 4-byte buffer
    value >>= 8U;
  }
}

}  // namespace

core::Result<NumsKey> MakeNumsKey(const std::optional<core::Sha256Digest>& blockhash) {
  core::EcPointPtr point(EC_POINT_new(P256Group()));
  if (!point) {
    return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("EC_POINT_new"));
  }
  for (std::uint32_t counter = 0;; ++counter) {
    core::Sha256Hasher hasher;
    hasher.Update(core::AsBytes(kNumsSeed));
    if (blockhash) {
      hasher.Update(*blockhash);
    }
    std::array<std::uint8_t, 4> be{};
    PutBe32(counter, be.data());
    hasher.Update(be);
    const core::Sha256Digest h = hasher.Finish();
    for (const std::uint8_t prefix : {std::uint8_t{0x02}, std::uint8_t{0x03}}) {
      Bytes candidate;
      candidate.reserve(33);
      candidate.push_back(prefix);
      candidate.insert(candidate.end(), h.begin(), h.end());
      if (EC_POINT_oct2point(P256Group(), point.get(), candidate.data(), candidate.size(),
                             nullptr) != 1) {
        ERR_clear_error();  // not on the curve: try the next candidate
        continue;
      }
      auto uncompressed = PointToOctets(point.get(), POINT_CONVERSION_UNCOMPRESSED);
      if (!uncompressed) {
        return Fail(uncompressed.error());
      }
      auto key = core::MakeEcKey(core::Curve::kP256, *uncompressed);
      if (!key) {
        return Fail(key.error());
      }
      auto der = EncodeSpki(key->get());
      if (!der) {
        return Fail(der.error());
      }
      return NumsKey{counter, std::move(candidate), std::move(*der)};
    }
    if (counter == UINT32_MAX) {
      break;
    }
  }
  return Fail(ErrorCode::kInternal, "the NUMS counter overflowed");
}

core::Result<core::SecretBytes> SecretToSecp256k1Key(const core::SecretBytes& secret) {
  if (secret.size() != 32) {
    return Fail(ErrorCode::kInvalidArgument,
                "a secret of " + std::to_string(secret.size()) + " bytes (32 expected)");
  }
  core::SecretBytes out(secret.View());
  // reproducible-key.md 3: increment until 0 < s < n. From s = 0 the next value, 1, is valid;
  // from s >= n the increments run through 2^256 - 1, wrap to 0 (invalid) and reach 1. Both
  // cases end at 1, which is computed directly instead of looping up to 2^128 times.
  if (secp256k1_ec_seckey_verify(secp256k1_context_static, out.MutableData()) != 1) {
    std::fill(out.MutableData(), out.MutableData() + 32, std::uint8_t{0});  // NOLINT
    out.MutableData()[31] = 1;                                              // NOLINT
  }
  return out;
}

core::Result<Secp256k1Key> Secp256k1Key::FromSecret(core::SecretBytes secret,
                                                    const secp256k1_context* ctx) {
  if (secret.size() != 32 || secp256k1_ec_seckey_verify(ctx, secret.View().data()) != 1) {
    return Fail(ErrorCode::kInvalidArgument, "not a valid secp256k1 secret key");
  }
  core::SecretBytes keypair(sizeof(secp256k1_keypair));
  // The keypair struct is an opaque byte array (alignment 1): it lives in secret memory.
  auto* pair = reinterpret_cast<secp256k1_keypair*>(keypair.MutableData());  // NOLINT
  secp256k1_pubkey pubkey;
  secp256k1_xonly_pubkey xonly;
  if (secp256k1_keypair_create(ctx, pair, secret.View().data()) != 1 ||
      secp256k1_keypair_pub(ctx, &pubkey, pair) != 1 ||
      secp256k1_keypair_xonly_pub(ctx, &xonly, nullptr, pair) != 1) {
    return Fail(ErrorCode::kInternal, "secp256k1_keypair_create failed");
  }
  Secp256k1Key key(std::move(secret), std::move(keypair), ctx);
  key.compressed_.resize(33);
  key.uncompressed_.resize(65);
  key.x_only_.resize(32);
  std::size_t len = key.compressed_.size();
  if (secp256k1_ec_pubkey_serialize(ctx, key.compressed_.data(), &len, &pubkey,
                                    SECP256K1_EC_COMPRESSED) != 1) {
    return Fail(ErrorCode::kInternal, "secp256k1_ec_pubkey_serialize failed");
  }
  len = key.uncompressed_.size();
  if (secp256k1_ec_pubkey_serialize(ctx, key.uncompressed_.data(), &len, &pubkey,
                                    SECP256K1_EC_UNCOMPRESSED) != 1 ||
      secp256k1_xonly_pubkey_serialize(ctx, key.x_only_.data(), &xonly) != 1) {
    return Fail(ErrorCode::kInternal, "secp256k1 public key serialisation failed");
  }
  return key;
}

core::Result<Secp256k1Key> Secp256k1Key::Generate(const secp256k1_context* ctx) {
  core::SecretBytes secret(32);
  // A uniformly random 32-byte string is a valid key except with probability ~2^-128.
  for (int attempt = 0; attempt < 64; ++attempt) {
    if (RAND_priv_bytes(secret.MutableData(), 32) != 1) {
      return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("RAND_priv_bytes"));
    }
    if (secp256k1_ec_seckey_verify(ctx, secret.View().data()) == 1) {
      return FromSecret(std::move(secret), ctx);
    }
  }
  return Fail(ErrorCode::kInternal, "the random generator gave no valid secp256k1 key");
}

core::Result<EcdsaSignature> Secp256k1Key::SignEcdsa(const core::Sha256Digest& digest) const {
  secp256k1_ecdsa_signature sig;
  // RFC 6979 nonce; libsecp256k1 always produces low-S signatures.
  if (secp256k1_ecdsa_sign(ctx_, &sig, digest.data(), secret_.View().data(), nullptr, nullptr) !=
      1) {
    return Fail(ErrorCode::kInternal, "secp256k1_ecdsa_sign failed");
  }
  EcdsaSignature out;
  out.der.resize(72);
  std::size_t der_len = out.der.size();
  out.compact.resize(64);
  if (secp256k1_ecdsa_signature_serialize_der(ctx_, out.der.data(), &der_len, &sig) != 1 ||
      secp256k1_ecdsa_signature_serialize_compact(ctx_, out.compact.data(), &sig) != 1) {
    return Fail(ErrorCode::kInternal, "secp256k1 signature serialisation failed");
  }
  out.der.resize(der_len);
  return out;
}

core::Result<Bip340Signature> Secp256k1Key::SignBip340(ByteView message,
                                                       const AuxRand* aux_rand) const {
  AuxRand fresh{};
  if (aux_rand == nullptr) {
    if (RAND_bytes(fresh.data(), static_cast<int>(fresh.size())) != 1) {
      return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("RAND_bytes"));
    }
    aux_rand = &fresh;
  }
  secp256k1_schnorrsig_extraparams params = SECP256K1_SCHNORRSIG_EXTRAPARAMS_INIT;
  params.ndata = const_cast<std::uint8_t*>(aux_rand->data());  // NOLINT: read-only use
  Bip340Signature sig{};
  const auto* pair = reinterpret_cast<const secp256k1_keypair*>(keypair_.View().data());  // NOLINT
  if (secp256k1_schnorrsig_sign_custom(ctx_, sig.data(), message.data(), message.size(), pair,
                                       &params) != 1) {
    return Fail(ErrorCode::kInternal, "secp256k1_schnorrsig_sign_custom failed");
  }
  return sig;
}

core::Result<core::SecretBytes> DeriveWalletScalar(const core::SecretBytes& signing_secret) {
  if (signing_secret.size() != 32) {
    return Fail(ErrorCode::kInvalidArgument, "the signing secret must be 32 bytes");
  }
  for (std::uint32_t counter = 0; counter < 1024; ++counter) {
    Bytes info(kWalletKeyInfo.begin(), kWalletKeyInfo.end());
    info.resize(info.size() + 4);
    PutBe32(counter, info.data() + info.size() - 4);
    auto scalar = core::HkdfSha256(signing_secret.View(), {}, info, 32);
    if (!scalar) {
      return Fail(scalar.error());
    }
    if (!core::IsAllZero(scalar->View()) && LessThan(scalar->View(), kP256Order)) {
      return std::move(*scalar);
    }
  }
  return Fail(ErrorCode::kInternal, "HKDF gave no valid P-256 scalar");
}

core::Result<P256Key> P256Key::FromScalar(const core::SecretBytes& scalar) {
  if (scalar.size() != 32 || core::IsAllZero(scalar.View()) ||
      !LessThan(scalar.View(), kP256Order)) {
    return Fail(ErrorCode::kInvalidArgument, "not a valid P-256 scalar");
  }
  core::BignumPtr priv(BN_secure_new());
  core::EcPointPtr point(EC_POINT_new(P256Group()));
  if (!priv || !point ||
      BN_bin2bn(scalar.View().data(), static_cast<int>(scalar.size()), priv.get()) == nullptr ||
      EC_POINT_mul(P256Group(), point.get(), priv.get(), nullptr, nullptr, nullptr) != 1) {
    return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("P-256 public key"));
  }
  BN_set_flags(priv.get(), BN_FLG_CONSTTIME);
  auto uncompressed = PointToOctets(point.get(), POINT_CONVERSION_UNCOMPRESSED);
  if (!uncompressed) {
    return Fail(uncompressed.error());
  }
  auto pkey = core::MakeEcKey(core::Curve::kP256, *uncompressed, priv.get());
  BN_clear(priv.get());
  if (!pkey) {
    return Fail(pkey.error());
  }
  auto der = EncodeSpki(pkey->get());
  if (!der) {
    return Fail(der.error());
  }
  P256Key key(std::move(*pkey));
  key.uncompressed_ = std::move(*uncompressed);
  key.spki_der_ = std::move(*der);
  return key;
}

core::Result<EcdsaSignature> P256Key::SignDigest(const core::Sha256Digest& digest) const {
  core::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr));
  std::size_t der_len = 0;
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
      EVP_PKEY_sign(ctx.get(), nullptr, &der_len, digest.data(), digest.size()) != 1) {
    return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("EVP_PKEY_sign"));
  }
  Bytes der(der_len);
  if (EVP_PKEY_sign(ctx.get(), der.data(), &der_len, digest.data(), digest.size()) != 1) {
    return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("EVP_PKEY_sign"));
  }
  der.resize(der_len);
  auto raw = core::DerSignatureToRaw(der, core::Curve::kP256);
  if (!raw) {
    return Fail(ErrorCode::kInternal, "OpenSSL produced an undecodable signature");
  }
  NormaliseLowS(*raw, kP256Order);
  auto normalised_der = core::RawSignatureToDer(*raw, core::Curve::kP256);
  if (!normalised_der) {
    return Fail(ErrorCode::kInternal, "cannot encode the signature");
  }
  return EcdsaSignature{std::move(*normalised_der), std::move(*raw)};
}

core::Result<KeyPair> MakeKeyPair(const core::SecretBytes& secret, const secp256k1_context* ctx) {
  auto signing_secret = SecretToSecp256k1Key(secret);
  if (!signing_secret) {
    return Fail(signing_secret.error());
  }
  auto scalar = DeriveWalletScalar(*signing_secret);
  if (!scalar) {
    return Fail(scalar.error());
  }
  auto wallet = P256Key::FromScalar(*scalar);
  if (!wallet) {
    return Fail(wallet.error());
  }
  auto signing = Secp256k1Key::FromSecret(std::move(*signing_secret), ctx);
  if (!signing) {
    return Fail(signing.error());
  }
  return KeyPair{std::move(*signing), std::move(*wallet)};
}

}  // namespace enclavectl::app
