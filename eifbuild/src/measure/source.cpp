#include "enclavectl/eif/source.hpp"

#include <algorithm>
#include <string>

namespace enclavectl::eif {
namespace {

using core::ErrorCode;
using core::Fail;

bool InRange(std::uint64_t offset, std::uint64_t len, std::uint64_t size) noexcept {
  return offset <= size && len <= size - offset;
}

}  // namespace

core::Status MemorySource::ReadAt(std::uint64_t offset, std::span<std::uint8_t> out) const {
  if (!InRange(offset, out.size(), data_.size())) {
    return Fail(ErrorCode::kTruncated, "read of " + std::to_string(out.size()) +
                                           " bytes at offset " + std::to_string(offset) +
                                           " is past the end");
  }
  const auto start = data_.subspan(static_cast<std::size_t>(offset), out.size());
  std::copy(start.begin(), start.end(), out.begin());
  return core::Ok();
}

core::Status SliceSource::ReadAt(std::uint64_t offset, std::span<std::uint8_t> out) const {
  if (!InRange(offset, out.size(), size_)) {
    return Fail(ErrorCode::kTruncated, "read of " + std::to_string(out.size()) +
                                           " bytes at offset " + std::to_string(offset) +
                                           " is past the end of the slice");
  }
  return base_.ReadAt(offset_ + offset, out);
}

core::Status MemorySink::Append(core::ByteView data) {
  data_.insert(data_.end(), data.begin(), data.end());
  return core::Ok();
}

core::Status MemorySink::WriteAt(std::uint64_t offset, core::ByteView data) {
  if (!InRange(offset, data.size(), data_.size())) {
    return Fail(ErrorCode::kInternal, "WriteAt past the end of the sink");
  }
  std::copy(data.begin(), data.end(), data_.begin() + static_cast<std::ptrdiff_t>(offset));
  return core::Ok();
}

core::Status ForEachChunk(const ByteSource& source, std::uint64_t offset, std::uint64_t len,
                          std::span<std::uint8_t> buffer,
                          const std::function<core::Status(core::ByteView)>& fn) {
  while (len > 0) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(len, buffer.size()));
    ENCLAVECTL_RETURN_IF_ERROR(source.ReadAt(offset, buffer.first(n)));
    ENCLAVECTL_RETURN_IF_ERROR(fn(core::ByteView(buffer.first(n))));
    offset += n;
    len -= n;
  }
  return core::Ok();
}

core::Result<core::Bytes> ReadRange(const ByteSource& source, std::uint64_t offset,
                                    std::uint64_t len) {
  core::Bytes out(static_cast<std::size_t>(len));
  ENCLAVECTL_RETURN_IF_ERROR(source.ReadAt(offset, out));
  return out;
}

}  // namespace enclavectl::eif
