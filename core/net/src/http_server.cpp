#include "enclavectl/net/http_server.hpp"

#include <openssl/crypto.h>

#include <atomic>
#include <mutex>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "enclavectl/net/stream_listener.hpp"

namespace enclavectl::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

HttpResponse PlainError(unsigned status, std::string_view reason) {
  HttpResponse response;
  response.status = status;
  response.content_type = "text/plain; charset=utf-8";
  response.body = std::string(reason) + "\n";
  return response;
}

class Server;

// One connection: read a request under a deadline, answer, repeat while keep-alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(StreamSocket socket, ConnectionSlot slot, Server& server);
  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }
  void Reject(unsigned status, std::string_view reason);

 private:
  void Read();
  void OnRead(beast::error_code ec, std::size_t bytes);
  void Send(HttpResponse response, bool keep_alive);
  void OnWrite(bool close, beast::error_code ec, std::size_t bytes);
  void Close();

  beast::basic_stream<StreamProtocol> stream_;
  // The read deadline: a separate timer that cancels the read, so that a late client still
  // gets its 408 (the stream's own timeout would close the socket first).
  asio::steady_timer deadline_;
  bool timed_out_ = false;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http::response<http::string_body>> response_;
  Server& server_;
  std::string remote_;
  ConnectionSlot slot_;
  bool first_request_ = true;
};

// Whether late (asynchronous) responses may still be delivered: closed by Server::Stop, shared
// with the completions that outlive the server.
struct Gate {
  std::mutex mutex;
  bool open = true;
};

class Server final : public HttpServer {
 public:
  Server(const HttpServerOptions& options, HttpAsyncHandler handler, HttpErrorResponder responder)
      : options_(options),
        handler_(std::move(handler)),
        responder_(responder ? std::move(responder) : HttpErrorResponder(PlainError)),
        listener_(StreamListenerOptions{options_.threads, options_.max_connections, options_.warn},
                  [this](AcceptedConnection connection) { OnAccepted(std::move(connection)); }) {}

  ~Server() override { Stop(); }

  core::Status Listen() {
    if (options_.vsock_port != 0) {
      return listener_.Listen(ListenAddress::Vsock(options_.vsock_port));
    }
    auto address = ListenAddress::Tcp(options_.host, options_.port);
    if (!address) {
      return core::Fail(address.error());
    }
    return listener_.Listen(*address);
  }

  std::uint16_t Port() const noexcept override {
    return static_cast<std::uint16_t>(listener_.Port());
  }

  void Stop() override {
    {
      std::lock_guard lock(gate_->mutex);
      gate_->open = false;
    }
    listener_.Stop();
  }

  void Wait() override { listener_.Wait(); }

  const HttpServerOptions& Options() const { return options_; }
  void Handle(HttpRequest request, HttpRespond respond) const {
    handler_(std::move(request), std::move(respond));
  }
  const std::shared_ptr<Gate>& GateOf() const { return gate_; }
  HttpResponse Refuse(unsigned status, std::string_view reason) const {
    return responder_(status, reason);
  }

 private:
  void OnAccepted(AcceptedConnection connection) {
    auto session =
        std::make_shared<Session>(std::move(connection.socket), std::move(connection.slot), *this);
    if (connection.over_capacity) {
      session->Reject(503, "too many connections");  // answer without reading
    } else {
      session->Start();
    }
  }

  HttpServerOptions options_;
  HttpAsyncHandler handler_;
  std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();
  HttpErrorResponder responder_;
  // Last: its io_context (and the sessions in it) goes first.
  StreamListener listener_;
};

Session::Session(StreamSocket socket, ConnectionSlot slot, Server& server)
    : stream_(std::move(socket)),
      deadline_(stream_.get_executor()),
      server_(server),
      remote_(DescribePeer(stream_.socket())),
      slot_(std::move(slot)) {}

void Session::Reject(unsigned status, std::string_view reason) {
  asio::dispatch(stream_.get_executor(),
                 [self = shared_from_this(), status, text = std::string(reason)] {
                   self->Send(self->server_.Refuse(status, text), false);
                 });
}

void Session::Read() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(server_.Options().max_header_bytes));
  parser_->body_limit(server_.Options().max_body_bytes);
  // The first request must arrive within the request timeout; later ones may wait for the
  // idle timeout before they start, then get the request timeout too (a deadline on the
  // whole read is what stops slowloris clients).
  stream_.expires_never();
  timed_out_ = false;
  deadline_.expires_after(first_request_
                              ? server_.Options().request_timeout
                              : server_.Options().idle_timeout + server_.Options().request_timeout);
  deadline_.async_wait([weak = weak_from_this()](beast::error_code ec) {
    if (auto self = weak.lock(); self && !ec) {
      self->timed_out_ = true;
      beast::error_code ignored;
      self->stream_.socket().cancel(ignored);
    }
  });
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&Session::OnRead, shared_from_this()));
}

