// A bounds-checked cursor over untrusted bytes (STYLE.md section 6). Every byte parser in
// enclavectl reads through it; it can only advance by checked amounts.
#pragma once

#include <cstddef>
#include <cstdint>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::core {

class Reader {
 public:
  // Borrows `data`; the caller keeps it alive for the reader's lifetime.
  explicit Reader(ByteView data) noexcept : data_(data) {}

  // Big-endian unsigned integers. On failure (not enough bytes) the cursor does not move
  // and the error is kTruncated with the offset in its detail.
  [[nodiscard]] Result<std::uint8_t> ReadU8();
  [[nodiscard]] Result<std::uint16_t> ReadU16();
  [[nodiscard]] Result<std::uint32_t> ReadU32();
  [[nodiscard]] Result<std::uint64_t> ReadU64();

  // The next `len` bytes as a view into the input; the cursor moves past them.
  [[nodiscard]] Result<ByteView> Take(std::size_t len);
  // Moves past `len` bytes.
  [[nodiscard]] Status Skip(std::size_t len);
  // Succeeds only when every byte has been consumed; else kTrailingBytes.
  [[nodiscard]] Status ExpectEnd() const;

  std::size_t Offset() const noexcept { return offset_; }
  std::size_t Remaining() const noexcept { return data_.size() - offset_; }
  bool AtEnd() const noexcept { return offset_ == data_.size(); }

 private:
  ByteView data_;
  std::size_t offset_ = 0;
};

}  // namespace enclavectl::core
