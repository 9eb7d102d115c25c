// Bitcoin script: opcodes, decoding of ops, script numbers and the script templates that
// verification recognises (parse layer: pure).
#pragma once

#include <cstdint>
#include <optional>

#include "enclavectl/bitcoin/transaction.hpp"

namespace enclavectl::bitcoin {

// Opcode values (Bitcoin Core's script.h names, Google style).
enum Opcode : std::uint8_t {
  kOp0 = 0x00,
  kOpPushdata1 = 0x4c,
  kOpPushdata2 = 0x4d,
  kOpPushdata4 = 0x4e,
  kOp1Negate = 0x4f,
  kOpReserved = 0x50,
  kOp1 = 0x51,
  kOp16 = 0x60,
  kOpNop = 0x61,
  kOpVer = 0x62,
  kOpIf = 0x63,
  kOpNotIf = 0x64,
  kOpVerIf = 0x65,
  kOpVerNotIf = 0x66,
  kOpElse = 0x67,
  kOpEndIf = 0x68,
  kOpVerify = 0x69,
  kOpReturn = 0x6a,
  kOpToAltStack = 0x6b,
  kOpFromAltStack = 0x6c,
  kOp2Drop = 0x6d,
  kOp2Dup = 0x6e,
  kOp3Dup = 0x6f,
  kOp2Over = 0x70,
  kOp2Rot = 0x71,
  kOp2Swap = 0x72,
  kOpIfDup = 0x73,
  kOpDepth = 0x74,
  kOpDrop = 0x75,
  kOpDup = 0x76,
  kOpNip = 0x77,
  kOpOver = 0x78,
  kOpPick = 0x79,
  kOpRoll = 0x7a,
  kOpRot = 0x7b,
  kOpSwap = 0x7c,
  kOpTuck = 0x7d,
  kOpCat = 0x7e,
  kOpSubstr = 0x7f,
  kOpLeft = 0x80,
  kOpRight = 0x81,
  kOpSize = 0x82,
  kOpInvert = 0x83,
  kOpAnd = 0x84,
  kOpOr = 0x85,
  kOpXor = 0x86,
  kOpEqual = 0x87,
  kOpEqualVerify = 0x88,
  kOpReserved1 = 0x89,
  kOpReserved2 = 0x8a,
  kOp1Add = 0x8b,
  kOp1Sub = 0x8c,
  kOp2Mul = 0x8d,
  kOp2Div = 0x8e,
  kOpNegate = 0x8f,
  kOpAbs = 0x90,
  kOpNot = 0x91,
  kOp0NotEqual = 0x92,
  kOpAdd = 0x93,
  kOpSub = 0x94,
  kOpMul = 0x95,
  kOpDiv = 0x96,
  kOpMod = 0x97,
  kOpLShift = 0x98,
  kOpRShift = 0x99,
  kOpBoolAnd = 0x9a,
  kOpBoolOr = 0x9b,
  kOpNumEqual = 0x9c,
  kOpNumEqualVerify = 0x9d,
  kOpNumNotEqual = 0x9e,
  kOpLessThan = 0x9f,
  kOpGreaterThan = 0xa0,
  kOpLessThanOrEqual = 0xa1,
  kOpGreaterThanOrEqual = 0xa2,
  kOpMin = 0xa3,
  kOpMax = 0xa4,
  kOpWithin = 0xa5,
  kOpRipemd160 = 0xa6,
  kOpSha1 = 0xa7,
  kOpSha256 = 0xa8,
  kOpHash160 = 0xa9,
  kOpHash256 = 0xaa,
  kOpCodeSeparator = 0xab,
  kOpCheckSig = 0xac,
  kOpCheckSigVerify = 0xad,
  kOpCheckMultiSig = 0xae,
  kOpCheckMultiSigVerify = 0xaf,
  kOpNop1 = 0xb0,
  kOpCheckLockTimeVerify = 0xb1,
  kOpCheckSequenceVerify = 0xb2,
  kOpNop4 = 0xb3,
  kOpNop10 = 0xb9,
  kOpCheckSigAdd = 0xba,
  kOpInvalidOpcode = 0xff,
};

// Reads the op at `pos` of `script`. On success sets `opcode` and `data` (the pushed bytes,
// empty for non-push ops) and moves `pos` past the op. On failure (end of script, or a push
// longer than the rest) returns false; `pos` then moves exactly as Bitcoin Core's
// GetScriptOp moves its iterator, which the legacy signature hash depends on.
bool GetScriptOp(ByteView script, std::size_t& pos, std::uint8_t& opcode, ByteView& data);

// BIP-342 OP_SUCCESSx: 80, 98, 126-129, 131-134, 137-138, 141-142, 149-153, 187-254.
bool IsOpSuccess(std::uint8_t opcode) noexcept;

// True when every op is a push (opcode <= OP_16) and the script decodes.
bool IsPushOnly(ByteView script);

// OP_HASH160 PUSH20 <20 bytes> OP_EQUAL.
bool IsPayToScriptHash(ByteView script) noexcept;

// A witness program (BIP-141): a version op (OP_0, OP_1..OP_16) followed by one direct push
// of 2 to 40 bytes making up the whole script (4 to 42 bytes).
struct WitnessProgram {
  int version = 0;
  ByteView program;
};
std::optional<WitnessProgram> ParseWitnessProgram(ByteView script) noexcept;

// Bitcoin's script numbers: little-endian sign-magnitude, at most `max_size` bytes when
// decoded from the stack. Arithmetic results may need 5 bytes.
class ScriptNum {
 public:
  explicit ScriptNum(std::int64_t value) noexcept : value_(value) {}

  // Decodes `bytes`; nullopt when longer than `max_size` or, with `require_minimal`, not
  // minimally encoded (Bitcoin Core's scriptnum_error).
  static std::optional<ScriptNum> Decode(ByteView bytes, bool require_minimal,
                                         std::size_t max_size = 4);

  std::int64_t Value() const noexcept { return value_; }
  // The value clamped to int (Bitcoin Core's getint()).
  int GetInt() const noexcept;
  Bytes Encode() const;

 private:
  std::int64_t value_;
};

// Bitcoin's truth value of a stack element: false for all zeros and for negative zero.
bool CastToBool(ByteView bytes) noexcept;

// True when `data` pushed by `opcode` uses the smallest possible push (BIP-62 rule 3/4).
bool IsMinimalPush(ByteView data, std::uint8_t opcode) noexcept;

// The push of `data` with the smallest opcode that carries raw bytes (for FindAndDelete).
Bytes PushData(ByteView data);

}  // namespace enclavectl::bitcoin
