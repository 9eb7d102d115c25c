#include "enclavectl/eif/crc32.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace enclavectl::eif {
namespace {

// zlib's table-driven CRC-32 (the reference), in pieces that fit z_size_t.
std::uint32_t ZlibCrc(std::uint32_t crc, core::ByteView data) noexcept {
  constexpr std::size_t kMaxPiece = std::numeric_limits<std::uint32_t>::max();
  while (!data.empty()) {
    const std::size_t len = std::min(data.size(), kMaxPiece);
    crc = static_cast<std::uint32_t>(crc32_z(crc, data.data(), static_cast<z_size_t>(len)));
    data = data.subspan(len);
  }
  return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse2"))) inline __m128i Load(const std::uint8_t* at) noexcept {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));  // NOLINT
}

// One fold: the 128-bit `x` multiplied forward by the distance `k` encodes, plus `next`.
__attribute__((target("pclmul,sse2"))) inline __m128i Fold(__m128i x, __m128i k,
                                                           __m128i next) noexcept {
  const __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
  const __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
  return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

// Carry-less multiplication folding (Intel, "Fast CRC Computation for Generic Polynomials
// Using PCLMULQDQ", 2009) for the reflected polynomial 0xEDB88320. The constants are
// x^(512±32) and x^(128±32) mod P, bit-reflected: the values zlib-ng, Chromium and Linux use.
// The input is folded into one 128-bit value congruent to it; that value's 16 bytes are then
// run through zlib from a zero register, which finishes the CRC without a Barrett step.
// Tested against zlib on every length and alignment (tests/eifbuild/format_test.cpp).
__attribute__((target("pclmul,sse4.1"))) std::uint32_t FoldedCrc(std::uint32_t crc,
                                                                 core::ByteView data) noexcept {
  const auto* p = data.data();
  std::size_t n = data.size();
  const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596LL, 0x0154442bd4LL);
  const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009eLL, 0x01751997d0LL);
  // zlib's register is inverted on entry; XOR that into the first 4 bytes instead.
  __m128i x0 = _mm_xor_si128(Load(p), _mm_cvtsi32_si128(static_cast<int>(~crc)));
  __m128i x1 = Load(p + 16);  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
  __m128i x2 = Load(p + 32);  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
  __m128i x3 = Load(p + 48);  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
  p += 64;                    // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
  n -= 64;
  while (n >= 64) {
    x0 = Fold(x0, k1k2, Load(p));
    x1 = Fold(x1, k1k2, Load(p + 16));  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    x2 = Fold(x2, k1k2, Load(p + 32));  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    x3 = Fold(x3, k1k2, Load(p + 48));  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    p += 64;                            // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    n -= 64;
  }
  __m128i x = Fold(x0, k3k4, x1);
  x = Fold(x, k3k4, x2);
  x = Fold(x, k3k4, x3);
  while (n >= 16) {
    x = Fold(x, k3k4, Load(p));
    p += 16;  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    n -= 16;
  }
  std::array<std::uint8_t, 16> residue{};
  _mm_storeu_si128(reinterpret_cast<__m128i*>(residue.data()), x);  // NOLINT
  // zlib(c, m) = ~raw(~c, m): starting zlib at 0xFFFFFFFF runs the raw CRC from zero.
  const std::uint32_t after_residue = ZlibCrc(0xFFFFFFFFU, residue);
  return ZlibCrc(after_residue, core::ByteView(p, n));
}

bool HasPclmul() noexcept {
  static const bool has = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  return has;
}
#endif

}  // namespace

std::uint32_t Crc32Update(std::uint32_t crc, core::ByteView data, bool allow_simd) noexcept {
#if defined(__x86_64__)
  if (allow_simd && data.size() >= 256 && HasPclmul()) {
    return FoldedCrc(crc, data);
  }
#endif
  static_cast<void>(allow_simd);
  return ZlibCrc(crc, data);
}

void Crc32::Update(core::ByteView data) noexcept { crc_ = Crc32Update(crc_, data); }

std::uint32_t Crc32Combine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t len_b) noexcept {
  return static_cast<std::uint32_t>(crc32_combine(crc_a, crc_b, static_cast<z_off_t>(len_b)));
}

}  // namespace enclavectl::eif
