#include "enclavectl/eif/signature.hpp"

#include <openssl/objects.h>
#include <openssl/pem.h>

#include <limits>
#include <string>
#include <utility>

#include "enclavectl/core/cbor.hpp"
#include "enclavectl/core/cose.hpp"
#include "enclavectl/core/ecdsa.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/pem.hpp"

namespace enclavectl::eif {
namespace {

using core::ErrorCode;
using core::Fail;
namespace cbor = core::cbor;

constexpr const char* kCertificateKey = "signing_certificate";
constexpr const char* kSignatureKey = "signature";

// serde's encoding of Vec<u8>: an array of unsigned integers.
cbor::Item ByteArray(core::ByteView bytes) {
  std::vector<cbor::Item> items;
  items.reserve(bytes.size());
  for (std::uint8_t b : bytes) {
    items.push_back(cbor::Item::Unsigned(b));
  }
  return cbor::Item::Array(std::move(items));
}

core::Result<core::Bytes> ByteArrayValue(const cbor::Item* item, const char* key, int index) {
  if (item == nullptr) {
    return Fail(ErrorCode::kEifSignatureMalformed, std::string("signature element has no ") + key,
                index);
  }
  if (item->type != cbor::Type::kArray) {
    return Fail(ErrorCode::kEifSignatureMalformed,
                std::string(key) + " is not an array of byte values", index);
  }
  core::Bytes out;
  out.reserve(item->children.size());
  for (const cbor::Item& b : item->children) {
    if (b.type != cbor::Type::kUnsigned || b.uint_value > 0xff) {
      return Fail(ErrorCode::kEifSignatureMalformed,
                  std::string(key) + " holds a value that is not a byte", index);
    }
    out.push_back(static_cast<std::uint8_t>(b.uint_value));
  }
  return out;
}

std::string Asn1TimeText(const ASN1_TIME* time) {
  core::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || ASN1_TIME_print(bio.get(), time) != 1) {
    return "";
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

}  // namespace

core::Result<std::vector<SignatureEntry>> DecodeSignatureSection(core::ByteView bytes) {
  if (bytes.size() > core::limits::kMaxEifSignatureBytes) {
    return Fail(ErrorCode::kEifSectionTooLarge,
                "signature section of " + std::to_string(bytes.size()) +
                    " bytes exceeds the limit of " +
                    std::to_string(core::limits::kMaxEifSignatureBytes));
  }
  // Every byte of a certificate is one CBOR item, so the item limits follow the size limit.
  cbor::DecodeLimits limits;
  limits.max_input_bytes = core::limits::kMaxEifSignatureBytes;
  limits.max_depth = 4;
  limits.max_items = core::limits::kMaxEifSignatureBytes;
  limits.max_container_entries = core::limits::kMaxEifSignatureBytes;
  auto decoded = cbor::Decode(bytes, limits);
  if (!decoded) {
    return Fail(ErrorCode::kEifSignatureMalformed, "signature section: " + decoded.error().detail);
  }
  if (decoded->type != cbor::Type::kArray || decoded->children.empty()) {
    return Fail(ErrorCode::kEifSignatureMalformed,
                "signature section is not a non-empty CBOR array");
  }
  std::vector<SignatureEntry> out;
  for (std::size_t i = 0; i < decoded->children.size(); ++i) {
    const cbor::Item& element = decoded->children[i];
    const int index = static_cast<int>(i);
    if (element.type != cbor::Type::kMap) {
      return Fail(ErrorCode::kEifSignatureMalformed, "signature element is not a map", index);
    }
    auto cert = ByteArrayValue(element.Find(kCertificateKey), kCertificateKey, index);
    if (!cert) {
      return Fail(cert.error());
    }
    auto signature = ByteArrayValue(element.Find(kSignatureKey), kSignatureKey, index);
    if (!signature) {
      return Fail(signature.error());
    }
    out.push_back(SignatureEntry{std::move(*cert), std::move(*signature)});
  }
  return out;
}

core::Bytes EncodeSignatureSection(const std::vector<SignatureEntry>& entries) {
  std::vector<cbor::Item> elements;
  for (const SignatureEntry& entry : entries) {
    cbor::Item map = cbor::Item::Map();
    map.Add(cbor::Item::TextString(kCertificateKey), ByteArray(entry.signing_certificate));
    map.Add(cbor::Item::TextString(kSignatureKey), ByteArray(entry.signature));
    elements.push_back(std::move(map));
  }
  return cbor::Encode(cbor::Item::Array(std::move(elements)));
}

core::Bytes EncodePcrPayload(std::uint32_t register_index, core::ByteView register_value) {
  cbor::Item map = cbor::Item::Map();
  map.Add(cbor::Item::TextString("register_index"), cbor::Item::Unsigned(register_index));
  map.Add(cbor::Item::TextString("register_value"), ByteArray(register_value));
  return cbor::Encode(map);
}

core::Result<Certificate> ParseCertificatePem(core::ByteView pem) {
  if (pem.empty()) {
    return Fail(ErrorCode::kCertParse, "the certificate is empty");
  }
  if (!core::HasPemArmour(pem)) {
    return Fail(ErrorCode::kCertParse, "not a certificate in PEM: no -----BEGIN armour");
  }
  return ParseCertificate(pem);
}

core::Result<Certificate> ParseCertificate(core::ByteView pem_or_der) {
  auto cert = core::ReadCertificate(pem_or_der);
  if (!cert) {
    return Fail(cert.error());
  }
  Certificate out;
  out.der = core::CertificateDer(cert->get());
  out.x509 = std::move(*cert);
  return out;
}

CertificateInfo DescribeCertificate(const X509* cert) {
  CertificateInfo info;
  const X509_NAME* issuer = X509_get_issuer_name(cert);
  for (int i = 0; i < X509_NAME_entry_count(issuer); ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(issuer, i);
    const int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry));
    const char* long_name = nid != NID_undef ? OBJ_nid2ln(nid) : nullptr;
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
    const core::OpensslBytesPtr owner(utf8);
    if (long_name != nullptr && len >= 0) {
      info.issuer[long_name] = std::string(reinterpret_cast<const char*>(utf8),
                                           static_cast<std::size_t>(len));  // NOLINT
    }
  }
  const int sig_nid = X509_get_signature_nid(cert);
  info.algorithm = sig_nid != NID_undef ? OBJ_nid2ln(sig_nid) : "unknown";
  info.not_before = Asn1TimeText(X509_get0_notBefore(cert));
  info.not_after = Asn1TimeText(X509_get0_notAfter(cert));
  const ASN1_BIT_STRING* signature = nullptr;
  X509_get0_signature(&signature, nullptr, cert);
  if (signature != nullptr) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    const unsigned char* data = ASN1_STRING_get0_data(signature);
    for (int i = 0; i < ASN1_STRING_length(signature); ++i) {
      const unsigned b = data[i];  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
      if (i > 0) {
        info.signature += ':';
      }
      info.signature += kHex[b >> 4];
      info.signature += kHex[b & 0xf];
    }
  }
  return info;
}

