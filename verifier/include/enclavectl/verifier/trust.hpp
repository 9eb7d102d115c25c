// Trust anchors (global verifier configuration): the pinned AWS Nitro Enclaves root, or an
// explicitly given custom root, each with a ready X509_STORE.
#pragma once

#include <string>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::verifier {

// SHA-256 of the DER of the AWS Nitro Enclaves root G1 (CN=aws.nitro-enclaves), as
// published by AWS: 641A0321A3E244EF...8F79BB5B (nsm.md section 5.3).
extern const core::Sha256Digest kAwsNitroRootG1Sha256;

// Move-only: it owns its certificate and store.
class TrustAnchor {
 public:
  // The AWS root shipped in share/aws_nitro_root_g1.pem (compiled in), checked against
  // kAwsNitroRootG1Sha256. Fails with kRootFingerprint if the shipped file was altered.
  [[nodiscard]] static core::Result<TrustAnchor> AwsNitroRoot();

  // A root from PEM text that must have the SHA-256 fingerprint `pinned` (of its DER).
  // Fails with kRootFingerprint on any other certificate, or as FromPem.
  [[nodiscard]] static core::Result<TrustAnchor> FromPinnedPem(core::ByteView pem,
                                                               const core::Sha256Digest& pinned);

  // A root from PEM text (untrusted file content). It must be one self-signed CA
  // certificate. If its fingerprint is the AWS root's, it is treated as the AWS root.
  // Fails with kCertParse, kCertConstraints (not a self-signed CA), kCertKeyType.
  [[nodiscard]] static core::Result<TrustAnchor> FromPem(core::ByteView pem);

  // The same from DER.
  [[nodiscard]] static core::Result<TrustAnchor> FromDer(core::ByteView der);

  // The same from a file's bytes in either form (`--root FILE`): PEM when it holds the
  // "-----BEGIN" armour, else DER (core::ReadCertificate). Errors never carry OpenSSL's
  // text: "not a certificate in PEM or DER: ...".
  [[nodiscard]] static core::Result<TrustAnchor> FromPemOrDer(core::ByteView pem_or_der);

  core::ByteView Der() const noexcept { return der_; }
  const core::Sha256Digest& Fingerprint() const noexcept { return fingerprint_; }
  bool IsAwsNitroRoot() const noexcept { return is_aws_; }
  // RFC 2253 subject, e.g. "CN=aws.nitro-enclaves,OU=AWS,O=Amazon,C=US".
  const std::string& Subject() const noexcept { return subject_; }
  // Human name: "AWS Nitro Enclaves root G1" or "custom root <subject>".
  std::string Describe() const;

  X509* Certificate() const noexcept { return cert_.get(); }
  // A store holding only this root, shared by every verification (read-only use).
  X509_STORE* Store() const noexcept { return store_.get(); }

 private:
  TrustAnchor() = default;

  core::Bytes der_;
  core::Sha256Digest fingerprint_{};
  bool is_aws_ = false;
  std::string subject_;
  core::X509Ptr cert_;
  core::X509StorePtr store_;
};

}  // namespace enclavectl::verifier
