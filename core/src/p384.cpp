#include "enclavectl/core/p384.hpp"

#include <gmp.h>
#include <nettle/ecc.h>
#include <nettle/ecdsa.h>
#include <openssl/core_names.h>

#include <new>

#include <nettle/ecc-curve.h>

#include "enclavectl/core/ecdsa.hpp"

namespace enclavectl::core::p384 {
namespace {

// An mpz_t that is cleared on every path.
class Mpz {
 public:
  Mpz() { mpz_init(value_); }
  ~Mpz() { mpz_clear(value_); }
  Mpz(const Mpz&) = delete;
  Mpz& operator=(const Mpz&) = delete;

  void SetBigEndian(const std::uint8_t* data, std::size_t size) {
    mpz_import(value_, size, 1, 1, 1, 0, data);
  }
  mpz_ptr get() { return value_; }

 private:
  mpz_t value_;
};

class NettlePoint {
 public:
  NettlePoint() { ecc_point_init(&point_, nettle_get_secp_384r1()); }
  ~NettlePoint() { ecc_point_clear(&point_); }
  NettlePoint(const NettlePoint&) = delete;
  NettlePoint& operator=(const NettlePoint&) = delete;
  ecc_point* get() { return &point_; }

 private:
  ecc_point point_;
};

class NettleSignature {
 public:
  NettleSignature() { dsa_signature_init(&signature_); }
  ~NettleSignature() { dsa_signature_clear(&signature_); }
  NettleSignature(const NettleSignature&) = delete;
  NettleSignature& operator=(const NettleSignature&) = delete;
  dsa_signature* get() { return &signature_; }

 private:
  dsa_signature signature_;
};

}  // namespace

Result<Point> PublicPoint(const EVP_PKEY* key) {
  if (CurveOf(key) != Curve::kP384) {
    return Fail(ErrorCode::kCertKeyType, "the key is not a P-384 key");
  }
  Point point{};
  std::size_t size = 0;
  // The uncompressed form is what OpenSSL exports by default (point-format uncompressed).
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point.data(),
                                      point.size(), &size) != 1 ||
      size != kPointSize || point[0] != 0x04) {
    DrainOpensslErrors("");
    return Fail(ErrorCode::kCertKeyType, "the P-384 key has no uncompressed public point");
  }
  return point;
}

Status VerifyDigest(ByteView public_point, const Sha384Digest& digest, ByteView raw_signature) {
  if (raw_signature.size() != 2 * kScalarSize) {
    return Fail(ErrorCode::kCoseSignatureLength,
                "a P-384 signature is 96 bytes, got " + std::to_string(raw_signature.size()));
  }
  if (public_point.size() != kPointSize || public_point[0] != 0x04) {
    return Fail(ErrorCode::kInputEncoding, "not an uncompressed P-384 point");
  }
  NettlePoint point;
  {
    Mpz x;
    Mpz y;
    x.SetBigEndian(public_point.data() + 1, kScalarSize);
    y.SetBigEndian(public_point.data() + 1 + kScalarSize, kScalarSize);
    // ecc_point_set refuses coordinates outside [0, p-1] and points off the curve.
    if (ecc_point_set(point.get(), x.get(), y.get()) != 1) {
      return Fail(ErrorCode::kInputEncoding, "the public point is not on P-384");
    }
  }
  NettleSignature signature;
  mpz_import(signature.get()->r, kScalarSize, 1, 1, 1, 0, raw_signature.data());
  mpz_import(signature.get()->s, kScalarSize, 1, 1, 1, 0, raw_signature.data() + kScalarSize);
  // ecdsa_verify refuses r or s outside [1, n-1] before any arithmetic.
  if (ecdsa_verify(point.get(), digest.size(), digest.data(), signature.get()) != 1) {
    return Fail(ErrorCode::kSignatureInvalid, "the ECDSA signature does not verify");
  }
  return Ok();
}

Status Verify(ByteView public_point, ByteView message, ByteView raw_signature) {
  return VerifyDigest(public_point, Sha384(message), raw_signature);
}

}  // namespace enclavectl::core::p384
