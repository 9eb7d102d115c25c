#include "enclavectl/app/seed_servers.hpp"

#include <algorithm>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "enclavectl/net/stream_listener.hpp"

namespace enclavectl::app {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using core::ErrorCode;

enum class Received : std::uint8_t { kNeedMore, kComplete, kTooLarge };

// A one-shot protocol: when a request is whole, and the answers.
struct Protocol {
  std::size_t max_bytes = 0;  // never read more than this
  std::function<Received(std::string_view received)> check;
  std::function<std::string(std::string_view received)> answer;  // a whole request
  std::function<std::string(std::string_view received)> at_eof;  // "": close silently
  std::function<std::string(ErrorCode code)> refuse;             // too large, timeout, overloaded
};

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kLingerBytes = 1024 * 1024;

class OneShotSession : public std::enable_shared_from_this<OneShotSession> {
 public:
  OneShotSession(net::StreamSocket socket, net::ConnectionSlot slot, const Protocol& protocol,
                 std::chrono::milliseconds timeout)
      : socket_(std::move(socket)),
        deadline_(socket_.get_executor()),
        protocol_(protocol),
        timeout_(timeout),
        slot_(std::move(slot)) {}

  void Start(bool over_capacity) {
    asio::dispatch(socket_.get_executor(), [self = shared_from_this(), over_capacity] {
      self->deadline_.expires_after(self->timeout_);
      self->deadline_.async_wait([weak = self->weak_from_this()](error_code ec) {
        if (auto session = weak.lock(); session && !ec) {
          session->timed_out_ = true;
          error_code ignored;
          session->socket_.cancel(ignored);
        }
      });
      if (over_capacity) {
        return self->Send(self->protocol_.refuse(ErrorCode::kAppOverloaded));
      }
      self->Read();
    });
  }

 private:
  void Read() {
    const std::size_t used = buffer_.size();
    const std::size_t room = std::min(kReadChunk, protocol_.max_bytes - used);
    buffer_.resize(used + room);
    socket_.async_read_some(asio::buffer(buffer_.data() + used, room),
                            [self = shared_from_this(), used](error_code ec, std::size_t bytes) {
                              self->buffer_.resize(used + bytes);
                              self->OnRead(ec);
                            });
  }

  void OnRead(error_code ec) {
    const std::string_view received(buffer_.data(), buffer_.size());
    if (timed_out_) {
      return received.empty() ? Close() : Send(protocol_.refuse(ErrorCode::kAppRequestTimeout));
    }
    if (ec == asio::error::eof) {
      return Send(protocol_.at_eof(received));
    }
    if (ec) {
      return Close();
    }
    switch (protocol_.check(received)) {
      case Received::kComplete:
        return Send(protocol_.answer(received));
      case Received::kTooLarge:
        return Send(protocol_.refuse(ErrorCode::kInputTooLarge));
      case Received::kNeedMore:
        break;
    }
    if (buffer_.size() >= protocol_.max_bytes) {
      return Send(protocol_.refuse(ErrorCode::kInputTooLarge));
    }
    Read();
  }

