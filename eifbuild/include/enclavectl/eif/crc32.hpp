// CRC-32 as the EIF header stores it (eif.md section 6): CRC-32/ISO-HDLC (zlib's crc32),
// reflected polynomial 0xEDB88320, init and final XOR 0xFFFFFFFF; check("123456789") =
// 0xCBF43926.
#pragma once

#include <cstdint>

#include "enclavectl/core/bytes.hpp"

namespace enclavectl::eif {

class Crc32 {
 public:
  void Update(core::ByteView data) noexcept;
  // The CRC of everything given so far (Update may continue afterwards).
  std::uint32_t Value() const noexcept { return crc_; }

 private:
  std::uint32_t crc_ = 0;
};

// The CRC of A||B from crc(A), crc(B) and the length of B (zlib's crc32_combine).
std::uint32_t Crc32Combine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t len_b) noexcept;

}  // namespace enclavectl::eif
