#include "enclavectl/wallet/account.hpp"

#include <array>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/ethereum/address.hpp"
#include "enclavectl/wallet/owner_auth.hpp"

namespace enclavectl::wallet {
namespace {

using core::ErrorCode;
using core::Fail;

constexpr std::string_view kCreatedAt = "CreatedAt";
constexpr std::string_view kOwnerKey = "OwnerKey";

// wallet.md 2.7.
constexpr DialectNames kReadmeNames = {
    "KeyId", "Name", "Address", "EncryptedPrivateKey", "EncryptedDataKey", true};
constexpr DialectNames kPythonNames = {
    "keyId", "name", "address", "encryptedPrivateKey", "encryptedDataKey", true};
constexpr DialectNames kRustNames = {"key_id",           "name", "address", "encryptedPrivateKey",
                                     "encryptedDataKey", false};

bool HasControl(std::string_view text) noexcept {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return true;
    }
  }
  return false;
}

core::Status Invalid(std::string detail) {
  return Fail(ErrorCode::kWalletAccountInvalid, std::move(detail));
}

core::Result<std::string> RequireS(const Item& item, std::string_view attribute) {
  const auto it = item.find(attribute);
  if (it == item.end()) {
    return Fail(ErrorCode::kWalletItemMalformed,
                "the account row has no attribute " + std::string(attribute));
  }
  if (it->second.type != "S") {
    return Fail(ErrorCode::kWalletItemMalformed,
                "the account row's attribute " + std::string(attribute) + " is not of type S");
  }
  return it->second.value;
}

std::optional<std::string> OptionalS(const Item& item, std::string_view attribute) {
  const auto it = item.find(attribute);
  if (it == item.end() || it->second.type != "S") {
    return std::nullopt;
  }
  return it->second.value;
}

ItemAttribute S(std::string value) { return ItemAttribute{"S", std::move(value)}; }

}  // namespace

std::string_view DialectName(Dialect dialect) noexcept {
  switch (dialect) {
    case Dialect::kReadme:
      return "readme";
    case Dialect::kPython:
      return "python";
    case Dialect::kRustParent:
      return "rust-parent";
  }
  return "readme";
}

const DialectNames& NamesOf(Dialect dialect) noexcept {
  switch (dialect) {
    case Dialect::kPython:
      return kPythonNames;
    case Dialect::kRustParent:
      return kRustNames;
    case Dialect::kReadme:
      break;
  }
  return kReadmeNames;
}

AccountBinding BindingOf(const Account& account) {
  return AccountBinding{account.name, account.address, account.key_id,
                        account.owner_key.value_or("")};
}

core::Status ValidateAccount(const Account& account) {
  if (account.name.empty() || account.name.size() > kMaxNameLen || HasControl(account.name)) {
    return Invalid("an account name has 1 to 255 bytes and no control characters");
  }
  if (account.key_id.empty() || account.key_id.size() > kMaxKeyIdLen ||
      HasControl(account.key_id)) {
    return Invalid("a KMS key id has 1 to 2048 characters and no control characters");
  }
  if (!ethereum::ParseAddress(account.address)) {
    return Invalid("the account address is not a valid Ethereum address");
  }
  if (account.encrypted_data_key.size() > kMaxDataKeyB64Len) {
    return Invalid("an encryptedDataKey is longer than 8192 characters");
  }
  auto blob = core::Base64Decode(account.encrypted_data_key);
  if (!blob || blob->empty() ||
      account.encrypted_data_key.find_first_of(" \t\r\n") != std::string::npos) {
    return Invalid("an encryptedDataKey is not standard base64 of a KMS ciphertext");
  }
  auto format = DetectEnvelopeFormat(account.encrypted_private_key);
  if (!format) {
    return Fail(format.error());
  }
  if (*format != account.format) {
    return Invalid("the account's format does not match its encryptedPrivateKey");
  }
  if (account.created_at &&
      (account.created_at->empty() || account.created_at->size() > kMaxCreatedAtLen ||
       HasControl(*account.created_at))) {
    return Invalid("CreatedAt has 1 to 64 characters and no control characters");
  }
  if (account.owner_key) {
    if (!ParseOwnerKey(*account.owner_key)) {
      return Invalid("OwnerKey is not 64 hex digits of an x-only (BIP-340) secp256k1 key");
    }
    if (account.format != EnvelopeFormat::kHardenedV1) {
      return Invalid("an owned account's envelope must be hardened");
    }
  }
  return core::Ok();
}