  // Writes the answer (all of it: the seed's single send() is not copied) and closes.
  void Send(std::string answer) {
    if (answer.empty()) {
      return Close();
    }
    out_ = std::move(answer);
    if (timed_out_) {  // a last short chance to write the refusal
      timed_out_ = false;
      deadline_.expires_after(std::chrono::milliseconds(500));
      deadline_.async_wait([weak = weak_from_this()](error_code ec) {
        if (auto session = weak.lock(); session && !ec) {
          error_code ignored;
          session->socket_.cancel(ignored);
        }
      });
    }
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this()](error_code ec, std::size_t /*bytes*/) {
                        if (ec) {
                          return self->Close();
                        }
                        self->Linger();
                      });
  }

  // A lingering close: closing with unread request bytes (a refused oversize request) makes
  // the kernel send RST, which can destroy the answer before the peer reads it. So shut down
  // the sending side and discard what still arrives until the peer closes (the seed's client
  // closes right after its recv), at most kLingerBytes or one second.
  void Linger() {
    error_code ignored;
    socket_.shutdown(net::StreamSocket::shutdown_send, ignored);
    deadline_.expires_after(std::chrono::seconds(1));
    deadline_.async_wait([weak = weak_from_this()](error_code ec) {
      if (auto session = weak.lock(); session && !ec) {
        error_code ignored_too;
        session->socket_.cancel(ignored_too);
      }
    });
    Discard();
  }

  void Discard() {
    buffer_.resize(kReadChunk);
    socket_.async_read_some(asio::buffer(buffer_),
                            [self = shared_from_this()](error_code ec, std::size_t bytes) {
                              self->discarded_ += bytes;
                              if (ec || self->discarded_ > kLingerBytes) {
                                return self->Close();
                              }
                              self->Discard();
                            });
  }

  void Close() {
    deadline_.cancel();
    error_code ignored;
    socket_.shutdown(net::StreamSocket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  net::StreamSocket socket_;
  asio::steady_timer deadline_;
  const Protocol& protocol_;
  std::chrono::milliseconds timeout_;
  net::ConnectionSlot slot_;
  std::string buffer_;
  std::string out_;
  std::size_t discarded_ = 0;
  bool timed_out_ = false;
};

class OneShotServerImpl final : public OneShotServer {
 public:
  OneShotServerImpl(const OneShotServerOptions& options, Protocol protocol)
      : protocol_(std::move(protocol)),
        timeout_(options.timeout),
        listener_(net::StreamListenerOptions{std::max<std::size_t>(options.threads, 1),
                                             options.max_connections, options.warn},
                  [this](net::AcceptedConnection connection) {
                    auto session = std::make_shared<OneShotSession>(std::move(connection.socket),
                                                                    std::move(connection.slot),
                                                                    protocol_, timeout_);
                    session->Start(connection.over_capacity);
                  }) {}
  ~OneShotServerImpl() override { Stop(); }

  core::Status Listen(const net::ListenAddress& address) { return listener_.Listen(address); }
  std::uint32_t Port() const noexcept override { return listener_.Port(); }
  void Stop() override { listener_.Stop(); }

 private:
  Protocol protocol_;
  std::chrono::milliseconds timeout_;
  // Last: its io_context (and the sessions in it) goes first.
  net::StreamListener listener_;
};

core::Result<std::unique_ptr<OneShotServer>> Listen(const OneShotAddress& where,
                                                    const OneShotServerOptions& options,
                                                    Protocol protocol) {
  net::ListenAddress address = net::ListenAddress::Vsock(where.port);
  if (!where.host.empty()) {
    if (where.port > 65535) {
      return core::Fail(ErrorCode::kListenFailed, "TCP port above 65535");
    }
    auto tcp = net::ListenAddress::Tcp(where.host, static_cast<std::uint16_t>(where.port));
    if (!tcp) {
      return core::Fail(tcp.error());
    }
    address = std::move(*tcp);
  }
  auto server = std::make_unique<OneShotServerImpl>(options, std::move(protocol));
  ENCLAVECTL_RETURN_IF_ERROR(server->Listen(address));
  return std::unique_ptr<OneShotServer>(std::move(server));
}

}  // namespace

core::Result<std::unique_ptr<OneShotServer>> ListenSeedWallet(const OneShotAddress& address,
                                                              const OneShotServerOptions& options,
                                                              const SeedWalletService& service) {
  Protocol protocol;
  protocol.max_bytes = kSeedWalletMaxRequestBytes;
  // wallet.md 1.2: the request ends where one JSON value is complete, or cannot become one.
  protocol.check = [](std::string_view received) {
    return ClassifySeedWalletRequest(received) == core::JsonPrefix::kIncomplete
               ? Received::kNeedMore
               : Received::kComplete;
  };
  protocol.answer = [&service](std::string_view request) { return service.Handle(request); };
  protocol.at_eof = protocol.answer;  // a half-close ends the request
  protocol.refuse = [](ErrorCode code) { return SeedWalletService::Refuse(code); };
  return Listen(address, options, std::move(protocol));
}

core::Result<std::unique_ptr<OneShotServer>> ListenAccounts(
    const OneShotAddress& address, const OneShotServerOptions& options,
    const accounts::AccountService& service) {
  Protocol protocol;
  protocol.max_bytes = accounts::kFrameHeaderBytes + accounts::kMaxFramePayloadBytes;
  protocol.check = [](std::string_view received) {
    switch (accounts::CheckFrame(received).state) {
      case accounts::FrameState::kComplete:
        return Received::kComplete;
      case accounts::FrameState::kTooLarge:
        return Received::kTooLarge;
      case accounts::FrameState::kNeedMore:
        break;
    }
    return Received::kNeedMore;
  };
  protocol.answer = [&service](std::string_view received) {
    const accounts::FrameCheck frame = accounts::CheckFrame(received);
    return accounts::EncodeFrame(
        service.Handle(received.substr(accounts::kFrameHeaderBytes, frame.payload_len)));
  };
  // EOF before a whole frame (wallet.md 2.9: upstream panics): the envelope, unless the peer
  // sent nothing at all.
  protocol.at_eof = [](std::string_view received) {
    return received.empty() ? std::string()
                            : accounts::EncodeFrame(accounts::AccountService::Refuse(
                                  ErrorCode::kAccountFrameInvalid));
  };
  protocol.refuse = [](ErrorCode code) {
    return accounts::EncodeFrame(accounts::AccountService::Refuse(code));
  };
  return Listen(address, options, std::move(protocol));
}

}  // namespace enclavectl::app
