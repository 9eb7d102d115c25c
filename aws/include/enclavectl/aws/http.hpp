// The HTTP transport interface of the KMS client and the credential chain (adapter layer):
// one real implementation (libcurl, curl_transport.hpp) and fakes in the tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "enclavectl/aws/sigv4.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"

namespace enclavectl::aws {

struct HttpRequest {
  std::string method;  // "POST", "GET", "PUT"
  std::string url;     // "https://kms.us-east-1.amazonaws.com/"
  std::vector<HttpHeader> headers;
  core::SecretBytes body;  // request bodies may carry secrets (Encrypt): wiped after use
};

struct HttpResponse {
  long status = 0;
  std::vector<HttpHeader> headers;
  core::SecretBytes body;  // responses may carry secrets (Decrypt): wiped when dropped
  // The first header called `name` (case-insensitive), or nullopt.
  std::optional<std::string> Header(std::string_view name) const;
};

struct HttpOptions {
  std::int64_t connect_timeout_ms = 5000;
  std::int64_t timeout_ms = 30000;  // the whole exchange
  std::size_t max_response_bytes = core::limits::kMaxKmsResponseBytes;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Sends one request (no redirects, no retries). Any HTTP status is a success here; the
  // caller judges it. Fails with kNetwork (connection, TLS, timeout) or kInputTooLarge (the
  // response exceeds options.max_response_bytes).
  [[nodiscard]] virtual core::Result<HttpResponse> Send(const HttpRequest& request,
                                                        const HttpOptions& options) = 0;
};

}  // namespace enclavectl::aws