core::Result<core::EvpPkeyPtr> ParseSigningKeyPem(const core::SecretBytes& pem) {
  if (pem.empty()) {
    return Fail(ErrorCode::kEifSigningKey, "the private key file is empty");
  }
  auto key = core::ReadPrivateKey(pem, ErrorCode::kEifSigningKey);
  if (!key) {
    return Fail(key.error());
  }
  if (!core::CurveOf(key->get())) {
    return Fail(ErrorCode::kEifSigningKey, "the private key is not an EC P-256 or P-384 key");
  }
  return key;
}

core::Result<Signer> MakeSigner(core::ByteView certificate_pem, const core::SecretBytes& key_pem) {
  auto cert = ParseCertificate(certificate_pem);
  if (!cert) {
    return Fail(cert.error());
  }
  auto key = ParseSigningKeyPem(key_pem);
  if (!key) {
    return Fail(key.error());
  }
  if (X509_check_private_key(cert->x509.get(), key->get()) != 1) {
    static_cast<void>(core::DrainOpensslErrors("X509_check_private_key"));
    return Fail(ErrorCode::kEifSigningKey, "the private key does not belong to the certificate");
  }
  Signer signer;
  // PEM is embedded verbatim (as nitro-cli does); a DER certificate is embedded as its PEM.
  signer.certificate_pem =
      core::HasPemArmour(certificate_pem)
          ? core::ToBytes(certificate_pem)
          : core::ToBytes(core::AsBytes(core::CertificatePem(cert->x509.get())));
  signer.certificate = std::move(*cert);
  signer.key = std::move(*key);
  return signer;
}

core::Result<SignatureEntry> SignPcr0(const Signer& signer, core::ByteView pcr0) {
  auto sign1 = core::cose::SignEcdsa(signer.key.get(), EncodePcrPayload(0, pcr0));
  if (!sign1) {
    return Fail(sign1.error());
  }
  return SignatureEntry{signer.certificate_pem, core::cose::Encode(*sign1)};
}

core::Status VerifySignatureEntry(const SignatureEntry& entry, core::ByteView pcr0) {
  auto cert = ParseCertificatePem(entry.signing_certificate);
  if (!cert) {
    return Fail(ErrorCode::kEifSignatureMalformed, "signing certificate: " + cert.error().detail);
  }
  auto sign1 = core::cose::Decode(entry.signature);
  if (!sign1) {
    return Fail(ErrorCode::kEifSignatureMalformed, "COSE_Sign1: " + sign1.error().detail);
  }
  // eif.md 8.4: the signature is checked with the certificate's key before the payload.
  EVP_PKEY* key = X509_get0_pubkey(cert->x509.get());
  if (key == nullptr) {
    static_cast<void>(core::DrainOpensslErrors("X509_get0_pubkey"));
    return Fail(ErrorCode::kEifSignatureMalformed, "the signing certificate has no usable key");
  }
  auto verified = core::cose::VerifyEcdsa(*sign1, key);
  if (!verified) {
    return Fail(ErrorCode::kEifSignatureInvalid,
                "the COSE signature does not verify with the signing certificate: " +
                    verified.error().detail);
  }
  if (!core::Equal(sign1->payload, EncodePcrPayload(0, pcr0))) {
    return Fail(ErrorCode::kEifSignaturePcr0Mismatch,
                "the signed payload is not {register_index: 0, register_value: PCR0} of this "
                "image");
  }
  return core::Ok();
}

}  // namespace enclavectl::eif
