#include "enclavectl/app/servers.hpp"

#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include "enclavectl/net/accept_loop.hpp"

namespace enclavectl::app {
namespace {

namespace asio = boost::asio;
using Protocol = asio::generic::stream_protocol;
using boost::system::error_code;
using core::ErrorCode;
using core::Fail;

class LineServerImpl;

// One connection: read a line under a deadline, answer it, repeat.
class LineSession : public std::enable_shared_from_this<LineSession> {
 public:
  LineSession(Protocol::socket socket, LineServerImpl& server);
  ~LineSession();
  void Start() {
    asio::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }
  void Refuse(ErrorCode code, std::string_view reason);

 private:
  void Read();
  void OnRead(error_code ec, std::size_t bytes);
  void Send(std::string line, bool close);
  void Close();

  Protocol::socket socket_;
  asio::steady_timer deadline_;
  asio::streambuf buffer_;
  std::string out_;
  LineServerImpl& server_;
  bool first_ = true;
  bool timed_out_ = false;
};

class LineServerImpl final : public LineServer {
 public:
  LineServerImpl(const LineServerOptions& options, LineHandler handler, LineRefuser refuser)
      : options_(options),
        handler_(std::move(handler)),
        refuser_(std::move(refuser)),
        ioc_(static_cast<int>(std::max<std::size_t>(options.threads, 1))),
        acceptor_(asio::make_strand(ioc_)),
        accept_loop_(
            acceptor_, ioc_, [this](Protocol::socket socket) { OnAccepted(std::move(socket)); },
            options_.warn) {}
  ~LineServerImpl() override { Stop(); }

  core::Status Listen(const Protocol::endpoint& endpoint, const std::string& what) {
    error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec && endpoint.protocol().family() != AF_VSOCK) {
      acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
      acceptor_.bind(endpoint, ec);
    }
    if (!ec) {
      acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      return Fail(ErrorCode::kListenFailed, "cannot listen on " + what + ": " + ec.message());
    }
    const Protocol::endpoint local = acceptor_.local_endpoint(ec);
    if (!ec && local.protocol().family() == AF_VSOCK) {
      sockaddr_vm vm{};
      std::memcpy(&vm, local.data(), std::min(sizeof(vm), local.size()));
      port_ = vm.svm_port;
    } else if (!ec) {
      sockaddr_in in{};
      std::memcpy(&in, local.data(), std::min(sizeof(in), local.size()));
      port_ = ntohs(in.sin_port);
    }
    accept_loop_.Start();
    for (std::size_t i = 0; i < std::max<std::size_t>(options_.threads, 1); ++i) {
      threads_.emplace_back([this] { ioc_.run(); });
    }
    return core::Ok();
  }

  std::uint32_t Port() const noexcept override { return port_; }

  void Stop() override {
    {
      std::lock_guard lock(mutex_);
      if (stopped_) {
        return;
      }
      stopped_ = true;
    }
    ioc_.stop();
    for (std::thread& thread : threads_) {
      if (thread.joinable()) {
        thread.join();
      }
    }
  }

  const LineServerOptions& Options() const { return options_; }
  std::string Handle(std::string_view line) const { return handler_(line); }
  std::string Refusal(ErrorCode code, std::string_view reason) const {
    return refuser_(code, reason);
  }
  void Opened() { ++connections_; }
  void Closed() { --connections_; }

 private:
  void OnAccepted(Protocol::socket socket) {
    auto session = std::make_shared<LineSession>(std::move(socket), *this);
    if (connections_.load() > options_.max_connections) {
      session->Refuse(ErrorCode::kAppOverloaded, "too many connections");
    } else {
      session->Start();
    }
  }

