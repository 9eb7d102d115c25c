// /dev/nsm through its raw ioctl (nsm.md section 1).
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "enclavectl/app/nsm_device.hpp"

namespace enclavectl::app {
namespace {

// struct nsm_raw: two iovecs (nsm.md 1.1); response.len is in/out.
struct NsmRaw {
  std::uint64_t request_addr;
  std::uint64_t request_len;
  std::uint64_t response_addr;
  std::uint64_t response_len;
};
static_assert(sizeof(NsmRaw) == 32, "struct nsm_raw is 32 bytes");

std::string Reason() { return std::strerror(errno); }  // NOLINT(concurrency-mt-unsafe)

}  // namespace

core::Result<std::unique_ptr<NsmDevice>> NsmDevice::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);  // NOLINT(cppcoreguidelines-pro-type-vararg)
  if (fd < 0 && (errno == EACCES || errno == EROFS)) {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);  // NOLINT(cppcoreguidelines-pro-type-vararg)
  }
  if (fd < 0) {
    return core::Fail(core::ErrorCode::kNsmUnavailable, "cannot open " + path + ": " + Reason() +
                                                            " (not inside a Nitro Enclave? use "
                                                            "the simulator for development)");
  }
  return std::unique_ptr<NsmDevice>(new NsmDevice(fd));  // NOLINT: private constructor
}

NsmDevice::~NsmDevice() { ::close(fd_); }

core::Result<Bytes> NsmDevice::Exchange(ByteView request) {
  if (request.size() > kNsmRequestMaxSize) {
    // The driver refuses with EMSGSIZE before the device sees it; nsm-api reports it as
    // InputTooLarge, so the client sees the same as from the simulator.
    return EncodeResponse(ErrorResponse{NsmErrorCode::kInputTooLarge});
  }
  Bytes response(kNsmResponseMaxSize);
  NsmRaw raw{reinterpret_cast<std::uint64_t>(request.data()), request.size(),     // NOLINT
             reinterpret_cast<std::uint64_t>(response.data()), response.size()};  // NOLINT
  int rc = 0;
  do {
    rc = ::ioctl(fd_, kNsmIoctlRaw, &raw);  // NOLINT(cppcoreguidelines-pro-type-vararg)
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    if (errno == EMSGSIZE) {
      return EncodeResponse(ErrorResponse{NsmErrorCode::kInputTooLarge});
    }
    return core::Fail(core::ErrorCode::kNsmUnavailable, "NSM ioctl failed: " + Reason());
  }
  if (raw.response_len > response.size()) {
    return core::Fail(core::ErrorCode::kNsmResponseInvalid, "NSM response length out of range");
  }
  response.resize(raw.response_len);
  return response;
}

}  // namespace enclavectl::app
