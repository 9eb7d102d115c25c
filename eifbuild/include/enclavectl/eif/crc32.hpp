// CRC-32 as the EIF header stores it (eif.md section 6): CRC-32/ISO-HDLC (zlib's crc32),
// reflected polynomial 0xEDB88320, init and final XOR 0xFFFFFFFF; check("123456789") =
// 0xCBF43926.
#pragma once

#include <cstdint>

#include "enclavectl/core/bytes.hpp"

namespace enclavectl::eif {

// The CRC of `data` continuing from `crc` (0 to start). Uses carry-less multiplication
// (PCLMULQDQ) on x86-64 CPUs that have it and `allow_simd` is set, zlib's tables otherwise;
// both give the same value.
std::uint32_t Crc32Update(std::uint32_t crc, core::ByteView data, bool allow_simd = true) noexcept;

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
