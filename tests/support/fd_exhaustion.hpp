// For tests of servers that run out of file descriptors: CPU time of this process or of a
// child, a scope in which this process cannot open any descriptor, and raw loopback TCP
// connections (made in two steps, so that the descriptor exists before the limit drops)
// with every wait bounded.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>

namespace enclavectl::testing {

// User plus system CPU time of this process (all threads), in seconds.
inline double ProcessCpuSeconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// utime + stime of process `pid` from /proc/PID/stat, in seconds; negative when unreadable.
inline double ChildCpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t paren = text.rfind(')');  // the command name may hold spaces
  if (paren == std::string::npos) {
    return -1;
  }
  std::istringstream fields(text.substr(paren + 2));
  std::string field;
  // Fields 3.. (state, ppid, ...); utime and stime are fields 14 and 15.
  double utime = -1;
  double stime = -1;
  for (int index = 3; fields >> field; ++index) {
    if (index == 14) {
      utime = std::stod(field);
    } else if (index == 15) {
      stime = std::stod(field);
      break;
    }
  }
  if (utime < 0 || stime < 0) {
    return -1;
  }
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// True in the sanitizer builds. Their runtime needs free descriptors itself: UBSan's vptr
// check tests whether memory is readable by writing it into a pipe, so with no descriptor
// left it reports a false "invalid vptr" on the first virtual call whose type it has not cached.
// In-process tests that leave this process without any descriptor run in the other builds
// only; the tests of the real binaries under `ulimit -n` run everywhere.
inline constexpr bool kSanitizerNeedsDescriptors =
#if defined(__SANITIZE_ADDRESS__)
    true;
#else
    false;
#endif

// While alive, the soft RLIMIT_NOFILE is the lowest free descriptor number, so that every
// attempt of this process to open one fails with EMFILE; restored on destruction.
class NoFreeDescriptors {
 public:
  NoFreeDescriptors() {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    const int probe =
        ::open("/dev/null", O_RDONLY | O_CLOEXEC);  // NOLINT(cppcoreguidelines-pro-type-vararg)
    if (probe >= 0) {
      ::close(probe);
      rlimit lowered = saved_;
      lowered.rlim_cur = static_cast<rlim_t>(probe);
      active_ = ::setrlimit(RLIMIT_NOFILE, &lowered) == 0;
    }
  }
  ~NoFreeDescriptors() { Restore(); }
  NoFreeDescriptors(const NoFreeDescriptors&) = delete;
  NoFreeDescriptors& operator=(const NoFreeDescriptors&) = delete;
  bool Active() const { return active_; }
  void Restore() {
    if (active_) {
      ::setrlimit(RLIMIT_NOFILE, &saved_);
      active_ = false;
    }
  }

 private:
  rlimit saved_{};
  bool active_ = false;
};

// A TCP socket to 127.0.0.1, created at construction and connected later.
class RawConnection {
 public:
  RawConnection() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {}
  ~RawConnection() { Close(); }
  RawConnection(RawConnection&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  RawConnection& operator=(RawConnection&&) = delete;
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool Valid() const { return fd_ >= 0; }
  // Connects within `timeout` (the handshake completes in the listener's backlog whether or
  // not the server accepts); afterwards reads and writes block for at most `timeout`.
  bool Connect(std::uint16_t port,
               std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
    if (fd_ < 0) {
      return false;
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int flags = ::fcntl(fd_, F_GETFL);    // NOLINT(cppcoreguidelines-pro-type-vararg)
    ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK);  // NOLINT(cppcoreguidelines-pro-type-vararg)
    int rc = ::connect(fd_, reinterpret_cast<const sockaddr*>(&address),  // NOLINT
                       sizeof(address));
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd waiting{fd_, POLLOUT, 0};
      rc = ::poll(&waiting, 1, static_cast<int>(timeout.count())) == 1 ? 0 : -1;
      int error = 0;
      socklen_t length = sizeof(error);
      if (rc == 0 && (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error)) {
        rc = -1;
      }
    }
    ::fcntl(fd_, F_SETFL, flags);  // NOLINT(cppcoreguidelines-pro-type-vararg)
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return rc == 0;
  }
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        return false;
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  // Shuts down the sending side (the peer reads end of file).
  void ShutdownSend() { ::shutdown(fd_, SHUT_WR); }
  // Reads until the peer closes, an error, or the read timeout.
  std::string ReadAll() {
    std::string out;
    char buffer[4096];  // NOLINT(modernize-avoid-c-arrays)
    while (true) {
      const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) {
        return out;
      }
      out.append(buffer, static_cast<std::size_t>(n));
    }
  }
  void Close() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

 private:
  int fd_;
};

}  // namespace enclavectl::testing
