// HttpTransport over libcurl: HTTP and HTTPS only, TLS peer and host verification on, no
// redirects, connect and total timeouts, a response size cap, proxies from the environment
// except for loopback and the instance metadata service.
#pragma once

#include <string>

#include "enclavectl/aws/http.hpp"

namespace enclavectl::aws {

class CurlTransport final : public HttpTransport {
 public:
  // `user_agent` is sent (never signed: proxies may rewrite it).
  explicit CurlTransport(std::string user_agent = "enclavectl");
  [[nodiscard]] core::Result<HttpResponse> Send(const HttpRequest& request,
                                                const HttpOptions& options) override;

 private:
  std::string user_agent_;
};

}  // namespace enclavectl::aws
