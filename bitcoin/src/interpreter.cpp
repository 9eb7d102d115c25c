#include "enclavectl/bitcoin/interpreter.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "enclavectl/bitcoin/hashes.hpp"
#include "enclavectl/bitcoin/keys.hpp"
#include "enclavectl/bitcoin/script.hpp"
#include "enclavectl/bitcoin/taproot.hpp"

namespace enclavectl::bitcoin {
namespace {

constexpr std::int64_t kLocktimeThreshold = 500000000;
constexpr std::uint32_t kSequenceFinal = 0xffffffff;
constexpr std::int64_t kSequenceDisableFlag = std::int64_t{1} << 31;
constexpr std::int64_t kSequenceTypeFlag = std::int64_t{1} << 22;
constexpr std::int64_t kSequenceMask = 0x0000ffff;

// The stack of OP_IF branches as a size and the position of the first false entry, so that
// deep nesting costs O(1) per op (Bitcoin Core's ConditionStack).
class ConditionStack {
 public:
  bool Empty() const noexcept { return size_ == 0; }
  bool AllTrue() const noexcept { return first_false_ == kNoFalse; }
  void Push(bool value) noexcept {
    if (first_false_ == kNoFalse && !value) {
      first_false_ = size_;
    }
    ++size_;
  }
  void Pop() noexcept {
    --size_;
    if (first_false_ == size_) {
      first_false_ = kNoFalse;
    }
  }
  void ToggleTop() noexcept {
    if (first_false_ == kNoFalse) {
      first_false_ = size_ - 1;
    } else if (first_false_ == size_ - 1) {
      first_false_ = kNoFalse;
    }
  }

