#include "enclavectl/core/reader.hpp"

#include <string>

namespace enclavectl::core {
namespace {

tl::unexpected<Error> Short(std::size_t offset, std::size_t wanted, std::size_t remaining) {
  return Fail(ErrorCode::kTruncated, "need " + std::to_string(wanted) + " bytes at offset " +
                                         std::to_string(offset) + ", " + std::to_string(remaining) +
                                         " remain");
}

template <typename T>
Result<T> ReadBigEndian(Reader& reader) {
  auto bytes = reader.Take(sizeof(T));
  if (!bytes) {
    return Fail(bytes.error());
  }
  T value = 0;
  for (std::uint8_t b : *bytes) {
    value = static_cast<T>((value << 8U) | b);
  }
  return value;
}

}  // namespace

Result<std::uint8_t> Reader::ReadU8() { return ReadBigEndian<std::uint8_t>(*this); }
Result<std::uint16_t> Reader::ReadU16() { return ReadBigEndian<std::uint16_t>(*this); }
Result<std::uint32_t> Reader::ReadU32() { return ReadBigEndian<std::uint32_t>(*this); }
Result<std::uint64_t> Reader::ReadU64() { return ReadBigEndian<std::uint64_t>(*this); }

Result<ByteView> Reader::Take(std::size_t len) {
  if (len > Remaining()) {
    return Short(offset_, len, Remaining());
  }
  ByteView out = data_.subspan(offset_, len);
  offset_ += len;
  return out;
}

Status Reader::Skip(std::size_t len) {
  auto taken = Take(len);
  if (!taken) {
    return Fail(taken.error());
  }
  return Ok();
}

Status Reader::ExpectEnd() const {
  if (!AtEnd()) {
    return Fail(
        ErrorCode::kTrailingBytes,
        std::to_string(Remaining()) + " unexpected bytes at offset " + std::to_string(offset_));
  }
  return Ok();
}

}  // namespace enclavectl::core
