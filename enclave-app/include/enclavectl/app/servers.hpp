// The key service's listeners (adapters): HTTP through enclavectl_net's server, and a
// newline-delimited JSON server for the wallet protocol over AF_VSOCK (or TCP: the protocol
// handler is transport-independent, which is how it is tested on machines that cannot
// connect over vsock loopback). Both run on net::StreamListener (bind, accept loop with its
// out-of-descriptors pause, connection cap, I/O threads, stop); only the line protocol's
// session is here.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "enclavectl/app/metrics.hpp"
#include "enclavectl/app/service.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/net/http_server.hpp"

namespace enclavectl::app {

// The service behind enclavectl_net's HTTP server: requests go to KeyService::Handle, the
// server's own refusals (400, 408, 413, 431, 503) to KeyService::Refuse, so every response
// is a signed JSON error or answer. `options` limits default to the service's
// (limits::kMaxAppRequestBodyBytes, kMaxAppRequestHeaderBytes). Fails with kListenFailed.
// With `metrics` (enclave-app --metrics; it outlives the server): GET /metrics answers the
// Prometheus text exposition (unsigned, like no other route), and every request is counted by
// route, method and status.
[[nodiscard]] core::Result<std::unique_ptr<net::HttpServer>> StartHttpApi(
    net::HttpServerOptions options, KeyService& service, AppMetrics* metrics = nullptr);

struct LineServerOptions {
  std::size_t max_line_bytes = core::limits::kMaxWalletLineBytes;
  // A whole line must arrive within this time once it starts; an idle connection is closed
  // after idle_timeout.
  std::chrono::milliseconds request_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000};
  // Open connections at most (more are refused with kAppOverloaded); see
  // net::HttpServerOptions::max_connections about the open-file limit.
  std::size_t max_connections = 256;
  std::size_t threads = 1;
  // Told (one line, may be empty) when accepting pauses for lack of descriptors or memory.
  std::function<void(const std::string&)> warn;
};

// Answers one request line (without its newline) with one line (without a newline).
using LineHandler = std::function<std::string(std::string_view line)>;
// The answer to a line the server refuses itself: too long (kInputTooLarge), too slow
// (kAppRequestTimeout), too many connections (kAppOverloaded).
using LineRefuser = std::function<std::string(core::ErrorCode code, std::string_view reason)>;

// One JSON request per line, one answer per line, any number of requests per connection; a
// last request without a newline is answered when the peer shuts down its sending side.
class LineServer {
 public:
  // Listens on TCP `host`:`port` (0: any free port). Fails with kListenFailed.
  [[nodiscard]] static core::Result<std::unique_ptr<LineServer>> ListenTcp(
      const std::string& host, std::uint16_t port, const LineServerOptions& options,
      LineHandler handler, LineRefuser refuser);
  // Listens on AF_VSOCK, any CID (VMADDR_CID_ANY), `port`. Fails with kListenFailed (also
  // when the kernel has no vsock support).
  [[nodiscard]] static core::Result<std::unique_ptr<LineServer>> ListenVsock(
      std::uint32_t port, const LineServerOptions& options, LineHandler handler,
      LineRefuser refuser);

  virtual ~LineServer() = default;
  // The bound port (TCP or vsock).
  virtual std::uint32_t Port() const noexcept = 0;
  // Stops accepting, closes connections, joins the threads. Idempotent.
  virtual void Stop() = 0;
};

}  // namespace enclavectl::app
