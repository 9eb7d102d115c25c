// Signature hashes: BIP-341 (Taproot key and script path, every hash type, annex), BIP-143
// (witness v0) and the original (pre-segwit) algorithm. Pure functions of the transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "enclavectl/bitcoin/transaction.hpp"

namespace enclavectl::bitcoin {

inline constexpr std::uint8_t kSighashDefault = 0x00;
inline constexpr std::uint8_t kSighashAll = 0x01;
inline constexpr std::uint8_t kSighashNone = 0x02;
inline constexpr std::uint8_t kSighashSingle = 0x03;
inline constexpr std::uint8_t kSighashAnyoneCanPay = 0x80;

// Transaction-wide hashes computed once per transaction (BIP-341 "precomputed" values with
// single SHA-256, BIP-143's with double SHA-256). The BIP-341 values exist only when the
// spent outputs of every input are known.
struct PrecomputedTxData {
  Hash256 sha_prevouts{};
  Hash256 sha_amounts{};
  Hash256 sha_scriptpubkeys{};
  Hash256 sha_sequences{};
  Hash256 sha_outputs{};
  Hash256 hash_prevouts{};
  Hash256 hash_sequences{};
  Hash256 hash_outputs{};
  // One per input when known (BIP-341 needs them all), else empty.
  std::vector<TxOut> spent_outputs;

  bool HasSpentOutputs() const noexcept { return !spent_outputs.empty(); }
};

// Precomputes for `tx`. `spent_outputs` is either empty or has exactly one entry per input
// (checked by the caller; a different count is treated as unknown).
PrecomputedTxData PrecomputeTxData(const Transaction& tx, std::span<const TxOut> spent_outputs);

// The script-path fields of a BIP-342 signature message.
struct TapscriptSighashContext {
  Hash256 tapleaf_hash{};
  // Opcode position of the last executed OP_CODESEPARATOR, 0xffffffff when none.
  std::uint32_t codesep_pos = 0xffffffff;
};

// BIP-341 SigMsg(hash_type, ext_flag) without the leading epoch byte, with ext_flag 1 when
// `tapscript` is given. `annex_hash` is SHA-256(CompactSize(len) || annex) when the input has
// an annex. Returns nullopt when the hash type is not one of 0x00-0x03, 0x81-0x83, when
// SIGHASH_SINGLE has no output at the input's index, when the spent outputs are unknown, or
// when `input_index` is out of range.
std::optional<Bytes> TaprootSigMsg(const Transaction& tx, std::size_t input_index,
                                   std::uint8_t hash_type, const PrecomputedTxData& precomputed,
                                   const std::optional<Hash256>& annex_hash,
                                   const TapscriptSighashContext* tapscript);

// TapSighash(0x00 || SigMsg), nullopt as TaprootSigMsg.
std::optional<Hash256> TaprootSighash(const Transaction& tx, std::size_t input_index,
                                      std::uint8_t hash_type, const PrecomputedTxData& precomputed,
                                      const std::optional<Hash256>& annex_hash,
                                      const TapscriptSighashContext* tapscript);

// BIP-143 signature hash for a witness v0 input with `script_code` and the spent `amount`.
// Precondition: input_index < tx.inputs.size().
Hash256 WitnessV0Sighash(const Transaction& tx, std::size_t input_index, ByteView script_code,
                         std::int64_t amount, std::int32_t hash_type,
                         const PrecomputedTxData& precomputed);

// The original signature hash for pre-segwit scripts (Bitcoin Core's SignatureHash with
// SigVersion::BASE): OP_CODESEPARATORs are removed from `script_code`; SIGHASH_SINGLE without a
// matching output gives the historical value 1. Precondition: input_index < tx.inputs.size().
Hash256 LegacySighash(const Transaction& tx, std::size_t input_index, ByteView script_code,
                      std::int32_t hash_type);

}  // namespace enclavectl::bitcoin
