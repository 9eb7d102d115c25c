#include "enclavectl/net/http_client.hpp"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <utility>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/limits.hpp"

namespace enclavectl::net {
namespace {

using core::ErrorCode;
using core::Fail;

// Hosts that never go through a proxy: loopback (local KMS, tests, local enclaves) and the
// EC2 instance metadata service (credentials must not leave the instance).
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
    sink->headers.clear();  // a new response (after 100 Continue): drop the previous headers
    return len;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
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

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One request in flight: its easy handle and everything the callbacks write to.
class Exchange {
 public:
  Exchange(const HttpClientRequest& request, const HttpClientOptions& options)
      : request_(request), options_(options), body_(options.max_response_bytes) {}

  // Sets the handle up; fails with kInvalidArgument or kInternal.
  core::Status Prepare() {
    curl_.reset(curl_easy_init());
    if (!curl_) {
      return Fail(ErrorCode::kInternal, "libcurl could not create a handle");
    }
    bool ok = AddHeader("Expect:") && AddHeader("Accept:");
    for (const HttpHeader& header : request_.headers) {
      if (header.value.find_first_of("\r\n") != std::string::npos) {
        return Fail(ErrorCode::kInvalidArgument, "header " + header.name + " has a line break");
      }
      ok = ok && AddHeader(header.name + ": " + header.value);
    }
    no_proxy_ = NoProxyList();
    CURL* h = curl_.get();
    const long verify = options_.insecure_tls ? 0L : 1L;       // NOLINT(google-runtime-int)
    const long verify_host = options_.insecure_tls ? 0L : 2L;  // NOLINT(google-runtime-int)
    ok = ok && curl_easy_setopt(h, CURLOPT_URL, request_.url.c_str()) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_text_.data()) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                          static_cast<long>(options_.connect_timeout_ms)) == CURLE_OK &&  // NOLINT
         curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                          static_cast<long>(options_.timeout_ms)) ==  // NOLINT
             CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, verify) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, verify_host) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_NOPROXY, no_proxy_.c_str()) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str()) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers_.get()) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_WRITEDATA, &body_) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_HEADERDATA, &header_sink_) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_CERTINFO, options_.capture_peer_certificate ? 1L : 0L) ==
             CURLE_OK;
    if (ok && request_.method == "GET") {
      ok = curl_easy_setopt(h, CURLOPT_HTTPGET, 1L) == CURLE_OK;
    } else if (ok) {
      const char* body_data =
          request_.body.empty()
              ? ""
              : reinterpret_cast<const char*>(request_.body.View().data());  // NOLINT
      ok = curl_easy_setopt(h, CURLOPT_POSTFIELDS, body_data) == CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                            static_cast<curl_off_t>(request_.body.size())) == CURLE_OK &&
           (request_.method == "POST" ||
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request_.method.c_str()) == CURLE_OK);
    }
    if (!ok) {
      return Fail(ErrorCode::kInternal, "libcurl rejected an option");
    }
    return core::Ok();
  }

  CURL* Handle() const noexcept { return curl_.get(); }

  core::Result<HttpClientResponse> Finish(CURLcode result) {
    if (body_.exceeded()) {
      return Fail(ErrorCode::kInputTooLarge,
                  "the response from " + request_.url + " is larger than " +
                      std::to_string(options_.max_response_bytes) + " bytes");
    }
    if (header_sink_.exceeded) {
      return Fail(ErrorCode::kInputTooLarge,
                  "the response headers from " + request_.url + " are too large");
    }
    if (result != CURLE_OK) {
      const std::string reason =
          error_text_[0] != '\0' ? error_text_.data() : curl_easy_strerror(result);
      return Fail(ErrorCode::kNetwork, request_.method + " " + request_.url + ": " + reason);
    }
    HttpClientResponse response;
    curl_easy_getinfo(curl_.get(), CURLINFO_RESPONSE_CODE, &response.status);
    response.headers = std::move(header_sink_.headers);
    response.body = body_.Take();
    if (options_.capture_peer_certificate) {
      response.peer_certificate = PeerCertificate();
    }
    return response;
  }

 private:
  // The leaf of the chain libcurl recorded for this transfer's TLS connection (its "Cert:"
  // field, PEM), as DER; empty for plain HTTP or when libcurl has none.
  core::Bytes PeerCertificate() const {
    curl_certinfo* info = nullptr;
    if (curl_easy_getinfo(curl_.get(), CURLINFO_CERTINFO, &info) != CURLE_OK || info == nullptr ||
        info->num_of_certs < 1) {
      return {};
    }
    constexpr std::string_view kField = "Cert:";
    for (const curl_slist* item = info->certinfo[0]; item != nullptr; item = item->next) {
      const std::string_view entry(item->data);
      if (entry.substr(0, kField.size()) != kField) {
        continue;
      }
      const std::string_view pem = entry.substr(kField.size());
      core::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
      core::X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
      if (!cert) {
        return {};
      }
      const int len = i2d_X509(cert.get(), nullptr);
      if (len <= 0) {
        return {};
      }
      core::Bytes der(static_cast<std::size_t>(len));
      unsigned char* out = der.data();
      return i2d_X509(cert.get(), &out) == len ? der : core::Bytes{};
    }
    return {};
  }

  bool AddHeader(const std::string& line) {
    curl_slist* next = curl_slist_append(headers_.get(), line.c_str());
    if (next == nullptr) {
      return false;
    }
    static_cast<void>(headers_.release());
    headers_.reset(next);
    return true;
  }

  const HttpClientRequest& request_;
  const HttpClientOptions& options_;
  core::CurlPtr curl_;
  core::CurlSlistPtr headers_;
  std::string no_proxy_;
  std::array<char, CURL_ERROR_SIZE> error_text_{};
  WipingBuffer body_;
  HeaderSink header_sink_;
};

}  // namespace

