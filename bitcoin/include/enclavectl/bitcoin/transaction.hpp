// Bitcoin transactions: the consensus serialisation with and without witnesses (BIP-144),
// parsed strictly from untrusted bytes through core::Reader (parse layer: pure).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::bitcoin {

using core::Bytes;
using core::ByteView;

// A transaction id or other 32-byte hash in internal (serialised) byte order.
using Hash256 = std::array<std::uint8_t, 32>;

struct OutPoint {
  Hash256 txid{};
  std::uint32_t vout = 0;

  friend bool operator==(const OutPoint&, const OutPoint&) = default;
};

struct TxIn {
  OutPoint prevout;
  Bytes script_sig;
  std::uint32_t sequence = 0xffffffff;
  // The witness stack, bottom first (empty when the input has none).
  std::vector<Bytes> witness;

  friend bool operator==(const TxIn&, const TxIn&) = default;
};

// An output: amount in satoshis (signed as in Bitcoin Core's CAmount; serialised as 8 bytes
// little-endian, so every 64-bit pattern round-trips) and its scriptPubKey.
struct TxOut {
  std::int64_t value = 0;
  Bytes script_pubkey;

  friend bool operator==(const TxOut&, const TxOut&) = default;
};

struct Transaction {
  std::uint32_t version = 2;
  std::vector<TxIn> inputs;
  std::vector<TxOut> outputs;
  std::uint32_t lock_time = 0;

  // True when any input carries a non-empty witness.
  bool HasWitness() const noexcept;

  friend bool operator==(const Transaction&, const Transaction&) = default;
};

// Limits applied while parsing untrusted transactions. The defaults are consensus bounds: no
// transaction larger than a block (4,000,000 weight units) can ever be valid.
struct TxLimits {
  std::size_t max_bytes = 4'000'000;
  std::size_t max_weight = 4'000'000;
};

// Consensus rules enforced by the parser besides the framing (all kBtcTxMalformed):
// canonical CompactSize integers (Bitcoin Core's ReadCompactSize with range check), at least
// one input and one output, the BIP-144 flag byte 0x01 only, and no "superfluous" witness
// (flag set but every witness empty). Bytes after the lock time are kTrailingBytes; a
// truncated transaction is kTruncated; exceeding `limits` (total bytes, weight, or a count
// larger than the remaining bytes could hold) is kBtcTxTooLarge.
//
// DecodeTransaction accepts both serialisations (with and without witness, as Bitcoin Core
// does with witness allowed).
[[nodiscard]] core::Result<Transaction> DecodeTransaction(ByteView bytes,
                                                          const TxLimits& limits = {});

// One serialised output (8-byte amount, CompactSize length, scriptPubKey) with nothing after
// it. Fails like DecodeTransaction.
[[nodiscard]] core::Result<TxOut> DecodeTxOut(ByteView bytes);

// The serialisation with witnesses when `with_witness` and the transaction has any (BIP-144),
// otherwise the legacy serialisation.
Bytes EncodeTransaction(const Transaction& tx, bool with_witness = true);
Bytes EncodeTxOut(const TxOut& out);

// BIP-141 weight: 3 x size without witness + size with witness.
std::size_t TransactionWeight(const Transaction& tx);

// The transaction id (double SHA-256 of the legacy serialisation), internal byte order.
Hash256 TransactionId(const Transaction& tx);

// Appends the CompactSize encoding of `n` / little-endian integers to `out`.
void AppendCompactSize(Bytes& out, std::uint64_t n);
void AppendLe32(Bytes& out, std::uint32_t v);
void AppendLe64(Bytes& out, std::uint64_t v);

// The serialised size of a witness stack (CompactSize count + each item with its length), as
// used by the BIP-342 validation-weight budget.
std::size_t SerializedWitnessSize(const std::vector<Bytes>& witness);

}  // namespace enclavectl::bitcoin
