#include "enclavectl/aws/retry.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace enclavectl::aws {

std::int64_t BackoffDelayMs(const RetryPolicy& policy, int retry, std::uint64_t random) noexcept {
  const std::int64_t base = std::max<std::int64_t>(policy.base_delay_ms, 0);
  const std::int64_t cap = std::max<std::int64_t>(policy.max_delay_ms, 0);
  std::int64_t ceiling = base;
  for (int i = 0; i < retry && ceiling < cap; ++i) {
    ceiling *= 2;
  }
  ceiling = std::min(ceiling, cap);
  return static_cast<std::int64_t>(random % (static_cast<std::uint64_t>(ceiling) + 1));
}

void RealSleeper::SleepMs(std::int64_t ms) {
  if (ms > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
}

std::uint64_t JitterRandom() noexcept {
  std::uint64_t value = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof(value)) != 1) {  // NOLINT
    return 0;  // no jitter: retry at once rather than fail
  }
  return value;
}

}  // namespace enclavectl::aws
