#include "enclavectl/bitcoin/transaction.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "enclavectl/bitcoin/hashes.hpp"
#include "enclavectl/core/reader.hpp"

namespace enclavectl::bitcoin {
namespace {

using core::ErrorCode;
using core::Fail;
using core::Reader;
using core::Result;

// Bitcoin Core's MAX_SIZE: no CompactSize above this is ever valid in a serialisation.
constexpr std::uint64_t kMaxCompactSize = 0x02000000;
// The smallest serialised input (36-byte outpoint, empty script, sequence) and output.
constexpr std::size_t kMinInputBytes = 41;
constexpr std::size_t kMinOutputBytes = 9;

tl::unexpected<core::Error> Malformed(const std::string& what, std::size_t offset) {
  return Fail(ErrorCode::kBtcTxMalformed,
              "transaction: " + what + " at offset " + std::to_string(offset));
}

tl::unexpected<core::Error> Truncated(const core::Error& error) {
  return Fail(ErrorCode::kTruncated, "transaction: " + error.detail);
}

Result<std::uint32_t> ReadLe32(Reader& reader) {
  auto bytes = reader.Take(4);
  if (!bytes) {
    return Truncated(bytes.error());
  }
  std::uint32_t v = 0;
  for (std::size_t i = 4; i-- > 0;) {
    v = (v << 8U) | (*bytes)[i];
  }
  return v;
}

Result<std::uint64_t> ReadLe64(Reader& reader) {
  auto bytes = reader.Take(8);
  if (!bytes) {
    return Truncated(bytes.error());
  }
  std::uint64_t v = 0;
  for (std::size_t i = 8; i-- > 0;) {
    v = (v << 8U) | (*bytes)[i];
  }
  return v;
}

// Bitcoin Core's ReadCompactSize(range_check = true): canonical (shortest) encodings only and
// nothing above MAX_SIZE.
Result<std::uint64_t> ReadCompactSize(Reader& reader) {
  const std::size_t offset = reader.Offset();
  auto first = reader.ReadU8();
  if (!first) {
    return Truncated(first.error());
  }
  std::uint64_t value = *first;
  std::uint64_t minimum = 0;
  std::size_t width = 0;
  if (*first == 0xfd) {
    width = 2;
    minimum = 0xfd;
  } else if (*first == 0xfe) {
    width = 4;
    minimum = 0x10000;
  } else if (*first == 0xff) {
    width = 8;
    minimum = 0x100000000ULL;
  }
  if (width != 0) {
    auto bytes = reader.Take(width);
    if (!bytes) {
      return Truncated(bytes.error());
    }
    value = 0;
    for (std::size_t i = width; i-- > 0;) {
      value = (value << 8U) | (*bytes)[i];
    }
    if (value < minimum) {
      return Malformed("non-canonical CompactSize", offset);
    }
  }
  if (value > kMaxCompactSize) {
    return Fail(ErrorCode::kBtcTxTooLarge, "transaction: CompactSize " + std::to_string(value) +
                                               " exceeds 2^25 at offset " + std::to_string(offset));
  }
  return value;
}

// A count of items that each take at least `min_bytes`: more than the remaining bytes can
// hold is refused before anything is allocated.
Result<std::size_t> ReadCount(Reader& reader, std::size_t min_bytes, const char* what) {
  const std::size_t offset = reader.Offset();
  auto count = ReadCompactSize(reader);
  if (!count) {
    return Fail(count.error());
  }
  if (*count > reader.Remaining() / min_bytes) {
    return Fail(ErrorCode::kBtcTxTooLarge, std::string("transaction: ") + what + " count " +
                                               std::to_string(*count) + " at offset " +
                                               std::to_string(offset) +
                                               " exceeds what the remaining bytes can hold");
  }
  return static_cast<std::size_t>(*count);
}

Result<Bytes> ReadVarBytes(Reader& reader) {
  auto len = ReadCompactSize(reader);
  if (!len) {
    return Fail(len.error());
  }
  auto bytes = reader.Take(static_cast<std::size_t>(*len));
  if (!bytes) {
    return Truncated(bytes.error());
  }
  return core::ToBytes(*bytes);
}

Result<std::vector<TxIn>> ReadInputs(Reader& reader, std::size_t count) {
  std::vector<TxIn> inputs;
  inputs.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    TxIn in;
    auto txid = reader.Take(32);
    if (!txid) {
      return Truncated(txid.error());
    }
    std::copy(txid->begin(), txid->end(), in.prevout.txid.begin());
    auto vout = ReadLe32(reader);
    if (!vout) {
      return Fail(vout.error());
    }
    in.prevout.vout = *vout;
    auto script = ReadVarBytes(reader);
    if (!script) {
      return Fail(script.error());
    }
    in.script_sig = std::move(*script);
    auto sequence = ReadLe32(reader);
    if (!sequence) {
      return Fail(sequence.error());
    }
    in.sequence = *sequence;
    inputs.push_back(std::move(in));
  }
  return inputs;
}

Result<TxOut> ReadOutput(Reader& reader) {
  TxOut out;
  auto value = ReadLe64(reader);
  if (!value) {
    return Fail(value.error());
  }
  out.value = static_cast<std::int64_t>(*value);
  auto script = ReadVarBytes(reader);
  if (!script) {
    return Fail(script.error());
  }
  out.script_pubkey = std::move(*script);
  return out;
}

Result<std::vector<TxOut>> ReadOutputs(Reader& reader) {
  auto count = ReadCount(reader, kMinOutputBytes, "output");
  if (!count) {
    return Fail(count.error());
  }
  std::vector<TxOut> outputs;
  outputs.reserve(*count);
  for (std::size_t i = 0; i < *count; ++i) {
    auto out = ReadOutput(reader);
    if (!out) {
      return Fail(out.error());
    }
    outputs.push_back(std::move(*out));
  }
  return outputs;
}

void AppendBytes(Bytes& out, ByteView bytes) { out.insert(out.end(), bytes.begin(), bytes.end()); }

void AppendVarBytes(Bytes& out, ByteView bytes) {
  AppendCompactSize(out, bytes.size());
  AppendBytes(out, bytes);
}

std::size_t CompactSizeLen(std::uint64_t n) {
  if (n < 0xfd) {
    return 1;
  }
  if (n <= 0xffff) {
    return 3;
  }
  if (n <= 0xffffffffULL) {
    return 5;
  }
  return 9;
}

}  // namespace

