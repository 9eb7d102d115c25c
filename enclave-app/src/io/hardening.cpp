#include "enclavectl/app/hardening.hpp"

#include <openssl/crypto.h>
#include <sys/prctl.h>
#include <sys/resource.h>

namespace enclavectl::app {

std::string HardeningReport::Describe() const {
  std::string out = not_dumpable && no_core_files ? "core dumps off" : "core dumps NOT disabled";
  if (!secure_heap) {
    return out + "; secure heap unavailable: secrets are wiped but not locked in memory";
  }
  out += "; secrets in " + std::to_string(secure_heap_bytes / 1024) + " KiB of ";
  return out + (memory_locked ? "locked memory"
                              : "unlocked memory (mlock failed: raise "
                                "RLIMIT_MEMLOCK)");
}

HardeningReport HardenProcess(std::size_t secure_heap_bytes) {
  HardeningReport report;
  report.not_dumpable =
      ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 && ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0;
  const rlimit no_core{0, 0};
  report.no_core_files = ::setrlimit(RLIMIT_CORE, &no_core) == 0;
  std::size_t size = 16 * 1024;
  while (size * 2 <= secure_heap_bytes) {
    size *= 2;
  }
  if (CRYPTO_secure_malloc_initialized() == 1) {
    report.secure_heap = true;
    report.memory_locked = true;
    report.secure_heap_bytes = size;
    return report;
  }
  // 1: initialised and locked; 2: initialised, but mlock failed; 0: failed.
  const int rc = CRYPTO_secure_malloc_init(size, 32);
  report.secure_heap = rc != 0;
  report.memory_locked = rc == 1;
  report.secure_heap_bytes = rc != 0 ? size : 0;
  return report;
}

}  // namespace enclavectl::app
