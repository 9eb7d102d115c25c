// Key setup over interfaces (service layer): obtain the signing key in reproducible mode
// (NUMS key + DeriveSharedSecret, ../shared/spec/reproducible-key.md) or sealed mode (a KMS
// data key kept as ciphertext in a SealedKeyStore), then bind it to PCR16
// (../shared/spec/enclave-http.md section 3). The once-per-boot rule lives in KeyService.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "enclavectl/app/enclave_kms.hpp"
#include "enclavectl/app/keys.hpp"
#include "enclavectl/app/nsm.hpp"
#include "enclavectl/app/sealed_store.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/kmspolicy/lint.hpp"

namespace enclavectl::app {

enum class KeyMode : std::uint8_t { kReproducible, kSealed };
const char* KeyModeName(KeyMode mode) noexcept;  // "reproducible", "sealed"

// How a reproducible key comes from the KMS shared secret Z: kSeed is reproducible-key.md
// section 3 (Z itself, incremented until valid); kHkdf is the Confidential Script TEE's later
// step (confidential-script.md 2.3 step 4): HKDF-SHA256(salt "confidential-script-salt", Z,
// info "confidential-script-setup"), then the same increment; its NUMS key hashes the
// blockhash in Bitcoin's internal byte order (the reverse of the hex), as the TEE does (2.3
// step 1), while kSeed hashes the bytes as written. Setup body: "derivation":
// "hkdf" (or "seed", the default) on /setup and /v1/setup.
enum class KeyDerivation : std::uint8_t { kSeed, kHkdf };

struct SetupRequest {
  KeyMode mode = KeyMode::kReproducible;
  std::string key_id;                               // KMS key id, ARN or alias
  std::optional<core::Sha256Digest> blockhash;      // reproducible mode only
  KeyDerivation derivation = KeyDerivation::kSeed;  // reproducible mode only
};

// How setup judges the KMS key's policy (enclave-app.md "Key policy check").
struct PolicyCheckOptions {
  // --insecure-skip-policy-check: no GetKeyPolicy, no lint, nothing refused for the policy
  // (development only; reported by /v1/enclave-info and as checked=false in /v1/info).
  bool skip = false;
  // --require-key-policy: refuse setup (both modes) unless the verdicts hold. Sealed mode
  // always requires enclave-only.
  kmspolicy::LintRequirements require;
};

// What the policy check found (GET /v1/info "key_policy").
struct KeyPolicyReport {
  bool checked = false;
  std::optional<core::Sha256Digest> sha256;  // of the exact policy text KMS returned
  bool enclave_only = false;
  bool locked = false;
  std::string pcr0_hex;              // the PCR0 the policy was judged for
  std::vector<std::string> reasons;  // the lint's reasons: for the log, never for clients
};

// The encryption context of sealed data keys (KMS binds it as AAD).
EncryptionContext SealedKeyContext();

struct KeyAdoption;   // adopt.hpp
struct KmsRecipient;  // kms_recipient.hpp

// What setup needs; everything borrowed.
struct SetupContext {
  NsmClient& nsm;
  EnclaveKms& kms;
  SealedKeyStore& store;
  const secp256k1_context* ctx;
  PolicyCheckOptions policy{};
  // --adopt-ciphertext: what sealed mode seals when its store holds no record yet (instead of
  // a generated secret); ignored (and logged) when a record exists. Borrowed; may be null.
  const KeyAdoption* adoption = nullptr;
  // Sealed mode without a record: seal this secret (a migrated key, app/migration_target.hpp)
  // instead of a fresh random one. Borrowed; nullptr: random.
  const core::SecretBytes* given_secret = nullptr;
};

// The outcome of obtaining a key, before it is bound.
struct ObtainedKey {
  KeyPair keys;
  std::string detail;      // for the log: "derived from KMS key X (NUMS counter 0)", "unsealed from
                           // file /x", "sealed into SSM parameter /y" (never secret)
  std::string key_arn;     // the key ARN DescribeKey resolved the request's key id to
  KeyPolicyReport policy;  // the policy check of that key
  // Where the key came from (/v1/enclave-info key_origin): "reproducible", "sealed" (drawn in
  // an enclave), or a sealed record's origin ("adopted", ...). Provable: the key was made
  // inside an attested enclave (false for any recorded origin: made outside, history unknown).
  std::string origin;
  bool origin_provable = true;
};

// A key taken out of (or just put into) the sealed store, with its record's origin (empty:
// generated in an enclave).
struct SealedKey {
  KeyPair keys;
  std::string origin;
};

// Seals `secret` (32 bytes; converted to a signing key by MakeKeyPair, so a caller that needs
// the key used as is passes a valid secp256k1 secret) under `key_arn` into setup.store: a data
// key from GenerateDataKey(key_arn, 32, SealedKeyContext(), Recipient), AES-256-GCM, the record
// created once with `origin` recorded (empty for a secret the enclave drew; kSealedOriginAdopted;
// another token for other provenances). The caller has resolved `key_arn` and checked its policy.
// If another instance stored a record first, that record is unsealed instead and returned
// (its key and origin: every instance holds the same key). `detail` says which happened.
// Fails with the KMS, CMS and store codes, kSealedRecordInvalid, kInvalidArgument (a secret
// that is not 32 bytes, an invalid origin).
[[nodiscard]] core::Result<SealedKey> SealProvidedSecret(
    SetupContext& setup, const std::string& key_arn, const KmsRecipient& recipient,
    const core::SecretBytes& secret, std::string_view origin, std::string& detail);

// Resolves `key_id` (an id, ARN, alias name or alias ARN) with DescribeKey: the metadata, whose
// `arn` is checked to be a key ARN. Fails with the KMS codes, kKmsResponseMalformed when KMS
// answers without a key ARN.
[[nodiscard]] core::Result<aws::KeyMetadata> DescribeSetupKey(EnclaveKms& kms,
                                                              const std::string& key_id);

// DescribeSetupKey's ARN.
[[nodiscard]] core::Result<std::string> ResolveKeyArn(EnclaveKms& kms, const std::string& key_id);

// The key policy check: GetKeyPolicy(key.arn, "default") over the enclave's own KMS client,
// kmspolicy::ParsePolicy, then LintPolicy for the enclave's own PCR0 (read from the NSM). A
// policy that does not parse counts as neither enclave-only nor locked; a key whose material
// escapes any policy (kmspolicy::KeyMaterialEscapes: imported, external, multi-Region) is
// never enclave-only. Fails with
// kAppKeyPolicyUnsafe when `mode` is sealed and the policy is not enclave-only, or when
// `options.require` is not met; with the KMS and NSM codes when the policy or PCR0 cannot be
// read. With options.skip returns an unchecked report without calling KMS.
[[nodiscard]] core::Result<KeyPolicyReport> CheckKeyPolicy(EnclaveKms& kms, NsmClient& nsm,
                                                           const aws::KeyMetadata& key,
                                                           KeyMode mode,
                                                           const PolicyCheckOptions& options);

// Resolves the key (ResolveKeyArn), checks its policy (CheckKeyPolicy) and only then obtains
// the key under the ARN. Reproducible mode: a fresh RSA-2048 recipient key, an attestation
// document carrying its public key, DeriveSharedSecret with the NUMS key (with the blockhash
// when given) and the Recipient, the CiphertextForRecipient decrypted, and the 32-byte secret
// converted as specified. Sealed mode: if the store has a record (format version 2, for this
// key ARN), Decrypt its data key blob with a Recipient, open the AES-256-GCM secret and check
// that the key matches the record; else GenerateDataKey (32 bytes) with a Recipient, draw a
// random 32-byte secret, seal it under the data key and store the record create-once (if
// another instance stored one first, unseal that one); with setup.adoption and no record, the
// adopted secret (adopt.hpp AdoptIntrospectorSecret) is sealed instead of a generated one,
// with origin "adopted". No PCR changes. Fails with the NSM,
// KMS, CMS and store codes, kAppKeyPolicyUnsafe, kKmsResponseMalformed when a secret is not
// 32 bytes, kSealedRecordOutdated for a version 1 record, kSealedRecordInvalid for a record
// that is malformed, for another key ARN or does not match its key, kInvalidArgument for a
// blockhash in sealed mode.
[[nodiscard]] core::Result<ObtainedKey> ObtainKey(const SetupRequest& request, SetupContext& setup);

// Binds `compressed_key` to PCR16: ExtendPCR(16, SHA-256(key)) then LockPCR(16), checking the
// value the NSM reports against SHA-384(0^48 || SHA-256(key)). PCR16 already locked (or
// extended but unlocked) with exactly that value is accepted (the service restarted within
// the same enclave boot); any other non-zero PCR16 fails with kAppKeyBinding. `touched` is
// set once the PCR may have changed: after that a failure cannot be retried in this boot.
[[nodiscard]] core::Status BindKeyToPcr16(NsmClient& nsm, ByteView compressed_key, bool& touched);

}  // namespace enclavectl::app
