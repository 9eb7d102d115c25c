#include "enclavectl/kmspolicy/net/curl_transport.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <utility>

#include <openssl/crypto.h>

#include "ascii.hpp"
#include "enclavectl/core/handles.hpp"

namespace enclavectl::kmspolicy::net {
namespace {

using core::ErrorCode;
using core::Fail;

// Hosts that never go through a proxy: loopback (local KMS, tests) and the EC2 instance
// metadata service (credentials must not leave the instance).
constexpr const char* kNoProxyHosts = "127.0.0.1,localhost,::1,169.254.169.254,fd00:ec2::254";

// A growing byte buffer that wipes every block it gives up (response bodies may hold
// secrets) and refuses to grow past `limit`.
class WipingBuffer {
 public:
  explicit WipingBuffer(std::size_t limit) : limit_(limit) {}
  ~WipingBuffer() { Wipe(); }
  WipingBuffer(const WipingBuffer&) = delete;
  WipingBuffer& operator=(const WipingBuffer&) = delete;

  bool Append(const char* data, std::size_t len) {
    if (len > limit_ - size_) {
      exceeded_ = true;
      return false;
    }
    if (size_ + len > bytes_.size()) {
      core::Bytes bigger(std::min(limit_, std::max<std::size_t>(2 * bytes_.size(), size_ + len)));
      std::copy_n(bytes_.begin(), size_, bigger.begin());
      Wipe();
      bytes_ = std::move(bigger);
    }
    std::copy_n(data, len, bytes_.begin() + static_cast<std::ptrdiff_t>(size_));
    size_ += len;
    return true;
  }
  core::SecretBytes Take() {
    core::SecretBytes out(core::ByteView(bytes_).first(size_));
    Wipe();
    bytes_.clear();
    size_ = 0;
    return out;
  }
  bool exceeded() const noexcept { return exceeded_; }

 private:
  void Wipe() noexcept {
    if (!bytes_.empty()) {
      OPENSSL_cleanse(bytes_.data(), bytes_.size());
    }
  }
  std::size_t limit_;
  std::size_t size_ = 0;
  bool exceeded_ = false;
  core::Bytes bytes_;
};

struct HeaderSink {
  std::vector<HttpHeader> headers;
  std::size_t total = 0;
  bool exceeded = false;
};

std::size_t OnBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* buffer = static_cast<WipingBuffer*>(user);
  const std::size_t len = size * count;
  return buffer->Append(data, len) ? len : 0;
}

std::size_t OnHeader(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<HeaderSink*>(user);
  const std::size_t len = size * count;
  sink->total += len;
  if (sink->total > core::limits::kMaxHttpHeaderBytes) {
    sink->exceeded = true;
    return 0;
  }
  std::string_view line(data, len);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  if (line.substr(0, 5) == "HTTP/") {
    sink->headers.clear();  // a new response (after 100 Continue): start over
    return len;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return len;
  }
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
    value.remove_prefix(1);
  }
  sink->headers.push_back(HttpHeader{std::string(line.substr(0, colon)), std::string(value)});
  return len;
}

std::string NoProxyList() {
  std::string out = kNoProxyHosts;
  for (const char* name : {"NO_PROXY", "no_proxy"}) {
    const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe)
    if (value != nullptr && *value != '\0') {
      out += ",";
      out += value;
      break;
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const HttpHeader& header : headers) {
    if (ascii::EqualsIgnoreCase(header.name, name)) {
      return header.value;
    }
  }
  return std::nullopt;
}

CurlTransport::CurlTransport(std::string user_agent) : user_agent_(std::move(user_agent)) {}

core::Result<HttpResponse> CurlTransport::Send(const HttpRequest& request,
                                               const HttpOptions& options) {
  core::CurlPtr curl(curl_easy_init());
  if (!curl) {
    return Fail(ErrorCode::kInternal, "libcurl could not create a handle");
  }
  CURL* h = curl.get();
  std::array<char, CURL_ERROR_SIZE> error_text{};
  WipingBuffer body(options.max_response_bytes);
  HeaderSink header_sink;

  core::CurlSlistPtr headers;
  auto add_header = [&headers](const std::string& line) {
    curl_slist* next = curl_slist_append(headers.get(), line.c_str());
    if (next == nullptr) {
      return false;
    }
    static_cast<void>(headers.release());
    headers.reset(next);
    return true;
  };
  bool headers_ok = add_header("Expect:") && add_header("Accept:");
  for (const HttpHeader& header : request.headers) {
    if (header.value.find_first_of("\r\n") != std::string::npos) {
      return Fail(ErrorCode::kInvalidArgument, "header " + header.name + " has a line break");
    }
    headers_ok = headers_ok && add_header(header.name + ": " + header.value);
  }
  const std::string no_proxy = NoProxyList();
  const char* body_data = request.body.empty()
                              ? ""
                              : reinterpret_cast<const char*>(request.body.View().data());  // NOLINT
  bool ok = headers_ok &&
            curl_easy_setopt(h, CURLOPT_URL, request.url.c_str()) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_text.data()) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                             static_cast<long>(options.connect_timeout_ms)) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout_ms)) ==
                CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_NOPROXY, no_proxy.c_str()) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent_.c_str()) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get()) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_WRITEDATA, &body) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_HEADERDATA, &header_sink) == CURLE_OK;
  if (ok && request.method == "GET") {
    ok = curl_easy_setopt(h, CURLOPT_HTTPGET, 1L) == CURLE_OK;
  } else if (ok) {
    ok = curl_easy_setopt(h, CURLOPT_POSTFIELDS, body_data) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                          static_cast<curl_off_t>(request.body.size())) == CURLE_OK &&
         (request.method == "POST" ||
          curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str()) == CURLE_OK);
  }
  if (!ok) {
    return Fail(ErrorCode::kInternal, "libcurl rejected an option");
  }
  const CURLcode result = curl_easy_perform(h);
  if (body.exceeded()) {
    return Fail(ErrorCode::kInputTooLarge,
                "the response from " + request.url + " is larger than " +
                    std::to_string(options.max_response_bytes) + " bytes");
  }
  if (header_sink.exceeded) {
    return Fail(ErrorCode::kInputTooLarge,
                "the response headers from " + request.url + " are too large");
  }
  if (result != CURLE_OK) {
    const std::string reason = error_text[0] != '\0' ? error_text.data() : curl_easy_strerror(result);
    return Fail(ErrorCode::kNetwork, request.method + " " + request.url + ": " + reason);
  }
  HttpResponse response;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  response.headers = std::move(header_sink.headers);
  response.body = body.Take();
  return response;
}

}  // namespace enclavectl::kmspolicy::net
