// Sealed mode's record and where it is kept. The record holds no secret in the clear: the
// signing secret (32 random bytes the enclave drew) is AES-256-GCM-encrypted under a KMS data
// key that the enclave obtained with GenerateDataKey and a Recipient, and the data key is
// stored only as KMS's CiphertextBlob, which KMS decrypts for an attested enclave (with a
// Recipient) when the key policy allows it. The GCM additional data binds the format, its
// version, the key ARN and the public key, so a record re-labelled for another KMS key or
// another public key does not open. Only KMS operations that need an attestation are used:
// a record whose data key somebody produced with kms:Encrypt (no attestation) is refused by
// the key policy check before any record is adopted (enclave-app.md "Sealed mode").
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "enclavectl/aws/kms_api.hpp"
#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"

namespace enclavectl::app {

inline constexpr std::string_view kSealedRecordFormat = "enclavectl-sealed-key";
inline constexpr int kSealedRecordVersion = 2;

struct SealedRecord {
  std::string key_arn;        // the KMS key (ARN) the data key is encrypted under
  core::Bytes data_key_blob;  // GenerateDataKey's CiphertextBlob (1..6144 bytes)
  core::Bytes nonce;          // 12-byte GCM nonce
  core::Bytes ciphertext;     // the 32-byte signing secret under the data key
  core::Bytes tag;            // 16-byte GCM tag
  core::Bytes public_key;     // 33-byte compressed secp256k1 key of the sealed secret
  // Where the secret came from when the enclave did not draw it itself: empty for a secret
  // generated in the enclave (records written before origins existed read the same), else a
  // token of 1..32 characters [a-z0-9-], e.g. kSealedOriginAdopted. Covered by the GCM
  // additional data, so it cannot be added, removed or changed without the tag failing.
  std::string origin;
};

// The origin of a secret adopted from an Introspector deployment (--adopt-ciphertext): drawn
// outside any enclave, so its history is not provable (docs/migration.md).
inline constexpr std::string_view kSealedOriginAdopted = "adopted";
// The origin of a secret received from the predecessor image by the migration protocol
// (docs/migration.md): its history before the hand-over is the predecessor's, which this
// enclave cannot prove, so it is reported as not provable; check the predecessor.
inline constexpr std::string_view kSealedOriginMigrated = "migrated";

// True for a valid non-empty origin token: 1..32 characters of [a-z0-9-].
bool IsValidSealedOrigin(std::string_view origin) noexcept;

// The GCM additional data of a record: "enclavectl-sealed-key\0" "2\0" key_arn "\0"
// hex(public_key), followed by "\0" origin when the origin is not empty (hex(public_key) has a
// fixed length, so the two forms cannot collide).
std::string SealedRecordAad(std::string_view key_arn, core::ByteView public_key,
                            std::string_view origin = {});

// Encrypts `secret` (32 bytes) under `data_key` (32 bytes, GenerateDataKey's plaintext) with a
// fresh random nonce, binding `key_arn`, `public_key` and `origin` (empty: generated in the
// enclave). Fails with kInternal (RNG or OpenSSL failure) or kInvalidArgument (wrong lengths,
// an invalid origin).
[[nodiscard]] core::Result<SealedRecord> SealSecret(core::ByteView data_key, core::ByteView secret,
                                                    std::string key_arn, core::Bytes data_key_blob,
                                                    core::Bytes public_key,
                                                    std::string origin = {});

// Decrypts the record's secret with `data_key` (untrusted record). Fails with
// kSealedRecordInvalid when the tag does not verify (a tampered record, a record re-labelled
// for another key ARN or public key, or another data key).
[[nodiscard]] core::Result<core::SecretBytes> OpenSealedSecret(const SealedRecord& record,
                                                               core::ByteView data_key);

// The JSON text of a record:
//   {"format": "enclavectl-sealed-key", "version": 2, "key_arn": "arn:...",
//    "data_key_blob": "<base64>", "nonce": "<24 hex>", "ciphertext": "<64 hex>",
//    "tag": "<32 hex>", "public_key": "<66 hex>"}
// plus "origin": "<token>" last when the origin is not empty.
std::string EncodeSealedRecord(const SealedRecord& record);

// Parses a record (untrusted: it comes from a file or SSM). Fails with kSealedRecordOutdated
// for a version 1 record (never adopted: its data key may have come from kms:Encrypt), with
// kSealedRecordInvalid (not JSON, another format or version, a missing, unknown or mistyped
// member, a blob over 6144 bytes, wrong lengths) or kInputTooLarge.
[[nodiscard]] core::Result<SealedRecord> DecodeSealedRecord(std::string_view text);

// Where the record lives. One real implementation per backend (app_io: a local file, AWS SSM
// Parameter Store) and fakes in tests. Implementations are used from one setup at a time.
class SealedKeyStore {
 public:
  virtual ~SealedKeyStore() = default;
  // The stored record text, or nullopt when there is none yet. Fails with the backend's I/O
  // or service codes.
  [[nodiscard]] virtual core::Result<std::optional<std::string>> Load() = 0;
  // Stores `text` only if no record exists (create-once, atomically): fails with
  // kSealedKeyExists when one does (another instance sealed first), else the backend's codes.
  [[nodiscard]] virtual core::Status Create(std::string_view text) = 0;
  // For logs and errors: "file /var/lib/x.json", "SSM parameter /enclave/key".
  virtual std::string Describe() const = 0;
};

}  // namespace enclavectl::app
