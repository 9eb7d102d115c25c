// The parent's framed connection to the wallet enclave (enclave_channel.hpp).
#include "enclavectl/wallet/io/enclave_channel.hpp"

#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>

namespace enclavectl::wallet {
namespace {

using core::ErrorCode;
using core::Fail;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kHeaderBytes = 8;

core::Result<std::uint32_t> ParseNumber(std::string_view text, std::uint64_t min, std::uint64_t max,
                                        const char* what) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    return Fail(ErrorCode::kInvalidArgument, std::string(what) + " must be a number in " +
                                                 std::to_string(min) + ".." + std::to_string(max));
  }
  return static_cast<std::uint32_t>(value);
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// Waits until `fd` is ready for `events` or the deadline passes.
core::Status WaitFor(int fd, short events, Clock::time_point deadline, const char* what) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      return Fail(ErrorCode::kNetwork, std::string(what) + ": timed out");
    }
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left));
    if (n > 0) {
      return core::Ok();
    }
    if (n < 0 && errno != EINTR) {
      return Fail(ErrorCode::kNetwork, Errno(what));
    }
  }
}

core::Status ConnectWithDeadline(int fd, const sockaddr* addr, socklen_t len,
                                 Clock::time_point deadline) {
  if (::connect(fd, addr, len) == 0) {
    return core::Ok();
  }
  if (errno != EINPROGRESS && errno != EINTR) {
    return Fail(ErrorCode::kNetwork, Errno("connect"));
  }
  ENCLAVECTL_RETURN_IF_ERROR(WaitFor(fd, POLLOUT, deadline, "connect"));
  int err = 0;
  socklen_t err_len = sizeof(err);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0 || err != 0) {
    return Fail(ErrorCode::kNetwork,
                std::string("connect: ") + std::strerror(err != 0 ? err : errno));
  }
  return core::Ok();
}

core::Result<int> Connect(const EnclaveAddress& address, Clock::time_point deadline) {
  if (address.kind == EnclaveAddress::Kind::kVsock) {
    const int fd = ::socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      return Fail(ErrorCode::kNetwork, Errno("vsock socket"));
    }
    sockaddr_vm sa{};
    sa.svm_family = AF_VSOCK;
    sa.svm_cid = address.cid;
    sa.svm_port = address.port;
    auto connected =
        ConnectWithDeadline(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof(sa), deadline);
    if (!connected) {
      ::close(fd);
      return Fail(connected.error());
    }
    return fd;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(address.port);
  const int rc = ::getaddrinfo(address.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    return Fail(ErrorCode::kNetwork, "cannot resolve " + address.host + ": " + ::gai_strerror(rc));
  }
  core::Error last{ErrorCode::kNetwork, "no address for " + address.host, -1};
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    const int fd =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
      last = {ErrorCode::kNetwork, Errno("socket"), -1};
      continue;
    }
    auto connected = ConnectWithDeadline(fd, ai->ai_addr, ai->ai_addrlen, deadline);
    if (connected) {
      ::freeaddrinfo(found);
      return fd;
    }
    last = connected.error();
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return Fail(std::move(last));
}

core::Status SendAll(int fd, std::string_view bytes, Clock::time_point deadline) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      ENCLAVECTL_RETURN_IF_ERROR(WaitFor(fd, POLLOUT, deadline, "send"));
      continue;
    }
    return Fail(ErrorCode::kNetwork, Errno("send"));
  }
  return core::Ok();
}

core::Status ReceiveExactly(int fd, char* out, std::size_t len, Clock::time_point deadline) {
  std::size_t got = 0;
  while (got < len) {
    const ssize_t n = ::recv(fd, out + got, len - got, 0);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0) {
      return Fail(ErrorCode::kNetwork, "the enclave closed the connection after " +
                                           std::to_string(got) + " of " + std::to_string(len) +
                                           " bytes");
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      ENCLAVECTL_RETURN_IF_ERROR(WaitFor(fd, POLLIN, deadline, "receive"));
      continue;
    }
    return Fail(ErrorCode::kNetwork, Errno("receive"));
  }
  return core::Ok();
}

}  // namespace

core::Result<EnclaveAddress> ParseVsockAddress(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return Fail(ErrorCode::kInvalidArgument, "--enclave takes CID:PORT, e.g. 16:7878");
  }
  auto cid = ParseNumber(text.substr(0, colon), 2, 0xfffffffeU, "the CID");
  auto port = ParseNumber(text.substr(colon + 1), 1, 0xfffffffeU, "the vsock port");
  if (!cid || !port) {
    return Fail(!cid ? cid.error() : port.error());
  }
  EnclaveAddress out;
  out.kind = EnclaveAddress::Kind::kVsock;
  out.cid = *cid;
  out.port = *port;
  return out;
}

