// Adopting an existing Introspector deployment's key (issue 14 item 5; service layer: no I/O
// of its own). introspector-enclave V1 drew a secp256k1 secret outside any attestation (Go
// crypto/rand) and kept it as base64 of a kms:Encrypt CiphertextBlob in an SSM parameter
// (../shared/spec/migration.md 1.1, 3.1). enclave-app --adopt-ciphertext reads that value once,
// decrypts it with kms:Decrypt and a Recipient (so only this attested enclave sees the
// secret), normalises it as Introspector does (3.2 step 5), checks it is a secp256k1 secret and
// seals it in enclavectl's sealed record with the origin "adopted": /v1/enclave-info then
// reports key_origin "adopted", key_origin_provable false. Later boots unseal the record and
// ignore the flag. docs/migration.md "Adopting an Introspector deployment".
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "enclavectl/app/key_setup.hpp"
#include "enclavectl/app/kms_recipient.hpp"
#include "enclavectl/app/sealed_store.hpp"
#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"

namespace enclavectl::app {

// What sealed-mode setup adopts when its store holds no record yet.
struct KeyAdoption {
  // Where the ciphertext is: the SSM parameter (ssm:NAME) or a file (file:PATH), read with
  // Load() only, never written. Borrowed.
  SealedKeyStore* source = nullptr;
  // The KMS key the ciphertext is under (--adopt-kms-key: Introspector's
  // /D/NitroIntrospector/KMSKeyID); empty: the sealing key (--key-id). Decrypt names it, so
  // KMS refuses a ciphertext under any other key.
  std::string kms_key_id;
};

// The largest KMS CiphertextBlob (KMS model: 1..6144 bytes) and its base64 length.
inline constexpr std::size_t kMaxAdoptCiphertextBytes = 6144;
inline constexpr std::size_t kMaxAdoptCiphertextText = 8192;
// KMS Encrypt takes at most 4096 bytes of plaintext.
inline constexpr std::size_t kMaxAdoptPlaintextBytes = 4096;

// The parameter's value (untrusted; nullopt: the parameter or file does not exist) as
// Introspector reads it (migration.md 1.1): missing, empty after trimming ASCII whitespace or
// "UNSET" fails with kAdoptCiphertextAbsent; anything but standard padded base64 of 1..6144
// bytes (at most 8192 characters after trimming) with kAdoptCiphertextInvalid.
[[nodiscard]] core::Result<core::Bytes> ParseAdoptCiphertext(
    const std::optional<std::string>& value);

// Introspector's normalisation (migration.md 3.2 step 5) of a decrypted plaintext (at most
// 4096 bytes), made strict: the plaintext with ASCII whitespace trimmed is 64 hex digits
// (either case) -> those 32 bytes; else exactly 32 raw bytes -> those; anything else fails with
// kAdoptSecretInvalid. The result must be a valid secp256k1 secret (0 < s < n), used as is
// (never incremented like a reproducible key): else kAdoptSecretInvalid. Nothing of the
// plaintext appears in an error.
[[nodiscard]] core::Result<core::SecretBytes> NormaliseAdoptedSecret(core::ByteView plaintext);

// Obtains the secret to adopt: reads adoption.source (kAdoptCiphertextAbsent,
// kAdoptCiphertextInvalid, the store's codes), resolves adoption.kms_key_id (or
// `sealing_key_arn`) with DescribeKey and, unless it is the sealing key (checked already),
// checks its policy as sealed mode checks its key: enclave-only for this enclave's PCR0
// (kAdoptKeyPolicyUnsafe otherwise; skipped only with --insecure-skip-policy-check), then
// Decrypt{KeyId, CiphertextBlob, no EncryptionContext, Recipient} and NormaliseAdoptedSecret.
// `detail` (for the log) names the source and key, never the secret.
[[nodiscard]] core::Result<core::SecretBytes> AdoptIntrospectorSecret(
    const KeyAdoption& adoption, SetupContext& setup, const std::string& sealing_key_arn,
    const KmsRecipient& recipient, std::string& detail);

}  // namespace enclavectl::app
