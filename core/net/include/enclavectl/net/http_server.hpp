// An HTTP/1.1 server for enclavectl's services (the key service, the local KMS): Boost.Beast
// on Asio, asynchronous, one I/O thread per core, keep-alive, hard limits on header and
// body sizes, per-request deadlines (slow clients are cut off), a connection cap.
//
// The handler runs on an I/O thread and must not block for long; a handler that has slow work
// (a KMS call) takes the asynchronous form, hands the work to its own thread and answers
// through the completion, while the I/O threads serve other connections. Requests the server
// refuses itself (malformed, too large, too slow) never reach the handler; their responses
// come from the error responder, so the service controls their body and headers.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "enclavectl/core/result.hpp"

namespace enclavectl::net {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: "/v1/sign?x=1"
  std::string path;    // target up to '?'
  std::string query;   // after '?', without it
  // Header names in lower case, in arrival order (repeated headers repeat).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote;  // "127.0.0.1:53412"

  // The first header named `name` (lower case), or empty.
  std::string_view Header(std::string_view name) const noexcept;
  // The value of query parameter `name` (not percent-decoded), or nullopt.
  std::optional<std::string_view> QueryParam(std::string_view name) const noexcept;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool close = false;  // close the connection after this response
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
// Called exactly once with the response, from any thread. After HttpServer::Stop a late call
// is dropped (the connection is closed without an answer).
using HttpRespond = std::function<void(HttpResponse)>;
// The asynchronous form: the request is the handler's (wipe secrets in its body when done);
// `respond` may be called before the handler returns or later from another thread.
using HttpAsyncHandler = std::function<void(HttpRequest request, HttpRespond respond)>;
// Builds the response for a request the server refused: 400 malformed, 408 too slow,
// 413 body too large, 431 headers too large, 503 too many connections.
using HttpErrorResponder = std::function<HttpResponse(unsigned status, std::string_view reason)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port (see HttpServer::Port)
  // Non-zero: listen on AF_VSOCK (any CID) on this port instead of TCP host:port.
  std::uint32_t vsock_port = 0;
  std::size_t threads = 0;  // 0: one per core
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_body_bytes = 64 * 1024;
  // A whole request (headers and body) must arrive within this time once it starts.
  std::chrono::milliseconds request_timeout{10000};
  // An idle keep-alive connection is closed after this time.
  std::chrono::milliseconds idle_timeout{30000};
  // Open connections at most (more are answered 503 and closed). Keep it within the
  // process's open-file limit (fd_limit.hpp); when accept() runs out of descriptors anyway,
  // the server pauses accepting (accept_loop.hpp).
  std::size_t max_connections = 4096;
  // The Server header, if any.
  std::string server_name;
  // Told (one line, may be empty) when accepting pauses for lack of descriptors or memory.
  std::function<void(const std::string&)> warn;
};

class HttpServer {
 public:
  // Binds, listens and starts the I/O threads. Fails with kListenFailed when the address
  // cannot be bound. `error_responder` may be empty (plain-text errors).
  [[nodiscard]] static core::Result<std::unique_ptr<HttpServer>> Start(
      const HttpServerOptions& options, HttpHandler handler,
      HttpErrorResponder error_responder = {});
  [[nodiscard]] static core::Result<std::unique_ptr<HttpServer>> StartAsync(
      const HttpServerOptions& options, HttpAsyncHandler handler,
      HttpErrorResponder error_responder = {});

  virtual ~HttpServer() = default;
  // The bound port (useful with port 0).
  virtual std::uint16_t Port() const noexcept = 0;
  // Stops serving, joins the threads and closes the listening socket (new connections are
  // refused); open connections are closed when the server is destroyed. Idempotent.
  virtual void Stop() = 0;
  // Blocks until Stop() is called from another thread or a signal handler's thread.
  virtual void Wait() = 0;
};

}  // namespace enclavectl::net