core::Result<EnclaveAddress> ParseTcpAddress(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Fail(ErrorCode::kInvalidArgument, "--enclave-tcp takes HOST:PORT, e.g. 127.0.0.1:7878");
  }
  std::string_view host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') {
      return Fail(ErrorCode::kInvalidArgument, "an IPv6 host is written [ADDR]:PORT");
    }
    host = host.substr(1, host.size() - 2);
  }
  // The frame carries AWS credentials in clear: TCP is for the local stack (enclave-app --dev)
  // on this machine only.
  const bool loopback = host == "localhost" || host == "::1" || host.substr(0, 4) == "127.";
  if (!loopback) {
    return Fail(ErrorCode::kInvalidArgument,
                "--enclave-tcp is for the local stack only: the host must be loopback "
                "(127.0.0.1, ::1, localhost); a real enclave is reached with --enclave CID:PORT");
  }
  auto port = ParseNumber(text.substr(colon + 1), 1, 65535, "the TCP port");
  if (!port) {
    return Fail(port.error());
  }
  EnclaveAddress out;
  out.kind = EnclaveAddress::Kind::kTcp;
  out.host = std::string(host);
  out.port = *port;
  return out;
}

std::string DescribeEnclaveAddress(const EnclaveAddress& address) {
  if (address.kind == EnclaveAddress::Kind::kVsock) {
    return "vsock:" + std::to_string(address.cid) + ":" + std::to_string(address.port);
  }
  return "tcp:" + address.host + ":" + std::to_string(address.port);
}

core::Result<std::string> SocketEnclaveChannel::Exchange(std::string_view request_payload) {
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms_);
  auto fd_value = Connect(address_, deadline);
  if (!fd_value) {
    core::Error error = fd_value.error();
    error.detail = DescribeEnclaveAddress(address_) + ": " + error.detail;
    return Fail(std::move(error));
  }
  const Fd fd(*fd_value);
  std::array<char, kHeaderBytes> header{};
  std::uint64_t len = request_payload.size();
  for (std::size_t i = 0; i < kHeaderBytes; ++i) {
    header[i] = static_cast<char>((len >> (8 * i)) & 0xffU);
  }
  ENCLAVECTL_RETURN_IF_ERROR(SendAll(fd.get(), {header.data(), header.size()}, deadline));
  ENCLAVECTL_RETURN_IF_ERROR(SendAll(fd.get(), request_payload, deadline));
  ENCLAVECTL_RETURN_IF_ERROR(ReceiveExactly(fd.get(), header.data(), header.size(), deadline));
  len = 0;
  for (std::size_t i = 0; i < kHeaderBytes; ++i) {
    len |= static_cast<std::uint64_t>(static_cast<unsigned char>(header[i])) << (8 * i);
  }
  if (len > kMaxResponseFrameBytes) {
    return Fail(ErrorCode::kWalletEnclaveResponseInvalid,
                "the enclave's answer declares " + std::to_string(len) + " bytes (cap " +
                    std::to_string(kMaxResponseFrameBytes) + ")");
  }
  std::string payload(static_cast<std::size_t>(len), '\0');
  ENCLAVECTL_RETURN_IF_ERROR(ReceiveExactly(fd.get(), payload.data(), payload.size(), deadline));
  return payload;
}

core::Result<std::string> ExchangeUntilClose(const EnclaveAddress& address,
                                             std::string_view request,
                                             std::size_t max_response_bytes, int timeout_ms) {
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  auto fd_value = Connect(address, deadline);
  if (!fd_value) {
    core::Error error = fd_value.error();
    error.detail = DescribeEnclaveAddress(address) + ": " + error.detail;
    return Fail(std::move(error));
  }
  const Fd fd(*fd_value);
  ENCLAVECTL_RETURN_IF_ERROR(SendAll(fd.get(), request, deadline));
  std::string answer;
  std::array<char, 4096> chunk{};
  for (;;) {
    const ssize_t n = ::recv(fd.get(), chunk.data(), chunk.size(), 0);
    if (n > 0) {
      if (answer.size() + static_cast<std::size_t>(n) > max_response_bytes) {
        return Fail(ErrorCode::kInputTooLarge, "the answer of " + DescribeEnclaveAddress(address) +
                                                   " exceeds " +
                                                   std::to_string(max_response_bytes) + " bytes");
      }
      answer.append(chunk.data(), static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) {
      return answer;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      ENCLAVECTL_RETURN_IF_ERROR(WaitFor(fd.get(), POLLIN, deadline, "receive"));
      continue;
    }
    return Fail(ErrorCode::kNetwork, Errno("receive"));
  }
}

}  // namespace enclavectl::wallet
