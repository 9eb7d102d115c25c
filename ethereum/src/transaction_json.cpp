// Transactions from JSON fields (transaction.hpp ParseTransactionJson): member names in two
// spellings, quantities as JSON integers, decimal strings or hex quantities.
#include <algorithm>
#include <array>
#include <string>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/ethereum/rlp.hpp"
#include "enclavectl/ethereum/transaction.hpp"
#include "first_error.hpp"

namespace enclavectl::ethereum {
namespace {

using core::ErrorCode;
using core::Fail;
using nlohmann::json;

// A member's two accepted spellings (the same text twice when there is one).
struct Name {
  std::string_view snake;
  std::string_view camel;
};

constexpr Name kChainId{"chain_id", "chainId"};
constexpr Name kNonce{"nonce", "nonce"};
constexpr Name kGasLimit{"gas_limit", "gasLimit"};
constexpr Name kTo{"to", "to"};
constexpr Name kValue{"value", "value"};
constexpr Name kData{"data", "data"};
constexpr Name kType{"type", "type"};
constexpr Name kFrom{"from", "from"};
constexpr Name kMaxFee{"max_fee_per_gas", "maxFeePerGas"};
constexpr Name kMaxPriorityFee{"max_priority_fee_per_gas", "maxPriorityFeePerGas"};
constexpr Name kAccessList{"access_list", "accessList"};
constexpr Name kGasPrice{"gas_price", "gasPrice"};
constexpr Name kStorageKeys{"storage_keys", "storageKeys"};
constexpr Name kAddress{"address", "address"};

constexpr std::size_t kMaxDecimalDigits = 78;  // 2^256 - 1 has 78 decimal digits
constexpr std::size_t kMaxQuantityHexDigits = 64;

bool IsDigit(char c) noexcept { return c >= '0' && c <= '9'; }

// The member under either spelling, or nullptr. Fails when both spellings are present.
core::Result<const json*> Lookup(const core::JsonObjectView& object, const Name& name) {
  const json* snake = object.Find(name.snake);
  const json* camel = name.camel == name.snake ? nullptr : object.Find(name.camel);
  if (snake != nullptr && camel != nullptr) {
    return Fail(ErrorCode::kEthTxJsonInvalid, object.What() + ": both \"" +
                                                  std::string(name.snake) + "\" and \"" +
                                                  std::string(name.camel) + "\" are given");
  }
  return snake != nullptr ? snake : camel;
}

core::Result<const json*> Require(const core::JsonObjectView& object, const Name& name) {
  auto member = Lookup(object, name);
  if (member && *member == nullptr) {
    return Fail(ErrorCode::kEthTxJsonInvalid,
                object.What() + ": \"" + std::string(name.snake) + "\" is missing");
  }
  return member;
}

// Big-endian bytes without their leading zero bytes.
Quantity Minimal(ByteView value) {
  const auto first =
      std::find_if(value.begin(), value.end(), [](std::uint8_t b) { return b != 0; });
  return {first, value.end()};
}

Quantity FromUint64(std::uint64_t value) { return RlpItem::Uint(value).bytes; }

core::Result<Quantity> ParseDecimal(std::string_view text, std::string_view name) {
  if (text.empty() || text.size() > kMaxDecimalDigits ||
      !std::all_of(text.begin(), text.end(), IsDigit) || (text.size() > 1 && text[0] == '0')) {
    return Fail(ErrorCode::kEthTxFieldInvalid,
                std::string(name) + " is not a decimal or 0x quantity without leading zeros");
  }
  std::array<std::uint8_t, 32> value{};  // big-endian
  for (char digit : text) {
    auto carry = static_cast<unsigned>(digit - '0');
    // Least significant byte first (clang 14 cannot compile libstdc++ 12's ranges::reverse_view).
    for (auto it = value.rbegin(); it != value.rend(); ++it) {  // NOLINT(modernize-loop-convert)
      const unsigned product = *it * 10U + carry;
      *it = static_cast<std::uint8_t>(product & 0xffU);
      carry = product >> 8U;
    }
    if (carry != 0) {
      return Fail(ErrorCode::kEthTxFieldInvalid, std::string(name) + " exceeds 2^256 - 1");
    }
  }
  return Minimal(value);
}

// A JSON-RPC quantity: "0x" and 1..64 hex digits, no leading zero except "0x0".
core::Result<Quantity> ParseHexQuantity(std::string_view text, std::string_view name) {
  std::string digits(text.substr(2));
  if (digits.empty() || digits.size() > kMaxQuantityHexDigits ||
      (digits.size() > 1 && digits[0] == '0')) {
    return Fail(
        ErrorCode::kEthTxFieldInvalid,
        std::string(name) + " is not a 0x quantity of 1 to 64 digits without leading zeros");
  }
  if (digits.size() % 2 != 0) {
    digits.insert(digits.begin(), '0');
  }
  auto bytes = core::HexDecode(digits);
  if (!bytes) {
    return Fail(ErrorCode::kEthTxFieldInvalid, std::string(name) + " has a non-hex digit");
  }
  return Minimal(*bytes);
}

core::Result<Quantity> ParseQuantity(const json& value, std::string_view name) {
  if (value.is_number_unsigned()) {
    return FromUint64(value.get<std::uint64_t>());
  }
  // A tree built in C++ (not parsed) holds non-negative integers as signed.
  if (value.is_number_integer() && value.get<std::int64_t>() >= 0) {
    return FromUint64(static_cast<std::uint64_t>(value.get<std::int64_t>()));
  }
  if (value.is_number()) {
    return Fail(ErrorCode::kEthTxFieldInvalid,
                std::string(name) + " is a negative or fractional number");
  }
  if (!value.is_string()) {
    return Fail(
        ErrorCode::kEthTxJsonInvalid,
        std::string(name) + " must be a number or a string, not " + core::JsonTypeName(value));
  }
  const auto& text = value.get_ref<const std::string&>();
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    return ParseHexQuantity(text, name);
  }
  return ParseDecimal(text, name);
}

// A quantity that fits 64 bits (nonce, gas limit, chain id); `code` when it does not.
core::Result<std::uint64_t> ParseUint64(const json& value, std::string_view name, ErrorCode code) {
  auto quantity = ParseQuantity(value, name);
  if (!quantity) {
    return Fail(quantity.error());
  }
  if (quantity->size() > 8) {
    return Fail(code, std::string(name) + " does not fit 64 bits");
  }
  std::uint64_t out = 0;
  for (std::uint8_t b : *quantity) {
    out = (out << 8U) | b;
  }
  return out;
}

core::Result<std::string> StringMember(const json& value, std::string_view name) {
  if (!value.is_string()) {
    return Fail(ErrorCode::kEthTxJsonInvalid,
                std::string(name) + " must be a string, not " + core::JsonTypeName(value));
  }
  return value.get<std::string>();
}

// "0x" and an even number of hex digits (either case), at most `max_len` bytes.
core::Result<Bytes> ParseHexBytes(const json& value, std::string_view name, std::size_t max_len) {
  auto text = StringMember(value, name);
  if (!text) {
    return Fail(text.error());
  }
  if (text->size() < 2 || (*text)[0] != '0' || ((*text)[1] != 'x' && (*text)[1] != 'X')) {
    return Fail(ErrorCode::kEthTxFieldInvalid, std::string(name) + " must start with 0x");
  }
  if (text->size() - 2 > 2 * max_len) {
    return Fail(ErrorCode::kEthTxFieldInvalid,
                std::string(name) + " exceeds " + std::to_string(max_len) + " bytes");
  }
  auto bytes = core::HexDecode(std::string_view(*text).substr(2));
  if (!bytes) {
    return Fail(ErrorCode::kEthTxFieldInvalid, std::string(name) + " is not even-length hex");
  }
  return bytes;
}

core::Result<Address> AddressMember(const json& value, std::string_view name) {
  auto text = StringMember(value, name);
  if (!text) {
    return Fail(text.error());
  }
  return ParseAddress(*text);
}

core::Result<AccessListEntry> ParseAccessListEntry(const json& value) {
  auto object = core::JsonObjectView::Of(value, ErrorCode::kEthTxJsonInvalid, "access_list entry");
  if (!object) {
    return Fail(object.error());
  }
  ENCLAVECTL_RETURN_IF_ERROR(object->OnlyKeys({"address", "storage_keys", "storageKeys"}));
  auto address_member = Require(*object, kAddress);
  auto keys_member = Require(*object, kStorageKeys);
  if (!address_member || !keys_member) {
    return Fail(internal::FirstError(address_member, keys_member));
  }
  AccessListEntry entry;
  auto address = AddressMember(**address_member, "access_list address");
  if (!address) {
    return Fail(address.error());
  }
  entry.address = *address;
  if (!(*keys_member)->is_array() || (*keys_member)->size() > core::limits::kMaxEthStorageKeys) {
    return Fail(ErrorCode::kEthTxJsonInvalid, "storage_keys must be an array within its limit");
  }
  for (const json& key : **keys_member) {
    auto bytes = ParseHexBytes(key, "a storage key", 32);
    if (!bytes) {
      return Fail(bytes.error());
    }
    if (bytes->size() != 32) {
      return Fail(ErrorCode::kEthTxFieldInvalid, "a storage key has 32 bytes");
    }
    Hash256 k{};
    std::copy(bytes->begin(), bytes->end(), k.begin());
    entry.storage_keys.push_back(k);
  }
  return entry;
}

core::Result<std::vector<AccessListEntry>> ParseAccessList(const json& value) {
  if (!value.is_array() || value.size() > core::limits::kMaxEthAccessListEntries) {
    return Fail(ErrorCode::kEthTxJsonInvalid, "access_list must be an array within its limit");
  }
  std::vector<AccessListEntry> out;
  for (const json& element : value) {
    auto entry = ParseAccessListEntry(element);
    if (!entry) {
      return Fail(entry.error());
    }
    out.push_back(std::move(*entry));
  }
  return out;
}

// The transaction type: "type" when given, else from the fee fields present.
core::Result<TxType> ParseType(const core::JsonObjectView& object) {
  auto type = Lookup(object, kType);
  auto gas_price = Lookup(object, kGasPrice);
  auto max_fee = Lookup(object, kMaxFee);
  auto tip = Lookup(object, kMaxPriorityFee);
  if (!type || !gas_price || !max_fee || !tip) {
    return Fail(internal::FirstError(type, gas_price, max_fee, tip));
  }
  const bool has_1559 = *max_fee != nullptr || *tip != nullptr;
  if (*type != nullptr) {
    auto value = ParseUint64(**type, "type", ErrorCode::kEthTxTypeUnsupported);
    if (!value) {
      return Fail(value.error());
    }
    if (*value != 0 && *value != 2) {
      return Fail(ErrorCode::kEthTxTypeUnsupported,
                  "transaction type " + std::to_string(*value) + " is not 0 or 2");
    }
    return *value == 0 ? TxType::kLegacy : TxType::kEip1559;
  }
  if (*gas_price != nullptr && has_1559) {
    return Fail(ErrorCode::kEthTxTypeUnsupported,
                "gas_price and the EIP-1559 fee fields exclude each other");
  }
  if (*gas_price == nullptr && !has_1559) {
    return Fail(ErrorCode::kEthTxJsonInvalid,
                "a transaction needs gas_price or max_fee_per_gas and max_priority_fee_per_gas");
  }
  return *gas_price != nullptr ? TxType::kLegacy : TxType::kEip1559;
}

// A quantity member: required, or zero (empty) when absent.
core::Status ReadQuantity(const core::JsonObjectView& object, const Name& name, bool required,
                          Quantity& out) {
  auto member = required ? Require(object, name) : Lookup(object, name);
  if (!member) {
    return Fail(member.error());
  }
  if (*member == nullptr) {
    return core::Ok();
  }
  auto value = ParseQuantity(**member, name.snake);
  if (!value) {
    return Fail(value.error());
  }
  out = std::move(*value);
  return core::Ok();
}

core::Status ReadUint64(const core::JsonObjectView& object, const Name& name, ErrorCode code,
                        std::uint64_t& out) {
  auto member = Lookup(object, name);
  if (!member) {
    return Fail(member.error());
  }
  if (*member == nullptr) {
    // A missing chain id is a missing replay guard: it has its own code.
    return Fail(code == ErrorCode::kEthTxChainId ? code : ErrorCode::kEthTxJsonInvalid,
                "transaction: \"" + std::string(name.snake) + "\" is missing");
  }
  auto value = ParseUint64(**member, name.snake, code);
  if (!value) {
    return Fail(value.error());
  }
  out = *value;
  return core::Ok();
}

core::Status ReadFeeFields(const core::JsonObjectView& object, Transaction& tx) {
  if (tx.type == TxType::kLegacy) {
    auto max_fee = Lookup(object, kMaxFee);
    auto tip = Lookup(object, kMaxPriorityFee);
    auto access_list = Lookup(object, kAccessList);
    if (!max_fee || !tip || !access_list || *max_fee != nullptr || *tip != nullptr ||
        *access_list != nullptr) {
      return Fail(ErrorCode::kEthTxTypeUnsupported,
                  "a legacy transaction has no EIP-1559 fee fields and no access list");
    }
    return ReadQuantity(object, kGasPrice, true, tx.gas_price);
  }
  auto gas_price = Lookup(object, kGasPrice);
  if (!gas_price || *gas_price != nullptr) {
    return Fail(ErrorCode::kEthTxTypeUnsupported, "a type 2 transaction has no gas_price");
  }
  ENCLAVECTL_RETURN_IF_ERROR(ReadQuantity(object, kMaxFee, true, tx.max_fee_per_gas));
  ENCLAVECTL_RETURN_IF_ERROR(
      ReadQuantity(object, kMaxPriorityFee, true, tx.max_priority_fee_per_gas));
  auto access_list = Lookup(object, kAccessList);
  if (!access_list) {
    return Fail(access_list.error());
  }
  if (*access_list != nullptr) {
    auto list = ParseAccessList(**access_list);
    if (!list) {
      return Fail(list.error());
    }
    tx.access_list = std::move(*list);
  }
  return core::Ok();
}

// to, data and from: optional members.
core::Status ReadOptionalMembers(const core::JsonObjectView& object, TransactionRequest& request) {
  auto to = Lookup(object, kTo);
  auto data = Lookup(object, kData);
  auto from = Lookup(object, kFrom);
  if (!to || !data || !from) {
    return Fail(internal::FirstError(to, data, from));
  }
  if (*to != nullptr && !(*to)->is_null()) {
    auto address = AddressMember(**to, "to");
    if (!address) {
      return Fail(address.error());
    }
    request.tx.to = *address;
  }
  if (*data != nullptr) {
    auto bytes = ParseHexBytes(**data, "data", core::limits::kMaxEthTxDataBytes);
    if (!bytes) {
      return Fail(bytes.error());
    }
    request.tx.data = std::move(*bytes);
  }
  if (*from != nullptr) {
    auto address = AddressMember(**from, "from");
    if (!address) {
      return Fail(address.error());
    }
    request.from = *address;
  }
  return core::Ok();
}

}  // namespace

