#include "enclavectl/ethereum/keccak.hpp"

#include <openssl/crypto.h>

#include <algorithm>

namespace enclavectl::ethereum {
namespace {

// FIPS 202 section 3.2.5: the round constants RC[i] of iota.
constexpr std::array<std::uint64_t, 24> kRoundConstants = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};

// FIPS 202 section 3.2.2: rho offsets, listed in the order pi visits the lanes (starting from
// lane 1 and moving to lane kPiLanes[i]).
constexpr std::array<unsigned, 24> kRhoOffsets = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                                                  27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
constexpr std::array<std::size_t, 24> kPiLanes = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                                                  15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

constexpr std::uint64_t RotateLeft(std::uint64_t x, unsigned n) noexcept {
  return (x << n) | (x >> ((64 - n) & 63U));
}

std::uint64_t LoadLane(const std::uint8_t* p) noexcept {
  std::uint64_t lane = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    lane |= std::uint64_t{p[i]} << (8 * i);  // NOLINT: bounded by the caller's block
  }
  return lane;
}

// Keccak's pad10*1 with the original domain bit: 0x01 first, 0x80 in the last rate byte.
constexpr std::uint8_t kKeccakPadding = 0x01;

}  // namespace

// Every index below is bounded by a fixed array size: loop counters over lanes, columns and
// rounds, and buffered_, which stays below kRateBytes.
// NOLINTBEGIN(cppcoreguidelines-pro-bounds-constant-array-index)
void KeccakF1600(std::array<std::uint64_t, 25>& a) noexcept {
  for (std::uint64_t round_constant : kRoundConstants) {
    // theta: XOR every lane with the parities of two neighbouring columns.
    std::array<std::uint64_t, 5> column{};
    for (std::size_t x = 0; x < 5; ++x) {
      column[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
    }
    for (std::size_t x = 0; x < 5; ++x) {
      const std::uint64_t d = column[(x + 4) % 5] ^ RotateLeft(column[(x + 1) % 5], 1);
      for (std::size_t y = 0; y < 25; y += 5) {
        a[x + y] ^= d;
      }
    }
    // rho and pi together: move each lane to its new position, rotated.
    std::uint64_t carried = a[1];
    for (std::size_t i = 0; i < 24; ++i) {
      const std::size_t to = kPiLanes[i];
      const std::uint64_t next = a[to];
      a[to] = RotateLeft(carried, kRhoOffsets[i]);
      carried = next;
    }
    // chi: the only non-linear step, row by row.
    for (std::size_t y = 0; y < 25; y += 5) {
      const std::array<std::uint64_t, 5> row = {a[y], a[y + 1], a[y + 2], a[y + 3], a[y + 4]};
      for (std::size_t x = 0; x < 5; ++x) {
        a[y + x] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5]);
      }
    }
    // iota
    a[0] ^= round_constant;
  }
}

Keccak256::~Keccak256() {
  OPENSSL_cleanse(state_.data(), sizeof(state_));
  OPENSSL_cleanse(buffer_.data(), buffer_.size());
}

void Keccak256::AbsorbBlock(const std::uint8_t* block) noexcept {
  for (std::size_t i = 0; i < kRateBytes / 8; ++i) {
    state_[i] ^= LoadLane(block + 8 * i);  // NOLINT: i < 17 lanes of a 136-byte block
  }
  KeccakF1600(state_);
}

void Keccak256::Update(ByteView data) noexcept {
  std::size_t pos = 0;
  if (buffered_ > 0) {
    const std::size_t take = std::min(kRateBytes - buffered_, data.size());
    std::copy_n(data.begin(), take, buffer_.begin() + static_cast<std::ptrdiff_t>(buffered_));
    buffered_ += take;
    pos = take;
    if (buffered_ < kRateBytes) {
      return;
    }
    AbsorbBlock(buffer_.data());
    buffered_ = 0;
  }
  while (data.size() - pos >= kRateBytes) {
    AbsorbBlock(data.subspan(pos, kRateBytes).data());
    pos += kRateBytes;
  }
  std::copy(data.begin() + static_cast<std::ptrdiff_t>(pos), data.end(), buffer_.begin());
  buffered_ = data.size() - pos;
}

Hash256 Keccak256::Finish() noexcept {
  std::fill(buffer_.begin() + static_cast<std::ptrdiff_t>(buffered_), buffer_.end(), 0);
  buffer_[buffered_] ^= kKeccakPadding;
  buffer_[kRateBytes - 1] ^= 0x80;
  AbsorbBlock(buffer_.data());
  Hash256 out{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(state_[i / 8] >> (8 * (i % 8)));
  }
  OPENSSL_cleanse(state_.data(), sizeof(state_));
  OPENSSL_cleanse(buffer_.data(), buffer_.size());
  state_.fill(0);
  buffered_ = 0;
  return out;
}

// NOLINTEND(cppcoreguidelines-pro-bounds-constant-array-index)

Hash256 Keccak256Of(ByteView data) noexcept {
  Keccak256 hasher;
  hasher.Update(data);
  return hasher.Finish();
}

}  // namespace enclavectl::ethereum
