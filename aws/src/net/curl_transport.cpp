// The KMS client's transport: the shared libcurl client of core/net.
#include "enclavectl/aws/curl_transport.hpp"

#include <utility>

#include "enclavectl/core/ascii.hpp"
#include "enclavectl/net/http_client.hpp"

namespace enclavectl::aws {

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const HttpHeader& header : headers) {
    if (core::ascii::EqualsIgnoreCase(header.name, name)) {
      return header.value;
    }
  }
  return std::nullopt;
}

CurlTransport::CurlTransport(std::string user_agent) : user_agent_(std::move(user_agent)) {}

core::Result<HttpResponse> CurlTransport::Send(const HttpRequest& request,
                                               const HttpOptions& options) {
  enclavectl::net::HttpClientRequest out;
  out.method = request.method;
  out.url = request.url;
  for (const HttpHeader& header : request.headers) {
    out.headers.push_back({header.name, header.value});
  }
  out.body = core::SecretBytes(request.body.View());
  enclavectl::net::HttpClientOptions client_options;
  client_options.connect_timeout_ms = options.connect_timeout_ms;
  client_options.timeout_ms = options.timeout_ms;
  client_options.max_response_bytes = options.max_response_bytes;
  client_options.user_agent = user_agent_;
  auto fetched = enclavectl::net::Fetch(out, client_options);
  if (!fetched) {
    return core::Fail(fetched.error());
  }
  HttpResponse response;
  response.status = fetched->status;
  for (auto& header : fetched->headers) {
    response.headers.push_back(HttpHeader{std::move(header.name), std::move(header.value)});
  }
  response.body = std::move(fetched->body);
  return response;
}

}  // namespace enclavectl::aws
