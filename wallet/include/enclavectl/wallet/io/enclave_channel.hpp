// The parent's connection to the wallet enclave (adapter; docs/wallet.md "Parent side"): one
// request frame and one response frame per connection (len:u64 little-endian || JSON,
// wallet.md 2.2), over AF_VSOCK (CID:PORT) or, for the local stack only, TCP (HOST:PORT).
// Every write is looped, the answer's length is capped, and every step has a deadline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "enclavectl/core/result.hpp"

namespace enclavectl::wallet {

struct EnclaveAddress {
  enum class Kind : std::uint8_t { kVsock, kTcp };
  Kind kind = Kind::kVsock;
  std::uint32_t cid = 0;  // vsock
  std::string host;       // tcp: a name or an IPv4/IPv6 literal ("[::1]" in text)
  std::uint32_t port = 0;
};

// "CID:PORT" (decimal, CID 2..0xfffffffe, port 1..0xfffffffe). Fails with kInvalidArgument.
[[nodiscard]] core::Result<EnclaveAddress> ParseVsockAddress(std::string_view text);
// "HOST:PORT" or "[V6]:PORT" (port 1..65535) with a loopback host (127.x.y.z, ::1,
// localhost): the frames carry AWS credentials in clear, so TCP is for the local stack only.
// Fails with kInvalidArgument.
[[nodiscard]] core::Result<EnclaveAddress> ParseTcpAddress(std::string_view text);
// "vsock:CID:PORT" or "tcp:HOST:PORT", for messages.
std::string DescribeEnclaveAddress(const EnclaveAddress& address);

inline constexpr std::size_t kMaxResponseFrameBytes = std::size_t{1} << 20;

// Sends request payloads and returns response payloads. The request may hold credentials:
// implementations never log or keep it.
class EnclaveChannel {
 public:
  virtual ~EnclaveChannel() = default;
  // Fails with kNetwork (connect, send, receive, timeout, EOF before the
  // whole frame) or kWalletEnclaveResponseInvalid (a frame above kMaxResponseFrameBytes).
  [[nodiscard]] virtual core::Result<std::string> Exchange(std::string_view request_payload) = 0;
};

// A new connection per Exchange, at most `timeout_ms` for the whole exchange.
class SocketEnclaveChannel final : public EnclaveChannel {
 public:
  explicit SocketEnclaveChannel(EnclaveAddress address, int timeout_ms = 30000)
      : address_(std::move(address)), timeout_ms_(timeout_ms) {}
  [[nodiscard]] core::Result<std::string> Exchange(std::string_view request_payload) override;

 private:
  EnclaveAddress address_;
  int timeout_ms_;
};

// One unframed exchange on a new connection (e.g. HTTP/1.1 with "Connection: close"): sends
// `request`, then reads until the peer closes, at most `max_response_bytes` (more fails with
// kInputTooLarge), all within `timeout_ms`. Fails with kNetwork like Exchange.
[[nodiscard]] core::Result<std::string> ExchangeUntilClose(const EnclaveAddress& address,
                                                           std::string_view request,
                                                           std::size_t max_response_bytes,
                                                           int timeout_ms);

}  // namespace enclavectl::wallet
