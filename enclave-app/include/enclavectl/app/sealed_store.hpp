// Sealed mode's record and where it is kept. The record holds no secret: the signing secret is
// a KMS data key, stored only as KMS's CiphertextBlob, which KMS decrypts for an attested
// enclave (with a Recipient) when the key policy allows it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/kmspolicy/kms_api.hpp"

namespace enclavectl::app {

inline constexpr std::string_view kSealedRecordFormat = "enclavectl-sealed-key";

struct SealedRecord {
  std::string key_id;           // the KMS key (ARN) the data key is encrypted under
  core::Bytes ciphertext_blob;  // GenerateDataKey's CiphertextBlob
  core::Bytes public_key;       // 33-byte compressed secp256k1 key of the sealed secret
  kmspolicy::EncryptionContext encryption_context;  // bound as AAD by KMS
};

// The JSON text of a record:
//   {"format": "enclavectl-sealed-key", "version": 1, "key_id": "...",
//    "ciphertext_blob": "<base64>", "public_key": "<66 hex>", "encryption_context": {...}}
std::string EncodeSealedRecord(const SealedRecord& record);

// Parses a record (untrusted: it comes from a file or SSM). Fails with kSealedRecordInvalid
// (not JSON, wrong format or version, a missing or mistyped member, a blob over 6144 bytes, a
// public key that is not 33 bytes) or kInputTooLarge.
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
