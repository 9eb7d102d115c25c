// Certificates and keys as files hold them: PEM (the "-----BEGIN" armour) or DER (binary).
// Errors are this project's words, never OpenSSL's queue text.
#pragma once

#include <string>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/error_codes.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"

namespace enclavectl::core {

// True when `bytes` contain PEM armour ("-----BEGIN "); anything else is read as DER.
bool HasPemArmour(ByteView bytes) noexcept;

// One X.509 certificate (untrusted file content): with PEM armour the first CERTIFICATE
// block, otherwise the whole input as one DER certificate with nothing after it. Fails with
// kCertParse, "not a certificate in PEM or DER: ...".
[[nodiscard]] Result<X509Ptr> ReadCertificate(ByteView pem_or_der);

// The DER and PEM encodings of a certificate.
Bytes CertificateDer(const X509* cert);
std::string CertificatePem(const X509* cert);

// A private key (untrusted file content): PEM (PKCS#8 "PRIVATE KEY", SEC1 "EC PRIVATE KEY")
// or DER (PKCS#8 or SEC1). Encrypted keys are refused (never prompts). Fails with `code`,
// "not a private key in PEM or DER" (no reason from the parser: key bytes stay out of
// messages).
[[nodiscard]] Result<EvpPkeyPtr> ReadPrivateKey(const SecretBytes& pem_or_der, ErrorCode code);

// A public key (untrusted file content): PEM "PUBLIC KEY" or DER SubjectPublicKeyInfo.
// Fails with `code`, "not a public key in PEM or DER: ...".
[[nodiscard]] Result<EvpPkeyPtr> ReadPublicKey(ByteView pem_or_der, ErrorCode code);

// The DER SubjectPublicKeyInfo of `key` (what `nsm attest --public-key` embeds).
Bytes PublicKeyDer(const EVP_PKEY* key);

}  // namespace enclavectl::core
