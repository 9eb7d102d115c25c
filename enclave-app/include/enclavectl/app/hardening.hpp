// Process hardening for a process that holds keys (adapter: process state): no core dumps and
// no ptrace attach by other users' processes (PR_SET_DUMPABLE 0, RLIMIT_CORE 0), and OpenSSL's
// secure heap (mlock'ed, excluded from dumps) where SecretBytes and OpenSSL's private keys live.
#pragma once

#include <cstddef>
#include <string>

namespace enclavectl::app {

struct HardeningReport {
  bool not_dumpable = false;   // prctl(PR_SET_DUMPABLE, 0) took effect
  bool no_core_files = false;  // RLIMIT_CORE is 0
  bool secure_heap = false;    // OpenSSL's secure heap is initialised
  bool memory_locked = false;  // ... and mlock'ed (false when RLIMIT_MEMLOCK is too small)
  std::size_t secure_heap_bytes = 0;

  // One line for the log: "core dumps off; secrets in 256 KiB of locked memory".
  std::string Describe() const;
};

// Applies everything above. `secure_heap_bytes` is rounded down to a power of two (at least
// 16 KiB). Call it once, first thing in main, before any secret exists. Never fails: the
// report says what took effect.
HardeningReport HardenProcess(std::size_t secure_heap_bytes);

}  // namespace enclavectl::app