core::Result<TransactionRequest> TransactionFromJson(const json& value) {
  auto object = core::JsonObjectView::Of(value, ErrorCode::kEthTxJsonInvalid, "transaction");
  if (!object) {
    return Fail(object.error());
  }
  ENCLAVECTL_RETURN_IF_ERROR(object->OnlyKeys(
      {"chain_id", "chainId", "nonce", "gas_limit", "gasLimit", "to", "value", "data", "type",
       "from", "max_fee_per_gas", "maxFeePerGas", "max_priority_fee_per_gas",
       "maxPriorityFeePerGas", "access_list", "accessList", "gas_price", "gasPrice"}));
  TransactionRequest request;
  Transaction& tx = request.tx;
  auto type = ParseType(*object);
  if (!type) {
    return Fail(type.error());
  }
  tx.type = *type;
  ENCLAVECTL_RETURN_IF_ERROR(ReadUint64(*object, kChainId, ErrorCode::kEthTxChainId, tx.chain_id));
  ENCLAVECTL_RETURN_IF_ERROR(ReadUint64(*object, kNonce, ErrorCode::kEthTxFieldInvalid, tx.nonce));
  ENCLAVECTL_RETURN_IF_ERROR(
      ReadUint64(*object, kGasLimit, ErrorCode::kEthTxFieldInvalid, tx.gas_limit));
  ENCLAVECTL_RETURN_IF_ERROR(ReadQuantity(*object, kValue, false, tx.value));
  ENCLAVECTL_RETURN_IF_ERROR(ReadFeeFields(*object, tx));
  ENCLAVECTL_RETURN_IF_ERROR(ReadOptionalMembers(*object, request));
  ENCLAVECTL_RETURN_IF_ERROR(ValidateTransaction(tx));
  return request;
}

core::Result<TransactionRequest> ParseTransactionJson(std::string_view text) {
  auto value = core::ParseStrictJson(text, core::limits::kMaxEthTxJsonBytes,
                                     ErrorCode::kEthTxJsonInvalid, "transaction");
  if (!value) {
    return Fail(value.error());
  }
  return TransactionFromJson(*value);
}

}  // namespace enclavectl::ethereum
