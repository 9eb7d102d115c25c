#include "enclavectl/aws/aws_json_client.hpp"

#include <algorithm>

#include "enclavectl/core/ascii.hpp"

namespace enclavectl::aws {
namespace {

using core::ErrorCode;
using core::Fail;

bool ValidRegion(std::string_view region) {
  // us-east-1, eu-central-2, us-gov-west-1, cn-north-1, il-central-1 ...
  if (region.empty() || region.size() > 32 || region.front() == '-' || region.back() == '-') {
    return false;
  }
  return std::all_of(
             region.begin(), region.end(),
             [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }) &&
         region.find('-') != std::string_view::npos;
}

core::Result<AwsEndpoint> ParseEndpointUrl(std::string_view url, std::string_view region,
                                           const std::string& origin) {
  const bool https = url.substr(0, 8) == "https://";
  const bool http = url.substr(0, 7) == "http://";
  if (!https && !http) {
    return Fail(ErrorCode::kInvalidArgument, origin + " must start with http:// or https://");
  }
  std::string_view rest = url.substr(https ? 8 : 7);
  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  const std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (authority.empty() || authority.find_first_of("@?# ") != std::string_view::npos ||
      (!path.empty() && path != "/")) {
    return Fail(ErrorCode::kInvalidArgument,
                origin + " must be scheme://host[:port] with no path, query or user info");
  }
  std::string host = core::ascii::Lower(authority);
  // Leave out the scheme's default port: the Host header clients send (and sign) omits it.
  const std::string default_port = https ? ":443" : ":80";
  if (host.size() > default_port.size() &&
      host.compare(host.size() - default_port.size(), default_port.size(), default_port) == 0) {
    host.resize(host.size() - default_port.size());
  }
  return AwsEndpoint{std::string(https ? "https://" : "http://") + host + "/", host,
                     std::string(region)};
}

// "AWS_ENDPOINT_URL_KMS" for "kms".
std::string EndpointVariable(std::string_view service) {
  std::string name = "AWS_ENDPOINT_URL_";
  for (char c : service) {
    name.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  }
  return name;
}

}  // namespace

core::Result<AwsEndpoint> ResolveAwsEndpoint(std::string_view service,
                                             std::string_view endpoint_url, std::string_view region,
                                             const Environment& env) {
  if (!ValidRegion(region)) {
    return Fail(ErrorCode::kInvalidArgument,
                region.empty() ? "no AWS region: pass --region or set AWS_REGION"
                               : "the region \"" + std::string(region) + "\" is not valid");
  }
  if (!endpoint_url.empty()) {
    return ParseEndpointUrl(endpoint_url, region, "--endpoint-url");
  }
  for (const std::string& variable : {EndpointVariable(service), std::string("AWS_ENDPOINT_URL")}) {
    if (auto value = env.Get(variable)) {
      return ParseEndpointUrl(*value, region, variable);
    }
  }
  const std::string suffix = region.substr(0, 3) == "cn-" ? ".amazonaws.com.cn" : ".amazonaws.com";
  const std::string host = std::string(service) + "." + std::string(region) + suffix;
  return AwsEndpoint{"https://" + host + "/", host, std::string(region)};
}

AwsJsonClient::AwsJsonClient(AwsJsonService service, AwsJsonClientOptions options,
                             HttpTransport& transport, const AwsCredentials& credentials,
                             const core::io::Clock& clock, Sleeper& sleeper)
    : service_(std::move(service)),
      options_(std::move(options)),
      transport_(transport),
      credentials_(credentials),
      clock_(clock),
      sleeper_(sleeper) {}

core::Result<PreparedRequest> AwsJsonClient::Prepare(std::string_view operation,
                                                     const core::SecretBytes& body) const {
  // kms.md 1 / sigv4.md 7: the headers botocore sends and signs.
  std::vector<HttpHeader> headers = {
      {"Host", options_.endpoint.host},
      {"Content-Type", options_.content_type},
      {"X-Amz-Target", service_.target_prefix + "." + std::string(operation)}};
  SigningRequest to_sign{"POST", "/", "", headers, body.View()};
  SigningParams params;
  params.region = options_.endpoint.region;
  params.service = service_.signing_name;
  params.time = clock_.Now();
  params.add_content_sha256 = options_.add_content_sha256;
  auto signature = SignHeaders(to_sign, credentials_, params);
  if (!signature) {
    return Fail(signature.error());
  }
  headers.insert(headers.end(), signature->added_headers.begin(), signature->added_headers.end());
  PreparedRequest out{HttpRequest{"POST", options_.endpoint.url, std::move(headers),
                                  core::SecretBytes(body.View())},
                      std::move(*signature)};
  return out;
}

core::Result<HttpResponse> AwsJsonClient::Call(std::string_view operation,
                                               const core::SecretBytes& body) {
  const int max_attempts = std::max(options_.retry.max_attempts, 1);
  core::Error last;
  for (int attempt = 0; attempt < max_attempts; ++attempt) {
    last_attempts_ = attempt + 1;
    if (attempt > 0) {
      sleeper_.SleepMs(BackoffDelayMs(options_.retry, attempt - 1, JitterRandom()));
    }
    // Sign every attempt afresh: X-Amz-Date must be within 5 minutes of KMS's clock.
    auto prepared = Prepare(operation, body);
    if (!prepared) {
      return Fail(prepared.error());
    }
    auto response = transport_.Send(prepared->http, options_.http);
    if (!response) {
      if (response.error().code != ErrorCode::kNetwork) {
        return Fail(response.error());
      }
      last = response.error();
      continue;
    }
    if (response->status == 200) {
      return response;
    }
    KmsError error = service_.decode_error(response->status, response->body.View(),
                                           response->Header("x-amzn-ErrorType").value_or(""));
    if (!error.retryable) {
      return Fail(std::move(error.error));
    }
    last = std::move(error.error);
  }
  if (max_attempts > 1) {
    last.detail += " (after " + std::to_string(max_attempts) + " attempts)";
  }
  return Fail(std::move(last));
}

}  // namespace enclavectl::aws
