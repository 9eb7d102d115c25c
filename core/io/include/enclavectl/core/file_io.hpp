// File and clock adapters (the only part of core that touches the system).
#pragma once

#include <cstddef>
#include <string>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/time.hpp"

namespace enclavectl::core::io {

// Reads a whole file, or standard input when `path` is "-", of at most `max_bytes`.
// Fails with kIoRead (names the path and the system's reason) or kInputTooLarge.
[[nodiscard]] Result<Bytes> ReadFile(const std::string& path, std::size_t max_bytes);

// Writes `data` to `path` atomically: a temporary file in the same directory, fsync, then
// rename over `path`, then fsync of the directory. Fails with kIoWrite.
[[nodiscard]] Status WriteFileAtomic(const std::string& path, ByteView data);

// Creates `path` holding `data` atomically and only if it does not exist yet: the temporary
// file is published with link(2), so of two concurrent creators exactly one succeeds and
// nobody ever sees a partial file. Returns true when created, false (nothing written) when
// `path` already exists. Fails with kIoWrite.
[[nodiscard]] Result<bool> CreateFileAtomic(const std::string& path, ByteView data);

// The current time. An interface so that verification code receives time, never reads it.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixMillis Now() const = 0;
};

// The system's real-time clock.
class SystemClock final : public Clock {
 public:
  UnixMillis Now() const override;
};

// A clock that always says `time` (tests, replays).
class FixedClock final : public Clock {
 public:
  explicit FixedClock(UnixMillis time) : time_(time) {}
  UnixMillis Now() const override { return time_; }

 private:
  UnixMillis time_;
};

}  // namespace enclavectl::core::io
