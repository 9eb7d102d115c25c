// Keccak-256 as Ethereum uses it: the original Keccak submission's padding (domain byte 0x01),
// not FIPS 202 SHA3-256 (0x06). OpenSSL 3.0 offers only SHA3, so the permutation
// keccak-f[1600] is implemented here (FIPS 202 section 3; Keccak reference, "The Keccak
// reference" 3.0). Pure code, constant time in the data (no table lookups on input bytes).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "enclavectl/core/bytes.hpp"

namespace enclavectl::ethereum {

using core::ByteView;
using Hash256 = std::array<std::uint8_t, 32>;

// An incremental Keccak-256: Update any number of times, then Finish once. Finish leaves the
// hasher wiped; use a new one for the next message.
class Keccak256 {
 public:
  Keccak256() = default;
  ~Keccak256();
  Keccak256(const Keccak256&) = delete;
  Keccak256& operator=(const Keccak256&) = delete;
  Keccak256(Keccak256&&) = delete;
  Keccak256& operator=(Keccak256&&) = delete;

  void Update(ByteView data) noexcept;
  Hash256 Finish() noexcept;

  // 136 bytes: 1600-bit state minus twice the 256-bit output.
  static constexpr std::size_t kRateBytes = 136;

 private:
  void AbsorbBlock(const std::uint8_t* block) noexcept;

  std::array<std::uint64_t, 25> state_{};
  std::array<std::uint8_t, kRateBytes> buffer_{};
  std::size_t buffered_ = 0;
};

// Keccak-256 of `data` in one call.
Hash256 Keccak256Of(ByteView data) noexcept;

// keccak-f[1600] on a 25-lane state (lane (x, y) at index x + 5y, little-endian lanes).
void KeccakF1600(std::array<std::uint64_t, 25>& a) noexcept;

}  // namespace enclavectl::ethereum
