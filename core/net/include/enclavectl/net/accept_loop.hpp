// The accept loop shared by enclavectl's servers (the HTTP server of enclave-app and the
// local KMS, and enclave-app's line server over TCP or AF_VSOCK): accepts connections one
// after the other and hands each socket on; when accept() fails because the process or the
// system is out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM), it stops
// accepting for a while (100 ms, doubling up to 1 s) instead of retrying at once, which
// would spin a core while the pending connections wait in the backlog. It accepts again
// after the pause (by then connections may have closed); a success resets the pause.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/system/error_code.hpp>

namespace enclavectl::net {

enum class AcceptAction : std::uint8_t {
  kStop,   // the acceptor was closed or the server is stopping
  kRetry,  // a failure of one connection (ECONNABORTED, EPROTO, EPERM, EINTR): accept again
  kPause,  // out of descriptors or memory, or an unexpected error: pause, then accept again
};

// What to do after accept() failed with `ec`. Pure.
AcceptAction ClassifyAcceptError(const boost::system::error_code& ec) noexcept;

// The pauses after failed accepts: `first`, doubling up to `cap`; Reset after a success.
class AcceptBackoff {
 public:
  explicit AcceptBackoff(std::chrono::milliseconds first = std::chrono::milliseconds(100),
                         std::chrono::milliseconds cap = std::chrono::milliseconds(1000)) noexcept
      : first_(first), cap_(cap), next_(first) {}
  // The pause to take now; the following one is twice as long, at most `cap`.
  std::chrono::milliseconds Next() noexcept;
  void Reset() noexcept { next_ = first_; }
  // True while no pause has been taken since construction or the last Reset.
  bool Fresh() const noexcept { return next_ == first_; }

 private:
  std::chrono::milliseconds first_;
  std::chrono::milliseconds cap_;
  std::chrono::milliseconds next_;
};

// The accept loop of one acceptor. `Acceptor` is a boost::asio::basic_socket_acceptor whose
// executor is a strand; accepted sockets get their own strand of `ioc`. `on_socket` runs on
// the acceptor's strand for every accepted connection; `warn` (may be empty) is called with
// one line when a streak of pauses starts (not for every pause). The loop must outlive the
// io_context's run (own it next to the acceptor and stop the io_context first).
template <typename Acceptor>
class AcceptLoop {
 public:
  using Socket = typename Acceptor::protocol_type::socket;

  AcceptLoop(Acceptor& acceptor, boost::asio::io_context& ioc,
             std::function<void(Socket)> on_socket, std::function<void(const std::string&)> warn)
      : acceptor_(acceptor),
        ioc_(ioc),
        timer_(acceptor.get_executor()),
        on_socket_(std::move(on_socket)),
        warn_(std::move(warn)) {}

  void Start() { Accept(); }
  // Pauses taken so far (for tests and diagnostics).
  std::uint64_t Pauses() const noexcept { return pauses_.load(); }

 private:
  void Accept() {
    acceptor_.async_accept(boost::asio::make_strand(ioc_),
                           [this](const boost::system::error_code& ec, Socket socket) {
                             OnAccept(ec, std::move(socket));
                           });
  }

  void OnAccept(const boost::system::error_code& ec, Socket socket) {
    if (!ec) {
      backoff_.Reset();
      on_socket_(std::move(socket));
      return Accept();
    }
    switch (ClassifyAcceptError(ec)) {
      case AcceptAction::kStop:
        return;
      case AcceptAction::kRetry:
        return Accept();
      case AcceptAction::kPause:
        break;
    }
    const bool first = backoff_.Fresh();
    const std::chrono::milliseconds pause = backoff_.Next();
    ++pauses_;
    if (first && warn_) {
      warn_("accept failed (" + ec.message() + "): not accepting connections for " +
            std::to_string(pause.count()) + " ms (longer while it lasts)");
    }
    timer_.expires_after(pause);
    timer_.async_wait([this](const boost::system::error_code& wait_ec) {
      if (!wait_ec) {
        Accept();
      }
    });
  }

  Acceptor& acceptor_;
  boost::asio::io_context& ioc_;
  boost::asio::steady_timer timer_;
  std::function<void(Socket)> on_socket_;
  std::function<void(const std::string&)> warn_;
  AcceptBackoff backoff_;
  std::atomic<std::uint64_t> pauses_{0};
};

}  // namespace enclavectl::net