bool Transaction::HasWitness() const noexcept {
  for (const TxIn& in : inputs) {
    if (!in.witness.empty()) {
      return true;
    }
  }
  return false;
}

void AppendCompactSize(Bytes& out, std::uint64_t n) {
  if (n < 0xfd) {
    out.push_back(static_cast<std::uint8_t>(n));
  } else if (n <= 0xffff) {
    out.push_back(0xfd);
    out.push_back(static_cast<std::uint8_t>(n));
    out.push_back(static_cast<std::uint8_t>(n >> 8U));
  } else if (n <= 0xffffffffULL) {
    out.push_back(0xfe);
    AppendLe32(out, static_cast<std::uint32_t>(n));
  } else {
    out.push_back(0xff);
    AppendLe64(out, n);
  }
}

void AppendLe32(Bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
}

void AppendLe64(Bytes& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) {
    out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
}

std::size_t SerializedWitnessSize(const std::vector<Bytes>& witness) {
  std::size_t size = CompactSizeLen(witness.size());
  for (const Bytes& item : witness) {
    size += CompactSizeLen(item.size()) + item.size();
  }
  return size;
}

core::Result<Transaction> DecodeTransaction(ByteView bytes, const TxLimits& limits) {
  if (bytes.size() > limits.max_bytes) {
    return Fail(ErrorCode::kBtcTxTooLarge, "transaction: " + std::to_string(bytes.size()) +
                                               " bytes exceed the limit of " +
                                               std::to_string(limits.max_bytes));
  }
  Reader reader(bytes);
  Transaction tx;
  auto version = ReadLe32(reader);
  if (!version) {
    return Fail(version.error());
  }
  tx.version = *version;

  // BIP-144: an input count of zero is the marker; the flag byte follows.
  std::uint8_t flags = 0;
  auto num_inputs = ReadCount(reader, kMinInputBytes, "input");
  if (!num_inputs) {
    return Fail(num_inputs.error());
  }
  if (*num_inputs == 0) {
    const std::size_t flag_offset = reader.Offset();
    auto flag = reader.ReadU8();
    if (!flag) {
      return Truncated(flag.error());
    }
    flags = *flag;
    if (flags == 0) {
      // Bitcoin Core would read a transaction without inputs and outputs here; no such
      // transaction can be valid (CheckTransaction: bad-txns-vin-empty).
      return Malformed("no inputs", flag_offset);
    }
    if (flags != 1) {
      return Malformed("unknown transaction optional data (flag " + std::to_string(flags) + ")",
                       flag_offset);
    }
    num_inputs = ReadCount(reader, kMinInputBytes, "input");
    if (!num_inputs) {
      return Fail(num_inputs.error());
    }
    if (*num_inputs == 0) {
      return Malformed("no inputs", flag_offset + 1);
    }
  }
  auto inputs = ReadInputs(reader, *num_inputs);
  if (!inputs) {
    return Fail(inputs.error());
  }
  tx.inputs = std::move(*inputs);
  const std::size_t outputs_offset = reader.Offset();
  auto outputs = ReadOutputs(reader);
  if (!outputs) {
    return Fail(outputs.error());
  }
  if (outputs->empty()) {
    return Malformed("no outputs", outputs_offset);
  }
  tx.outputs = std::move(*outputs);

  if (flags == 1) {
    const std::size_t witness_offset = reader.Offset();
    for (TxIn& in : tx.inputs) {
      // Each witness item takes at least its one-byte length.
      auto num_items = ReadCount(reader, 1, "witness item");
      if (!num_items) {
        return Fail(num_items.error());
      }
      in.witness.reserve(*num_items);
      for (std::size_t i = 0; i < *num_items; ++i) {
        auto item = ReadVarBytes(reader);
        if (!item) {
          return Fail(item.error());
        }
        in.witness.push_back(std::move(*item));
      }
    }
    if (!tx.HasWitness()) {
      return Malformed("superfluous witness record", witness_offset);
    }
  }
  auto lock_time = ReadLe32(reader);
  if (!lock_time) {
    return Fail(lock_time.error());
  }
  tx.lock_time = *lock_time;
  if (!reader.AtEnd()) {
    return Fail(ErrorCode::kTrailingBytes, "transaction: " + std::to_string(reader.Remaining()) +
                                               " bytes after the lock time");
  }
  const std::size_t weight = TransactionWeight(tx);
  if (weight > limits.max_weight) {
    return Fail(ErrorCode::kBtcTxTooLarge, "transaction: weight " + std::to_string(weight) +
                                               " exceeds the limit of " +
                                               std::to_string(limits.max_weight));
  }
  return tx;
}

