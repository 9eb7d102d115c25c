#include "enclavectl/eif/crc32.hpp"

#include <zlib.h>

#include <algorithm>
#include <limits>

namespace enclavectl::eif {

void Crc32::Update(core::ByteView data) noexcept {
  // crc32_z takes a z_size_t length; feed it in pieces that fit any build of zlib.
  constexpr std::size_t kMaxPiece = std::numeric_limits<std::uint32_t>::max();
  while (!data.empty()) {
    const std::size_t len = std::min(data.size(), kMaxPiece);
    crc_ = static_cast<std::uint32_t>(crc32_z(crc_, data.data(), static_cast<z_size_t>(len)));
    data = data.subspan(len);
  }
}

std::uint32_t Crc32Combine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t len_b) noexcept {
  return static_cast<std::uint32_t>(crc32_combine(crc_a, crc_b, static_cast<z_off_t>(len_b)));
}

}  // namespace enclavectl::eif
