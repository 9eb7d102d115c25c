// The local KMS's model: keys (with their material and policy), aliases, and the service
// configuration (account, region, access keys), with the JSON codecs of the files that hold
// them in the state directory (parse layer: pure; the files are written by localkms/server).
//
// Design note: docs/design/0005-local-kms.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"

namespace enclavectl::localkms {

// The key specs the local KMS implements (kms.md section 3).
enum class KeySpec : std::uint8_t { kSymmetricDefault, kEccNistP256, kEccNistP384, kEccSecgP256k1 };
enum class KeyUsage : std::uint8_t { kEncryptDecrypt, kSignVerify, kKeyAgreement };
enum class KeyState : std::uint8_t { kEnabled, kDisabled, kPendingDeletion };

const char* KeySpecName(KeySpec spec) noexcept;     // "ECC_NIST_P256"
const char* KeyUsageName(KeyUsage usage) noexcept;  // "KEY_AGREEMENT"
const char* KeyStateName(KeyState state) noexcept;  // "PendingDeletion"
std::optional<KeySpec> KeySpecFromName(std::string_view name) noexcept;
std::optional<KeyUsage> KeyUsageFromName(std::string_view name) noexcept;

// True for the combinations KMS accepts among the specs above (kms.md section 3):
// SYMMETRIC_DEFAULT with ENCRYPT_DECRYPT; ECC_NIST_P256/P384 with SIGN_VERIFY or
// KEY_AGREEMENT; ECC_SECG_P256K1 with SIGN_VERIFY only.
bool IsValidCombination(KeySpec spec, KeyUsage usage) noexcept;

// True for a key id in the canonical UUID form (36 characters, lower-case hex and dashes).
bool IsKeyIdFormat(std::string_view text) noexcept;

struct KeyRecord {
  std::string key_id;  // UUID
  std::int64_t creation_ms = 0;
  std::string description;
  KeySpec spec = KeySpec::kSymmetricDefault;
  KeyUsage usage = KeyUsage::kEncryptDecrypt;
  KeyState state = KeyState::kEnabled;
  std::string origin = "AWS_KMS";  // "EXTERNAL" for imported material
  bool multi_region = false;
  std::optional<std::int64_t> deletion_ms;  // set while PendingDeletion
  std::uint32_t pending_window_days = 0;
  std::string policy;  // the key policy text, as submitted
  std::vector<std::pair<std::string, std::string>> tags;
  // The secret: 32 bytes of AES-256 key (symmetric), or the DER private key (asymmetric).
  core::SecretBytes material;
  core::Bytes public_key;  // asymmetric keys: DER SubjectPublicKeyInfo
};

struct AliasRecord {
  std::string target_key_id;
  std::int64_t creation_ms = 0;
};

struct KeyStore {
  std::map<std::string, KeyRecord> keys;       // by key id
  std::map<std::string, AliasRecord> aliases;  // by alias name ("alias/demo")
};

inline constexpr std::string_view kStateMediaType =
    "application/vnd.enclavectl.local-kms-state+json;version=1";
inline constexpr std::string_view kConfigMediaType =
    "application/vnd.enclavectl.local-kms-config+json;version=1";

// state.json: every key (material base64) and alias. The text holds secrets, hence
// SecretBytes; intermediate copies are wiped (best effort: nlohmann's internal buffers).
core::SecretBytes EncodeKeyStore(const KeyStore& store);

// Decodes and checks state.json (untrusted bytes, at most limits::kMaxLocalKmsStateBytes):
// the media type, every member's type, key ids, spec/usage combinations, material sizes, that
// an asymmetric key's material matches its public key, and that aliases name existing keys.
// Fails with kLocalKmsState (index = key number) or kInputTooLarge.
[[nodiscard]] core::Result<KeyStore> DecodeKeyStore(core::ByteView text);

// One set of credentials the server accepts and the principal it stands for.
struct AccessKey {
  std::string access_key_id;
  core::SecretBytes secret_access_key;
  core::SecretBytes session_token;  // empty: none required (and none accepted)
  std::string principal;            // "arn:aws:iam::111122223333:user/local-admin"
};

struct ServiceConfig {
  std::string account_id = "111122223333";
  std::string region = "us-east-1";
  std::vector<AccessKey> access_keys;
};

// config.json (holds the secret access keys).
core::SecretBytes EncodeServiceConfig(const ServiceConfig& config);
// Fails with kLocalKmsState: a bad media type, account id (12 digits), region, access key
// (16..128 characters of A-Z0-9), secret, or principal (an IAM/STS ARN or account id of the
// configured account), or a repeated access key id.
[[nodiscard]] core::Result<ServiceConfig> DecodeServiceConfig(core::ByteView text);

// A new access key for `principal`: "AKIA" + 16 characters of A-Z2-7 and a 40-character
// secret, from the CSPRNG. Fails with kInternal.
[[nodiscard]] core::Result<AccessKey> MakeAccessKey(std::string principal);

}  // namespace enclavectl::localkms
