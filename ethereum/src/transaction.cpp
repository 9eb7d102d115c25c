#include "enclavectl/ethereum/transaction.hpp"

#include <algorithm>
#include <cstdint>
#include <string>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/ethereum/rlp.hpp"
#include "first_error.hpp"

namespace enclavectl::ethereum {
namespace {

using core::ErrorCode;
using core::Fail;

constexpr std::uint8_t kEip1559TypeByte = 0x02;
constexpr std::uint64_t kEip155VOffset = 35;
constexpr std::size_t kEip1559Fields = 12;
constexpr std::size_t kLegacyFields = 9;

core::Status CheckQuantity(const Quantity& q, const char* name) {
  if (q.size() > 32) {
    return Fail(ErrorCode::kEthTxFieldInvalid, std::string(name) + " exceeds 2^256 - 1");
  }
  if (!q.empty() && q[0] == 0) {
    return Fail(ErrorCode::kEthTxFieldInvalid, std::string(name) + " has a leading zero byte");
  }
  return core::Ok();
}

// a < b for minimal big-endian quantities.
bool QuantityLess(const Quantity& a, const Quantity& b) {
  if (a.size() != b.size()) {
    return a.size() < b.size();
  }
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

RlpItem AccessListItem(const std::vector<AccessListEntry>& list) {
  std::vector<RlpItem> entries;
  entries.reserve(list.size());
  for (const AccessListEntry& entry : list) {
    std::vector<RlpItem> keys;
    keys.reserve(entry.storage_keys.size());
    for (const Hash256& key : entry.storage_keys) {
      keys.push_back(RlpItem::String(key));
    }
    entries.push_back(RlpItem::List({RlpItem::String(entry.address), RlpItem::List(keys)}));
  }
  return RlpItem::List(std::move(entries));
}

RlpItem ToItem(const std::optional<Address>& to) {
  return to ? RlpItem::String(*to) : RlpItem::String({});
}

// The unsigned fields in their RLP order (EIP-1559: nine; legacy: six, before v, r, s).
std::vector<RlpItem> PayloadFields(const Transaction& tx) {
  if (tx.type == TxType::kEip1559) {
    return {RlpItem::Uint(tx.chain_id),
            RlpItem::Uint(tx.nonce),
            RlpItem::String(tx.max_priority_fee_per_gas),
            RlpItem::String(tx.max_fee_per_gas),
            RlpItem::Uint(tx.gas_limit),
            ToItem(tx.to),
            RlpItem::String(tx.value),
            RlpItem::String(tx.data),
            AccessListItem(tx.access_list)};
  }
  return {RlpItem::Uint(tx.nonce), RlpItem::String(tx.gas_price), RlpItem::Uint(tx.gas_limit),
          ToItem(tx.to),           RlpItem::String(tx.value),     RlpItem::String(tx.data)};
}

Bytes Typed(const RlpItem& list) {
  Bytes out{kEip1559TypeByte};
  const Bytes body = RlpEncode(list);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// The signed raw bytes of `tx` with `sig`.
Bytes RawSigned(const Transaction& tx, const Signature& sig) {
  std::vector<RlpItem> fields = PayloadFields(tx);
  if (tx.type == TxType::kEip1559) {
    fields.push_back(RlpItem::Uint(sig.recovery_id));
  } else {
    fields.push_back(RlpItem::Uint(sig.recovery_id + kEip155VOffset + 2 * tx.chain_id));
  }
  fields.push_back(RlpItem::BigEndian(sig.r));
  fields.push_back(RlpItem::BigEndian(sig.s));
  const RlpItem list = RlpItem::List(std::move(fields));
  return tx.type == TxType::kEip1559 ? Typed(list) : RlpEncode(list);
}

// --- decoding ---

core::Result<std::optional<Address>> DecodeTo(const RlpItem& item) {
  if (item.is_list || (!item.bytes.empty() && item.bytes.size() != 20)) {
    return Fail(ErrorCode::kEthTxMalformed, "to is neither empty nor 20 bytes");
  }
  if (item.bytes.empty()) {
    return std::optional<Address>();
  }
  Address out{};
  std::copy(item.bytes.begin(), item.bytes.end(), out.begin());
  return std::optional<Address>(out);
}

core::Result<std::vector<AccessListEntry>> DecodeAccessList(const RlpItem& item) {
  if (!item.is_list || item.items.size() > core::limits::kMaxEthAccessListEntries) {
    return Fail(ErrorCode::kEthTxMalformed, "the access list is not a list within its limit");
  }
  std::vector<AccessListEntry> out;
  for (const RlpItem& entry : item.items) {
    if (!entry.is_list || entry.items.size() != 2 || entry.items[0].is_list ||
        entry.items[0].bytes.size() != 20 || !entry.items[1].is_list) {
      return Fail(ErrorCode::kEthTxMalformed, "an access-list entry is not [address, [keys]]");
    }
    AccessListEntry decoded;
    std::copy(entry.items[0].bytes.begin(), entry.items[0].bytes.end(), decoded.address.begin());
    for (const RlpItem& key : entry.items[1].items) {
      if (key.is_list || key.bytes.size() != 32) {
        return Fail(ErrorCode::kEthTxMalformed, "a storage key is not 32 bytes");
      }
      Hash256 k{};
      std::copy(key.bytes.begin(), key.bytes.end(), k.begin());
      decoded.storage_keys.push_back(k);
    }
    out.push_back(std::move(decoded));
  }
  return out;
}

core::Result<std::array<std::uint8_t, 32>> DecodeScalar(const RlpItem& item) {
  auto bytes = RlpToBigEndian(item, 32, ErrorCode::kEthTxMalformed);
  if (!bytes) {
    return Fail(bytes.error());
  }
  std::array<std::uint8_t, 32> out{};
  std::copy(bytes->begin(), bytes->end(), out.end() - static_cast<std::ptrdiff_t>(bytes->size()));
  return out;
}

// Reads the fields common to both types, given their positions.
struct FieldPositions {
  std::size_t nonce, gas_limit, to, value, data;
};

core::Status DecodeCommon(const std::vector<RlpItem>& f, const FieldPositions& at,
                          Transaction& tx) {
  auto nonce = RlpToUint64(f[at.nonce], ErrorCode::kEthTxMalformed);
  auto gas_limit = RlpToUint64(f[at.gas_limit], ErrorCode::kEthTxMalformed);
  auto to = DecodeTo(f[at.to]);
  auto value = RlpToBigEndian(f[at.value], 32, ErrorCode::kEthTxMalformed);
  if (!nonce || !gas_limit || !to || !value) {
    return Fail(internal::FirstError(nonce, gas_limit, to, value));
  }
  if (f[at.data].is_list) {
    return Fail(ErrorCode::kEthTxMalformed, "data is a list");
  }
  tx.nonce = *nonce;
  tx.gas_limit = *gas_limit;
  tx.to = *to;
  tx.value = std::move(*value);
  tx.data = f[at.data].bytes;
  return core::Ok();
}

core::Status DecodeSignature(const RlpItem& r, const RlpItem& s, Signature& sig) {
  auto r_value = DecodeScalar(r);
  if (!r_value) {
    return Fail(r_value.error());
  }
  auto s_value = DecodeScalar(s);
  if (!s_value) {
    return Fail(s_value.error());
  }
  sig.r = *r_value;
  sig.s = *s_value;
  return core::Ok();
}

core::Result<SignedTransaction> DecodeEip1559(const std::vector<RlpItem>& f) {
  if (f.size() != kEip1559Fields) {
    return Fail(ErrorCode::kEthTxMalformed, "a type 2 transaction has 12 fields");
  }
  SignedTransaction out;
  Transaction& tx = out.tx;
  tx.type = TxType::kEip1559;
  auto chain_id = RlpToUint64(f[0], ErrorCode::kEthTxChainId);
  auto tip = RlpToBigEndian(f[2], 32, ErrorCode::kEthTxMalformed);
  auto fee_cap = RlpToBigEndian(f[3], 32, ErrorCode::kEthTxMalformed);
  auto access_list = DecodeAccessList(f[8]);
  auto y_parity = RlpToUint64(f[9], ErrorCode::kEthTxMalformed);
  if (!chain_id || !tip || !fee_cap || !access_list || !y_parity) {
    return Fail(internal::FirstError(chain_id, tip, fee_cap, access_list, y_parity));
  }
  if (*y_parity > 1) {
    return Fail(ErrorCode::kEthSignatureMalformed, "y_parity is not 0 or 1");
  }
  tx.chain_id = *chain_id;
  tx.max_priority_fee_per_gas = std::move(*tip);
  tx.max_fee_per_gas = std::move(*fee_cap);
  tx.access_list = std::move(*access_list);
  ENCLAVECTL_RETURN_IF_ERROR(DecodeCommon(f, {1, 4, 5, 6, 7}, tx));
  out.signature.recovery_id = static_cast<std::uint8_t>(*y_parity);
  ENCLAVECTL_RETURN_IF_ERROR(DecodeSignature(f[10], f[11], out.signature));
  return out;
}

core::Result<SignedTransaction> DecodeLegacy(const std::vector<RlpItem>& f) {
  if (f.size() != kLegacyFields) {
    return Fail(ErrorCode::kEthTxMalformed, "a legacy transaction has 9 fields");
  }
  SignedTransaction out;
  Transaction& tx = out.tx;
  tx.type = TxType::kLegacy;
  auto gas_price = RlpToBigEndian(f[1], 32, ErrorCode::kEthTxMalformed);
  auto v = RlpToUint64(f[6], ErrorCode::kEthTxMalformed);
  if (!gas_price || !v) {
    return Fail(internal::FirstError(gas_price, v));
  }
  if (*v < kEip155VOffset + 2) {
    // 27/28: a pre-EIP-155 signature, valid on every chain.
    return Fail(ErrorCode::kEthTxChainId, "the legacy transaction has no EIP-155 chain id");
  }
  tx.gas_price = std::move(*gas_price);
  tx.chain_id = (*v - kEip155VOffset) / 2;
  ENCLAVECTL_RETURN_IF_ERROR(DecodeCommon(f, {0, 2, 3, 4, 5}, tx));
  out.signature.recovery_id = static_cast<std::uint8_t>((*v - kEip155VOffset) % 2);
  ENCLAVECTL_RETURN_IF_ERROR(DecodeSignature(f[7], f[8], out.signature));
  return out;
}

}  // namespace

core::Status ValidateTransaction(const Transaction& tx) {
  if (tx.chain_id == 0 || tx.chain_id > kMaxChainId) {
    return Fail(ErrorCode::kEthTxChainId, "chain id must be in 1..2^63-37 (EIP-155, EIP-2294)");
  }
  if (tx.nonce == UINT64_MAX) {
    return Fail(ErrorCode::kEthTxFieldInvalid, "nonce must be below 2^64 - 1 (EIP-2681)");
  }
  ENCLAVECTL_RETURN_IF_ERROR(CheckQuantity(tx.value, "value"));
  if (tx.data.size() > core::limits::kMaxEthTxDataBytes) {
    return Fail(ErrorCode::kEthTxFieldInvalid,
                "data exceeds " + std::to_string(core::limits::kMaxEthTxDataBytes) + " bytes");
  }
  if (tx.type == TxType::kLegacy) {
    if (!tx.max_fee_per_gas.empty() || !tx.max_priority_fee_per_gas.empty() ||
        !tx.access_list.empty()) {
      return Fail(ErrorCode::kEthTxTypeUnsupported,
                  "a legacy transaction has no EIP-1559 fee fields and no access list");
    }
    return CheckQuantity(tx.gas_price, "gas_price");
  }
  if (tx.type != TxType::kEip1559) {
    return Fail(ErrorCode::kEthTxTypeUnsupported, "only types 0 (legacy) and 2 are supported");
  }
  if (!tx.gas_price.empty()) {
    return Fail(ErrorCode::kEthTxTypeUnsupported, "a type 2 transaction has no gas_price");
  }
  ENCLAVECTL_RETURN_IF_ERROR(CheckQuantity(tx.max_fee_per_gas, "max_fee_per_gas"));
  ENCLAVECTL_RETURN_IF_ERROR(
      CheckQuantity(tx.max_priority_fee_per_gas, "max_priority_fee_per_gas"));
  if (QuantityLess(tx.max_fee_per_gas, tx.max_priority_fee_per_gas)) {
    return Fail(ErrorCode::kEthTxFieldInvalid, "max_priority_fee_per_gas is above max_fee_per_gas");
  }
  std::size_t num_keys = 0;
  for (const AccessListEntry& entry : tx.access_list) {
    num_keys += entry.storage_keys.size();
  }
  if (tx.access_list.size() > core::limits::kMaxEthAccessListEntries ||
      num_keys > core::limits::kMaxEthStorageKeys) {
    return Fail(ErrorCode::kEthTxFieldInvalid, "the access list exceeds its limits");
  }
  return core::Ok();
}

Hash256 SigningHash(const Transaction& tx) {
  std::vector<RlpItem> fields = PayloadFields(tx);
  if (tx.type == TxType::kEip1559) {
    return Keccak256Of(Typed(RlpItem::List(std::move(fields))));
  }
  fields.push_back(RlpItem::Uint(tx.chain_id));  // EIP-155: chain_id, 0, 0
  fields.push_back(RlpItem::Uint(0));
  fields.push_back(RlpItem::Uint(0));
  return Keccak256Of(RlpEncode(RlpItem::List(std::move(fields))));
}

core::Result<SignedTransaction> SignTransaction(const Transaction& tx, ByteView secret) {
  ENCLAVECTL_RETURN_IF_ERROR(ValidateTransaction(tx));
  auto from = AddressFromSecret(secret);
  if (!from) {
    return Fail(from.error());
  }
  auto signature = SignDigest(secret, SigningHash(tx));
  if (!signature) {
    return Fail(signature.error());
  }
  SignedTransaction out;
  out.tx = tx;
  out.signature = *signature;
  out.from = *from;
  out.raw = RawSigned(tx, *signature);
  out.hash = Keccak256Of(out.raw);
  return out;
}

core::Result<SignedTransaction> SignTransactionRequest(const TransactionRequest& request,
                                                       ByteView secret) {
  if (request.from) {
    auto address = AddressFromSecret(secret);
    if (!address) {
      return Fail(address.error());
    }
    if (*address != *request.from) {
      return Fail(ErrorCode::kEthTxFromMismatch, "from is " + ChecksumAddress(*request.from) +
                                                     " but the key's address is " +
                                                     ChecksumAddress(*address));
    }
  }
  return SignTransaction(request.tx, secret);
}

core::Result<SignedTransaction> AssembleSignedTransaction(const Transaction& tx,
                                                          const Signature& signature) {
  ENCLAVECTL_RETURN_IF_ERROR(ValidateTransaction(tx));
  auto key = RecoverPublicKey(SigningHash(tx), signature);
  if (!key) {
    return Fail(key.error());
  }
  SignedTransaction out;
  out.tx = tx;
  out.signature = signature;
  out.from = AddressOf(*key);
  out.raw = RawSigned(tx, signature);
  out.hash = Keccak256Of(out.raw);
  return out;
}

core::Result<SignedTransaction> DecodeSignedTransaction(ByteView raw) {
  if (raw.empty()) {
    return Fail(ErrorCode::kEthTxMalformed, "a raw transaction is empty");
  }
  const bool typed = raw[0] < 0xc0;  // EIP-2718: a type byte, or an RLP list (legacy)
  if (typed && raw[0] != kEip1559TypeByte) {
    return Fail(ErrorCode::kEthTxTypeUnsupported,
                "transaction type " + std::to_string(raw[0]) + " is not supported");
  }
  auto list = RlpDecode(typed ? raw.subspan(1) : raw);
  if (!list) {
    return Fail(list.error());
  }
  if (!list->is_list) {
    return Fail(ErrorCode::kEthTxMalformed, "a transaction is an RLP list");
  }
  auto decoded = typed ? DecodeEip1559(list->items) : DecodeLegacy(list->items);
  if (!decoded) {
    return Fail(decoded.error());
  }
  ENCLAVECTL_RETURN_IF_ERROR(ValidateTransaction(decoded->tx));
  auto key = RecoverPublicKey(SigningHash(decoded->tx), decoded->signature);
  if (!key) {
    return Fail(key.error());
  }
  decoded->from = AddressOf(*key);
  decoded->raw = core::ToBytes(raw);
  decoded->hash = Keccak256Of(raw);
  return decoded;
}

std::string PrefixedHex(ByteView bytes) { return "0x" + core::HexEncode(bytes); }

std::string QuantityHex(const Quantity& quantity) {
  std::string hex = core::HexEncode(quantity);
  const std::size_t first = hex.find_first_not_of('0');
  return first == std::string::npos ? "0x0" : "0x" + hex.substr(first);
}

}  // namespace enclavectl::ethereum
