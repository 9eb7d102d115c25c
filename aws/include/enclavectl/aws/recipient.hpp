// CiphertextForRecipient: the CMS EnvelopedData KMS returns when a request carries a
// Recipient (parse layer: pure; OpenSSL's CMS does the BER decoding and the decryption).
//
// Spec: ../shared/spec/kms.md section 5.2. Validation as enclaver's pkcs7.rs (exactly one
// key-transport recipient identified by subjectKeyIdentifier, RSAES-OAEP with SHA-256 and
// MGF1-SHA-256 and an empty label, id-data content, AES-256-CBC), decryption as
// aws-nitro-enclaves-sdk-c (RSA-OAEP unwraps a 32-byte key, AES-256-CBC with PKCS#7 padding).
#pragma once

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"

namespace enclavectl::aws {

// What a valid CiphertextForRecipient carries that can be shown without a key.
struct RecipientEnvelope {
  core::Bytes subject_key_identifier;  // rid: 32 bytes in KMS output
  core::Bytes encrypted_content;       // AES-256-CBC ciphertext (constructed chunks joined)
};

// Decodes and validates `ber` (untrusted, at most limits::kMaxCiphertextForRecipientBytes;
// definite or indefinite lengths, primitive or chunked encryptedContent, optional
// originatorInfo). Fails with kInputTooLarge, kCmsMalformed (not BER CMS, trailing bytes, not
// EnvelopedData) or kCmsUnsupported (anything but the layout and algorithms above).
[[nodiscard]] core::Result<RecipientEnvelope> DecodeCiphertextForRecipient(core::ByteView ber);

// Decodes, validates and decrypts `ber` with the enclave's RSA private key (borrowed). The
// plaintext (a data key, random bytes, a shared secret) comes back in SecretBytes; nothing of
// it is logged. Fails as DecodeCiphertextForRecipient, or with kCmsDecrypt when the key does
// not unwrap the content key, the content key is not 32 bytes, or the padding is wrong.
[[nodiscard]] core::Result<core::SecretBytes> DecryptCiphertextForRecipient(
    core::ByteView ber, EVP_PKEY* recipient_private_key);

// The RSA public key of an attestation document's public_key (untrusted): a DER
// SubjectPublicKeyInfo of an RSA key of 2048 to 4096 bits (kms.md section 5). Fails with
// kCmsUnsupported otherwise.
[[nodiscard]] core::Result<core::EvpPkeyPtr> ParseRecipientPublicKey(core::ByteView spki_der);

// Encrypts `plaintext` (1..4096 bytes) to `recipient` (an RSA public key, borrowed) as KMS
// does for a Recipient (kms.md section 5.2), byte for byte in KMS's layout: a BER
// ContentInfo with indefinite lengths, EnvelopedData version 2, one KeyTransRecipientInfo
// version 2 whose rid is the 32-byte subjectKeyIdentifier SHA-256(`recipient_spki_der`),
// RSAES-OAEP with SHA-256 and MGF1-SHA-256 (parameters written with explicit NULLs, as KMS
// does; OpenSSL's CMS encoder omits them, which is why this is assembled here), a fresh
// random 32-byte content key and 16-byte IV, AES-256-CBC with PKCS#7 padding, the content in
// one OCTET STRING inside a constructed [0]. Fails with kInvalidArgument (plaintext size) or
// kInternal (an OpenSSL failure).
[[nodiscard]] core::Result<core::Bytes> EncryptForRecipient(core::ByteView plaintext,
                                                            EVP_PKEY* recipient,
                                                            core::ByteView recipient_spki_der);

// A fresh RSA-2048 key (e = 65537) for the Recipient flow: its public half goes into the
// attestation document's public_key. Fails with kInternal.
[[nodiscard]] core::Result<core::EvpPkeyPtr> MakeRecipientKey();

// The DER SubjectPublicKeyInfo of `key` (what the attestation document's public_key holds).
// Fails with kInternal.
[[nodiscard]] core::Result<core::Bytes> PublicKeyDer(EVP_PKEY* key);

}  // namespace enclavectl::aws
