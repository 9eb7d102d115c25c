#include "enclavectl/app/seed_keys.hpp"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>

#include <algorithm>

#include "enclavectl/core/sha.hpp"
#include "enclavectl/ethereum/address.hpp"
#include "enclavectl/ethereum/signing.hpp"

namespace enclavectl::app {
namespace {

using core::ByteView;
using core::ErrorCode;
using core::Fail;

constexpr std::size_t kScalarLen = 32;

core::Result<core::EcGroupPtr> P256Group() {
  core::EcGroupPtr group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  if (!group) {
    return Fail(ErrorCode::kInternal, "P-256 group unavailable");
  }
  return group;
}

core::BignumPtr ToBignum(ByteView bytes) {
  return core::BignumPtr(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
}

bool ToBytes32(const BIGNUM* value, std::array<std::uint8_t, 32>& out) {
  return BN_bn2binpad(value, out.data(), static_cast<int>(out.size())) == 32;
}

// 0 < scalar < order, as a 32-byte big-endian value.
bool ValidP256Scalar(ByteView scalar, const EC_GROUP* group) {
  if (scalar.size() != kScalarLen) {
    return false;
  }
  core::BignumPtr value = ToBignum(scalar);
  return value && !BN_is_zero(value.get()) && BN_cmp(value.get(), EC_GROUP_get0_order(group)) < 0;
}

core::Result<core::Bytes> P256PublicKey(ByteView scalar) {
  auto group = P256Group();
  if (!group) {
    return Fail(group.error());
  }
  if (!ValidP256Scalar(scalar, group->get())) {
    return Fail(ErrorCode::kInvalidArgument, "not a P-256 secret scalar");
  }
  core::BignumPtr secret = ToBignum(scalar);
  core::BnCtxPtr ctx(BN_CTX_new());
  core::EcPointPtr point(EC_POINT_new(group->get()));
  if (!secret || !ctx || !point) {
    return Fail(ErrorCode::kInternal, "out of memory");
  }
  BN_set_flags(secret.get(), BN_FLG_CONSTTIME);
  core::Bytes out(65);
  if (EC_POINT_mul(group->get(), point.get(), secret.get(), nullptr, nullptr, ctx.get()) != 1 ||
      EC_POINT_point2oct(group->get(), point.get(), POINT_CONVERSION_UNCOMPRESSED, out.data(),
                         out.size(), ctx.get()) != out.size()) {
    return Fail(ErrorCode::kInternal, "P-256 public key computation failed");
  }
  return out;
}

// RFC 6979 3.2 state: K and V, HMAC-SHA256.
class HmacDrbg {
 public:
  HmacDrbg(ByteView secret, ByteView reduced_digest) {
    v_.fill(0x01);
    k_.fill(0x00);
    Reseed(0x00, secret, reduced_digest);  // 3.2 d, e
    Reseed(0x01, secret, reduced_digest);  // 3.2 f, g
  }
  ~HmacDrbg() {
    OPENSSL_cleanse(k_.data(), k_.size());
    OPENSSL_cleanse(v_.data(), v_.size());
  }
  HmacDrbg(const HmacDrbg&) = delete;
  HmacDrbg& operator=(const HmacDrbg&) = delete;

  // 3.2 h: the next candidate T (one block: qlen = hlen = 256).
  const std::array<std::uint8_t, 32>& Next() {
    v_ = Mac(v_);
    return v_;
  }
  // 3.2 h.3: after a rejected candidate.
  void Retry() {
    core::Bytes data(v_.begin(), v_.end());
    data.push_back(0x00);
    k_ = Mac(data);
    v_ = Mac(v_);
    OPENSSL_cleanse(data.data(), data.size());
  }
  bool ok() const { return ok_; }

 private:
  void Reseed(std::uint8_t separator, ByteView secret, ByteView reduced_digest) {
    core::SecretBytes data(v_.size() + 1 + secret.size() + reduced_digest.size());
    std::uint8_t* p = data.MutableData();
    p = std::copy(v_.begin(), v_.end(), p);
    *p++ = separator;
    p = std::copy(secret.begin(), secret.end(), p);
    std::copy(reduced_digest.begin(), reduced_digest.end(), p);
    k_ = Mac(data.View());
    v_ = Mac(v_);
  }
  std::array<std::uint8_t, 32> Mac(ByteView data) {
    std::array<std::uint8_t, 32> out{};
    unsigned int out_len = 0;
    if (HMAC(EVP_sha256(), k_.data(), static_cast<int>(k_.size()), data.data(), data.size(),
             out.data(), &out_len) == nullptr ||
        out_len != out.size()) {
      ok_ = false;
    }
    return out;
  }

  std::array<std::uint8_t, 32> k_{};
  std::array<std::uint8_t, 32> v_{};
  bool ok_ = true;
};

}  // namespace

core::Result<SeedSignature> SignP256Rfc6979(ByteView secret, const core::Sha256Digest& digest) {
  auto group = P256Group();
  if (!group) {
    return Fail(group.error());
  }
  const EC_GROUP* g = group->get();
  if (!ValidP256Scalar(secret, g)) {
    return Fail(ErrorCode::kInvalidArgument, "not a P-256 secret scalar");
  }
  const BIGNUM* order = EC_GROUP_get0_order(g);
  core::BnCtxPtr ctx(BN_CTX_secure_new());
  core::BignumPtr x(BN_secure_new());
  core::BignumPtr e = ToBignum(digest);
  core::BignumPtr k(BN_secure_new());
  core::BignumPtr k_inverse(BN_secure_new());
  core::BignumPtr r(BN_new());
  core::BignumPtr s(BN_new());
  core::BignumPtr rx(BN_new());
  core::EcPointPtr point(EC_POINT_new(g));
  if (!ctx || !x || !e || !k || !k_inverse || !r || !s || !rx || !point ||
      BN_bin2bn(secret.data(), static_cast<int>(secret.size()), x.get()) == nullptr) {
    return Fail(ErrorCode::kInternal, "out of memory");
  }
  BN_set_flags(x.get(), BN_FLG_CONSTTIME);
  BN_set_flags(k.get(), BN_FLG_CONSTTIME);
  // bits2octets(h1) (RFC 6979 2.3.4): qlen = hlen = 256, so one conditional subtraction of q.
  if (BN_cmp(e.get(), order) >= 0 && BN_sub(e.get(), e.get(), order) != 1) {
    return Fail(ErrorCode::kInternal, "BN_sub failed");
  }
  std::array<std::uint8_t, 32> reduced{};
  if (!ToBytes32(e.get(), reduced)) {
    return Fail(ErrorCode::kInternal, "BN_bn2binpad failed");
  }
  HmacDrbg drbg(secret, reduced);
  for (int attempt = 0; attempt < 64; ++attempt) {
    if (attempt > 0) {
      drbg.Retry();
    }
    const auto& candidate = drbg.Next();
    if (!drbg.ok() ||
        BN_bin2bn(candidate.data(), static_cast<int>(candidate.size()), k.get()) == nullptr) {
      return Fail(ErrorCode::kInternal, "HMAC-SHA256 failed");
    }
    if (BN_is_zero(k.get()) || BN_cmp(k.get(), order) >= 0) {
      continue;  // 3.2 h.3: k must lie in [1, q-1]
    }
    // r = x(kG) mod q; s = k^-1 (e + x r) mod q (SEC1 4.1.3).
    if (EC_POINT_mul(g, point.get(), k.get(), nullptr, nullptr, ctx.get()) != 1 ||
        EC_POINT_get_affine_coordinates(g, point.get(), rx.get(), nullptr, ctx.get()) != 1 ||
        BN_nnmod(r.get(), rx.get(), order, ctx.get()) != 1) {
      return Fail(ErrorCode::kInternal, "P-256 point multiplication failed");
    }
    if (BN_is_zero(r.get())) {
      continue;
    }
    if (BN_mod_inverse(k_inverse.get(), k.get(), order, ctx.get()) == nullptr ||
        BN_mod_mul(s.get(), x.get(), r.get(), order, ctx.get()) != 1 ||
        BN_mod_add(s.get(), s.get(), e.get(), order, ctx.get()) != 1 ||
        BN_mod_mul(s.get(), s.get(), k_inverse.get(), order, ctx.get()) != 1) {
      return Fail(ErrorCode::kInternal, "P-256 signature arithmetic failed");
    }
    if (BN_is_zero(s.get())) {
      continue;
    }
    SeedSignature out;
    if (!ToBytes32(r.get(), out.r) || !ToBytes32(s.get(), out.s)) {
      return Fail(ErrorCode::kInternal, "BN_bn2binpad failed");
    }
    return out;
  }
  return Fail(ErrorCode::kInternal, "RFC 6979 found no nonce");
}

core::Result<SeedWalletKey> SeedWalletKey::FromScalar(SeedRevision revision, ByteView scalar) {
  core::Result<core::Bytes> public_key = core::Bytes{};
  if (revision == SeedRevision::kV1) {
    public_key = P256PublicKey(scalar);
  } else {
    auto xy = ethereum::PublicKeyFromSecret(scalar);
    if (!xy) {
      return Fail(ErrorCode::kInvalidArgument, "not a secp256k1 secret key");
    }
    public_key = core::Bytes{0x04};
    public_key->insert(public_key->end(), xy->begin(), xy->end());
  }
  if (!public_key) {
    return Fail(public_key.error());
  }
  SeedWalletKey key(revision, core::SecretBytes(scalar));
  key.public_key_ = std::move(*public_key);
  return key;
}

core::Result<SeedWalletKey> SeedWalletKey::Generate(SeedRevision revision) {
  core::SecretBytes scalar(kScalarLen);
  for (int attempt = 0; attempt < 64; ++attempt) {
    if (RAND_priv_bytes(scalar.MutableData(), static_cast<int>(scalar.size())) != 1) {
      return Fail(ErrorCode::kInternal, "RAND_priv_bytes failed");
    }
    auto key = FromScalar(revision, scalar.View());
    if (key || key.error().code != ErrorCode::kInvalidArgument) {
      return key;  // out of range (probability about 2^-32): draw again
    }
  }
  return Fail(ErrorCode::kInternal, "no valid scalar drawn");
}

core::Result<SeedSignature> SeedWalletKey::Sign(ByteView data) const {
  if (revision_ == SeedRevision::kV1) {
    return SignP256Rfc6979(scalar_.View(), core::Sha256(data));
  }
  ethereum::Hash256 digest{};
  if (data.size() != digest.size()) {
    return Fail(ErrorCode::kSeedWalletRequestInvalid,
                "The provided data must be the same length as the hash algorithm's digest size.");
  }
  std::copy(data.begin(), data.end(), digest.begin());
  auto signature = ethereum::SignDigest(scalar_.View(), digest);
  if (!signature) {
    return Fail(signature.error());
  }
  return SeedSignature{signature->r, signature->s};
}

}  // namespace enclavectl::app