std::optional<std::string> HttpClientResponse::Header(std::string_view name) const {
  for (const HttpHeader& header : headers) {
    if (core::EqualsIgnoreCase(header.name, name)) {
      return header.value;
    }
  }
  return std::nullopt;
}

core::Result<HttpClientResponse> Fetch(const HttpClientRequest& request,
                                       const HttpClientOptions& options) {
  GlobalInit();
  Exchange exchange(request, options);
  ENCLAVECTL_RETURN_IF_ERROR(exchange.Prepare());
  return exchange.Finish(curl_easy_perform(exchange.Handle()));
}

std::vector<core::Result<HttpClientResponse>> FetchAll(
    const std::vector<HttpClientRequest>& requests, const HttpClientOptions& options) {
  GlobalInit();
  std::vector<core::Result<HttpClientResponse>> results;
  results.reserve(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    results.emplace_back(core::Fail(ErrorCode::kInternal, "not sent"));
  }
  std::vector<std::unique_ptr<Exchange>> exchanges(requests.size());
  std::unique_ptr<CURLM, decltype(&curl_multi_cleanup)> multi(curl_multi_init(),
                                                              &curl_multi_cleanup);
  if (!multi) {
    return results;
  }
  std::size_t next = 0;
  std::size_t running = 0;
  std::size_t finished = 0;
  auto start_more = [&] {
    while (next < requests.size() && running < std::max<std::size_t>(options.max_concurrency, 1)) {
      const std::size_t i = next++;
      exchanges[i] = std::make_unique<Exchange>(requests[i], options);
      if (auto prepared = exchanges[i]->Prepare(); !prepared) {
        results[i] = core::Fail(prepared.error());
        exchanges[i].reset();
        continue;
      }
      curl_easy_setopt(exchanges[i]->Handle(), CURLOPT_PRIVATE,
                       reinterpret_cast<char*>(i));  // NOLINT
      curl_multi_add_handle(multi.get(), exchanges[i]->Handle());
      ++running;
    }
  };
  start_more();
  while (running > 0) {
    int still_running = 0;
    if (curl_multi_perform(multi.get(), &still_running) != CURLM_OK) {
      break;
    }
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi.get(), &queued)) {
      if (message->msg != CURLMSG_DONE) {
        continue;
      }
      char* private_data = nullptr;
      curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &private_data);
      const auto i = reinterpret_cast<std::size_t>(private_data);  // NOLINT
      curl_multi_remove_handle(multi.get(), message->easy_handle);
      results[i] = exchanges[i]->Finish(message->data.result);
      exchanges[i].reset();
      --running;
      ++finished;
      if (options.on_progress) {
        options.on_progress(finished, requests.size());
      }
    }
    start_more();
    if (running > 0) {
      curl_multi_poll(multi.get(), nullptr, 0, 100, nullptr);
    }
  }
  for (std::size_t i = 0; i < exchanges.size(); ++i) {
    if (exchanges[i]) {
      curl_multi_remove_handle(multi.get(), exchanges[i]->Handle());
      results[i] = core::Fail(ErrorCode::kNetwork, "libcurl multi failed for " + requests[i].url);
    }
  }
  return results;
}

}  // namespace enclavectl::net
