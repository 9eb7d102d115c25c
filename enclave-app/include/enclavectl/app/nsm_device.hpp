// The real Nitro Security Module: /dev/nsm and its one ioctl (nsm.md section 1).
#pragma once

#include <memory>
#include <string>

#include "enclavectl/app/nsm.hpp"

namespace enclavectl::app {

// NSM_IOCTL_RAW = _IOWR(0x0A, 0, struct nsm_raw) on 64-bit Linux.
inline constexpr unsigned long kNsmIoctlRaw = 0xC0200A00UL;  // NOLINT(google-runtime-int)

class NsmDevice final : public NsmTransport {
 public:
  // Opens the device (read-write, or read-only when that is all it allows).
  // Fails with kNsmUnavailable naming the path and the system's reason.
  [[nodiscard]] static core::Result<std::unique_ptr<NsmDevice>> Open(
      const std::string& path = "/dev/nsm");
  ~NsmDevice() override;
  NsmDevice(const NsmDevice&) = delete;
  NsmDevice& operator=(const NsmDevice&) = delete;

  // One ioctl: the request (at most 4096 bytes, else an InputTooLarge error response as the
  // driver's EMSGSIZE) and a 12288-byte response buffer. Fails with kNsmUnavailable.
  [[nodiscard]] core::Result<Bytes> Exchange(ByteView request) override;

 private:
  explicit NsmDevice(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace enclavectl::app