core::Result<TxOut> DecodeTxOut(ByteView bytes) {
  Reader reader(bytes);
  auto out = ReadOutput(reader);
  if (!out) {
    return Fail(out.error());
  }
  if (!reader.AtEnd()) {
    return Fail(ErrorCode::kTrailingBytes,
                "output: " + std::to_string(reader.Remaining()) + " bytes after the scriptPubKey");
  }
  return out;
}

Bytes EncodeTxOut(const TxOut& out) {
  Bytes bytes;
  AppendLe64(bytes, static_cast<std::uint64_t>(out.value));
  AppendVarBytes(bytes, out.script_pubkey);
  return bytes;
}

Bytes EncodeTransaction(const Transaction& tx, bool with_witness) {
  const bool witness = with_witness && tx.HasWitness();
  Bytes out;
  AppendLe32(out, tx.version);
  if (witness) {
    out.push_back(0x00);
    out.push_back(0x01);
  }
  AppendCompactSize(out, tx.inputs.size());
  for (const TxIn& in : tx.inputs) {
    AppendBytes(out, in.prevout.txid);
    AppendLe32(out, in.prevout.vout);
    AppendVarBytes(out, in.script_sig);
    AppendLe32(out, in.sequence);
  }
  AppendCompactSize(out, tx.outputs.size());
  for (const TxOut& o : tx.outputs) {
    AppendLe64(out, static_cast<std::uint64_t>(o.value));
    AppendVarBytes(out, o.script_pubkey);
  }
  if (witness) {
    for (const TxIn& in : tx.inputs) {
      AppendCompactSize(out, in.witness.size());
      for (const Bytes& item : in.witness) {
        AppendVarBytes(out, item);
      }
    }
  }
  AppendLe32(out, tx.lock_time);
  return out;
}

std::size_t TransactionWeight(const Transaction& tx) {
  std::size_t base = 4 + CompactSizeLen(tx.inputs.size()) + CompactSizeLen(tx.outputs.size()) + 4;
  for (const TxIn& in : tx.inputs) {
    base += 36 + CompactSizeLen(in.script_sig.size()) + in.script_sig.size() + 4;
  }
  for (const TxOut& o : tx.outputs) {
    base += 8 + CompactSizeLen(o.script_pubkey.size()) + o.script_pubkey.size();
  }
  std::size_t total = base;
  if (tx.HasWitness()) {
    total += 2;
    for (const TxIn& in : tx.inputs) {
      total += SerializedWitnessSize(in.witness);
    }
  }
  return (3 * base) + total;
}

Hash256 TransactionId(const Transaction& tx) {
  return DoubleSha256(EncodeTransaction(tx, /*with_witness=*/false));
}

}  // namespace enclavectl::bitcoin
