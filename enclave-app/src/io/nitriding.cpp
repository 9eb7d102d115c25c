#include "enclavectl/app/nitriding.hpp"

#include <string>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/net/http_client.hpp"

namespace enclavectl::app {
namespace {

using core::ErrorCode;
using core::Fail;

constexpr std::size_t kMaxNitridingAnswerBytes = 4096;

net::HttpClientOptions NitridingHttp() {
  net::HttpClientOptions options;
  options.connect_timeout_ms = 2000;
  options.timeout_ms = 5000;
  options.max_response_bytes = kMaxNitridingAnswerBytes;
  options.user_agent = "enclavectl-enclave-app";
  return options;
}

std::string Excerpt(const net::HttpClientResponse& response) {
  std::string text(core::AsChars(response.body.View()));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  return core::SafeExcerpt(text, 120);
}

}  // namespace

std::string NitridingHashBody(const core::Sha256Digest& app_key_hash) {
  // migration.md 3.4 / nitriding handlers.go: base64std(H), 44 characters, no newline.
  return core::Base64Encode(app_key_hash);
}

core::Result<std::string> ParseNitridingUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  const auto bad = [&url](const std::string& why) {
    return Fail(ErrorCode::kInvalidArgument,
                "--nitriding-url " + core::SafeExcerpt(url, 80) + ": " + why +
                    " (nitriding's internal API, e.g. http://127.0.0.1:8080)");
  };
  if (url.substr(0, kScheme.size()) != kScheme) {
    return bad("must start with http://");
  }
  std::string rest(url.substr(kScheme.size()));
  if (!rest.empty() && rest.back() == '/') {
    rest.pop_back();
  }
  if (rest.find('/') != std::string::npos || rest.find('?') != std::string::npos ||
      rest.find('@') != std::string::npos) {
    return bad("only scheme, host and port");
  }
  const std::size_t colon = rest.rfind(':');
  if (colon == std::string::npos) {
    return bad("needs a port");
  }
  const std::string host = rest.substr(0, colon);
  const std::string port = rest.substr(colon + 1);
  if (host != "127.0.0.1" && host != "localhost" && host != "[::1]") {
    return bad("the host must be loopback (nitriding's internal listener)");
  }
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) == 0 ||
      std::stoul(port) > 65535) {
    return bad("not a port");
  }
  return std::string(kScheme) + rest;
}

core::Status RegisterAppKeyHash(const std::string& base_url,
                                const core::Sha256Digest& app_key_hash) {
  net::HttpClientRequest request;
  request.method = "POST";
  request.url = base_url + "/enclave/hash";
  request.headers.push_back({"Content-Type", "text/plain"});
  const std::string body = NitridingHashBody(app_key_hash);
  request.body = core::SecretBytes(core::AsBytes(body));
  auto response = net::Fetch(request, NitridingHttp());
  if (!response) {
    return Fail(ErrorCode::kNitridingRegistrationFailed,
                "POST /enclave/hash: " + response.error().detail);
  }
  if (response->status != 200) {
    return Fail(ErrorCode::kNitridingRegistrationFailed, "POST /enclave/hash answered " +
                                                             std::to_string(response->status) +
                                                             " (" + Excerpt(*response) + ")");
  }
  return core::Ok();
}

core::Result<NitridingReady> SignalNitridingReady(const std::string& base_url) {
  net::HttpClientRequest request;
  request.url = base_url + "/enclave/ready";
  auto response = net::Fetch(request, NitridingHttp());
  if (!response) {
    return Fail(ErrorCode::kNitridingRegistrationFailed,
                "GET /enclave/ready: " + response.error().detail);
  }
  switch (response->status) {
    case 200:
      return NitridingReady::kReady;
    case 410:
      return NitridingReady::kAlreadyReady;
    case 404:
      return NitridingReady::kNotWaiting;
    default:
      return Fail(ErrorCode::kNitridingRegistrationFailed, "GET /enclave/ready answered " +
                                                               std::to_string(response->status) +
                                                               " (" + Excerpt(*response) + ")");
  }
}

}  // namespace enclavectl::app
