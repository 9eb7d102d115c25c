#include "enclavectl/bitcoin/sighash.hpp"

#include "enclavectl/bitcoin/hashes.hpp"
#include "enclavectl/bitcoin/script.hpp"

namespace enclavectl::bitcoin {
namespace {

void Append(Bytes& out, ByteView bytes) { out.insert(out.end(), bytes.begin(), bytes.end()); }

void AppendOutPoint(Bytes& out, const OutPoint& prevout) {
  Append(out, prevout.txid);
  AppendLe32(out, prevout.vout);
}

void AppendVarBytes(Bytes& out, ByteView bytes) {
  AppendCompactSize(out, bytes.size());
  Append(out, bytes);
}

void AppendTxOut(Bytes& out, const TxOut& txout) {
  AppendLe64(out, static_cast<std::uint64_t>(txout.value));
  AppendVarBytes(out, txout.script_pubkey);
}

bool ValidTaprootHashType(std::uint8_t hash_type) noexcept {
  return hash_type <= 0x03 || (hash_type >= 0x81 && hash_type <= 0x83);
}

// Bitcoin Core's CTransactionSignatureSerializer::SerializeScriptCode: the script with every
// OP_CODESEPARATOR removed, walking ops as GetScriptOp does (a script that stops decoding is
// written up to where decoding stopped).
void AppendLegacyScriptCode(Bytes& out, ByteView script) {
  std::size_t separators = 0;
  {
    std::size_t pos = 0;
    std::uint8_t opcode = 0;
    ByteView data;
    while (GetScriptOp(script, pos, opcode, data)) {
      if (opcode == kOpCodeSeparator) {
        ++separators;
      }
    }
  }
  AppendCompactSize(out, script.size() - separators);
  std::size_t pos = 0;
  std::size_t begin = 0;
  std::uint8_t opcode = 0;
  ByteView data;
  while (GetScriptOp(script, pos, opcode, data)) {
    if (opcode == kOpCodeSeparator) {
      Append(out, script.subspan(begin, pos - begin - 1));
      begin = pos;
    }
  }
  if (begin != script.size()) {
    const std::size_t end = pos < script.size() ? pos : script.size();
    Append(out, script.subspan(begin, end - begin));
  }
}

}  // namespace

PrecomputedTxData PrecomputeTxData(const Transaction& tx, std::span<const TxOut> spent_outputs) {
  PrecomputedTxData data;
  Bytes prevouts;
  Bytes sequences;
  Bytes outputs;
  for (const TxIn& in : tx.inputs) {
    AppendOutPoint(prevouts, in.prevout);
    AppendLe32(sequences, in.sequence);
  }
  for (const TxOut& out : tx.outputs) {
    AppendTxOut(outputs, out);
  }
  data.sha_prevouts = Sha256(prevouts);
  data.sha_sequences = Sha256(sequences);
  data.sha_outputs = Sha256(outputs);
  data.hash_prevouts = Sha256(data.sha_prevouts);
  data.hash_sequences = Sha256(data.sha_sequences);
  data.hash_outputs = Sha256(data.sha_outputs);
  if (!spent_outputs.empty() && spent_outputs.size() == tx.inputs.size()) {
    Bytes amounts;
    Bytes scripts;
    for (const TxOut& out : spent_outputs) {
      AppendLe64(amounts, static_cast<std::uint64_t>(out.value));
      AppendVarBytes(scripts, out.script_pubkey);
    }
    data.sha_amounts = Sha256(amounts);
    data.sha_scriptpubkeys = Sha256(scripts);
    data.spent_outputs.assign(spent_outputs.begin(), spent_outputs.end());
  }
  return data;
}

std::optional<Bytes> TaprootSigMsg(const Transaction& tx, std::size_t input_index,
                                   std::uint8_t hash_type, const PrecomputedTxData& precomputed,
                                   const std::optional<Hash256>& annex_hash,
                                   const TapscriptSighashContext* tapscript) {
  // BIP-341 "Common signature message"; BIP-342 extension when `tapscript` is given.
  if (!ValidTaprootHashType(hash_type) || !precomputed.HasSpentOutputs() ||
      input_index >= tx.inputs.size()) {
    return std::nullopt;
  }
  const std::uint8_t output_type =
      hash_type == kSighashDefault ? kSighashAll : static_cast<std::uint8_t>(hash_type & 3U);
  const bool anyone_can_pay = (hash_type & kSighashAnyoneCanPay) != 0;
  if (output_type == kSighashSingle && input_index >= tx.outputs.size()) {
    return std::nullopt;
  }
  Bytes msg;
  msg.push_back(hash_type);
  AppendLe32(msg, tx.version);
  AppendLe32(msg, tx.lock_time);
  if (!anyone_can_pay) {
    Append(msg, precomputed.sha_prevouts);
    Append(msg, precomputed.sha_amounts);
    Append(msg, precomputed.sha_scriptpubkeys);
    Append(msg, precomputed.sha_sequences);
  }
  if (output_type == kSighashAll) {
    Append(msg, precomputed.sha_outputs);
  }
  const std::uint8_t ext_flag = tapscript != nullptr ? 1 : 0;
  msg.push_back(static_cast<std::uint8_t>((ext_flag * 2) + (annex_hash ? 1 : 0)));
  if (anyone_can_pay) {
    const TxIn& in = tx.inputs[input_index];
    const TxOut& spent = precomputed.spent_outputs[input_index];
    AppendOutPoint(msg, in.prevout);
    AppendTxOut(msg, spent);
    AppendLe32(msg, in.sequence);
  } else {
    AppendLe32(msg, static_cast<std::uint32_t>(input_index));
  }
  if (annex_hash) {
    Append(msg, *annex_hash);
  }
  if (output_type == kSighashSingle) {
    Bytes output;
    AppendTxOut(output, tx.outputs[input_index]);
    Append(msg, Sha256(output));
  }
  if (tapscript != nullptr) {
    Append(msg, tapscript->tapleaf_hash);
    msg.push_back(0x00);  // key_version
    AppendLe32(msg, tapscript->codesep_pos);
  }
  return msg;
}

std::optional<Hash256> TaprootSighash(const Transaction& tx, std::size_t input_index,
                                      std::uint8_t hash_type, const PrecomputedTxData& precomputed,
                                      const std::optional<Hash256>& annex_hash,
                                      const TapscriptSighashContext* tapscript) {
  auto msg = TaprootSigMsg(tx, input_index, hash_type, precomputed, annex_hash, tapscript);
  if (!msg) {
    return std::nullopt;
  }
  TaggedHasher hasher("TapSighash");
  const std::uint8_t epoch = 0x00;
  hasher.Update(ByteView(&epoch, 1));
  hasher.Update(*msg);
  return hasher.Finish();
}

Hash256 WitnessV0Sighash(const Transaction& tx, std::size_t input_index, ByteView script_code,
                         std::int64_t amount, std::int32_t hash_type,
                         const PrecomputedTxData& precomputed) {
  // BIP-143.
  const auto base_type = static_cast<std::uint32_t>(hash_type) & 0x1fU;
  const bool anyone_can_pay = (static_cast<std::uint32_t>(hash_type) & kSighashAnyoneCanPay) != 0;
  const Hash256 zero{};
  const Hash256& hash_prevouts = anyone_can_pay ? zero : precomputed.hash_prevouts;
  const Hash256& hash_sequence =
      (!anyone_can_pay && base_type != kSighashSingle && base_type != kSighashNone)
          ? precomputed.hash_sequences
          : zero;
  Hash256 hash_outputs{};
  if (base_type != kSighashSingle && base_type != kSighashNone) {
    hash_outputs = precomputed.hash_outputs;
  } else if (base_type == kSighashSingle && input_index < tx.outputs.size()) {
    Bytes output;
    AppendTxOut(output, tx.outputs[input_index]);
    hash_outputs = DoubleSha256(output);
  }
  const TxIn& in = tx.inputs[input_index];
  Bytes msg;
  AppendLe32(msg, tx.version);
  Append(msg, hash_prevouts);
  Append(msg, hash_sequence);
  AppendOutPoint(msg, in.prevout);
  AppendVarBytes(msg, script_code);
  AppendLe64(msg, static_cast<std::uint64_t>(amount));
  AppendLe32(msg, in.sequence);
  Append(msg, hash_outputs);
  AppendLe32(msg, tx.lock_time);
  AppendLe32(msg, static_cast<std::uint32_t>(hash_type));
  return DoubleSha256(msg);
}

Hash256 LegacySighash(const Transaction& tx, std::size_t input_index, ByteView script_code,
                      std::int32_t hash_type) {
  Hash256 one{};
  one[0] = 1;
  const auto base_type = static_cast<std::uint32_t>(hash_type) & 0x1fU;
  const bool hash_single = base_type == kSighashSingle;
  const bool hash_none = base_type == kSighashNone;
  const bool anyone_can_pay = (static_cast<std::uint32_t>(hash_type) & kSighashAnyoneCanPay) != 0;
  if (input_index >= tx.inputs.size() || (hash_single && input_index >= tx.outputs.size())) {
    return one;
  }
  Bytes msg;
  AppendLe32(msg, tx.version);
  const std::size_t num_inputs = anyone_can_pay ? 1 : tx.inputs.size();
  AppendCompactSize(msg, num_inputs);
  for (std::size_t i = 0; i < num_inputs; ++i) {
    const std::size_t input = anyone_can_pay ? input_index : i;
    const TxIn& in = tx.inputs[input];
    AppendOutPoint(msg, in.prevout);
    if (input == input_index) {
      AppendLegacyScriptCode(msg, script_code);
    } else {
      AppendCompactSize(msg, 0);
    }
    const bool zero_sequence = input != input_index && (hash_single || hash_none);
    AppendLe32(msg, zero_sequence ? 0 : in.sequence);
  }
  const std::size_t num_outputs =
      hash_none ? 0 : (hash_single ? input_index + 1 : tx.outputs.size());
  AppendCompactSize(msg, num_outputs);
  for (std::size_t i = 0; i < num_outputs; ++i) {
    if (hash_single && i != input_index) {
      AppendTxOut(msg, TxOut{-1, {}});
    } else {
      AppendTxOut(msg, tx.outputs[i]);
    }
  }
  AppendLe32(msg, tx.lock_time);
  AppendLe32(msg, static_cast<std::uint32_t>(hash_type));
  return DoubleSha256(msg);
}

}  // namespace enclavectl::bitcoin