core::Result<Dialect> DetectDialect(const Item& item) {
  const bool upper = item.contains("Name");
  const bool lower = item.contains("name");
  if (upper && lower) {
    return Fail(ErrorCode::kWalletItemMalformed, "the account row has both Name and name");
  }
  if (upper) {
    return Dialect::kReadme;
  }
  if (!lower) {
    return Fail(ErrorCode::kWalletItemMalformed, "the account row has no Name or name attribute");
  }
  const bool camel = item.contains("keyId");
  const bool snake = item.contains("key_id");
  if (camel == snake) {
    return Fail(ErrorCode::kWalletItemMalformed,
                camel ? "the account row has both keyId and key_id"
                      : "the account row has no KeyId, keyId or key_id attribute");
  }
  return camel ? Dialect::kPython : Dialect::kRustParent;
}

core::Result<Account> DecodeAccountItem(const Item& item) {
  if (item.size() > kMaxItemAttributes) {
    return Fail(ErrorCode::kWalletItemMalformed, "the account row has more than 64 attributes");
  }
  for (const auto& [attribute, value] : item) {
    if (attribute.size() > kMaxAttributeValueLen || value.value.size() > kMaxAttributeValueLen) {
      return Fail(ErrorCode::kWalletItemMalformed, "an account row attribute is too large");
    }
  }
  auto dialect = DetectDialect(item);
  if (!dialect) {
    return Fail(dialect.error());
  }
  const DialectNames& names = NamesOf(*dialect);
  std::array<std::string, 5> values;
  const std::array<std::string_view, 5> attributes = {names.name, names.key_id, names.address,
                                                      names.encrypted_data_key,
                                                      names.encrypted_private_key};
  for (std::size_t i = 0; i < attributes.size(); ++i) {
    auto value = RequireS(item, attributes[i]);
    if (!value) {
      return Fail(value.error());
    }
    values[i] = std::move(*value);
  }
  Account account;
  account.name = std::move(values[0]);
  account.key_id = std::move(values[1]);
  account.address = std::move(values[2]);
  account.encrypted_data_key = std::move(values[3]);
  account.encrypted_private_key = std::move(values[4]);
  auto format = DetectEnvelopeFormat(account.encrypted_private_key);
  if (!format) {
    return Fail(format.error());
  }
  account.format = *format;
  account.created_at = OptionalS(item, kCreatedAt);
  account.owner_key = OptionalS(item, kOwnerKey);
  ENCLAVECTL_RETURN_IF_ERROR(ValidateAccount(account));
  return account;
}

Item EncodeAccountItem(const Account& account, Dialect dialect) {
  const DialectNames& names = NamesOf(dialect);
  Item item = {
      {std::string(names.key_id), S(account.key_id)},
      {std::string(names.name), S(account.name)},
      {std::string(names.address), S(account.address)},
      {std::string(names.encrypted_private_key), S(account.encrypted_private_key)},
      {std::string(names.encrypted_data_key), S(account.encrypted_data_key)},
  };
  if (account.created_at) {
    item.emplace(std::string(kCreatedAt), S(*account.created_at));
  }
  if (account.owner_key) {
    item.emplace(std::string(kOwnerKey), S(*account.owner_key));
  }
  return item;
}

Item AccountKeyItem(std::string_view key_id, std::string_view name, Dialect dialect) {
  const DialectNames& names = NamesOf(dialect);
  Item key = {{std::string(names.name), S(std::string(name))}};
  if (names.key_id_in_key) {
    key.emplace(std::string(names.key_id), S(std::string(key_id)));
  }
  return key;
}

}  // namespace enclavectl::wallet
