// The signature section (eif.md section 8): a CBOR array of PcrSignature maps whose byte
// vectors are CBOR arrays of unsigned integers, each holding a PEM certificate and an
// untagged COSE_Sign1 over {register_index: 0, register_value: PCR0}. Also the certificate
// and key handling that signing and PCR8 need. Pure: bytes in, values out.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"

namespace enclavectl::eif {

// One PcrSignature element.
struct SignatureEntry {
  core::Bytes signing_certificate;  // the certificate file's bytes (PEM)
  core::Bytes signature;            // COSE_Sign1 bytes
  friend bool operator==(const SignatureEntry&, const SignatureEntry&) = default;
};

// Decodes a signature section (untrusted): a CBOR array of at least one map with the keys
// "signing_certificate" and "signature", each an array of unsigned integers 0..255 (other
// keys are ignored, as serde does). Fails with kEifSectionTooLarge (above
// kMaxEifSignatureBytes) or kEifSignatureMalformed (detail says what; trailing bytes after
// the CBOR item are rejected like newer upstream readers do).
[[nodiscard]] core::Result<std::vector<SignatureEntry>> DecodeSignatureSection(
    core::ByteView bytes);

// The section bytes as upstream writes them (serde_cbor: definite lengths, shortest forms).
core::Bytes EncodeSignatureSection(const std::vector<SignatureEntry>& entries);

// CBOR of {"register_index": index, "register_value": value as an array of uints}: the
// payload that the COSE_Sign1 of an image signs (eif.md 8.2).
core::Bytes EncodePcrPayload(std::uint32_t register_index, core::ByteView register_value);

// A parsed certificate and its DER encoding.
struct Certificate {
  core::X509Ptr x509;
  core::Bytes der;
};

// Parses the first CERTIFICATE block of PEM text (untrusted) like nitro-cli's
// X509::from_pem: the form embedded in a signature section. Fails with kCertParse.
[[nodiscard]] core::Result<Certificate> ParseCertificatePem(core::ByteView pem);

// A certificate file as a user gives it: PEM or DER (core::ReadCertificate). Fails with
// kCertParse, "not a certificate in PEM or DER: ...".
[[nodiscard]] core::Result<Certificate> ParseCertificate(core::ByteView pem_or_der);

// What describe-eif prints about the signing certificate (eif.md 12.3).
struct CertificateInfo {
  std::map<std::string, std::string> issuer;  // OpenSSL long attribute name -> value
  std::string algorithm;                      // e.g. "ecdsa-with-SHA384"
  std::string not_before;                     // OpenSSL text, "Nov 21 16:37:10 2026 GMT"
  std::string not_after;
  std::string signature;  // the certificate's signature, "30:64:02:..." upper-case hex
};
CertificateInfo DescribeCertificate(const X509* cert);

// Parses an EC private key (PEM or DER, PKCS#8 or SEC1; untrusted file content;
// core::ReadPrivateKey). The key must be P-256 or P-384 (ES256 / ES384). Fails with
// kEifSigningKey.
[[nodiscard]] core::Result<core::EvpPkeyPtr> ParseSigningKeyPem(const core::SecretBytes& pem);

// A signer: the certificate's PEM bytes (embedded verbatim; a DER certificate as its PEM)
// and the matching key.
struct Signer {
  core::Bytes certificate_pem;
  Certificate certificate;
  core::EvpPkeyPtr key;
};

// Builds a Signer from a certificate and key in PEM or DER and checks that the key is the
// certificate's. Fails with kCertParse or kEifSigningKey.
[[nodiscard]] core::Result<Signer> MakeSigner(core::ByteView certificate_pem,
                                              const core::SecretBytes& key_pem);

// Signs {0, pcr0} with ES256/ES384 (by the key's curve); returns the section element.
// Fails with kInternal when OpenSSL fails.
[[nodiscard]] core::Result<SignatureEntry> SignPcr0(const Signer& signer, core::ByteView pcr0);

// Verifies one element against the image's recomputed PCR0 (eif.md 8.4): the COSE_Sign1
// must verify with the certificate's key and its payload must equal EncodePcrPayload(0,
// pcr0). Fails with kEifSignatureMalformed (certificate or COSE undecodable),
// kEifSignatureInvalid (the ECDSA signature does not verify, or its algorithm does not fit
// the key) or kEifSignaturePcr0Mismatch.
[[nodiscard]] core::Status VerifySignatureEntry(const SignatureEntry& entry, core::ByteView pcr0);

}  // namespace enclavectl::eif
