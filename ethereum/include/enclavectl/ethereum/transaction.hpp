// Ethereum transactions: EIP-1559 (type 2) and legacy transactions with EIP-155 replay
// protection, built from JSON fields, signed with a secp256k1 key, and decoded back from their
// signed raw bytes (strict RLP).
//
//   type 2:  0x02 || rlp([chain_id, nonce, max_priority_fee_per_gas, max_fee_per_gas,
//                         gas_limit, to, value, data, access_list, y_parity, r, s])
//            signing hash keccak(0x02 || rlp(the first nine fields))          (EIP-1559)
//   legacy:  rlp([nonce, gas_price, gas_limit, to, value, data, v, r, s]),
//            v = recovery id + 35 + 2 * chain_id,
//            signing hash keccak(rlp([nonce, ..., data, chain_id, 0, 0]))     (EIP-155)
//
// The hash of a signed transaction is keccak(raw bytes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/ethereum/address.hpp"
#include "enclavectl/ethereum/keccak.hpp"
#include "enclavectl/ethereum/signing.hpp"

namespace enclavectl::ethereum {

using core::Bytes;

enum class TxType : std::uint8_t { kLegacy = 0, kEip1559 = 2 };

// The largest chain id (EIP-2294: floor(2^64 / 2) - 36), so that an EIP-155 v fits 64 bits.
inline constexpr std::uint64_t kMaxChainId = 9223372036854775771ULL;

// An unsigned 256-bit quantity, big-endian without leading zero bytes (zero is empty).
using Quantity = Bytes;

struct AccessListEntry {
  Address address{};
  std::vector<Hash256> storage_keys;
  friend bool operator==(const AccessListEntry&, const AccessListEntry&) = default;
};

// The fields of an unsigned transaction. Fields of the other type stay empty.
struct Transaction {
  TxType type = TxType::kEip1559;
  std::uint64_t chain_id = 0;
  std::uint64_t nonce = 0;
  Quantity max_priority_fee_per_gas;  // type 2
  Quantity max_fee_per_gas;           // type 2
  Quantity gas_price;                 // legacy
  std::uint64_t gas_limit = 0;
  std::optional<Address> to;  // nullopt: contract creation
  Quantity value;
  Bytes data;
  std::vector<AccessListEntry> access_list;  // type 2
  friend bool operator==(const Transaction&, const Transaction&) = default;
};

// A transaction as a caller asked for it: the fields, and the sender it expects (optional).
struct TransactionRequest {
  Transaction tx;
  std::optional<Address> from;
};

// Reads a transaction from JSON text (untrusted, at most limits::kMaxEthTxJsonBytes): one
// object whose members are, in snake_case or camelCase (not both):
//   chain_id, nonce, gas_limit (required); to (address or null; absent or null: contract
//   creation); value, data ("0x" hex), type (0 or 2), from (an address, checked at signing);
//   type 2: max_fee_per_gas, max_priority_fee_per_gas (required), access_list ([] or a list of
//   {"address", "storage_keys"/"storageKeys"}); legacy: gas_price (required).
// Quantities are JSON integers, decimal strings ("21000", no leading zeros) or "0x" hex
// quantities ("0x5208", no leading zeros; "0x0" for zero), at most 2^256 - 1; chain id, nonce
// and gas limit fit 64 bits. Without "type", gas_price means legacy and the two fee fields type
// 2. Fails with kInputTooLarge, kEthTxJsonInvalid (syntax, types, unknown or missing
// members), kEthTxFieldInvalid (values), kEthTxChainId, kEthTxTypeUnsupported, or the
// address codes. Never throws.
[[nodiscard]] core::Result<TransactionRequest> ParseTransactionJson(std::string_view text);
[[nodiscard]] core::Result<TransactionRequest> TransactionFromJson(const nlohmann::json& value);

// Checks the fields: chain id in 1..kMaxChainId (kEthTxChainId); nonce below 2^64 - 1
// (EIP-2681), quantities minimal and at
// most 32 bytes, data at most limits::kMaxEthTxDataBytes, the access list within its limits,
// max_priority_fee_per_gas not above max_fee_per_gas (kEthTxFieldInvalid); no field of the
// other type set (kEthTxTypeUnsupported).
[[nodiscard]] core::Status ValidateTransaction(const Transaction& tx);

// The hash that is signed (see the top of this file). Requires a valid transaction.
Hash256 SigningHash(const Transaction& tx);

// A signed transaction: its fields, signature, the signer's address, the raw bytes to
// broadcast and their hash.
struct SignedTransaction {
  Transaction tx;
  Signature signature;
  Address from{};
  Bytes raw;
  Hash256 hash{};
};

// Validates and signs `tx` with the 32-byte `secret`. Fails with ValidateTransaction's codes,
// kEthSecretKeyInvalid or kInternal.
[[nodiscard]] core::Result<SignedTransaction> SignTransaction(const Transaction& tx,
                                                              ByteView secret);

// SignTransaction, after checking that the request's `from` (when given) is the key's
// address: kEthTxFromMismatch otherwise.
[[nodiscard]] core::Result<SignedTransaction> SignTransactionRequest(
    const TransactionRequest& request, ByteView secret);

// Assembles a transaction signed elsewhere (an enclave that signed SigningHash(tx)): validates
// `tx`, recovers the signer from `signature` over SigningHash(tx), and builds the raw bytes and
// their hash. Fails with ValidateTransaction's codes, kEthSignatureMalformed or
// kEthSignatureInvalid. The caller compares `from` with the address it expects.
[[nodiscard]] core::Result<SignedTransaction> AssembleSignedTransaction(const Transaction& tx,
                                                                        const Signature& signature);

// Decodes signed raw bytes (untrusted): a type 2 or an EIP-155 legacy transaction. Strict:
// canonical RLP and integers, exactly the fields of its type, a 20-byte or empty `to`,
// 32-byte storage keys, y_parity 0 or 1, low s, and the checks of ValidateTransaction. The
// sender is recovered from the signature. Fails with kEthRlpMalformed /
// kEthRlpLimitExceeded, kEthTxMalformed (type byte, field count or shape),
// kEthTxTypeUnsupported (a typed transaction other than 2), kEthTxChainId (a legacy v
// without EIP-155, or chain id out of range), kEthSignatureMalformed/Invalid, or
// ValidateTransaction's codes.
[[nodiscard]] core::Result<SignedTransaction> DecodeSignedTransaction(ByteView raw);

// "0x" and lowercase hex (raw transactions, hashes, signatures as Ethereum tools print them).
std::string PrefixedHex(ByteView bytes);

// A quantity as an Ethereum JSON-RPC hex quantity: "0x0", "0x5208".
std::string QuantityHex(const Quantity& quantity);

}  // namespace enclavectl::ethereum
