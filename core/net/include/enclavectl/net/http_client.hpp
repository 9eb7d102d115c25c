// An HTTP/1.1 client over libcurl (adapter layer), for the KMS client, live attestation
// checks and fleet audits: HTTP and HTTPS only, TLS peer and host verification on (unless the
// caller says otherwise, by name), no redirects, connect and total timeouts, caps on the
// response body and headers, bodies held in wiped memory, proxies from the environment
// except for loopback and the instance metadata service. Several requests run concurrently
// on one libcurl multi handle.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"

namespace enclavectl::net {

struct HttpHeader {
  std::string name;
  std::string value;
};

struct HttpClientRequest {
  std::string method = "GET";  // GET, POST, PUT, ...
  std::string url;             // http:// or https://
  std::vector<HttpHeader> headers;
  core::SecretBytes body;  // may hold secrets: wiped when dropped
};

struct HttpClientResponse {
  long status = 0;  // NOLINT(google-runtime-int): libcurl's type
  std::vector<HttpHeader> headers;
  core::SecretBytes body;  // may hold secrets: wiped when dropped
  // HTTPS with HttpClientOptions::capture_peer_certificate: the server's leaf certificate
  // (DER) as seen on this connection; empty otherwise.
  core::Bytes peer_certificate;
  // The first header called `name` (ASCII case-insensitive), or nullopt.
  std::optional<std::string> Header(std::string_view name) const;
};

struct HttpClientOptions {
  std::int64_t connect_timeout_ms = 5000;
  std::int64_t timeout_ms = 30000;  // the whole exchange
  std::size_t max_response_bytes = std::size_t{1} << 20;
  // Skip TLS certificate and host name verification. Only for peers whose trust comes
  // from elsewhere (an attestation document); callers must report it.
  bool insecure_tls = false;
  std::string user_agent = "enclavectl";
  // Record the server's TLS leaf certificate (HttpClientResponse::peer_certificate), e.g. to
  // compare it with the certificate hash an attestation document binds.
  bool capture_peer_certificate = false;
  // At most this many requests in flight at once (FetchAll).
  std::size_t max_concurrency = 32;
  // FetchAll calls it on its own thread after each request finishes (progress lines).
  std::function<void(std::size_t done, std::size_t total)> on_progress;
};

// Sends one request. Any HTTP status is a success here; the caller judges it.
// Fails with kNetwork (connection, TLS, timeout), kInputTooLarge (body or headers over the
// caps), kInvalidArgument (a header value with a line break).
[[nodiscard]] core::Result<HttpClientResponse> Fetch(const HttpClientRequest& request,
                                                     const HttpClientOptions& options);

// Sends all requests concurrently (at most max_concurrency at a time); result i belongs to
// request i.
std::vector<core::Result<HttpClientResponse>> FetchAll(
    const std::vector<HttpClientRequest>& requests, const HttpClientOptions& options);

}  // namespace enclavectl::net
