// The local KMS's cryptography (pure: no files, no clock; randomness from OpenSSL's CSPRNG):
// key generation and import, the private ciphertext format of Encrypt/GenerateDataKey, and
// ECDH for DeriveSharedSecret.
//
// Ciphertext format (kms.md section 9; docs/design/0005-local-kms.md):
//   0x01 | key id (36 ASCII bytes) | IV (12) | AES-256-GCM ciphertext | tag (16)
// with the additional data "enclavectl-localkms-v1" | the 37-byte header | the canonical
// encoding of the encryption context (a 4-byte big-endian count, then for each entry sorted
// by key: 4-byte length, key, 4-byte length, value).
#pragma once

#include <optional>
#include <string>

#include "enclavectl/aws/kms_api.hpp"
#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"
#include "enclavectl/localkms/state.hpp"

namespace enclavectl::localkms {

struct KeyMaterial {
  core::SecretBytes material;  // as KeyRecord::material
  core::Bytes public_key;      // DER SubjectPublicKeyInfo; empty for symmetric keys
};

// Fresh material for `spec`. Fails with kInternal.
[[nodiscard]] core::Result<KeyMaterial> GenerateKeyMaterial(KeySpec spec);

// Material from a PEM private key (untrusted text: PKCS#8 or SEC1 "EC PRIVATE KEY") on
// P-256, P-384 or secp256k1; `out_spec` receives its spec. Fails with kKeyImport.
[[nodiscard]] core::Result<KeyMaterial> ImportPrivateKeyPem(core::ByteView pem, KeySpec& out_spec);

// Checks that `material` is a private key of `spec` whose public half is `public_key` (a
// state file read back). Fails with kLocalKmsState.
[[nodiscard]] core::Status CheckKeyMaterial(KeySpec spec, const core::SecretBytes& material,
                                            core::ByteView public_key);

// The canonical encoding of an encryption context (the AAD part above).
core::Bytes CanonicalContext(const aws::EncryptionContext& context);

// Encrypts `plaintext` under a symmetric key. Fails with kInternal.
[[nodiscard]] core::Result<core::Bytes> SealSymmetric(const KeyRecord& key,
                                                      core::ByteView plaintext,
                                                      const aws::EncryptionContext& context);

// The key id a ciphertext names, or nullopt when `blob` (untrusted) is not in the format.
std::optional<std::string> CiphertextKeyId(core::ByteView blob);

// Decrypts `blob` with `key` (whose id it names). Fails with kKmsInvalidCiphertext when the
// blob was altered, belongs to another key or the context differs.
[[nodiscard]] core::Result<core::SecretBytes> OpenSymmetric(const KeyRecord& key,
                                                            core::ByteView blob,
                                                            const aws::EncryptionContext& context);

// ECDH (NIST SP 800-56A ECC CDH): the big-endian x coordinate of d*Q, 32 bytes for P-256, 48
// for P-384 (kms.md 4.7). `peer_spki` (untrusted) must be a DER SubjectPublicKeyInfo of a
// valid point on the key's curve. Fails with kKmsValidation (peer key) or kInternal.
[[nodiscard]] core::Result<core::SecretBytes> DeriveSharedSecret(const KeyRecord& key,
                                                                 core::ByteView peer_spki);

// A random UUID v4 in canonical form (key ids, request ids).
std::string RandomUuid();

}  // namespace enclavectl::localkms
