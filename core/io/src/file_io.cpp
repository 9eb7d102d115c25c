#include "enclavectl/core/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

namespace enclavectl::core::io {
namespace {

// Closes a POSIX file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

std::string SystemReason() { return std::strerror(errno); }  // NOLINT(concurrency-mt-unsafe)

}  // namespace

Result<Bytes> ReadFile(const std::string& path, std::size_t max_bytes) {
  const bool is_stdin = path == "-";
  Fd owned(is_stdin ? -1 : ::open(path.c_str(), O_RDONLY | O_CLOEXEC));  // NOLINT
  const int fd = is_stdin ? STDIN_FILENO : owned.get();
  if (fd < 0) {
    return Fail(ErrorCode::kIoRead, "cannot open " + path + ": " + SystemReason());
  }
  struct stat st = {};
  if (!is_stdin && ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    return Fail(ErrorCode::kIoRead, path + " is a directory");
  }
  Bytes out;
  std::uint8_t buffer[16384];  // NOLINT(modernize-avoid-c-arrays)
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Fail(ErrorCode::kIoRead, "cannot read " + path + ": " + SystemReason());
    }
    if (n == 0) {
      break;
    }
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      return Fail(ErrorCode::kInputTooLarge,
                  path + " is larger than the limit of " + std::to_string(max_bytes) + " bytes");
    }
    out.insert(out.end(), buffer, buffer + n);  // NOLINT
  }
  return out;
}

namespace {

// Writes `data` to a temporary file beside `path`, fsyncs it, then publishes it: rename(2)
// over `path`, or link(2) when `overwrite` is false (which fails with EEXIST instead of
// replacing), then fsyncs the directory. Returns false when `path` exists and `overwrite` is
// false.
Result<bool> PublishFile(const std::string& path, ByteView data, bool overwrite) {
  const std::filesystem::path target(path);
  const std::filesystem::path dir =
      target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  std::string tmp = (dir / ("." + target.filename().string() + ".tmpXXXXXX")).string();
  Fd fd(::mkstemp(tmp.data()));
  if (fd.get() < 0) {
    return Fail(ErrorCode::kIoWrite,
                "cannot create a file in " + dir.string() + ": " + SystemReason());
  }
  std::size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd.get(), data.data() + written, data.size() - written);  // NOLINT
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      const std::string reason = SystemReason();
      ::unlink(tmp.c_str());
      return Fail(ErrorCode::kIoWrite, "cannot write " + path + ": " + reason);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0 || ::close(fd.release()) != 0) {
    const std::string reason = SystemReason();
    ::unlink(tmp.c_str());
    return Fail(ErrorCode::kIoWrite, "cannot write " + path + ": " + reason);
  }
  const int published =
      overwrite ? ::rename(tmp.c_str(), path.c_str()) : ::link(tmp.c_str(), path.c_str());
  const int publish_errno = errno;
  if (published != 0 || !overwrite) {
    ::unlink(tmp.c_str());
  }
  if (published != 0) {
    if (!overwrite && publish_errno == EEXIST) {
      return false;
    }
    errno = publish_errno;
    return Fail(ErrorCode::kIoWrite, "cannot write " + path + ": " + SystemReason());
  }
  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));  // NOLINT
  if (dir_fd.get() >= 0) {
    ::fsync(dir_fd.get());
  }
  return true;
}

}  // namespace

Status WriteFileAtomic(const std::string& path, ByteView data) {
  auto written = PublishFile(path, data, true);
  return written ? Ok() : Status(Fail(written.error()));
}

Result<bool> CreateFileAtomic(const std::string& path, ByteView data) {
  return PublishFile(path, data, false);
}

UnixMillis SystemClock::Now() const {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return UnixMillis{std::chrono::duration_cast<std::chrono::milliseconds>(now).count()};
}

}  // namespace enclavectl::core::io
