// Positional byte sources and append-only sinks: how the measure and build layers see
// files without touching them. The io layer (io.hpp) implements them on files; the memory
// versions here serve tests, fuzzing and small in-memory images.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <utility>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::eif {

// An immutable sequence of bytes read by position. Implementations are safe to call from
// one thread at a time.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Total length in bytes, fixed for the source's lifetime.
  virtual std::uint64_t Size() const noexcept = 0;
  // Fills `out` with the bytes at [offset, offset + out.size()). Fails with kTruncated when
  // that range is not inside [0, Size()), kIoRead when the underlying file fails or
  // changed. On failure `out` may be partly written.
  [[nodiscard]] virtual core::Status ReadAt(std::uint64_t offset,
                                            std::span<std::uint8_t> out) const = 0;
};

// Borrows bytes held elsewhere.
class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(core::ByteView data) noexcept : data_(data) {}
  std::uint64_t Size() const noexcept override { return data_.size(); }
  [[nodiscard]] core::Status ReadAt(std::uint64_t offset,
                                    std::span<std::uint8_t> out) const override;

 private:
  core::ByteView data_;
};

// Owns its bytes (small generated files: cmd, env).
class BytesSource final : public ByteSource {
 public:
  explicit BytesSource(core::Bytes data) noexcept : data_(std::move(data)) {}
  std::uint64_t Size() const noexcept override { return data_.size(); }
  [[nodiscard]] core::Status ReadAt(std::uint64_t offset,
                                    std::span<std::uint8_t> out) const override {
    return MemorySource(data_).ReadAt(offset, out);
  }

 private:
  core::Bytes data_;
};

// A window [offset, offset + size) of another source, which must outlive it.
class SliceSource final : public ByteSource {
 public:
  // Precondition: offset + size <= base.Size() (checked by the caller).
  SliceSource(const ByteSource& base, std::uint64_t offset, std::uint64_t size) noexcept
      : base_(base), offset_(offset), size_(size) {}
  std::uint64_t Size() const noexcept override { return size_; }
  [[nodiscard]] core::Status ReadAt(std::uint64_t offset,
                                    std::span<std::uint8_t> out) const override;

 private:
  const ByteSource& base_;
  std::uint64_t offset_;
  std::uint64_t size_;
};

// Opens a source when it is needed (one file open at a time while building).
using SourceOpener = std::function<core::Result<std::unique_ptr<ByteSource>>()>;

// Where a built image goes: bytes are appended; WriteAt overwrites bytes already appended
// (the header, once the sections are known).
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  [[nodiscard]] virtual core::Status Append(core::ByteView data) = 0;
  // Precondition: offset + data.size() <= Size().
  [[nodiscard]] virtual core::Status WriteAt(std::uint64_t offset, core::ByteView data) = 0;
  virtual std::uint64_t Size() const noexcept = 0;
};

class MemorySink final : public ByteSink {
 public:
  [[nodiscard]] core::Status Append(core::ByteView data) override;
  [[nodiscard]] core::Status WriteAt(std::uint64_t offset, core::ByteView data) override;
  std::uint64_t Size() const noexcept override { return data_.size(); }
  const core::Bytes& data() const noexcept { return data_; }
  core::Bytes Take() noexcept { return std::move(data_); }

 private:
  core::Bytes data_;
};

// Reads [offset, offset + len) of `source` in pieces of at most buffer.size() bytes and
// hands each to `fn`. Fails with the source's error or the first error `fn` returns.
[[nodiscard]] core::Status ForEachChunk(const ByteSource& source, std::uint64_t offset,
                                        std::uint64_t len, std::span<std::uint8_t> buffer,
                                        const std::function<core::Status(core::ByteView)>& fn);

// Reads [offset, offset + len) into memory. Precondition: the caller bounded `len`.
[[nodiscard]] core::Result<core::Bytes> ReadRange(const ByteSource& source, std::uint64_t offset,
                                                  std::uint64_t len);

}  // namespace enclavectl::eif
