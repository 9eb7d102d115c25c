// Retrying throttled and failed calls: exponential backoff with full jitter (AWS Architecture
// Blog, "Exponential Backoff And Jitter"), and sleeping as an adapter so tests never wait.
#pragma once

#include <cstdint>

namespace enclavectl::aws {

struct RetryPolicy {
  int max_attempts = 4;              // first try included; 1 disables retries
  std::int64_t base_delay_ms = 200;  // the cap of the first wait
  std::int64_t max_delay_ms = 5000;  // no wait is longer
};

// The wait before retry number `retry` (0 for the first retry): uniform in
// [0, min(max_delay_ms, base_delay_ms * 2^retry)], drawn from `random` (any 64-bit value).
std::int64_t BackoffDelayMs(const RetryPolicy& policy, int retry, std::uint64_t random) noexcept;

class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual void SleepMs(std::int64_t ms) = 0;
};

// std::this_thread::sleep_for.
class RealSleeper final : public Sleeper {
 public:
  void SleepMs(std::int64_t ms) override;
};

// 64 bits from OpenSSL's CSPRNG (jitter needs no secrecy, but the process has no other RNG).
std::uint64_t JitterRandom() noexcept;

}  // namespace enclavectl::aws
