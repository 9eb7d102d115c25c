#include "enclavectl/core/ecdsa.hpp"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>

#include <cstring>
#include <new>
#include <string>

#include "enclavectl/core/p384.hpp"

namespace enclavectl::core {
namespace {

const EVP_MD* DigestFor(Curve curve) noexcept {
  return curve == Curve::kP256 ? EVP_sha256() : EVP_sha384();
}

}  // namespace

std::size_t CoordinateSize(Curve curve) noexcept { return curve == Curve::kP256 ? 32 : 48; }

std::optional<Curve> CurveOf(const EVP_PKEY* key) noexcept {
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) {
    return std::nullopt;
  }
  char name[64] = {};  // NOLINT(modernize-avoid-c-arrays): OpenSSL out-buffer
  std::size_t name_len = 0;
  if (EVP_PKEY_get_group_name(key, name, sizeof(name), &name_len) != 1) {
    return std::nullopt;
  }
  const std::string_view group(name, name_len);
  if (group == "prime256v1" || group == "P-256") {
    return Curve::kP256;
  }
  if (group == "secp384r1" || group == "P-384") {
    return Curve::kP384;
  }
  return std::nullopt;
}

Result<EvpPkeyPtr> MakeEcKey(Curve curve, ByteView public_octets, const BIGNUM* private_key) {
  OsslParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!builder ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                      curve == Curve::kP256 ? "prime256v1" : "secp384r1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, public_octets.data(),
                                       public_octets.size()) != 1 ||
      (private_key != nullptr &&
       OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_PRIV_KEY, private_key) != 1)) {
    throw std::bad_alloc();
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw,
                        private_key != nullptr ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        params.get()) != 1) {
    return Fail(ErrorCode::kInputEncoding, DrainOpensslErrors("not an EC public key"));
  }
  EvpPkeyPtr key(raw);
  // fromdata does not check that the point is on the curve; the public-key check does.
  EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    return Fail(ErrorCode::kInputEncoding, DrainOpensslErrors("not a point on the curve"));
  }
  return key;
}

Result<Bytes> RawSignatureToDer(ByteView raw, Curve curve) {
  const std::size_t n = CoordinateSize(curve);
  if (raw.size() != 2 * n) {
    return Fail(ErrorCode::kCoseSignatureLength, "signature is " + std::to_string(raw.size()) +
                                                     " bytes, expected " + std::to_string(2 * n) +
                                                     " (raw r||s)");
  }
  BignumPtr r(BN_bin2bn(raw.data(), static_cast<int>(n), nullptr));
  BignumPtr s(BN_bin2bn(raw.data() + n, static_cast<int>(n), nullptr));  // NOLINT
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    throw std::bad_alloc();
  }
  // ECDSA_SIG_set0 took ownership of r and s.
  static_cast<void>(r.release());
  static_cast<void>(s.release());
  const int der_len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (der_len <= 0) {
    throw std::bad_alloc();
  }
  Bytes der(static_cast<std::size_t>(der_len));
  unsigned char* out = der.data();
  if (i2d_ECDSA_SIG(sig.get(), &out) != der_len) {
    throw std::bad_alloc();
  }
  return der;
}

Result<Bytes> DerSignatureToRaw(ByteView der, Curve curve) {
  const unsigned char* in = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &in, static_cast<long>(der.size())));  // NOLINT
  if (!sig || in != der.data() + der.size()) {                                  // NOLINT
    return Fail(ErrorCode::kInputEncoding, DrainOpensslErrors("invalid DER ECDSA signature"));
  }
  const std::size_t n = CoordinateSize(curve);
  Bytes raw(2 * n);
  const BIGNUM* r = ECDSA_SIG_get0_r(sig.get());
  const BIGNUM* s = ECDSA_SIG_get0_s(sig.get());
  if (BN_bn2binpad(r, raw.data(), static_cast<int>(n)) != static_cast<int>(n) ||
      BN_bn2binpad(s, raw.data() + n, static_cast<int>(n)) != static_cast<int>(n)) {  // NOLINT
    return Fail(ErrorCode::kInputEncoding, "ECDSA r or s is larger than the curve order");
  }
  return raw;
}

Result<EvpPkeyPtr> GenerateEcKey(Curve curve) {
  EvpPkeyPtr key(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve == Curve::kP256 ? "P-256" : "P-384"));
  if (!key) {
    return Fail(ErrorCode::kInternal, DrainOpensslErrors("EC key generation failed"));
  }
  return key;
}

Result<Bytes> EcdsaSignRaw(EVP_PKEY* key, ByteView message) {
  const std::optional<Curve> curve = CurveOf(key);
  if (!curve) {
    return Fail(ErrorCode::kInvalidArgument, "signing key is not a P-256 or P-384 key");
  }
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t der_len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, DigestFor(*curve), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &der_len, message.data(), message.size()) != 1) {
    return Fail(ErrorCode::kInternal, DrainOpensslErrors("ECDSA signing failed"));
  }
  Bytes der(der_len);
  if (EVP_DigestSign(ctx.get(), der.data(), &der_len, message.data(), message.size()) != 1) {
    return Fail(ErrorCode::kInternal, DrainOpensslErrors("ECDSA signing failed"));
  }
  der.resize(der_len);
  return DerSignatureToRaw(der, *curve);
}

Status EcdsaVerifyRaw(EVP_PKEY* key, ByteView message, ByteView raw_signature) {
  const std::optional<Curve> curve = CurveOf(key);
  if (!curve) {
    return Fail(ErrorCode::kCertKeyType, "verification key is not a P-256 or P-384 key");
  }
  if (*curve == Curve::kP384) {
    // Nettle's P-384 (core/p384.hpp): the same checks, in about half the time.
    auto point = p384::PublicPoint(key);
    if (!point) {
      return Fail(point.error());
    }
    return p384::Verify(*point, message, raw_signature);
  }
  auto der = RawSignatureToDer(raw_signature, *curve);
  if (!der) {
    return Fail(der.error());
  }
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, DigestFor(*curve), nullptr, key) != 1) {
    return Fail(ErrorCode::kInternal, DrainOpensslErrors("ECDSA verification setup failed"));
  }
  if (EVP_DigestVerify(ctx.get(), der->data(), der->size(), message.data(), message.size()) != 1) {
    DrainOpensslErrors("");  // the reason is always "bad signature"; keep the queue clean
    return Fail(ErrorCode::kSignatureInvalid, "the ECDSA signature does not verify");
  }
  return Ok();
}

}  // namespace enclavectl::core
