#include "enclavectl/verifier/collect.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <span>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/verifier/introspector.hpp"
#include "enclavectl/verifier/live.hpp"

namespace enclavectl::verifier {
namespace {

using core::ErrorCode;

constexpr std::array<const char*, 4> kAllPaths = {"/enclave/attestation?nonce=", "/v1/info",
                                                  "/v1/enclave-info", "/v1/migration-status"};

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

HttpExchange Record(std::string path, const net::HttpClientResponse& response) {
  HttpExchange exchange;
  exchange.path = std::move(path);
  exchange.status = response.status;
  for (const net::HttpHeader& header : response.headers) {
    exchange.headers.emplace_back(header.name, header.value);
  }
  const core::ByteView body = response.body.View();
  exchange.body.assign(body.begin(), body.end());
  exchange.tls_certificate = response.peer_certificate;
  return exchange;
}

}  // namespace

core::Result<std::string> NormalizeServiceUrl(std::string_view url) {
  std::string_view rest;
  std::string scheme;
  if (StartsWith(url, "https://")) {
    scheme = "https://";
  } else if (StartsWith(url, "http://")) {
    scheme = "http://";
  } else {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "a service URL starts with http:// or https://: " + std::string(url));
  }
  rest = url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') {
    rest.remove_suffix(1);
  }
  if (rest.empty() || rest.find_first_of("/?#@ \t\r\n") != std::string_view::npos) {
    return core::Fail(
        ErrorCode::kInvalidArgument,
        "a service URL is scheme://host[:port] (no path, query or user): " + std::string(url));
  }
  return scheme + std::string(rest);
}

core::Result<std::vector<std::string>> ParseTargets(std::string_view text) {
  std::vector<std::string> out;
  int line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t end = text.find('\n');
    const std::string_view line =
        core::TrimWhitespace(text.substr(0, end == std::string_view::npos ? text.size() : end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty() || line.front() == '#') {
      continue;
    }
    auto url = NormalizeServiceUrl(line);
    if (!url) {
      return core::Fail(core::Error{
          ErrorCode::kTargetsInvalid,
          "line " + std::to_string(line_number) + ": " + url.error().detail, line_number});
    }
    if (out.size() == kMaxTargets) {
      return core::Fail(core::Error{ErrorCode::kTargetsInvalid,
                                    "more than " + std::to_string(kMaxTargets) + " targets",
                                    line_number});
    }
    out.push_back(std::move(*url));
  }
  if (out.empty()) {
    return core::Fail(ErrorCode::kTargetsInvalid, "the targets file lists no URL");
  }
  return out;
}

