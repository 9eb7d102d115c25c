#include "enclavectl/app/servers.hpp"

#include <algorithm>
#include <chrono>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include "enclavectl/net/stream_listener.hpp"

namespace enclavectl::app {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using core::ErrorCode;
using core::Fail;

class LineServerImpl;

// One connection: read a line under a deadline, answer it, repeat.
class LineSession : public std::enable_shared_from_this<LineSession> {
 public:
  LineSession(net::StreamSocket socket, net::ConnectionSlot slot, LineServerImpl& server);
  void Start() {
    asio::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }
  void Refuse(ErrorCode code, std::string_view reason);

 private:
  void Read();
  void OnRead(error_code ec, std::size_t bytes);
  void Send(std::string line, bool close);
  void Close();

  net::StreamSocket socket_;
  asio::steady_timer deadline_;
  asio::streambuf buffer_;
  std::string out_;
  LineServerImpl& server_;
  net::ConnectionSlot slot_;
  bool first_ = true;
  bool timed_out_ = false;
};

class LineServerImpl final : public LineServer {
 public:
  LineServerImpl(const LineServerOptions& options, LineHandler handler, LineRefuser refuser)
      : options_(options),
        handler_(std::move(handler)),
        refuser_(std::move(refuser)),
        listener_(
            net::StreamListenerOptions{std::max<std::size_t>(options_.threads, 1),
                                       options_.max_connections, options_.warn},
            [this](net::AcceptedConnection connection) { OnAccepted(std::move(connection)); }) {}
  ~LineServerImpl() override { Stop(); }

  core::Status Listen(const net::ListenAddress& address) { return listener_.Listen(address); }
  std::uint32_t Port() const noexcept override { return listener_.Port(); }
  void Stop() override { listener_.Stop(); }

  const LineServerOptions& Options() const { return options_; }
  std::string Handle(std::string_view line) const { return handler_(line); }
  std::string Refusal(ErrorCode code, std::string_view reason) const {
    return refuser_(code, reason);
  }

 private:
  void OnAccepted(net::AcceptedConnection connection) {
    auto session = std::make_shared<LineSession>(std::move(connection.socket),
                                                 std::move(connection.slot), *this);
    if (connection.over_capacity) {
      session->Refuse(ErrorCode::kAppOverloaded, "too many connections");
    } else {
      session->Start();
    }
  }

  LineServerOptions options_;
  LineHandler handler_;
  LineRefuser refuser_;
  // Last: its io_context (and the sessions in it) goes first.
  net::StreamListener listener_;
};

LineSession::LineSession(net::StreamSocket socket, net::ConnectionSlot slot, LineServerImpl& server)
    : socket_(std::move(socket)),
      deadline_(socket_.get_executor()),
      buffer_(server.Options().max_line_bytes + 1),  // the line and its newline
      server_(server),
      slot_(std::move(slot)) {}

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
  socket_.shutdown(net::StreamSocket::shutdown_both, ignored);
  socket_.close(ignored);
}

core::Result<std::unique_ptr<LineServer>> Listen(const net::ListenAddress& address,
                                                 const LineServerOptions& options,
                                                 LineHandler handler, LineRefuser refuser) {
  auto server = std::make_unique<LineServerImpl>(options, std::move(handler), std::move(refuser));
  ENCLAVECTL_RETURN_IF_ERROR(server->Listen(address));
  return std::unique_ptr<LineServer>(std::move(server));
}

}  // namespace

core::Result<std::unique_ptr<net::HttpServer>> StartHttpApi(net::HttpServerOptions options,
                                                            KeyService& service,
                                                            AppMetrics* metrics) {
  if (metrics == nullptr) {
    return net::HttpServer::StartAsync(
        options,
        [&service](net::HttpRequest request, net::HttpRespond respond) {
          service.HandleAsync(std::move(request), std::move(respond));
        },
        [&service](unsigned status, std::string_view reason) {
          return service.Refuse(status, reason);
        });
  }
  return net::HttpServer::StartAsync(
      options,
      [&service, metrics](net::HttpRequest request, net::HttpRespond respond) {
        const auto start = std::chrono::steady_clock::now();
        auto seconds = [start] {
          return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        };
        if (request.path == "/metrics" && request.method == "GET") {
          net::HttpResponse response;
          response.content_type = "text/plain; version=0.0.4; charset=utf-8";
          response.body = metrics->Text(service.State());
          metrics->RecordRequest(request.path, request.method, response.status, seconds());
          respond(std::move(response));
          return;
        }
        std::string path = request.path;
        std::string method = request.method;
        service.HandleAsync(std::move(request),
                            [metrics, respond = std::move(respond), path = std::move(path),
                             method = std::move(method), seconds](net::HttpResponse response) {
                              metrics->RecordRequest(path, method, response.status, seconds());
                              respond(std::move(response));
                            });
      },
      [&service, metrics](unsigned status, std::string_view reason) {
        metrics->RecordRequest("", "", status, 0);
        return service.Refuse(status, reason);
      });
}

core::Result<std::unique_ptr<LineServer>> LineServer::ListenTcp(const std::string& host,
                                                                std::uint16_t port,
                                                                const LineServerOptions& options,
                                                                LineHandler handler,
                                                                LineRefuser refuser) {
  auto address = net::ListenAddress::Tcp(host, port);
  if (!address) {
    return Fail(address.error());
  }
  return Listen(*address, options, std::move(handler), std::move(refuser));
}

core::Result<std::unique_ptr<LineServer>> LineServer::ListenVsock(std::uint32_t port,
                                                                  const LineServerOptions& options,
                                                                  LineHandler handler,
                                                                  LineRefuser refuser) {
  return Listen(net::ListenAddress::Vsock(port), options, std::move(handler), std::move(refuser));
}

}  // namespace enclavectl::app
