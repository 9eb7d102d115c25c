#include "enclavectl/verifier/trust.hpp"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "enclavectl/core/ecdsa.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/pem.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/verifier/chain.hpp"

namespace enclavectl::verifier {

// nsm.md section 5.3 / AWS "Verifying the root of trust".
const core::Sha256Digest kAwsNitroRootG1Sha256 = {
    0x64, 0x1A, 0x03, 0x21, 0xA3, 0xE2, 0x44, 0xEF, 0xE4, 0x56, 0x46, 0x31, 0x95, 0xD6, 0x06, 0x31,
    0x7E, 0xD7, 0xCD, 0xCC, 0x3C, 0x17, 0x56, 0xE0, 0x98, 0x93, 0xF3, 0xC6, 0x8F, 0x79, 0xBB, 0x5B};

// Generated at build time from share/aws_nitro_root_g1.pem.
extern const char kAwsNitroRootG1Pem[];

namespace {
using core::ErrorCode;
using core::Fail;
}  // namespace

core::Result<TrustAnchor> TrustAnchor::AwsNitroRoot() {
  auto anchor = FromPinnedPem(core::AsBytes(kAwsNitroRootG1Pem), kAwsNitroRootG1Sha256);
  if (!anchor) {
    core::Error error = anchor.error();
    error.detail = "the shipped AWS root (share/aws_nitro_root_g1.pem): " + error.detail;
    return Fail(std::move(error));
  }
  return anchor;
}

core::Result<TrustAnchor> TrustAnchor::FromPinnedPem(core::ByteView pem,
                                                     const core::Sha256Digest& pinned) {
  auto anchor = FromPem(pem);
  if (!anchor) {
    return anchor;
  }
  if (anchor->fingerprint_ != pinned) {
    return Fail(ErrorCode::kRootFingerprint, "root has SHA-256 fingerprint " +
                                                 core::HexEncode(anchor->fingerprint_) +
                                                 ", pinned " + core::HexEncode(pinned));
  }
  return anchor;
}

core::Result<TrustAnchor> TrustAnchor::FromPem(core::ByteView pem) {
  if (!core::HasPemArmour(pem)) {
    return Fail(ErrorCode::kCertParse, "not a certificate in PEM: no -----BEGIN armour");
  }
  return FromPemOrDer(pem);
}

core::Result<TrustAnchor> TrustAnchor::FromPemOrDer(core::ByteView pem_or_der) {
  if (pem_or_der.size() > static_cast<std::size_t>(INT32_MAX)) {
    return Fail(ErrorCode::kInputTooLarge, "root certificate input too large");
  }
  auto cert = core::ReadCertificate(pem_or_der);
  if (!cert) {
    return Fail(cert.error());
  }
  if (core::HasPemArmour(pem_or_der)) {
    core::BioPtr bio(BIO_new_mem_buf(pem_or_der.data(), static_cast<int>(pem_or_der.size())));
    if (!bio) {
      throw std::bad_alloc();
    }
    core::X509Ptr first(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    core::X509Ptr second(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    core::DrainOpensslErrors("");  // the expected "no start line" of the second read
    if (second) {
      return Fail(ErrorCode::kCertParse, "the root file holds more than one certificate");
    }
  }
  return FromDer(core::CertificateDer(cert->get()));
}

core::Result<TrustAnchor> TrustAnchor::FromDer(core::ByteView der) {
  const unsigned char* in = der.data();
  core::X509Ptr cert(d2i_X509(nullptr, &in, static_cast<long>(der.size())));  // NOLINT
  if (!cert || in != der.data() + der.size()) {                               // NOLINT
    core::DrainOpensslErrors("");
    return Fail(ErrorCode::kCertParse,
                "not a certificate in DER: the root is not one DER "
                "certificate");
  }
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  if (core::CurveOf(key) != core::Curve::kP384) {
    return Fail(ErrorCode::kCertKeyType, "the root key is not an EC P-384 key", 0);
  }
  if (X509_check_ca(cert.get()) < 1 || X509_check_issued(cert.get(), cert.get()) != X509_V_OK ||
      X509_verify(cert.get(), key) != 1) {
    core::DrainOpensslErrors("");
    return Fail(ErrorCode::kCertConstraints, "the root is not a self-signed CA certificate", 0);
  }
  TrustAnchor out;
  out.der_ = core::ToBytes(der);
  out.fingerprint_ = core::Sha256(der);
  out.is_aws_ = out.fingerprint_ == kAwsNitroRootG1Sha256;
  out.subject_ = DescribeCertificate(cert.get()).subject;
  out.store_.reset(X509_STORE_new());
  if (!out.store_ || X509_STORE_add_cert(out.store_.get(), cert.get()) != 1) {
    throw std::bad_alloc();
  }
  out.cert_ = std::move(cert);
  return out;
}

std::string TrustAnchor::Describe() const {
  if (is_aws_) {
    return "AWS Nitro Enclaves root G1";
  }
  return "custom root " + subject_;
}

}  // namespace enclavectl::verifier