  LineServerOptions options_;
  LineHandler handler_;
  LineRefuser refuser_;
  asio::io_context ioc_;
  asio::basic_socket_acceptor<Protocol> acceptor_;
  net::AcceptLoop<asio::basic_socket_acceptor<Protocol>> accept_loop_;
  std::vector<std::thread> threads_;
  std::uint32_t port_ = 0;
  std::atomic<std::size_t> connections_{0};
  std::mutex mutex_;
  bool stopped_ = false;
};

LineSession::LineSession(Protocol::socket socket, LineServerImpl& server)
    : socket_(std::move(socket)),
      deadline_(socket_.get_executor()),
      buffer_(server.Options().max_line_bytes + 1),  // the line and its newline
      server_(server) {
  server_.Opened();
}

LineSession::~LineSession() { server_.Closed(); }

void LineSession::Refuse(ErrorCode code, std::string_view reason) {
  asio::dispatch(socket_.get_executor(),
                 [self = shared_from_this(), code, text = std::string(reason)] {
                   self->Send(self->server_.Refusal(code, text), true);
                 });
}

void LineSession::Read() {
  timed_out_ = false;
  const LineServerOptions& options = server_.Options();
  // A deadline on the whole line stops slow (slowloris) clients; an idle connection may wait
  // for the idle timeout before its next line starts.
  deadline_.expires_after(first_ ? options.request_timeout
                                 : options.idle_timeout + options.request_timeout);
  deadline_.async_wait([weak = weak_from_this()](error_code ec) {
    if (auto self = weak.lock(); self && !ec) {
      self->timed_out_ = true;
      error_code ignored;
      self->socket_.cancel(ignored);
    }
  });
  asio::async_read_until(
      socket_, buffer_, '\n',
      [self = shared_from_this()](error_code ec, std::size_t bytes) { self->OnRead(ec, bytes); });
}

void LineSession::OnRead(error_code ec, std::size_t bytes) {
  first_ = false;
  deadline_.cancel();
  if (timed_out_ && ec) {
    if (buffer_.size() > 0) {
      return Send(server_.Refusal(ErrorCode::kAppRequestTimeout, "request timeout"), true);
    }
    return Close();
  }
  if (ec == asio::error::not_found) {
    return Send(server_.Refusal(ErrorCode::kInputTooLarge, "request line too long"), true);
  }
  bool last = false;
  if (ec == asio::error::eof && buffer_.size() > 0) {
    bytes = buffer_.size();  // a final request without a newline
    last = true;
  } else if (ec) {
    return Close();
  }
  std::string line(asio::buffers_begin(buffer_.data()),
                   asio::buffers_begin(buffer_.data()) + static_cast<std::ptrdiff_t>(bytes));
  buffer_.consume(bytes);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.pop_back();
  }
  if (line.empty() && !last) {
    return Read();  // blank lines between requests are ignored
  }
  Send(server_.Handle(line), last);
}

void LineSession::Send(std::string line, bool close) {
  out_ = std::move(line);
  out_.push_back('\n');
  deadline_.expires_after(server_.Options().request_timeout);
  deadline_.async_wait([weak = weak_from_this()](error_code ec) {
    if (auto self = weak.lock(); self && !ec) {
      error_code ignored;
      self->socket_.cancel(ignored);
    }
  });
  asio::async_write(socket_, asio::buffer(out_),
                    [self = shared_from_this(), close](error_code ec, std::size_t /*bytes*/) {
                      self->deadline_.cancel();
                      if (ec || close) {
                        return self->Close();
                      }
                      self->Read();
                    });
}

void LineSession::Close() {
  error_code ignored;
  socket_.shutdown(Protocol::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

core::Result<std::unique_ptr<LineServer>> Listen(const Protocol::endpoint& endpoint,
                                                 const std::string& what,
                                                 const LineServerOptions& options,
                                                 LineHandler handler, LineRefuser refuser) {
  auto server = std::make_unique<LineServerImpl>(options, std::move(handler), std::move(refuser));
  ENCLAVECTL_RETURN_IF_ERROR(server->Listen(endpoint, what));
  return std::unique_ptr<LineServer>(std::move(server));
}

}  // namespace

core::Result<std::unique_ptr<net::HttpServer>> StartHttpApi(net::HttpServerOptions options,
                                                            KeyService& service) {
  return net::HttpServer::StartAsync(
      options,
      [&service](net::HttpRequest request, net::HttpRespond respond) {
        service.HandleAsync(std::move(request), std::move(respond));
      },
      [&service](unsigned status, std::string_view reason) {
        return service.Refuse(status, reason);
      });
}

core::Result<std::unique_ptr<LineServer>> LineServer::ListenTcp(const std::string& host,
                                                                std::uint16_t port,
                                                                const LineServerOptions& options,
                                                                LineHandler handler,
                                                                LineRefuser refuser) {
  error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) {
    return Fail(ErrorCode::kListenFailed, "not an IP address: " + host);
  }
  const asio::ip::tcp::endpoint tcp(address, port);
  return Listen(Protocol::endpoint(tcp), host + ":" + std::to_string(port), options,
                std::move(handler), std::move(refuser));
}

core::Result<std::unique_ptr<LineServer>> LineServer::ListenVsock(std::uint32_t port,
                                                                  const LineServerOptions& options,
                                                                  LineHandler handler,
                                                                  LineRefuser refuser) {
  sockaddr_vm address{};
  address.svm_family = AF_VSOCK;
  address.svm_cid = VMADDR_CID_ANY;
  address.svm_port = port;
  const Protocol::endpoint endpoint(&address, sizeof(address));
  return Listen(endpoint, "vsock port " + std::to_string(port), options, std::move(handler),
                std::move(refuser));
}

}  // namespace enclavectl::app