core::Result<std::vector<LineageTarget>> ParseLineageTargets(std::string_view text) {
  std::vector<LineageTarget> out;
  int line_number = 0;
  const auto invalid = [&line_number](const std::string& detail) {
    return core::Fail(core::Error{ErrorCode::kLineageInvalid,
                                  "line " + std::to_string(line_number) + ": " + detail,
                                  line_number});
  };
  while (!text.empty()) {
    ++line_number;
    const std::size_t end = text.find('\n');
    const std::string_view line =
        core::TrimWhitespace(text.substr(0, end == std::string_view::npos ? text.size() : end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty() || line.front() == '#') {
      continue;
    }
    const std::size_t space = line.find_first_of(" \t");
    if (space == std::string_view::npos) {
      return invalid("expected `URL pcr0=HEX`");
    }
    auto url = NormalizeServiceUrl(line.substr(0, space));
    if (!url) {
      return invalid(url.error().detail);
    }
    const std::string_view rest = core::TrimWhitespace(line.substr(space));
    constexpr std::string_view kPrefix = "pcr0=";
    if (rest.substr(0, kPrefix.size()) != kPrefix) {
      return invalid("expected pcr0=HEX after the URL");
    }
    std::string pcr0(rest.substr(kPrefix.size()));
    std::transform(pcr0.begin(), pcr0.end(), pcr0.begin(), [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    if (!IsPcr0HexText(pcr0)) {
      return invalid("pcr0 is not 96 hex digits");
    }
    if (out.size() == kMaxTargets) {
      return invalid("more than " + std::to_string(kMaxTargets) + " versions");
    }
    out.push_back(LineageTarget{std::move(*url), std::move(pcr0), line_number});
  }
  if (out.empty()) {
    return core::Fail(ErrorCode::kLineageInvalid, "the lineage targets file lists no version");
  }
  return out;
}

net::HttpClientOptions LiveHttpOptions(double timeout_seconds, bool insecure_tls,
                                       std::size_t max_concurrency) {
  constexpr std::size_t kMaxLiveResponseBytes = std::size_t{256} * 1024;
  net::HttpClientOptions http;
  http.timeout_ms = static_cast<std::int64_t>(timeout_seconds * 1000);
  http.connect_timeout_ms = std::min<std::int64_t>(http.timeout_ms, 5000);
  http.insecure_tls = insecure_tls;
  http.max_response_bytes = kMaxLiveResponseBytes;
  http.max_concurrency = max_concurrency;
  http.user_agent = "enclavectl-verify";
  return http;
}

std::vector<core::Result<Evidence>> CollectEvidence(const std::vector<std::string>& base_urls,
                                                    const net::HttpClientOptions& options,
                                                    const core::io::Clock& clock,
                                                    bool with_migration_status) {
  const std::span<const char* const> paths(kAllPaths.data(), with_migration_status ? 4 : 3);
  std::vector<Evidence> visits(base_urls.size());
  std::vector<net::HttpClientRequest> requests;
  requests.reserve(base_urls.size() * paths.size());
  for (std::size_t i = 0; i < base_urls.size(); ++i) {
    Evidence& visit = visits[i];
    visit.url = base_urls[i];
    visit.nonce.resize(kLiveNonceBytes);
    if (RAND_bytes(visit.nonce.data(), static_cast<int>(visit.nonce.size())) != 1) {
      visit.nonce.clear();  // reported per target below
    }
    for (const char* path : paths) {
      net::HttpClientRequest request;
      std::string target = path;
      if (target.back() == '=') {
        target += core::HexEncode(visit.nonce);
      }
      request.url = visit.url + target;
      requests.push_back(std::move(request));
    }
  }
  net::HttpClientOptions http = options;
  http.capture_peer_certificate = true;  // for the TLS binding check (tlsKeyHash)
  std::vector<core::Result<net::HttpClientResponse>> responses = net::FetchAll(requests, http);
  const core::UnixMillis now = clock.Now();
  std::vector<core::Result<Evidence>> out;
  out.reserve(base_urls.size());
  for (std::size_t i = 0; i < base_urls.size(); ++i) {
    Evidence& visit = visits[i];
    if (visit.nonce.empty()) {
      out.emplace_back(core::Fail(ErrorCode::kInternal, "no randomness for a nonce"));
      continue;
    }
    visit.captured_at = now;
    std::optional<core::Error> failure;
    if (with_migration_status) {
      visit.migration_status.emplace();
    }
    std::array<HttpExchange*, 4> slots = {
        &visit.attestation, &visit.info, &visit.enclave_info,
        visit.migration_status ? &*visit.migration_status : nullptr};
    for (std::size_t j = 0; j < paths.size(); ++j) {
      const auto& response = responses[i * paths.size() + j];
      const std::string path = requests[i * paths.size() + j].url.substr(visit.url.size());
      if (!response) {
        core::Error error = response.error();
        error.detail = "GET " + visit.url + path + ": " + error.detail;
        failure = std::move(error);
        break;
      }
      *slots.at(j) = Record(path, *response);
    }
    if (failure) {
      out.emplace_back(core::Fail(std::move(*failure)));
    } else {
      out.emplace_back(std::move(visit));
    }
  }
  return out;
}

}  // namespace enclavectl::verifier
