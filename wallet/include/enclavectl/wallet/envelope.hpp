// Wallet account keys sealed under a KMS data key (pure; docs/wallet.md). Two envelope
// formats, told apart by their text:
//
// - legacy (wallet.md 2.5, seed (b)): standard base64 of AES-256-GCM(ciphertext || tag) with
//   the fixed nonce cc5cac2c7791afb2f5f859c1, no AAD, over the ASCII text of the key (base64 of
//   the 32 bytes; "0x" + 64 hex is also read). 80 base64 characters for a 44-byte text.
// - hardened v1 (ours): "enclavectl:v1:" + standard base64 of nonce(12) || ciphertext(32) ||
//   tag(16), a random nonce, the raw 32-byte key, and AAD binding the account name, address
//   and KMS key id (AccountAad). ':' is not a base64 character, so no legacy text can carry
//   the prefix, and legacy readers refuse hardened text.
//
// Opening always derives the address of the decrypted key and refuses a row whose address is
// another one (wallet.md 5.4: a swapped row). Secret keys live in core::SecretBytes; no error
// detail quotes key material.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"
#include "enclavectl/ethereum/address.hpp"

namespace enclavectl::wallet {

enum class EnvelopeFormat : std::uint8_t {
  kLegacy,      // wallet.md 2.5 (fixed nonce, no binding): readable by upstream tools
  kHardenedV1,  // "enclavectl:v1:" (random nonce, AAD): ours only
};

// "legacy" or "hardened-v1".
std::string_view EnvelopeFormatName(EnvelopeFormat format) noexcept;

inline constexpr std::string_view kHardenedV1Prefix = "enclavectl:v1:";
inline constexpr std::size_t kDataKeyLen = 32;    // AES-256
inline constexpr std::size_t kSecretKeyLen = 32;  // secp256k1
// The longest encryptedPrivateKey text read (a legacy "0x"+hex text is 82 + 16 bytes).
inline constexpr std::size_t kMaxEnvelopeTextLen = 512;

// The fields an envelope is bound to (hardened) or checked against (both formats).
struct AccountBinding {
  std::string name;     // the account name (DynamoDB Name)
  std::string address;  // the account's address text as stored (EIP-55 or lowercase)
  std::string key_id;   // the KMS key id or ARN, exactly as stored in the row (KeyId)
  // The owner key (owner_auth.hpp: 64 hex of an x-only key) of an owned account, "" for none.
  // Hardened only: it becomes part of the AAD and of the EncryptionContext, so an owned
  // account cannot be opened as an unowned one.
  std::string owner_key;
};

// Which format `encrypted_private_key` is in, from its text alone (untrusted). Fails with
// kWalletEnvelopeMalformed when it is empty, too long or neither shape.
[[nodiscard]] core::Result<EnvelopeFormat> DetectEnvelopeFormat(
    std::string_view encrypted_private_key);

// The AAD of a hardened v1 envelope: "enclavectl wallet account v1" || 0x00, then name, the 20
// address bytes and key id, each preceded by its length as 4 bytes big-endian; for an owned
// account then the 32 owner key bytes, preceded by their length the same way. Fails with
// kWalletAccountInvalid when the address does not parse or a field is longer than 4096 bytes,
// kAccountOwnerKeyInvalid when the owner key is not a valid x-only key.
[[nodiscard]] core::Result<core::Bytes> AccountAad(const AccountBinding& binding);

// The KMS EncryptionContext to send with GenerateDataKey and with Decrypt of the data key of a
// hardened account: {"enclavectl:wallet": "account-v1", "enclavectl:name": name,
// "enclavectl:address": EIP-55 address, "enclavectl:key-id": key_id} and, for an owned
// account, "enclavectl:owner-key": the owner key's lowercase hex. Legacy accounts use no
// context (upstream sends none). Generate the account key first (GenerateAccount), then the
// data key with this context. Fails as AccountAad.
[[nodiscard]] core::Result<std::map<std::string, std::string>> AccountEncryptionContext(
    const AccountBinding& binding);

// Seals the 32-byte `secret_key` under the 32-byte `data_key`. `binding.address` must be the
// address of `secret_key` (checked). Legacy output is deterministic (fixed nonce): use a data
// key from a fresh GenerateDataKey for every account and never seal twice under one key
// (wallet.md 2.5); hardened output uses a fresh random nonce. Returns the encryptedPrivateKey
// text. Fails with kWalletAccountInvalid (data key length, binding, an owner key with the
// legacy format), kAccountOwnerKeyInvalid, kEthSecretKeyInvalid,
// kWalletAddressMismatch (binding.address is not the key's), kInternal (OpenSSL).
[[nodiscard]] core::Result<std::string> SealAccountKey(core::ByteView data_key,
                                                       const core::SecretBytes& secret_key,
                                                       const AccountBinding& binding,
                                                       EnvelopeFormat format);

// Opens `encrypted_private_key` (untrusted) with the 32-byte `data_key` and returns the 32-byte
// secret key, after checking that its address equals `binding.address` (wallet.md 5.4). A
// legacy envelope with an empty binding.address is opened without that check (a seed (b)
// sign request may omit the address; the caller derives it).
// Fails with kWalletEnvelopeMalformed (shape), kWalletDecryptFailed (tag: wrong data key,
// changed bytes, or for hardened envelopes another name/address/key id), kWalletKeyTextInvalid
// (legacy plaintext), kEthSecretKeyInvalid, kWalletAccountInvalid (binding.address does not
// parse, data key length, an owner key with a legacy envelope), kAccountOwnerKeyInvalid,
// kWalletAddressMismatch (a swapped row).
[[nodiscard]] core::Result<core::SecretBytes> OpenAccountKey(core::ByteView data_key,
                                                             std::string_view encrypted_private_key,
                                                             const AccountBinding& binding);

// A fresh account key: 32 bytes from the OpenSSL DRBG (RAND_priv_bytes), 0 < sk < n, and its
// EIP-55 address. Fails with kInternal when the DRBG fails.
struct GeneratedAccount {
  core::SecretBytes secret_key;
  std::string address;  // EIP-55
};
[[nodiscard]] core::Result<GeneratedAccount> GenerateAccount();

}  // namespace enclavectl::wallet