 private:
  static constexpr std::size_t kNoFalse = std::numeric_limits<std::size_t>::max();
  std::size_t size_ = 0;
  std::size_t first_false_ = kNoFalse;
};

// BIP-66 strict DER with the hash type byte appended (Bitcoin Core's
// IsValidSignatureEncoding).
bool IsValidSignatureEncoding(ByteView sig) {
  if (sig.size() < 9 || sig.size() > 73) {
    return false;
  }
  if (sig[0] != 0x30 || sig[1] != sig.size() - 3) {
    return false;
  }
  const std::size_t len_r = sig[3];
  if (5 + len_r >= sig.size()) {
    return false;
  }
  const std::size_t len_s = sig[5 + len_r];
  if (len_r + len_s + 7 != sig.size()) {
    return false;
  }
  if (sig[2] != 0x02 || len_r == 0 || (sig[4] & 0x80U) != 0) {
    return false;
  }
  if (len_r > 1 && sig[4] == 0x00 && (sig[5] & 0x80U) == 0) {
    return false;
  }
  if (sig[len_r + 4] != 0x02 || len_s == 0 || (sig[len_r + 6] & 0x80U) != 0) {
    return false;
  }
  if (len_s > 1 && sig[len_r + 6] == 0x00 && (sig[len_r + 7] & 0x80U) == 0) {
    return false;
  }
  return true;
}

ScriptError CheckSignatureEncoding(ByteView sig, std::uint32_t flags) {
  // An empty signature is a compact way to fail CHECKSIG without aborting.
  if (sig.empty()) {
    return ScriptError::kOk;
  }
  if ((flags & (kVerifyDerSig | kVerifyLowS | kVerifyStrictEnc)) != 0 &&
      !IsValidSignatureEncoding(sig)) {
    return ScriptError::kSigDer;
  }
  if ((flags & kVerifyLowS) != 0 && !IsLowS(sig.first(sig.size() - 1))) {
    return ScriptError::kSigHighS;
  }
  if ((flags & kVerifyStrictEnc) != 0) {
    const auto base = static_cast<std::uint8_t>(sig.back() & ~kSighashAnyoneCanPay);
    if (base < kSighashAll || base > kSighashSingle) {
      return ScriptError::kSigHashtype;
    }
  }
  return ScriptError::kOk;
}

ScriptError CheckPubKeyEncoding(ByteView pubkey, std::uint32_t flags, SigVersion sigversion) {
  const bool compressed = pubkey.size() == 33 && (pubkey[0] == 0x02 || pubkey[0] == 0x03);
  const bool uncompressed = pubkey.size() == 65 && pubkey[0] == 0x04;
  if ((flags & kVerifyStrictEnc) != 0 && !compressed && !uncompressed) {
    return ScriptError::kPubkeyType;
  }
  if ((flags & kVerifyWitnessPubkeyType) != 0 && sigversion == SigVersion::kWitnessV0 &&
      !compressed) {
    return ScriptError::kWitnessPubkeyType;
  }
  return ScriptError::kOk;
}

// Removes every occurrence of `needle` that starts at an op boundary (Bitcoin Core's
// FindAndDelete). Returns how many were removed.
int FindAndDelete(Bytes& script, ByteView needle) {
  if (needle.empty()) {
    return 0;
  }
  int found = 0;
  Bytes result;
  std::size_t pc = 0;
  std::size_t pc2 = 0;
  const std::size_t end = script.size();
  std::uint8_t opcode = 0;
  ByteView data;
  do {
    result.insert(result.end(), script.begin() + static_cast<std::ptrdiff_t>(pc2),
                  script.begin() + static_cast<std::ptrdiff_t>(pc));
    while (end - pc >= needle.size() &&
           std::equal(needle.begin(), needle.end(),
                      script.begin() + static_cast<std::ptrdiff_t>(pc))) {
      pc += needle.size();
      ++found;
    }
    pc2 = pc;
  } while (GetScriptOp(script, pc, opcode, data));
  if (found > 0) {
    result.insert(result.end(), script.begin() + static_cast<std::ptrdiff_t>(pc2), script.end());
    script = std::move(result);
  }
  return found;
}

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

// The pre-tapscript CHECKSIG (Bitcoin Core's EvalChecksigPreTapscript). Sets `success`.
ScriptError EvalChecksigPreTapscript(ByteView sig, ByteView pubkey, ByteView script_code_view,
                                     std::uint32_t flags, const SignatureChecker& checker,
                                     SigVersion sigversion, bool& success) {
  Bytes script_code(script_code_view.begin(), script_code_view.end());
  if (sigversion == SigVersion::kBase) {
    // A signature cannot sign itself: remove it from the script code.
    const int found = FindAndDelete(script_code, PushData(sig));
    if (found > 0 && (flags & kVerifyConstScriptCode) != 0) {
      return ScriptError::kSigFindAndDelete;
    }
  }
  if (ScriptError e = CheckSignatureEncoding(sig, flags); e != ScriptError::kOk) {
    return e;
  }
  if (ScriptError e = CheckPubKeyEncoding(pubkey, flags, sigversion); e != ScriptError::kOk) {
    return e;
  }
  success = checker.CheckEcdsaSignature(sig, pubkey, script_code, sigversion);
  if (!success && (flags & kVerifyNullFail) != 0 && !sig.empty()) {
    return ScriptError::kSigNullFail;
  }
  return ScriptError::kOk;
}

// BIP-342 CHECKSIG (Bitcoin Core's EvalChecksigTapscript). Sets `success`.
ScriptError EvalChecksigTapscript(ByteView sig, ByteView pubkey, ExecutionData& execdata,
                                  std::uint32_t flags, const SignatureChecker& checker,
                                  bool& success) {
  // An empty signature fails without consuming budget or aborting.
  success = !sig.empty();
  if (success) {
    // Every non-empty signature costs budget, even under an unknown key type.
    *execdata.validation_weight_left -= kValidationWeightPerSigopPassed;
    if (*execdata.validation_weight_left < 0) {
      return ScriptError::kTapscriptValidationWeight;
    }
  }
  if (pubkey.empty()) {
    return ScriptError::kPubkeyType;
  }
  if (pubkey.size() == 32) {
    if (success) {
      ScriptError e = checker.CheckSchnorrSignature(sig, pubkey, SigVersion::kTapscript, execdata);
      if (e != ScriptError::kOk) {
        return e;
      }
    }
  } else if ((flags & kVerifyDiscourageUpgradablePubkeyType) != 0) {
    // Unknown public key types are always valid (BIP-342), unless discouraged by policy.
    return ScriptError::kDiscourageUpgradablePubkeyType;
  }
  return ScriptError::kOk;
}

ScriptError EvalChecksig(ByteView sig, ByteView pubkey, ByteView script_code,
                         ExecutionData& execdata, std::uint32_t flags,
                         const SignatureChecker& checker, SigVersion sigversion, bool& success) {
  if (sigversion == SigVersion::kTapscript) {
    return EvalChecksigTapscript(sig, pubkey, execdata, flags, checker, success);
  }
  return EvalChecksigPreTapscript(sig, pubkey, script_code, flags, checker, sigversion, success);
}

Bytes BoolBytes(bool value) { return value ? Bytes{1} : Bytes{}; }

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

ScriptError VerifyWitnessProgram(const std::vector<Bytes>& witness, int version, ByteView program,
                                 std::uint32_t flags, const SignatureChecker& checker,
                                 bool is_p2sh) {
  Stack stack = witness;
  ExecutionData execdata;
  if (version == 0) {
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
  if (version == 1 && program.size() == 32 && !is_p2sh) {
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
  // Higher versions and other program sizes are valid (future soft forks).
  if ((flags & kVerifyDiscourageUpgradableWitnessProgram) != 0) {
    return ScriptError::kDiscourageUpgradableWitnessProgram;
  }
  return ScriptError::kOk;
}

}  // namespace

bool SignatureChecker::CheckEcdsaSignature(ByteView sig, ByteView pubkey, ByteView script_code,
                                           SigVersion sigversion) const {
  if (sig.empty()) {
    return false;
  }
  // Core treats a negative amount as missing data for witness v0 signature hashes.
  if (sigversion == SigVersion::kWitnessV0 && amount_ < 0) {
    return false;
  }
  const auto hash_type = static_cast<std::int32_t>(sig.back());
  const ByteView der = sig.first(sig.size() - 1);
  const Hash256 sighash =
      sigversion == SigVersion::kWitnessV0
          ? WitnessV0Sighash(tx_, input_index_, script_code, amount_, hash_type, precomputed_)
          : LegacySighash(tx_, input_index_, script_code, hash_type);
  return VerifyEcdsaLax(der, pubkey, sighash);
}

ScriptError SignatureChecker::CheckSchnorrSignature(ByteView sig, ByteView pubkey,
                                                    SigVersion sigversion,
                                                    const ExecutionData& execdata) const {
  // BIP-341: 64 bytes (SIGHASH_DEFAULT) or 65 with an explicit, non-zero hash type.
  if (sig.size() != 64 && sig.size() != 65) {
    return ScriptError::kSchnorrSigSize;
  }
  std::uint8_t hash_type = kSighashDefault;
  if (sig.size() == 65) {
    hash_type = sig.back();
    if (hash_type == kSighashDefault) {
      return ScriptError::kSchnorrSigHashtype;
    }
    sig = sig.first(64);
  }
  TapscriptSighashContext tapscript;
  const bool script_path = sigversion == SigVersion::kTapscript;
  if (script_path) {
    tapscript.tapleaf_hash = execdata.tapleaf_hash.value_or(Hash256{});
    tapscript.codesep_pos = execdata.codesep_pos;
  }
  auto sighash = TaprootSighash(tx_, input_index_, hash_type, precomputed_, execdata.annex_hash,
                                script_path ? &tapscript : nullptr);
  if (!sighash) {
    return ScriptError::kSchnorrSigHashtype;
  }
  if (!VerifySchnorr(sig, *sighash, pubkey)) {
    return ScriptError::kSchnorrSig;
  }
  return ScriptError::kOk;
}

bool SignatureChecker::CheckLockTime(std::int64_t lock_time) const {
  const auto tx_lock_time = static_cast<std::int64_t>(tx_.lock_time);
  // Both block heights or both timestamps.
  if (!((tx_lock_time < kLocktimeThreshold && lock_time < kLocktimeThreshold) ||
        (tx_lock_time >= kLocktimeThreshold && lock_time >= kLocktimeThreshold))) {
    return false;
  }
  if (lock_time > tx_lock_time) {
    return false;
  }
  // A final input disables the transaction's lock time, so CLTV could be bypassed.
  return tx_.inputs[input_index_].sequence != kSequenceFinal;
}

bool SignatureChecker::CheckSequence(std::int64_t sequence) const {
  const auto tx_sequence = static_cast<std::int64_t>(tx_.inputs[input_index_].sequence);
  // BIP-68 applies only from version 2 and to inputs without the disable flag.
  if (tx_.version < 2) {
    return false;
  }
  if ((tx_sequence & kSequenceDisableFlag) != 0) {
    return false;
  }
  const std::int64_t mask = kSequenceTypeFlag | kSequenceMask;
  const std::int64_t tx_masked = tx_sequence & mask;
  const std::int64_t masked = sequence & mask;
  if (!((tx_masked < kSequenceTypeFlag && masked < kSequenceTypeFlag) ||
        (tx_masked >= kSequenceTypeFlag && masked >= kSequenceTypeFlag))) {
    return false;
  }
  return masked <= tx_masked;
}

ScriptError EvalScript(Stack& stack, ByteView script, std::uint32_t flags,
                       const SignatureChecker& checker, SigVersion sigversion,
                       ExecutionData& execdata) {
  const bool pre_tapscript =
      sigversion == SigVersion::kBase || sigversion == SigVersion::kWitnessV0;
  if (pre_tapscript && script.size() > kMaxScriptSize) {
    return ScriptError::kScriptSize;
  }
  const bool require_minimal = (flags & kVerifyMinimalData) != 0;
  ConditionStack exec_stack;
  Stack altstack;
  int op_count = 0;
  std::size_t code_begin = 0;  // after the last executed OP_CODESEPARATOR
  std::uint32_t opcode_pos = 0;
  execdata.codesep_pos = 0xffffffff;

  auto top = [&stack](std::size_t depth) -> Bytes& { return stack[stack.size() - depth]; };
  auto pop = [&stack]() { stack.pop_back(); };
  auto num = [&](std::size_t depth, std::size_t max_size = 4) {
    return ScriptNum::Decode(top(depth), require_minimal, max_size);
  };

  std::size_t pc = 0;
  while (pc < script.size()) {
    const bool exec = exec_stack.AllTrue();
    std::uint8_t opcode = 0;
    ByteView push;
    if (!GetScriptOp(script, pc, opcode, push)) {
      return ScriptError::kBadOpcode;
    }
    if (push.size() > kMaxScriptElementSize) {
      return ScriptError::kPushSize;
    }
    if (pre_tapscript && opcode > kOp16 && ++op_count > kMaxOpsPerScript) {
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
      if (require_minimal && !IsMinimalPush(push, opcode)) {
        return ScriptError::kMinimalData;
      }
      stack.emplace_back(push.begin(), push.end());
    } else if (exec || (opcode >= kOpIf && opcode <= kOpEndIf)) {
      switch (opcode) {
        case kOp1Negate:
        case kOp1:
        case 0x52:
        case 0x53:
        case 0x54:
        case 0x55:
        case 0x56:
        case 0x57:
        case 0x58:
        case 0x59:
        case 0x5a:
        case 0x5b:
        case 0x5c:
        case 0x5d:
        case 0x5e:
        case 0x5f:
        case kOp16:
          stack.push_back(ScriptNum(static_cast<int>(opcode) - (kOp1 - 1)).Encode());
          break;

        case kOpNop:
          break;

        case kOpCheckLockTimeVerify: {
          if ((flags & kVerifyCheckLockTimeVerify) == 0) {
            break;  // not enabled: OP_NOP2
          }
          if (stack.empty()) {
            return ScriptError::kInvalidStackOperation;
          }
          // Five bytes: lock times reach 2^32 - 1 (BIP-65).
          auto lock_time = num(1, 5);
          if (!lock_time) {
            return ScriptError::kUnknownError;
          }
          if (lock_time->Value() < 0) {
            return ScriptError::kNegativeLocktime;
          }
          if (!checker.CheckLockTime(lock_time->Value())) {
            return ScriptError::kUnsatisfiedLocktime;
          }
          break;
        }

        case kOpCheckSequenceVerify: {
          if ((flags & kVerifyCheckSequenceVerify) == 0) {
            break;  // not enabled: OP_NOP3
          }
          if (stack.empty()) {
            return ScriptError::kInvalidStackOperation;
          }
          auto sequence = num(1, 5);
          if (!sequence) {
            return ScriptError::kUnknownError;
          }
          if (sequence->Value() < 0) {
            return ScriptError::kNegativeLocktime;
          }
          // With the disable flag the operand imposes nothing (BIP-112).
          if ((sequence->Value() & kSequenceDisableFlag) != 0) {
            break;
          }
          if (!checker.CheckSequence(sequence->Value())) {
            return ScriptError::kUnsatisfiedLocktime;
          }
          break;
        }

        case kOpNop1:
        case kOpNop4:
        case 0xb4:
        case 0xb5:
        case 0xb6:
        case 0xb7:
        case 0xb8:
        case kOpNop10:
          if ((flags & kVerifyDiscourageUpgradableNops) != 0) {
            return ScriptError::kDiscourageUpgradableNops;
          }
          break;

        case kOpIf:
        case kOpNotIf: {
          bool value = false;
          if (exec) {
            if (stack.empty()) {
              return ScriptError::kUnbalancedConditional;
            }
            const Bytes& condition = top(1);
            if (sigversion == SigVersion::kTapscript) {
              // BIP-342: the argument must be exactly empty or 0x01 (consensus).
              if (condition.size() > 1 || (condition.size() == 1 && condition[0] != 1)) {
                return ScriptError::kTapscriptMinimalIf;
              }
            }
            if (sigversion == SigVersion::kWitnessV0 && (flags & kVerifyMinimalIf) != 0) {
              if (condition.size() > 1 || (condition.size() == 1 && condition[0] != 1)) {
                return ScriptError::kMinimalIf;
              }
            }
            value = CastToBool(condition);
            if (opcode == kOpNotIf) {
              value = !value;
            }
            pop();
          }
          exec_stack.Push(value);
          break;
        }

        case kOpElse:
          if (exec_stack.Empty()) {
            return ScriptError::kUnbalancedConditional;
          }
          exec_stack.ToggleTop();
          break;

        case kOpEndIf:
          if (exec_stack.Empty()) {
            return ScriptError::kUnbalancedConditional;
          }
          exec_stack.Pop();
          break;

        case kOpVerify:
          if (stack.empty()) {
            return ScriptError::kInvalidStackOperation;
          }
          if (!CastToBool(top(1))) {
            return ScriptError::kVerify;
          }
          pop();
          break;

        case kOpReturn:
          return ScriptError::kOpReturn;

        case kOpToAltStack:
          if (stack.empty()) {
            return ScriptError::kInvalidStackOperation;
          }
          altstack.push_back(std::move(top(1)));
          pop();
          break;

        case kOpFromAltStack:
          if (altstack.empty()) {
            return ScriptError::kInvalidAltstackOperation;
          }
          stack.push_back(std::move(altstack.back()));
          altstack.pop_back();
          break;

        case kOp2Drop:
          if (stack.size() < 2) {
            return ScriptError::kInvalidStackOperation;
          }
          pop();
          pop();
          break;

        case kOp2Dup: {
          if (stack.size() < 2) {
            return ScriptError::kInvalidStackOperation;
          }
          Bytes a = top(2);
          Bytes b = top(1);
          stack.push_back(std::move(a));
          stack.push_back(std::move(b));
          break;
        }

        case kOp3Dup: {
          if (stack.size() < 3) {
            return ScriptError::kInvalidStackOperation;
          }
          Bytes a = top(3);
          Bytes b = top(2);
          Bytes c = top(1);
          stack.push_back(std::move(a));
          stack.push_back(std::move(b));
          stack.push_back(std::move(c));
          break;
        }

        case kOp2Over: {
          if (stack.size() < 4) {
            return ScriptError::kInvalidStackOperation;
          }
          Bytes a = top(4);
          Bytes b = top(3);
          stack.push_back(std::move(a));
          stack.push_back(std::move(b));
          break;
        }

        case kOp2Rot: {
          if (stack.size() < 6) {
            return ScriptError::kInvalidStackOperation;
          }
          Bytes a = std::move(top(6));
          Bytes b = std::move(top(5));
          stack.erase(stack.end() - 6, stack.end() - 4);
          stack.push_back(std::move(a));
          stack.push_back(std::move(b));
          break;
        }

        case kOp2Swap:
          if (stack.size() < 4) {
            return ScriptError::kInvalidStackOperation;
          }
          std::swap(top(4), top(2));
          std::swap(top(3), top(1));
          break;

        case kOpIfDup: {
          if (stack.empty()) {
            return ScriptError::kInvalidStackOperation;
          }
          if (CastToBool(top(1))) {
            Bytes copy = top(1);
            stack.push_back(std::move(copy));
          }
          break;
        }

        case kOpDepth:
          stack.push_back(ScriptNum(static_cast<std::int64_t>(stack.size())).Encode());
          break;

        case kOpDrop:
          if (stack.empty()) {
            return ScriptError::kInvalidStackOperation;
          }
          pop();
          break;

        case kOpDup: {
          if (stack.empty()) {
            return ScriptError::kInvalidStackOperation;
          }
          Bytes copy = top(1);
          stack.push_back(std::move(copy));
          break;
        }

        case kOpNip:
          if (stack.size() < 2) {
            return ScriptError::kInvalidStackOperation;
          }
          stack.erase(stack.end() - 2);
          break;

        case kOpOver: {
          if (stack.size() < 2) {
            return ScriptError::kInvalidStackOperation;
          }
          Bytes copy = top(2);
          stack.push_back(std::move(copy));
          break;
        }

        case kOpPick:
        case kOpRoll: {
          if (stack.size() < 2) {
            return ScriptError::kInvalidStackOperation;
          }
          auto n = num(1);
          if (!n) {
            return ScriptError::kUnknownError;
          }
          const int depth = n->GetInt();
          pop();
          if (depth < 0 || static_cast<std::size_t>(depth) >= stack.size()) {
            return ScriptError::kInvalidStackOperation;
          }
          const auto index = static_cast<std::size_t>(depth) + 1;
          Bytes value = top(index);
          if (opcode == kOpRoll) {
            stack.erase(stack.end() - static_cast<std::ptrdiff_t>(index));
          }
          stack.push_back(std::move(value));
          break;
        }

        case kOpRot:
          if (stack.size() < 3) {
            return ScriptError::kInvalidStackOperation;
          }
          std::swap(top(3), top(2));
          std::swap(top(2), top(1));
          break;

        case kOpSwap:
          if (stack.size() < 2) {
            return ScriptError::kInvalidStackOperation;
          }
          std::swap(top(2), top(1));
          break;

        case kOpTuck: {
          if (stack.size() < 2) {
            return ScriptError::kInvalidStackOperation;
          }
          Bytes copy = top(1);
          stack.insert(stack.end() - 2, std::move(copy));
          break;
        }

        case kOpSize: {
          if (stack.empty()) {
            return ScriptError::kInvalidStackOperation;
          }
          const auto size = static_cast<std::int64_t>(top(1).size());
          stack.push_back(ScriptNum(size).Encode());
          break;
        }

        case kOpEqual:
        case kOpEqualVerify: {
          if (stack.size() < 2) {
            return ScriptError::kInvalidStackOperation;
          }
          const bool equal = top(2) == top(1);
          pop();
          pop();
          stack.push_back(BoolBytes(equal));
          if (opcode == kOpEqualVerify) {
            if (!equal) {
              return ScriptError::kEqualVerify;
            }
            pop();
          }
          break;
        }

        case kOp1Add:
        case kOp1Sub:
        case kOpNegate:
        case kOpAbs:
        case kOpNot:
        case kOp0NotEqual: {
          if (stack.empty()) {
            return ScriptError::kInvalidStackOperation;
          }
          auto operand = num(1);
          if (!operand) {
            return ScriptError::kUnknownError;
          }
          std::int64_t v = operand->Value();
          switch (opcode) {
            case kOp1Add:
              v += 1;
              break;
            case kOp1Sub:
              v -= 1;
              break;
            case kOpNegate:
              v = -v;
              break;
            case kOpAbs:
              v = v < 0 ? -v : v;
              break;
            case kOpNot:
              v = v == 0 ? 1 : 0;
              break;
            default:  // OP_0NOTEQUAL
              v = v != 0 ? 1 : 0;
              break;
          }
          pop();
          stack.push_back(ScriptNum(v).Encode());
          break;
        }

        case kOpAdd:
        case kOpSub:
        case kOpBoolAnd:
        case kOpBoolOr:
        case kOpNumEqual:
        case kOpNumEqualVerify:
        case kOpNumNotEqual:
        case kOpLessThan:
        case kOpGreaterThan:
        case kOpLessThanOrEqual:
        case kOpGreaterThanOrEqual:
        case kOpMin:
        case kOpMax: {
          if (stack.size() < 2) {
            return ScriptError::kInvalidStackOperation;
          }
          auto a_num = num(2);
          auto b_num = num(1);
          if (!a_num || !b_num) {
            return ScriptError::kUnknownError;
          }
          const std::int64_t a = a_num->Value();
          const std::int64_t b = b_num->Value();
          std::int64_t r = 0;
          switch (opcode) {
            case kOpAdd:
              r = a + b;
              break;
            case kOpSub:
              r = a - b;
              break;
            case kOpBoolAnd:
              r = (a != 0 && b != 0) ? 1 : 0;
              break;
            case kOpBoolOr:
              r = (a != 0 || b != 0) ? 1 : 0;
              break;
            case kOpNumEqual:
            case kOpNumEqualVerify:
              r = a == b ? 1 : 0;
              break;
            case kOpNumNotEqual:
              r = a != b ? 1 : 0;
              break;
            case kOpLessThan:
              r = a < b ? 1 : 0;
              break;
            case kOpGreaterThan:
              r = a > b ? 1 : 0;
              break;
            case kOpLessThanOrEqual:
              r = a <= b ? 1 : 0;
              break;
            case kOpGreaterThanOrEqual:
              r = a >= b ? 1 : 0;
              break;
            case kOpMin:
              r = std::min(a, b);
              break;
            default:  // OP_MAX
              r = std::max(a, b);
              break;
          }
          pop();
          pop();
          stack.push_back(ScriptNum(r).Encode());
          if (opcode == kOpNumEqualVerify) {
            if (!CastToBool(top(1))) {
              return ScriptError::kNumEqualVerify;
            }
            pop();
          }
          break;
        }

        case kOpWithin: {
          if (stack.size() < 3) {
            return ScriptError::kInvalidStackOperation;
          }
          auto x = num(3);
          auto lo = num(2);
          auto hi = num(1);
          if (!x || !lo || !hi) {
            return ScriptError::kUnknownError;
          }
          const bool within = lo->Value() <= x->Value() && x->Value() < hi->Value();
          pop();
          pop();
          pop();
          stack.push_back(BoolBytes(within));
          break;
        }

        case kOpRipemd160:
        case kOpSha1:
        case kOpSha256:
        case kOpHash160:
        case kOpHash256: {
          if (stack.empty()) {
            return ScriptError::kInvalidStackOperation;
          }
          const Bytes& value = top(1);
          Bytes hash;
          if (opcode == kOpRipemd160) {
            const auto h = Ripemd160(value);
            hash.assign(h.begin(), h.end());
          } else if (opcode == kOpSha1) {
            const auto h = Sha1(value);
            hash.assign(h.begin(), h.end());
          } else if (opcode == kOpSha256) {
            const auto h = Sha256(value);
            hash.assign(h.begin(), h.end());
          } else if (opcode == kOpHash160) {
            const auto h = Hash160(value);
            hash.assign(h.begin(), h.end());
          } else {
            const auto h = DoubleSha256(value);
            hash.assign(h.begin(), h.end());
          }
          pop();
          stack.push_back(std::move(hash));
          break;
        }

        case kOpCodeSeparator:
          // Signatures commit to the script after the last executed OP_CODESEPARATOR
          // (pre-tapscript) or to its position (BIP-342).
          code_begin = pc;
          execdata.codesep_pos = opcode_pos;
          break;

        case kOpCheckSig:
        case kOpCheckSigVerify: {
          if (stack.size() < 2) {
            return ScriptError::kInvalidStackOperation;
          }
          bool success = false;
          if (ScriptError e = EvalChecksig(top(2), top(1), script.subspan(code_begin), execdata,
                                           flags, checker, sigversion, success);
              e != ScriptError::kOk) {
            return e;
          }
          pop();
          pop();
          stack.push_back(BoolBytes(success));
          if (opcode == kOpCheckSigVerify) {
            if (!success) {
              return ScriptError::kCheckSigVerify;
            }
            pop();
          }
          break;
        }

        case kOpCheckSigAdd: {
          // BIP-342; not an opcode before tapscript.
          if (pre_tapscript) {
            return ScriptError::kBadOpcode;
          }
          if (stack.size() < 3) {
            return ScriptError::kInvalidStackOperation;
          }
          auto n = num(2);
          if (!n) {
            return ScriptError::kUnknownError;
          }
          bool success = false;
          if (ScriptError e = EvalChecksig(top(3), top(1), script.subspan(code_begin), execdata,
                                           flags, checker, sigversion, success);
              e != ScriptError::kOk) {
            return e;
          }
          pop();
          pop();
          pop();
          stack.push_back(ScriptNum(n->Value() + (success ? 1 : 0)).Encode());
          break;
        }

        case kOpCheckMultiSig:
        case kOpCheckMultiSigVerify: {
          if (sigversion == SigVersion::kTapscript) {
            return ScriptError::kTapscriptCheckMultiSig;
          }
          // ([dummy] [sig ...] num_of_signatures [pubkey ...] num_of_pubkeys)
          std::size_t i = 1;
          if (stack.size() < i) {
            return ScriptError::kInvalidStackOperation;
          }
          auto keys_num = num(i);
          if (!keys_num) {
            return ScriptError::kUnknownError;
          }
          int keys_count = keys_num->GetInt();
          if (keys_count < 0 || keys_count > kMaxPubkeysPerMultisig) {
            return ScriptError::kPubkeyCount;
          }
          op_count += keys_count;
          if (op_count > kMaxOpsPerScript) {
            return ScriptError::kOpCount;
          }
          std::size_t ikey = ++i;
          // ikey2 is the position of the last non-signature item on the stack (NULLFAIL).
          std::size_t ikey2 = static_cast<std::size_t>(keys_count) + 2;
          i += static_cast<std::size_t>(keys_count);
          if (stack.size() < i) {
            return ScriptError::kInvalidStackOperation;
          }
          auto sigs_num = num(i);
          if (!sigs_num) {
            return ScriptError::kUnknownError;
          }
          int sigs_count = sigs_num->GetInt();
          if (sigs_count < 0 || sigs_count > keys_count) {
            return ScriptError::kSigCount;
          }
          std::size_t isig = ++i;
          i += static_cast<std::size_t>(sigs_count);
          if (stack.size() < i) {
            return ScriptError::kInvalidStackOperation;
          }
          Bytes script_code(script.begin() + static_cast<std::ptrdiff_t>(code_begin), script.end());
          for (int k = 0; k < sigs_count; ++k) {
            const Bytes& sig = top(isig + static_cast<std::size_t>(k));
            if (sigversion == SigVersion::kBase) {
              const int found = FindAndDelete(script_code, PushData(sig));
              if (found > 0 && (flags & kVerifyConstScriptCode) != 0) {
                return ScriptError::kSigFindAndDelete;
              }
            }
          }
          bool success = true;
          while (success && sigs_count > 0) {
            const Bytes& sig = top(isig);
            const Bytes& pubkey = top(ikey);
            if (ScriptError e = CheckSignatureEncoding(sig, flags); e != ScriptError::kOk) {
              return e;
            }
            if (ScriptError e = CheckPubKeyEncoding(pubkey, flags, sigversion);
                e != ScriptError::kOk) {
              return e;
            }
            if (checker.CheckEcdsaSignature(sig, pubkey, script_code, sigversion)) {
              ++isig;
              --sigs_count;
            }
            ++ikey;
            --keys_count;
            // More signatures left than keys: the rest cannot match.
            if (sigs_count > keys_count) {
              success = false;
            }
          }
          // Pop every item; with NULLFAIL, a failed check requires every signature empty.
          while (i-- > 1) {
            if (!success && (flags & kVerifyNullFail) != 0 && ikey2 == 0 && !top(1).empty()) {
              return ScriptError::kSigNullFail;
            }
            if (ikey2 > 0) {
              --ikey2;
            }
            pop();
          }
          // The historical extra item (the "dummy").
          if (stack.empty()) {
            return ScriptError::kInvalidStackOperation;
          }
          if ((flags & kVerifyNullDummy) != 0 && !top(1).empty()) {
            return ScriptError::kSigNullDummy;
          }
          pop();
          stack.push_back(BoolBytes(success));
          if (opcode == kOpCheckMultiSigVerify) {
            if (!success) {
              return ScriptError::kCheckMultiSigVerify;
            }
            pop();
          }
          break;
        }

        default:
          return ScriptError::kBadOpcode;
      }
    }

    if (stack.size() + altstack.size() > kMaxStackSize) {
      return ScriptError::kStackSize;
    }
    ++opcode_pos;
  }
  if (!exec_stack.Empty()) {
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
    // BIP-16: scriptSig must be push-only; the last push is the redeem script.
    if (!IsPushOnly(script_sig)) {
      return ScriptError::kSigPushOnly;
    }
    std::swap(stack, stack_copy);
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
