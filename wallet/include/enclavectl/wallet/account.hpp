// A wallet account and its DynamoDB row (pure; wallet.md 2.7, docs/wallet.md). Every
// attribute is type S. Three spellings exist upstream; all are read, and the README one is
// written:
//
// | dialect      | key schema               | key id   | name   | others                       |
// |--------------|--------------------------|----------|--------|------------------------------|
// | kReadme      | HASH KeyId, RANGE Name   | KeyId    | Name   | Address, EncryptedPrivateKey,|
// |              |                          |          |        | EncryptedDataKey             |
// | kPython      | HASH keyId, RANGE name   | keyId    | name   | address, encryptedPrivateKey,|
// | kRustParent  | HASH name                | key_id   | name   | encryptedDataKey             |
//
// Our own optional attributes (README spelling only): CreatedAt, OwnerKey.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "enclavectl/core/result.hpp"
#include "enclavectl/wallet/envelope.hpp"

namespace enclavectl::wallet {

enum class Dialect : std::uint8_t {
  kReadme,      // B README table and F-Go: what we write
  kPython,      // F-Python
  kRustParent,  // B's Rust parent (HASH name only)
};

// "readme", "python", "rust-parent".
std::string_view DialectName(Dialect dialect) noexcept;

// The attribute names of a dialect.
struct DialectNames {
  std::string_view key_id;
  std::string_view name;
  std::string_view address;
  std::string_view encrypted_private_key;
  std::string_view encrypted_data_key;
  bool key_id_in_key;  // false for kRustParent: the table's key is the name alone
};
const DialectNames& NamesOf(Dialect dialect) noexcept;

inline constexpr std::size_t kMaxNameLen = 255;
inline constexpr std::size_t kMaxKeyIdLen = 2048;
inline constexpr std::size_t kMaxDataKeyB64Len = 8192;  // KMS CiphertextBlob: at most 6144 bytes
inline constexpr std::size_t kMaxOwnerKeyLen = 64;      // hex of an x-only key
inline constexpr std::size_t kMaxCreatedAtLen = 64;
inline constexpr std::size_t kMaxItemAttributes = 64;
inline constexpr std::size_t kMaxAttributeValueLen = 16384;

struct Account {
  std::string name;                   // 1..255 bytes, no control characters
  std::string key_id;                 // the KMS key id or ARN as given, 1..2048 characters
  std::string address;                // EIP-55 (lowercase is read from old rows)
  std::string encrypted_data_key;     // standard base64 of the KMS CiphertextBlob
  std::string encrypted_private_key;  // an envelope (envelope.hpp)
  EnvelopeFormat format = EnvelopeFormat::kLegacy;  // from encrypted_private_key's text
  std::optional<std::string> created_at;            // RFC 3339 UTC, ours
  std::optional<std::string> owner_key;             // 64 hex, x-only BIP-340 key (owner_auth.hpp)
  friend bool operator==(const Account&, const Account&) = default;
};

// The binding its envelope is opened against.
AccountBinding BindingOf(const Account& account);

// Checks every field as documented on Account (format must match the envelope's text; the
// owner key must parse as a secp256k1 point). Fails with kWalletAccountInvalid, or
// kWalletEnvelopeMalformed for the envelope's text.
[[nodiscard]] core::Status ValidateAccount(const Account& account);

// One DynamoDB attribute value: its type ("S", "N", "B", "BOOL", "NULL", "M", "L", "SS",
// "NS", "BS") and, for S, N and B, its string; other types carry their JSON text.
struct ItemAttribute {
  std::string type;
  std::string value;
  friend bool operator==(const ItemAttribute&, const ItemAttribute&) = default;
};
using Item = std::map<std::string, ItemAttribute, std::less<>>;

// Which dialect an item (untrusted) is written in: "Name" makes it kReadme; else "name" with
// "keyId" kPython, with "key_id" kRustParent. Fails with kWalletItemMalformed when none
// applies or two do (both "Name" and "name", both "keyId" and "key_id").
[[nodiscard]] core::Result<Dialect> DetectDialect(const Item& item);

// Reads an account from an item (untrusted) in any dialect: the five attributes must be
// present and of type S, at most kMaxItemAttributes attributes of at most
// kMaxAttributeValueLen bytes each; other attributes are ignored (CreatedAt/OwnerKey are
// read when S). Then ValidateAccount. Fails with kWalletItemMalformed (missing, non-S,
// oversized, ambiguous) or ValidateAccount's codes.
[[nodiscard]] core::Result<Account> DecodeAccountItem(const Item& item);

// The item of a (valid) account in `dialect` (kReadme by default); CreatedAt and OwnerKey are
// written when set, in every dialect.
Item EncodeAccountItem(const Account& account, Dialect dialect = Dialect::kReadme);

// The primary key of an account in `dialect` (kRustParent: the name only).
Item AccountKeyItem(std::string_view key_id, std::string_view name, Dialect dialect);

}  // namespace enclavectl::wallet
