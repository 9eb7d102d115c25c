// Recursive Length Prefix (Ethereum Yellow Paper, appendix B): an encoder, and a strict
// decoder for untrusted bytes that accepts only the canonical encoding of each value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::ethereum {

using core::Bytes;
using core::ByteView;

// One RLP item: a byte string or a list of items.
struct RlpItem {
  bool is_list = false;
  Bytes bytes;                 // the string (when !is_list)
  std::vector<RlpItem> items;  // the elements (when is_list)

  static RlpItem String(ByteView value) { return RlpItem{false, core::ToBytes(value), {}}; }
  static RlpItem List(std::vector<RlpItem> elements) {
    return RlpItem{true, {}, std::move(elements)};
  }
  // An unsigned integer: big-endian without leading zero bytes (zero is the empty string).
  static RlpItem Uint(std::uint64_t value);
  // A big-endian unsigned integer of any size; leading zero bytes are dropped.
  static RlpItem BigEndian(ByteView value);

  friend bool operator==(const RlpItem&, const RlpItem&) = default;
};

// The canonical RLP encoding of `item`.
Bytes RlpEncode(const RlpItem& item);

// Decodes exactly one item from `data` (untrusted). Strict: a single byte below 0x80 must
// stand for itself, lengths use the short form up to 55 bytes and the long form after that
// without leading zero bytes, and no byte may follow the item. Fails with kEthRlpMalformed
// (truncated, non-canonical, trailing bytes; index = byte offset) and kEthRlpLimitExceeded
// (more than `max_bytes` of input, or lists nested deeper than `max_depth`).
[[nodiscard]] core::Result<RlpItem> RlpDecode(
    ByteView data, std::size_t max_bytes = core::limits::kMaxEthRawTxBytes,
    std::size_t max_depth = core::limits::kMaxRlpDepth);

// An RLP string read as an unsigned integer of at most 8 bytes. Fails with `code` when the
// item is a list, longer than 8 bytes, or has a leading zero byte (non-canonical).
[[nodiscard]] core::Result<std::uint64_t> RlpToUint64(const RlpItem& item, core::ErrorCode code);

// An RLP string read as an unsigned big-endian integer of at most `max_len` bytes, returned
// without change (minimal: empty for zero). Fails with `code` as RlpToUint64.
[[nodiscard]] core::Result<Bytes> RlpToBigEndian(const RlpItem& item, std::size_t max_len,
                                                 core::ErrorCode code);

}  // namespace enclavectl::ethereum
