// Internal to the bitcoin library (not a public header): the state of one EvalScript run and
// the opcode groups that act on it, split by file the way Bitcoin Core's EvalScript groups them:
//   interpreter.cpp           the loop, witness programs, VerifyScript
//   interpreter_ops.cpp       flow control and lock times, stack operations, arithmetic
//   interpreter_checksig.cpp  signature encodings, hashes, CHECKSIG, CHECKSIGADD, CHECKMULTISIG
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>

#include "enclavectl/bitcoin/interpreter.hpp"
#include "enclavectl/bitcoin/script.hpp"

namespace enclavectl::bitcoin::interpreter_internal {

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

// One EvalScript run: the stacks, the script and its position, and the counters. The opcode
// groups below act on it; Top(1) is the top of the main stack.
struct ScriptMachine {
  ScriptMachine(Stack& stack_in, ByteView script_in, std::uint32_t flags_in,
                const SignatureChecker& checker_in, SigVersion sigversion_in,
                ExecutionData& execdata_in) noexcept
      : stack(stack_in),
        script(script_in),
        flags(flags_in),
        checker(checker_in),
        sigversion(sigversion_in),
        execdata(execdata_in),
        pre_tapscript(sigversion_in == SigVersion::kBase ||
                      sigversion_in == SigVersion::kWitnessV0),
        require_minimal((flags_in & kVerifyMinimalData) != 0) {}

  Stack& stack;
  ByteView script;
  std::uint32_t flags;
  const SignatureChecker& checker;
  SigVersion sigversion;
  ExecutionData& execdata;
  bool pre_tapscript;
  bool require_minimal;
  ConditionStack exec_stack;
  Stack altstack;
  int op_count = 0;
  std::size_t code_begin = 0;  // after the last executed OP_CODESEPARATOR
  std::uint32_t opcode_pos = 0;
  std::size_t pc = 0;  // after the op being executed

  // Preconditions: 1 <= depth <= stack.size() (the groups check the size first).
  Bytes& Top(std::size_t depth) { return stack[stack.size() - depth]; }
  void Pop() { stack.pop_back(); }
  std::optional<ScriptNum> Num(std::size_t depth, std::size_t max_size = 4) {
    return ScriptNum::Decode(Top(depth), require_minimal, max_size);
  }
};

inline Bytes BoolBytes(bool value) { return value ? Bytes{1} : Bytes{}; }

// Each group executes one opcode of its range and returns kOk, or the script error; an opcode
// the group does not know is kBadOpcode.
// OP_RESERVED..OP_RETURN, OP_NOP1..OP_NOP10 (with CLTV and CSV); the only group that also
// runs in an unexecuted branch (`exec` false: OP_IF..OP_ENDIF only).
ScriptError ExecFlowOp(ScriptMachine& m, std::uint8_t opcode, bool exec);
// OP_TOALTSTACK..OP_TUCK, OP_SIZE.
ScriptError ExecStackOp(ScriptMachine& m, std::uint8_t opcode);
// OP_EQUAL, OP_EQUALVERIFY, OP_1ADD..OP_WITHIN.
ScriptError ExecArithmeticOp(ScriptMachine& m, std::uint8_t opcode);
// OP_RIPEMD160..OP_CHECKMULTISIGVERIFY, OP_CHECKSIGADD.
ScriptError ExecCryptoOp(ScriptMachine& m, std::uint8_t opcode);

}  // namespace enclavectl::bitcoin::interpreter_internal