void Session::OnRead(beast::error_code ec, std::size_t /*bytes*/) {
  first_request_ = false;
  deadline_.cancel();
  if (timed_out_ && ec) {
    ec = beast::error::timeout;
  }
  if (ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
      ec == asio::error::eof) {
    return Close();
  }
  if (ec == beast::error::timeout) {
    // Only answer when part of a request arrived; an idle keep-alive connection just closes.
    if (parser_->got_some()) {
      return Send(server_.Refuse(408, "request timeout"), false);
    }
    return Close();
  }
  if (ec == http::error::body_limit) {
    return Send(server_.Refuse(413, "request body too large"), false);
  }
  if (ec == http::error::header_limit) {
    return Send(server_.Refuse(431, "request header fields too large"), false);
  }
  if (ec) {
    return Send(server_.Refuse(400, "malformed HTTP request"), false);
  }
  const http::request<http::string_body>& message = parser_->get();
  HttpRequest request;
  const beast::string_view method = message.method_string();
  const beast::string_view target = message.target();
  request.method = std::string(method.data(), method.size());
  request.target = std::string(target.data(), target.size());
  const std::size_t question = request.target.find('?');
  request.path = request.target.substr(0, question);
  request.query = question == std::string::npos ? "" : request.target.substr(question + 1);
  for (const auto& field : message) {
    const beast::string_view name = field.name_string();
    const beast::string_view value = field.value();
    request.headers.emplace_back(Lower(std::string_view(name.data(), name.size())),
                                 std::string(value.data(), value.size()));
  }
  request.body = message.body();
  request.remote = remote_;
  const bool keep_alive = message.keep_alive();
  // Bodies may carry secrets (a KMS Encrypt request's plaintext): wipe the parser's copy; the
  // handler owns (and wipes) the request's.
  OPENSSL_cleanse(parser_->get().body().data(), parser_->get().body().size());
  // Exactly one response per request, delivered on this session's strand (inline when the
  // handler answers at once, posted when it answers from another thread).
  auto responded = std::make_shared<std::atomic<bool>>(false);
  HttpRespond respond = [self = shared_from_this(), gate = server_.GateOf(), responded,
                         keep_alive](HttpResponse response) {
    if (responded->exchange(true)) {
      return;
    }
    std::lock_guard lock(gate->mutex);
    if (!gate->open) {
      return;
    }
    asio::dispatch(self->stream_.get_executor(),
                   [self, keep_alive, response = std::move(response)]() mutable {
                     self->Send(std::move(response), keep_alive);
                   });
  };
  try {
    server_.Handle(std::move(request), respond);
  } catch (const std::exception&) {
    HttpResponse response = server_.Refuse(500, "internal error");
    response.close = true;
    respond(std::move(response));
  }
}

void Session::Send(HttpResponse response, bool keep_alive) {
  auto message = std::make_shared<http::response<http::string_body>>();
  message->version(11);
  message->result(response.status);
  if (!server_.Options().server_name.empty()) {
    message->set(http::field::server, server_.Options().server_name);
  }
  message->set(http::field::content_type, response.content_type);
  for (auto& [name, value] : response.headers) {
    message->set(name, value);
  }
  message->body() = std::move(response.body);
  const bool close = response.close || !keep_alive;
  message->keep_alive(!close);
  message->prepare_payload();
  response_ = message;
  stream_.expires_after(server_.Options().request_timeout);
  http::async_write(stream_, *message,
                    beast::bind_front_handler(&Session::OnWrite, shared_from_this(), close));
}

void Session::OnWrite(bool close, beast::error_code ec, std::size_t /*bytes*/) {
  // Response bodies may carry secrets (a KMS Decrypt answer's plaintext).
  OPENSSL_cleanse(response_->body().data(), response_->body().size());
  response_.reset();
  if (ec || close) {
    return Close();
  }
  Read();
}

void Session::Close() {
  beast::error_code ignored;
  stream_.socket().shutdown(StreamSocket::shutdown_send, ignored);
}

}  // namespace

std::string_view HttpRequest::Header(std::string_view name) const noexcept {
  for (const auto& [key, value] : headers) {
    if (key == name) {
      return value;
    }
  }
  return {};
}

std::optional<std::string_view> HttpRequest::QueryParam(std::string_view name) const noexcept {
  std::string_view rest = query;
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    }
    if (amp == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

core::Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                            HttpHandler handler,
                                                            HttpErrorResponder error_responder) {
  return StartAsync(
      options,
      [handler = std::move(handler)](HttpRequest request, const HttpRespond& respond) {
        HttpResponse response = handler(request);
        OPENSSL_cleanse(request.body.data(), request.body.size());
        respond(std::move(response));
      },
      std::move(error_responder));
}

core::Result<std::unique_ptr<HttpServer>> HttpServer::StartAsync(
    const HttpServerOptions& options, HttpAsyncHandler handler,
    HttpErrorResponder error_responder) {
  auto server = std::make_unique<Server>(options, std::move(handler), std::move(error_responder));
  ENCLAVECTL_RETURN_IF_ERROR(server->Listen());
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace enclavectl::net
