#include "enclavectl/core/pem.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <limits>
#include <new>
#include <string_view>

namespace enclavectl::core {
namespace {

constexpr std::string_view kArmour = "-----BEGIN ";

// A read-only memory BIO over `bytes`; throws bad_alloc when OpenSSL cannot allocate one.
BioPtr MemoryBio(ByteView bytes) {
  BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
  if (!bio) {
    throw std::bad_alloc();
  }
  return bio;
}

// Never asks for a passphrase: an encrypted key is refused instead of prompting.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) { return -1; }

bool TooLarge(ByteView bytes) noexcept {
  return bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max());
}

}  // namespace

bool HasPemArmour(ByteView bytes) noexcept {
  return AsChars(bytes).find(kArmour) != std::string_view::npos;
}

Result<X509Ptr> ReadCertificate(ByteView pem_or_der) {
  if (pem_or_der.empty()) {
    return Fail(ErrorCode::kCertParse, "not a certificate in PEM or DER: the input is empty");
  }
  if (TooLarge(pem_or_der)) {
    return Fail(ErrorCode::kCertParse, "not a certificate in PEM or DER: too large");
  }
  if (HasPemArmour(pem_or_der)) {
    BioPtr bio = MemoryBio(pem_or_der);
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr));
    static_cast<void>(DrainOpensslErrors(""));
    if (!cert) {
      return Fail(ErrorCode::kCertParse,
                  "not a certificate in PEM or DER: no valid PEM CERTIFICATE block");
    }
    return cert;
  }
  const unsigned char* in = pem_or_der.data();
  X509Ptr cert(d2i_X509(nullptr, &in, static_cast<long>(pem_or_der.size())));  // NOLINT
  static_cast<void>(DrainOpensslErrors(""));
  if (!cert) {
    return Fail(ErrorCode::kCertParse,
                "not a certificate in PEM or DER: no PEM armour and not a DER certificate");
  }
  if (in != pem_or_der.data() + pem_or_der.size()) {  // NOLINT
    return Fail(ErrorCode::kCertParse,
                "not a certificate in PEM or DER: bytes follow the DER certificate");
  }
  return cert;
}

Bytes CertificateDer(const X509* cert) {
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert, &der);
  const OpensslBytesPtr owner(der);
  if (len <= 0) {
    throw std::bad_alloc();  // re-encoding a parsed certificate fails only without memory
  }
  return Bytes(der, der + len);  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
}

std::string CertificatePem(const X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    throw std::bad_alloc();
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT
  return std::string(data, static_cast<std::size_t>(len));
}

Result<EvpPkeyPtr> ReadPrivateKey(const SecretBytes& pem_or_der, ErrorCode code) {
  const ByteView bytes = pem_or_der.View();
  if (bytes.empty()) {
    return Fail(code, "not a private key in PEM or DER: the input is empty");
  }
  if (TooLarge(bytes)) {
    return Fail(code, "not a private key in PEM or DER: too large");
  }
  EvpPkeyPtr key;
  if (HasPemArmour(bytes)) {
    BioPtr bio = MemoryBio(bytes);
    key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  } else {
    const unsigned char* in = bytes.data();
    key.reset(d2i_AutoPrivateKey(nullptr, &in, static_cast<long>(bytes.size())));  // NOLINT
    if (key && in != bytes.data() + bytes.size()) {                                // NOLINT
      key.reset();
    }
  }
  // The reason from OpenSSL's queue is dropped: the message stays generic on purpose.
  static_cast<void>(DrainOpensslErrors(""));
  if (!key) {
    return Fail(code, HasPemArmour(bytes) ? "not a private key in PEM or DER: no valid (and "
                                            "unencrypted) PEM private key"
                                          : "not a private key in PEM or DER: no PEM armour "
                                            "and not a DER (PKCS#8 or SEC1) private key");
  }
  return key;
}

Result<EvpPkeyPtr> ReadPublicKey(ByteView pem_or_der, ErrorCode code) {
  if (pem_or_der.empty()) {
    return Fail(code, "not a public key in PEM or DER: the input is empty");
  }
  if (TooLarge(pem_or_der)) {
    return Fail(code, "not a public key in PEM or DER: too large");
  }
  EvpPkeyPtr key;
  if (HasPemArmour(pem_or_der)) {
    BioPtr bio = MemoryBio(pem_or_der);
    key.reset(PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr));
  } else {
    const unsigned char* in = pem_or_der.data();
    key.reset(d2i_PUBKEY(nullptr, &in, static_cast<long>(pem_or_der.size())));  // NOLINT
    if (key && in != pem_or_der.data() + pem_or_der.size()) {                   // NOLINT
      key.reset();
    }
  }
  static_cast<void>(DrainOpensslErrors(""));
  if (!key) {
    return Fail(code, HasPemArmour(pem_or_der)
                          ? "not a public key in PEM or DER: no valid PEM PUBLIC KEY block"
                          : "not a public key in PEM or DER: no PEM armour and not a DER "
                            "SubjectPublicKeyInfo");
  }
  return key;
}

Bytes PublicKeyDer(const EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  const OpensslBytesPtr owner(der);
  if (len <= 0) {
    throw std::bad_alloc();
  }
  return Bytes(der, der + len);  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
}

}  // namespace enclavectl::core
