#include "enclavectl/bitcoin/script.hpp"

#include <limits>

namespace enclavectl::bitcoin {

bool GetScriptOp(ByteView script, std::size_t& pos, std::uint8_t& opcode, ByteView& data) {
  opcode = kOpInvalidOpcode;
  data = {};
  const std::size_t end = script.size();
  if (pos >= end) {
    return false;
  }
  opcode = script[pos++];
  if (opcode > kOpPushdata4) {
    return true;
  }
  std::size_t size = 0;
  if (opcode < kOpPushdata1) {
    size = opcode;
  } else if (opcode == kOpPushdata1) {
    if (end - pos < 1) {
      return false;
    }
    size = script[pos++];
  } else if (opcode == kOpPushdata2) {
    if (end - pos < 2) {
      return false;
    }
    size =
        static_cast<std::size_t>(script[pos]) | (static_cast<std::size_t>(script[pos + 1]) << 8U);
    pos += 2;
  } else {
    if (end - pos < 4) {
      return false;
    }
    size = static_cast<std::size_t>(script[pos]) |
           (static_cast<std::size_t>(script[pos + 1]) << 8U) |
           (static_cast<std::size_t>(script[pos + 2]) << 16U) |
           (static_cast<std::size_t>(script[pos + 3]) << 24U);
    pos += 4;
  }
  if (end - pos < size) {
    return false;
  }
  data = script.subspan(pos, size);
  pos += size;
  return true;
}

bool IsOpSuccess(std::uint8_t opcode) noexcept {
  return opcode == 80 || opcode == 98 || (opcode >= 126 && opcode <= 129) ||
         (opcode >= 131 && opcode <= 134) || (opcode >= 137 && opcode <= 138) ||
         (opcode >= 141 && opcode <= 142) || (opcode >= 149 && opcode <= 153) ||
         (opcode >= 187 && opcode <= 254);
}

bool IsPushOnly(ByteView script) {
  std::size_t pos = 0;
  while (pos < script.size()) {
    std::uint8_t opcode = 0;
    ByteView data;
    if (!GetScriptOp(script, pos, opcode, data) || opcode > kOp16) {
      return false;
    }
  }
  return true;
}

bool IsPayToScriptHash(ByteView script) noexcept {
  return script.size() == 23 && script[0] == kOpHash160 && script[1] == 0x14 &&
         script[22] == kOpEqual;
}

std::optional<WitnessProgram> ParseWitnessProgram(ByteView script) noexcept {
  if (script.size() < 4 || script.size() > 42) {
    return std::nullopt;
  }
  if (script[0] != kOp0 && (script[0] < kOp1 || script[0] > kOp16)) {
    return std::nullopt;
  }
  if (static_cast<std::size_t>(script[1]) + 2 != script.size()) {
    return std::nullopt;
  }
  WitnessProgram out;
  out.version = script[0] == kOp0 ? 0 : script[0] - (kOp1 - 1);
  out.program = script.subspan(2);
  return out;
}

std::optional<ScriptNum> ScriptNum::Decode(ByteView bytes, bool require_minimal,
                                           std::size_t max_size) {
  if (bytes.size() > max_size) {
    return std::nullopt;
  }
  if (require_minimal && !bytes.empty()) {
    // The most significant byte may only be 0x00 or 0x80 when the next one needs its top bit.
    if ((bytes.back() & 0x7fU) == 0 &&
        (bytes.size() <= 1 || (bytes[bytes.size() - 2] & 0x80U) == 0)) {
      return std::nullopt;
    }
  }
  if (bytes.empty()) {
    return ScriptNum(0);
  }
  std::uint64_t magnitude = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    magnitude |= static_cast<std::uint64_t>(bytes[i]) << (8 * i);
  }
  const std::size_t top_shift = 8 * (bytes.size() - 1);
  if ((bytes.back() & 0x80U) != 0) {
    magnitude &= ~(std::uint64_t{0x80} << top_shift);
    return ScriptNum(-static_cast<std::int64_t>(magnitude));
  }
  return ScriptNum(static_cast<std::int64_t>(magnitude));
}

int ScriptNum::GetInt() const noexcept {
  if (value_ > std::numeric_limits<int>::max()) {
    return std::numeric_limits<int>::max();
  }
  if (value_ < std::numeric_limits<int>::min()) {
    return std::numeric_limits<int>::min();
  }
  return static_cast<int>(value_);
}

Bytes ScriptNum::Encode() const {
  Bytes out;
  if (value_ == 0) {
    return out;
  }
  const bool negative = value_ < 0;
  // Values come from at most 5-byte operands, far from INT64_MIN.
  std::uint64_t magnitude =
      negative ? static_cast<std::uint64_t>(-value_) : static_cast<std::uint64_t>(value_);
  while (magnitude != 0) {
    out.push_back(static_cast<std::uint8_t>(magnitude & 0xffU));
    magnitude >>= 8U;
  }
  if ((out.back() & 0x80U) != 0) {
    out.push_back(negative ? 0x80 : 0x00);
  } else if (negative) {
    out.back() |= 0x80U;
  }
  return out;
}

bool CastToBool(ByteView bytes) noexcept {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != 0) {
      // Negative zero is false.
      return !(i == bytes.size() - 1 && bytes[i] == 0x80);
    }
  }
  return false;
}

bool IsMinimalPush(ByteView data, std::uint8_t opcode) noexcept {
  if (data.empty()) {
    return opcode == kOp0;
  }
  if (data.size() == 1 && data[0] >= 1 && data[0] <= 16) {
    return false;  // OP_1..OP_16
  }
  if (data.size() == 1 && data[0] == 0x81) {
    return false;  // OP_1NEGATE
  }
  if (data.size() <= 75) {
    return opcode == data.size();
  }
  if (data.size() <= 255) {
    return opcode == kOpPushdata1;
  }
  if (data.size() <= 65535) {
    return opcode == kOpPushdata2;
  }
  return true;
}

Bytes PushData(ByteView data) {
  Bytes out;
  const std::size_t size = data.size();
  if (size < kOpPushdata1) {
    out.push_back(static_cast<std::uint8_t>(size));
  } else if (size <= 0xff) {
    out.push_back(kOpPushdata1);
    out.push_back(static_cast<std::uint8_t>(size));
  } else if (size <= 0xffff) {
    out.push_back(kOpPushdata2);
    out.push_back(static_cast<std::uint8_t>(size));
    out.push_back(static_cast<std::uint8_t>(size >> 8U));
  } else {
    out.push_back(kOpPushdata4);
    AppendLe32(out, static_cast<std::uint32_t>(size));
  }
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

}  // namespace enclavectl::bitcoin
