#include "enclavectl/bitcoin/interpreter.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "enclavectl/bitcoin/hashes.hpp"
#include "enclavectl/bitcoin/keys.hpp"
#include "enclavectl/bitcoin/script.hpp"
#include "enclavectl/bitcoin/taproot.hpp"
#include "interpreter_internal.hpp"

namespace enclavectl::bitcoin {
namespace {

using interpreter_internal::ScriptMachine;

bool IsDisabledOpcode(std::uint8_t opcode) noexcept {
  switch (opcode) {
    case kOpCat:
    case kOpSubstr:
    case kOpLeft:
    case kOpRight:
    case kOpInvert:
    case kOpAnd:
    case kOpOr:
    case kOpXor:
    case kOp2Mul:
    case kOp2Div:
    case kOpMul:
    case kOpDiv:
    case kOpMod:
    case kOpLShift:
    case kOpRShift:
      return true;
    default:
      return false;
  }
}

// One executed opcode (not a data push), by group.
ScriptError ExecuteOp(ScriptMachine& m, std::uint8_t opcode, bool exec) {
  if (opcode == kOp1Negate || (opcode >= kOp1 && opcode <= kOp16)) {
    m.stack.push_back(ScriptNum(static_cast<int>(opcode) - (kOp1 - 1)).Encode());
    return ScriptError::kOk;
  }
  if (opcode <= kOpReturn || (opcode >= kOpNop1 && opcode <= kOpNop10)) {
    return interpreter_internal::ExecFlowOp(m, opcode, exec);
  }
  if (opcode <= kOpSize) {
    return interpreter_internal::ExecStackOp(m, opcode);
  }
  if (opcode <= kOpWithin) {
    return interpreter_internal::ExecArithmeticOp(m, opcode);
  }
  if (opcode <= kOpCheckMultiSigVerify || opcode == kOpCheckSigAdd) {
    return interpreter_internal::ExecCryptoOp(m, opcode);
  }
  return ScriptError::kBadOpcode;
}

// Runs a witness script (P2WSH, P2WPKH or a tapscript leaf) on its initial stack (Bitcoin
// Core's ExecuteWitnessScript).
ScriptError ExecuteWitnessScript(Stack stack, ByteView script, std::uint32_t flags,
                                 SigVersion sigversion, const SignatureChecker& checker,
                                 ExecutionData& execdata) {
  if (sigversion == SigVersion::kTapscript) {
    // BIP-342: any OP_SUCCESSx makes the spend valid, provided every op before it decodes.
    std::size_t pos = 0;
    while (pos < script.size()) {
      std::uint8_t opcode = 0;
      ByteView data;
      if (!GetScriptOp(script, pos, opcode, data)) {
        return ScriptError::kBadOpcode;
      }
      if (IsOpSuccess(opcode)) {
        if ((flags & kVerifyDiscourageOpSuccess) != 0) {
          return ScriptError::kDiscourageOpSuccess;
        }
        return ScriptError::kOk;
      }
    }
    // The initial stack counts against the stack limit in tapscript.
    if (stack.size() > kMaxStackSize) {
      return ScriptError::kStackSize;
    }
  }
  for (const Bytes& item : stack) {
    if (item.size() > kMaxScriptElementSize) {
      return ScriptError::kPushSize;
    }
  }
  if (ScriptError e = EvalScript(stack, script, flags, checker, sigversion, execdata);
      e != ScriptError::kOk) {
    return e;
  }
  // Witness scripts implicitly require a clean stack.
  if (stack.size() != 1) {
    return ScriptError::kCleanStack;
  }
  if (!CastToBool(stack.back())) {
    return ScriptError::kEvalFalse;
  }
  return ScriptError::kOk;
}

bool VerifyTaprootCommitment(ByteView control, ByteView program, const Hash256& tapleaf_hash) {
  Hash256 h = tapleaf_hash;
  for (std::size_t pos = kControlBaseSize; pos < control.size(); pos += kControlNodeSize) {
    Hash256 node{};
    std::copy_n(control.begin() + static_cast<std::ptrdiff_t>(pos), 32, node.begin());
    h = TapBranchHash(h, node);
  }
  XOnlyKey internal{};
  std::copy_n(control.begin() + 1, 32, internal.begin());
  return CheckTapTweak(internal, program, (control[0] & 1U) != 0, TapTweakHash(internal, h));
}

// Witness version 0: P2WSH (32-byte program) or P2WPKH (20 bytes); `stack` is the witness.
ScriptError VerifyWitnessV0(Stack stack, ByteView program, std::uint32_t flags,
                            const SignatureChecker& checker) {
  ExecutionData execdata;
  if (program.size() == 32) {
    // P2WSH: the last item is the script; its SHA-256 must be the program.
    if (stack.empty()) {
      return ScriptError::kWitnessProgramWitnessEmpty;
    }
    Bytes script = std::move(stack.back());
    stack.pop_back();
    const Hash256 hash = Sha256(script);
    if (!std::equal(hash.begin(), hash.end(), program.begin(), program.end())) {
      return ScriptError::kWitnessProgramMismatch;
    }
    return ExecuteWitnessScript(std::move(stack), script, flags, SigVersion::kWitnessV0, checker,
                                execdata);
  }
  if (program.size() == 20) {
    // P2WPKH: exactly a signature and a key, run through the P2PKH template.
    if (stack.size() != 2) {
      return ScriptError::kWitnessProgramMismatch;
    }
    Bytes script{kOpDup, kOpHash160, 0x14};
    script.insert(script.end(), program.begin(), program.end());
    script.push_back(kOpEqualVerify);
    script.push_back(kOpCheckSig);
    return ExecuteWitnessScript(std::move(stack), script, flags, SigVersion::kWitnessV0, checker,
                                execdata);
  }
  return ScriptError::kWitnessProgramWrongLength;
}

// Witness version 1 with a 32-byte program, not P2SH-wrapped: a Taproot spend (BIP-341) by
// key path or script path; `stack` is the witness.
ScriptError VerifyTaprootSpend(Stack stack, const std::vector<Bytes>& witness, ByteView program,
                               std::uint32_t flags, const SignatureChecker& checker) {
  ExecutionData execdata;
  // BIP-341.
  if ((flags & kVerifyTaproot) == 0) {
    return ScriptError::kOk;
  }
  if (stack.empty()) {
    return ScriptError::kWitnessProgramWitnessEmpty;
  }
  if (stack.size() >= 2 && !stack.back().empty() && stack.back()[0] == kAnnexTag) {
    Bytes prefixed;
    AppendCompactSize(prefixed, stack.back().size());
    prefixed.insert(prefixed.end(), stack.back().begin(), stack.back().end());
    execdata.annex_hash = Sha256(prefixed);
    stack.pop_back();
  }
  execdata.annex_init = true;
  if (stack.size() == 1) {
    // Key path: one signature for the output key.
    return checker.CheckSchnorrSignature(stack.front(), program, SigVersion::kTaproot, execdata);
  }
  // Script path: the control block and the leaf script on top of the arguments.
  const Bytes& control = stack.back();
  const Bytes& script = stack[stack.size() - 2];
  if (!IsValidControlBlockSize(control.size())) {
    return ScriptError::kTaprootWrongControlSize;
  }
  const std::uint8_t leaf_version = control[0] & kTaprootLeafMask;
  execdata.tapleaf_hash = TapLeafHash(leaf_version, script);
  if (!VerifyTaprootCommitment(control, program, *execdata.tapleaf_hash)) {
    return ScriptError::kWitnessProgramMismatch;
  }
  if (leaf_version == kTapscriptLeafVersion) {
    // BIP-342: the budget is the serialised size of the whole witness plus 50.
    execdata.validation_weight_left =
        static_cast<std::int64_t>(SerializedWitnessSize(witness)) + kValidationWeightOffset;
    Bytes leaf = script;
    stack.pop_back();
    stack.pop_back();
    return ExecuteWitnessScript(std::move(stack), leaf, flags, SigVersion::kTapscript, checker,
                                execdata);
  }
  // Unknown leaf versions are always valid (future soft forks), unless discouraged.
  if ((flags & kVerifyDiscourageUpgradableTaprootVersion) != 0) {
    return ScriptError::kDiscourageUpgradableTaprootVersion;
  }
  return ScriptError::kOk;
}

ScriptError VerifyWitnessProgram(const std::vector<Bytes>& witness, int version, ByteView program,
                                 std::uint32_t flags, const SignatureChecker& checker,
                                 bool is_p2sh) {
  if (version == 0) {
    return VerifyWitnessV0(witness, program, flags, checker);
  }
  if (version == 1 && program.size() == 32 && !is_p2sh) {
    return VerifyTaprootSpend(witness, witness, program, flags, checker);
  }
  // Higher versions and other program sizes are valid (future soft forks).
  if ((flags & kVerifyDiscourageUpgradableWitnessProgram) != 0) {
    return ScriptError::kDiscourageUpgradableWitnessProgram;
  }
  return ScriptError::kOk;
}

// BIP-16: runs the redeem script, the last push of the push-only `script_sig`, on `stack` (the
// stack the scriptSig left), then a P2SH-wrapped witness program; sets `had_witness` for it.
ScriptError VerifyP2shRedeemScript(ByteView script_sig, Stack& stack,
                                   const std::vector<Bytes>& witness, std::uint32_t flags,
                                   const SignatureChecker& checker, ExecutionData& execdata,
                                   bool& had_witness) {
  // BIP-16: scriptSig must be push-only; the last push is the redeem script.
  if (!IsPushOnly(script_sig)) {
    return ScriptError::kSigPushOnly;
  }
  // The scriptPubKey succeeded, so the original stack held at least the redeem script.
  const Bytes redeem = stack.back();
  stack.pop_back();
  if (ScriptError e = EvalScript(stack, redeem, flags, checker, SigVersion::kBase, execdata);
      e != ScriptError::kOk) {
    return e;
  }
  if (stack.empty() || !CastToBool(stack.back())) {
    return ScriptError::kEvalFalse;
  }
  if ((flags & kVerifyWitness) != 0) {
    if (auto program = ParseWitnessProgram(redeem)) {
      had_witness = true;
      // P2SH-wrapped witness: the scriptSig must be exactly the one push of the program.
      if (!core::Equal(script_sig, PushData(redeem))) {
        return ScriptError::kWitnessMalleatedP2sh;
      }
      if (ScriptError e = VerifyWitnessProgram(witness, program->version, program->program, flags,
                                               checker, /*is_p2sh=*/true);
          e != ScriptError::kOk) {
        return e;
      }
      stack.resize(1);
    }
  }
  return ScriptError::kOk;
}

}  // namespace

ScriptError EvalScript(Stack& stack, ByteView script, std::uint32_t flags,
                       const SignatureChecker& checker, SigVersion sigversion,
                       ExecutionData& execdata) {
  ScriptMachine m(stack, script, flags, checker, sigversion, execdata);
  if (m.pre_tapscript && script.size() > kMaxScriptSize) {
    return ScriptError::kScriptSize;
  }
  execdata.codesep_pos = 0xffffffff;
  while (m.pc < script.size()) {
    const bool exec = m.exec_stack.AllTrue();
    std::uint8_t opcode = 0;
    ByteView push;
    if (!GetScriptOp(script, m.pc, opcode, push)) {
      return ScriptError::kBadOpcode;
    }
    if (push.size() > kMaxScriptElementSize) {
      return ScriptError::kPushSize;
    }
    if (m.pre_tapscript && opcode > kOp16 && ++m.op_count > kMaxOpsPerScript) {
      return ScriptError::kOpCount;
    }
    // Disabled opcodes fail even in an unexecuted branch.
    if (IsDisabledOpcode(opcode)) {
      return ScriptError::kDisabledOpcode;
    }
    if (opcode == kOpCodeSeparator && sigversion == SigVersion::kBase &&
        (flags & kVerifyConstScriptCode) != 0) {
      return ScriptError::kOpCodeSeparator;
    }

    if (exec && opcode <= kOpPushdata4) {
      if (m.require_minimal && !IsMinimalPush(push, opcode)) {
        return ScriptError::kMinimalData;
      }
      stack.emplace_back(push.begin(), push.end());
    } else if (exec || (opcode >= kOpIf && opcode <= kOpEndIf)) {
      if (ScriptError e = ExecuteOp(m, opcode, exec); e != ScriptError::kOk) {
        return e;
      }
    }

    if (stack.size() + m.altstack.size() > kMaxStackSize) {
      return ScriptError::kStackSize;
    }
    ++m.opcode_pos;
  }
  if (!m.exec_stack.Empty()) {
    return ScriptError::kUnbalancedConditional;
  }
  return ScriptError::kOk;
}

ScriptError VerifyScript(ByteView script_sig, ByteView script_pubkey,
                         const std::vector<Bytes>& witness, std::uint32_t flags,
                         const SignatureChecker& checker) {
  if ((flags & kVerifySigPushOnly) != 0 && !IsPushOnly(script_sig)) {
    return ScriptError::kSigPushOnly;
  }
  // Legacy scripts never see the Taproot execution data.
  ExecutionData execdata;
  Stack stack;
  if (ScriptError e = EvalScript(stack, script_sig, flags, checker, SigVersion::kBase, execdata);
      e != ScriptError::kOk) {
    return e;
  }
  Stack stack_copy;
  if ((flags & kVerifyP2sh) != 0) {
    stack_copy = stack;
  }
  if (ScriptError e = EvalScript(stack, script_pubkey, flags, checker, SigVersion::kBase, execdata);
      e != ScriptError::kOk) {
    return e;
  }
  if (stack.empty() || !CastToBool(stack.back())) {
    return ScriptError::kEvalFalse;
  }

  bool had_witness = false;
  if ((flags & kVerifyWitness) != 0) {
    if (auto program = ParseWitnessProgram(script_pubkey)) {
      had_witness = true;
      if (!script_sig.empty()) {
        // The scriptSig must be exactly empty, or the spend would be malleable.
        return ScriptError::kWitnessMalleated;
      }
      if (ScriptError e = VerifyWitnessProgram(witness, program->version, program->program, flags,
                                               checker, /*is_p2sh=*/false);
          e != ScriptError::kOk) {
        return e;
      }
      // Bypass the clean-stack check below: the witness was judged on its own.
      stack.resize(1);
    }
  }

  if ((flags & kVerifyP2sh) != 0 && IsPayToScriptHash(script_pubkey)) {
    std::swap(stack, stack_copy);
    if (ScriptError e = VerifyP2shRedeemScript(script_sig, stack, witness, flags, checker, execdata,
                                               had_witness);
        e != ScriptError::kOk) {
      return e;
    }
  }

  if ((flags & kVerifyCleanStack) != 0 && stack.size() != 1) {
    return ScriptError::kCleanStack;
  }
  if ((flags & kVerifyWitness) != 0 && !had_witness && !witness.empty()) {
    return ScriptError::kWitnessUnexpected;
  }
  return ScriptError::kOk;
}

core::Result<ScriptError> CheckInput(const Transaction& tx, std::size_t input_index,
                                     std::span<const TxOut> spent_outputs, std::uint32_t flags,
                                     const PrecomputedTxData* precomputed) {
  if (input_index >= tx.inputs.size()) {
    return core::Fail(core::ErrorCode::kBtcSpentOutputs,
                      "input index " + std::to_string(input_index) + " but the transaction has " +
                          std::to_string(tx.inputs.size()) + " inputs");
  }
  if (spent_outputs.size() != tx.inputs.size()) {
    return core::Fail(core::ErrorCode::kBtcSpentOutputs,
                      std::to_string(spent_outputs.size()) + " spent outputs for " +
                          std::to_string(tx.inputs.size()) + " inputs");
  }
  PrecomputedTxData local;
  if (precomputed == nullptr) {
    local = PrecomputeTxData(tx, spent_outputs);
    precomputed = &local;
  }
  const TxOut& spent = spent_outputs[input_index];
  const TxIn& in = tx.inputs[input_index];
  const SignatureChecker checker(tx, input_index, spent.value, *precomputed);
  return VerifyScript(in.script_sig, spent.script_pubkey, in.witness, flags, checker);
}

core::Status VerifyInput(const Transaction& tx, std::size_t input_index,
                         std::span<const TxOut> spent_outputs, std::uint32_t flags,
                         const PrecomputedTxData* precomputed) {
  auto result = CheckInput(tx, input_index, spent_outputs, flags, precomputed);
  if (!result) {
    return core::Fail(result.error());
  }
  if (*result != ScriptError::kOk) {
    return core::Fail(ScriptFailure(*result, input_index));
  }
  return core::Ok();
}

}  // namespace enclavectl::bitcoin
