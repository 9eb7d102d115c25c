// Key setup over interfaces (service layer): obtain the signing key in reproducible mode
// (NUMS key + DeriveSharedSecret, ../shared/spec/reproducible-key.md) or sealed mode (a KMS
// data key kept as ciphertext in a SealedKeyStore), then bind it to PCR16
// (../shared/spec/enclave-http.md section 3). The once-per-boot rule lives in KeyService.
#pragma once

#include <optional>
#include <string>

#include "enclavectl/app/enclave_kms.hpp"
#include "enclavectl/app/keys.hpp"
#include "enclavectl/app/nsm.hpp"
#include "enclavectl/app/sealed_store.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::app {

enum class KeyMode : std::uint8_t { kReproducible, kSealed };
const char* KeyModeName(KeyMode mode) noexcept;  // "reproducible", "sealed"

struct SetupRequest {
  KeyMode mode = KeyMode::kReproducible;
  std::string key_id;                           // KMS key id, ARN or alias
  std::optional<core::Sha256Digest> blockhash;  // reproducible mode only
};

// The encryption context of sealed data keys (KMS binds it as AAD).
EncryptionContext SealedKeyContext();

// What setup needs; everything borrowed.
struct SetupContext {
  NsmClient& nsm;
  EnclaveKms& kms;
  SealedKeyStore& store;
  const secp256k1_context* ctx;
};

// The outcome of obtaining a key, before it is bound.
struct ObtainedKey {
  KeyPair keys;
  std::string detail;  // for the log: "derived from KMS key X (NUMS counter 0)", "unsealed from
                       // file /x", "sealed into SSM parameter /y" (never secret)
};

// Reproducible mode: a fresh RSA-2048 recipient key, an attestation document carrying its
// public key, DeriveSharedSecret with the NUMS key (with the blockhash when given) and the
// Recipient, the CiphertextForRecipient decrypted, and the 32-byte secret converted as
// specified. Sealed mode: if the store has a record, Decrypt its blob with a Recipient and
// check that the key matches the record; else GenerateDataKey (32 bytes) with a Recipient and
// store the new record create-once (if another instance stored one first, unseal that one).
// No PCR changes. Fails with the NSM, KMS, CMS and store codes, kKmsResponseMalformed when a
// secret is not 32 bytes, kSealedRecordInvalid for a record that is malformed or does not
// match its key, kInvalidArgument for a blockhash in sealed mode.
[[nodiscard]] core::Result<ObtainedKey> ObtainKey(const SetupRequest& request, SetupContext& setup);

// Binds `compressed_key` to PCR16: ExtendPCR(16, SHA-256(key)) then LockPCR(16), checking the
// value the NSM reports against SHA-384(0^48 || SHA-256(key)). PCR16 already locked (or
// extended but unlocked) with exactly that value is accepted (the service restarted within
// the same enclave boot); any other non-zero PCR16 fails with kAppKeyBinding. `touched` is
// set once the PCR may have changed: after that a failure cannot be retried in this boot.
[[nodiscard]] core::Status BindKeyToPcr16(NsmClient& nsm, ByteView compressed_key, bool& touched);

}  // namespace enclavectl::app
