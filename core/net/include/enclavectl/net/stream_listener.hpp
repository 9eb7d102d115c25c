// The lifecycle every enclavectl stream server shares (the HTTP server of `kms serve` and
// enclave-app, enclave-app's newline-delimited wallet server): bind and listen on TCP or
// AF_VSOCK, the accept loop (accept_loop.hpp: pauses instead of spinning when out of
// descriptors), a count of open connections against a cap, the I/O threads, and a graceful
// stop (threads joined, listening socket closed so new connections are refused). The protocol
// spoken on a connection is the caller's: it receives every accepted socket.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>

#include "enclavectl/core/result.hpp"

namespace enclavectl::net {

using StreamProtocol = boost::asio::generic::stream_protocol;
using StreamSocket = StreamProtocol::socket;

// Where a listener listens, and how messages name it.
struct ListenAddress {
  StreamProtocol::endpoint endpoint;
  std::string text;  // "127.0.0.1:7074", "vsock port 5000"

  // TCP on `host` (an IP address, not a name) and `port` (0: any free port). Fails with
  // kListenFailed when `host` is not an IP address.
  [[nodiscard]] static core::Result<ListenAddress> Tcp(const std::string& host, std::uint16_t port);
  // AF_VSOCK on any CID (VMADDR_CID_ANY) and `port`.
  static ListenAddress Vsock(std::uint32_t port);
};

// A peer's address for logs and HttpRequest::remote: "127.0.0.1:53412" for TCP, "vsock
// CID:PORT" for AF_VSOCK, empty when unknown.
std::string DescribePeer(const StreamSocket& socket);

// One open connection, counted from accept until this object is destroyed. Move-only.
class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  explicit ConnectionSlot(std::atomic<std::size_t>& count) noexcept : count_(&count) { ++count; }
  ConnectionSlot(ConnectionSlot&& other) noexcept : count_(other.count_) { other.count_ = nullptr; }
  ConnectionSlot& operator=(ConnectionSlot&& other) noexcept {
    if (this != &other) {
      Release();
      count_ = other.count_;
      other.count_ = nullptr;
    }
    return *this;
  }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ~ConnectionSlot() { Release(); }

 private:
  void Release() noexcept {
    if (count_ != nullptr) {
      --*count_;
      count_ = nullptr;
    }
  }
  std::atomic<std::size_t>* count_ = nullptr;
};

// An accepted connection as the listener hands it on: the socket (its own strand), its slot
// (keep it as long as the connection is open) and whether it is one too many (more than
// max_connections open with it: refuse it without reading).
struct AcceptedConnection {
  StreamSocket socket;
  ConnectionSlot slot;
  bool over_capacity = false;
};

struct StreamListenerOptions {
  std::size_t threads = 0;  // I/O threads; 0: one per core
  // Open connections at most; the next ones arrive with over_capacity set. Keep it within the
  // process's open-file limit (fd_limit.hpp).
  std::size_t max_connections = 4096;
  // Told (one line) when accepting pauses for lack of descriptors or memory; may be empty.
  std::function<void(const std::string&)> warn;
};

class StreamListener {
 public:
  // `on_connection` runs on the listener's strand for every accepted connection; it starts
  // the connection's work on the socket's executor and returns.
  StreamListener(StreamListenerOptions options,
                 std::function<void(AcceptedConnection)> on_connection);
  // Stops (see Stop). Connections still open are destroyed with the io_context, so whatever
  // their handlers reference must outlive this object.
  ~StreamListener();
  StreamListener(const StreamListener&) = delete;
  StreamListener& operator=(const StreamListener&) = delete;
  StreamListener(StreamListener&&) = delete;
  StreamListener& operator=(StreamListener&&) = delete;

  // Binds (SO_REUSEADDR on TCP), listens, starts accepting and the I/O threads. Fails with
  // kListenFailed ("cannot listen on <address.text>: <reason>"). Call once.
  [[nodiscard]] core::Status Listen(const ListenAddress& address);
  // The bound port (TCP or vsock; useful with port 0). 0 before Listen.
  std::uint32_t Port() const noexcept;
  // Open connections now.
  std::size_t Connections() const noexcept;
  // Stops the I/O threads (no handler runs after it returns), joins them and closes the
  // listening socket. Idempotent; callable from any thread but an I/O thread.
  void Stop();
  // Blocks until Stop() has been called (from another thread).
  void Wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace enclavectl::net
