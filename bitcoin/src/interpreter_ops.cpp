// Script opcode groups: flow control and lock times, stack operations, arithmetic (Bitcoin
// Core's EvalScript cases, in its order).
#include <algorithm>
#include <cstddef>
#include <utility>

#include "enclavectl/bitcoin/interpreter.hpp"
#include "enclavectl/bitcoin/script.hpp"
#include "interpreter_internal.hpp"

namespace enclavectl::bitcoin {
namespace {

constexpr std::int64_t kLocktimeThreshold = 500000000;
constexpr std::uint32_t kSequenceFinal = 0xffffffff;
constexpr std::int64_t kSequenceDisableFlag = std::int64_t{1} << 31;
constexpr std::int64_t kSequenceTypeFlag = std::int64_t{1} << 22;
constexpr std::int64_t kSequenceMask = 0x0000ffff;

}  // namespace

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

namespace interpreter_internal {
namespace {

// OP_CHECKLOCKTIMEVERIFY (BIP-65); OP_NOP2 when not enabled.
ScriptError ExecCheckLockTimeVerify(ScriptMachine& m) {
  if ((m.flags & kVerifyCheckLockTimeVerify) == 0) {
    return ScriptError::kOk;  // not enabled: OP_NOP2
  }
  if (m.stack.empty()) {
    return ScriptError::kInvalidStackOperation;
  }
  // Five bytes: lock times reach 2^32 - 1 (BIP-65).
  auto lock_time = m.Num(1, 5);
  if (!lock_time) {
    return ScriptError::kUnknownError;
  }
  if (lock_time->Value() < 0) {
    return ScriptError::kNegativeLocktime;
  }
  if (!m.checker.CheckLockTime(lock_time->Value())) {
    return ScriptError::kUnsatisfiedLocktime;
  }
  return ScriptError::kOk;
}

// OP_CHECKSEQUENCEVERIFY (BIP-112); OP_NOP3 when not enabled.
ScriptError ExecCheckSequenceVerify(ScriptMachine& m) {
  if ((m.flags & kVerifyCheckSequenceVerify) == 0) {
    return ScriptError::kOk;  // not enabled: OP_NOP3
  }
  if (m.stack.empty()) {
    return ScriptError::kInvalidStackOperation;
  }
  auto sequence = m.Num(1, 5);
  if (!sequence) {
    return ScriptError::kUnknownError;
  }
  if (sequence->Value() < 0) {
    return ScriptError::kNegativeLocktime;
  }
  // With the disable flag the operand imposes nothing (BIP-112).
  if ((sequence->Value() & kSequenceDisableFlag) != 0) {
    return ScriptError::kOk;
  }
  if (!m.checker.CheckSequence(sequence->Value())) {
    return ScriptError::kUnsatisfiedLocktime;
  }
  return ScriptError::kOk;
}

// OP_IF and OP_NOTIF; in an unexecuted branch they only push a false branch.
ScriptError ExecIf(ScriptMachine& m, std::uint8_t opcode, bool exec) {
  bool value = false;
  if (exec) {
    if (m.stack.empty()) {
      return ScriptError::kUnbalancedConditional;
    }
    const Bytes& condition = m.Top(1);
    if (m.sigversion == SigVersion::kTapscript) {
      // BIP-342: the argument must be exactly empty or 0x01 (consensus).
      if (condition.size() > 1 || (condition.size() == 1 && condition[0] != 1)) {
        return ScriptError::kTapscriptMinimalIf;
      }
    }
    if (m.sigversion == SigVersion::kWitnessV0 && (m.flags & kVerifyMinimalIf) != 0) {
      if (condition.size() > 1 || (condition.size() == 1 && condition[0] != 1)) {
        return ScriptError::kMinimalIf;
      }
    }
    value = CastToBool(condition);
    if (opcode == kOpNotIf) {
      value = !value;
    }
    m.Pop();
  }
  m.exec_stack.Push(value);
  return ScriptError::kOk;
}

// OP_2DROP..OP_2SWAP: the operations on pairs of items.
ScriptError ExecPairOp(ScriptMachine& m, std::uint8_t opcode) {
  switch (opcode) {
    case kOp2Drop:
      if (m.stack.size() < 2) {
        return ScriptError::kInvalidStackOperation;
      }
      m.Pop();
      m.Pop();
      break;

    case kOp2Dup: {
      if (m.stack.size() < 2) {
        return ScriptError::kInvalidStackOperation;
      }
      Bytes a = m.Top(2);
      Bytes b = m.Top(1);
      m.stack.push_back(std::move(a));
      m.stack.push_back(std::move(b));
      break;
    }

    case kOp3Dup: {
      if (m.stack.size() < 3) {
        return ScriptError::kInvalidStackOperation;
      }
      Bytes a = m.Top(3);
      Bytes b = m.Top(2);
      Bytes c = m.Top(1);
      m.stack.push_back(std::move(a));
      m.stack.push_back(std::move(b));
      m.stack.push_back(std::move(c));
      break;
    }

    case kOp2Over: {
      if (m.stack.size() < 4) {
        return ScriptError::kInvalidStackOperation;
      }
      Bytes a = m.Top(4);
      Bytes b = m.Top(3);
      m.stack.push_back(std::move(a));
      m.stack.push_back(std::move(b));
      break;
    }

    case kOp2Rot: {
      if (m.stack.size() < 6) {
        return ScriptError::kInvalidStackOperation;
      }
      Bytes a = std::move(m.Top(6));
      Bytes b = std::move(m.Top(5));
      m.stack.erase(m.stack.end() - 6, m.stack.end() - 4);
      m.stack.push_back(std::move(a));
      m.stack.push_back(std::move(b));
      break;
    }

    case kOp2Swap:
      if (m.stack.size() < 4) {
        return ScriptError::kInvalidStackOperation;
      }
      std::swap(m.Top(4), m.Top(2));
      std::swap(m.Top(3), m.Top(1));
      break;

    default:
      return ScriptError::kBadOpcode;
  }
  return ScriptError::kOk;
}

// OP_PICK and OP_ROLL: copy or move the item n deep to the top.
ScriptError ExecPickRoll(ScriptMachine& m, std::uint8_t opcode) {
  if (m.stack.size() < 2) {
    return ScriptError::kInvalidStackOperation;
  }
  auto n = m.Num(1);
  if (!n) {
    return ScriptError::kUnknownError;
  }
  const int depth = n->GetInt();
  m.Pop();
  if (depth < 0 || static_cast<std::size_t>(depth) >= m.stack.size()) {
    return ScriptError::kInvalidStackOperation;
  }
  const auto index = static_cast<std::size_t>(depth) + 1;
  Bytes value = m.Top(index);
  if (opcode == kOpRoll) {
    m.stack.erase(m.stack.end() - static_cast<std::ptrdiff_t>(index));
  }
  m.stack.push_back(std::move(value));
  return ScriptError::kOk;
}

// OP_EQUAL and OP_EQUALVERIFY: byte-wise equality of the top two items.
ScriptError ExecEqual(ScriptMachine& m, std::uint8_t opcode) {
  if (m.stack.size() < 2) {
    return ScriptError::kInvalidStackOperation;
  }
  const bool equal = m.Top(2) == m.Top(1);
  m.Pop();
  m.Pop();
  m.stack.push_back(BoolBytes(equal));
  if (opcode == kOpEqualVerify) {
    if (!equal) {
      return ScriptError::kEqualVerify;
    }
    m.Pop();
  }
  return ScriptError::kOk;
}

// OP_1ADD..OP_0NOTEQUAL: one script number in, one out.
ScriptError ExecUnaryNumOp(ScriptMachine& m, std::uint8_t opcode) {
  if (m.stack.empty()) {
    return ScriptError::kInvalidStackOperation;
  }
  auto operand = m.Num(1);
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
  m.Pop();
  m.stack.push_back(ScriptNum(v).Encode());
  return ScriptError::kOk;
}

// OP_ADD..OP_MAX: two script numbers in, one out (OP_NUMEQUALVERIFY then verifies it).
ScriptError ExecBinaryNumOp(ScriptMachine& m, std::uint8_t opcode) {
  if (m.stack.size() < 2) {
    return ScriptError::kInvalidStackOperation;
  }
  auto a_num = m.Num(2);
  auto b_num = m.Num(1);
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
  m.Pop();
  m.Pop();
  m.stack.push_back(ScriptNum(r).Encode());
  if (opcode == kOpNumEqualVerify) {
    if (!CastToBool(m.Top(1))) {
      return ScriptError::kNumEqualVerify;
    }
    m.Pop();
  }
  return ScriptError::kOk;
}

// OP_WITHIN: x in [min, max).
ScriptError ExecWithin(ScriptMachine& m) {
  if (m.stack.size() < 3) {
    return ScriptError::kInvalidStackOperation;
  }
  auto x = m.Num(3);
  auto lo = m.Num(2);
  auto hi = m.Num(1);
  if (!x || !lo || !hi) {
    return ScriptError::kUnknownError;
  }
  const bool within = lo->Value() <= x->Value() && x->Value() < hi->Value();
  m.Pop();
  m.Pop();
  m.Pop();
  m.stack.push_back(BoolBytes(within));
  return ScriptError::kOk;
}

}  // namespace

ScriptError ExecFlowOp(ScriptMachine& m, std::uint8_t opcode, bool exec) {
  switch (opcode) {
    case kOpNop:
      break;

    case kOpCheckLockTimeVerify:
      return ExecCheckLockTimeVerify(m);

    case kOpCheckSequenceVerify:
      return ExecCheckSequenceVerify(m);

    case kOpNop1:
    case kOpNop4:
    case 0xb4:
    case 0xb5:
    case 0xb6:
    case 0xb7:
    case 0xb8:
    case kOpNop10:
      if ((m.flags & kVerifyDiscourageUpgradableNops) != 0) {
        return ScriptError::kDiscourageUpgradableNops;
      }
      break;

    case kOpIf:
    case kOpNotIf:
      return ExecIf(m, opcode, exec);

    case kOpElse:
      if (m.exec_stack.Empty()) {
        return ScriptError::kUnbalancedConditional;
      }
      m.exec_stack.ToggleTop();
      break;

    case kOpEndIf:
      if (m.exec_stack.Empty()) {
        return ScriptError::kUnbalancedConditional;
      }
      m.exec_stack.Pop();
      break;

    case kOpVerify:
      if (m.stack.empty()) {
        return ScriptError::kInvalidStackOperation;
      }
      if (!CastToBool(m.Top(1))) {
        return ScriptError::kVerify;
      }
      m.Pop();
      break;

    case kOpReturn:
      return ScriptError::kOpReturn;

    default:
      return ScriptError::kBadOpcode;
  }
  return ScriptError::kOk;
}

ScriptError ExecStackOp(ScriptMachine& m, std::uint8_t opcode) {
  switch (opcode) {
    case kOpToAltStack:
      if (m.stack.empty()) {
        return ScriptError::kInvalidStackOperation;
      }
      m.altstack.push_back(std::move(m.Top(1)));
      m.Pop();
      break;

    case kOpFromAltStack:
      if (m.altstack.empty()) {
        return ScriptError::kInvalidAltstackOperation;
      }
      m.stack.push_back(std::move(m.altstack.back()));
      m.altstack.pop_back();
      break;

    case kOp2Drop:
    case kOp2Dup:
    case kOp3Dup:
    case kOp2Over:
    case kOp2Rot:
    case kOp2Swap:
      return ExecPairOp(m, opcode);

    case kOpIfDup: {
      if (m.stack.empty()) {
        return ScriptError::kInvalidStackOperation;
      }
      if (CastToBool(m.Top(1))) {
        Bytes copy = m.Top(1);
        m.stack.push_back(std::move(copy));
      }
      break;
    }

    case kOpDepth:
      m.stack.push_back(ScriptNum(static_cast<std::int64_t>(m.stack.size())).Encode());
      break;

    case kOpDrop:
      if (m.stack.empty()) {
        return ScriptError::kInvalidStackOperation;
      }
      m.Pop();
      break;

    case kOpDup: {
      if (m.stack.empty()) {
        return ScriptError::kInvalidStackOperation;
      }
      Bytes copy = m.Top(1);
      m.stack.push_back(std::move(copy));
      break;
    }

    case kOpNip:
      if (m.stack.size() < 2) {
        return ScriptError::kInvalidStackOperation;
      }
      m.stack.erase(m.stack.end() - 2);
      break;

    case kOpOver: {
      if (m.stack.size() < 2) {
        return ScriptError::kInvalidStackOperation;
      }
      Bytes copy = m.Top(2);
      m.stack.push_back(std::move(copy));
      break;
    }

    case kOpPick:
    case kOpRoll:
      return ExecPickRoll(m, opcode);

    case kOpRot:
      if (m.stack.size() < 3) {
        return ScriptError::kInvalidStackOperation;
      }
      std::swap(m.Top(3), m.Top(2));
      std::swap(m.Top(2), m.Top(1));
      break;

    case kOpSwap:
      if (m.stack.size() < 2) {
        return ScriptError::kInvalidStackOperation;
      }
      std::swap(m.Top(2), m.Top(1));
      break;

    case kOpTuck: {
      if (m.stack.size() < 2) {
        return ScriptError::kInvalidStackOperation;
      }
      Bytes copy = m.Top(1);
      m.stack.insert(m.stack.end() - 2, std::move(copy));
      break;
    }

    case kOpSize: {
      if (m.stack.empty()) {
        return ScriptError::kInvalidStackOperation;
      }
      const auto size = static_cast<std::int64_t>(m.Top(1).size());
      m.stack.push_back(ScriptNum(size).Encode());
      break;
    }

    default:
      return ScriptError::kBadOpcode;
  }
  return ScriptError::kOk;
}

ScriptError ExecArithmeticOp(ScriptMachine& m, std::uint8_t opcode) {
  switch (opcode) {
    case kOpEqual:
    case kOpEqualVerify:
      return ExecEqual(m, opcode);

    case kOp1Add:
    case kOp1Sub:
    case kOpNegate:
    case kOpAbs:
    case kOpNot:
    case kOp0NotEqual:
      return ExecUnaryNumOp(m, opcode);

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
    case kOpMax:
      return ExecBinaryNumOp(m, opcode);

    case kOpWithin:
      return ExecWithin(m);

    default:
      return ScriptError::kBadOpcode;
  }
  return ScriptError::kOk;
}

}  // namespace interpreter_internal
}  // namespace enclavectl::bitcoin
