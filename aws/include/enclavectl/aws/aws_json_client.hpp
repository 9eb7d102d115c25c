// What every AWS JSON 1.1 (and 1.0) client here shares (adapter): the endpoint of a service, SigV4
// signing of `POST /` with X-Amz-Target, and retries with jittered backoff on throttling,
// server faults and network failures. KmsClient (kms_client.hpp), SsmClient (ssm_client.hpp)
// and DynamoDbClient (dynamodb_client.hpp) are thin typed layers over it.
#pragma once

#include <string>
#include <string_view>

#include "enclavectl/aws/environment.hpp"
#include "enclavectl/aws/http.hpp"
#include "enclavectl/aws/kms_api.hpp"
#include "enclavectl/aws/retry.hpp"
#include "enclavectl/aws/sigv4.hpp"
#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::aws {

struct AwsEndpoint {
  std::string url;     // "https://kms.us-east-1.amazonaws.com/"
  std::string host;    // the Host header (and signed): "kms.us-east-1.amazonaws.com",
                       // "127.0.0.1:4566" (the port when not the scheme's default)
  std::string region;  // the signing region
};

// The endpoint of `service` ("kms", "ssm") in `region`: `endpoint_url` when given, else
// AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL, else https://<service>.<region>.amazonaws.com
// (.amazonaws.com.cn for cn-* regions). An endpoint URL must be http:// or https:// with a
// host, an optional port and no path, query or credentials. Fails with kInvalidArgument (also
// when `region` is empty or not of the form xx-name-N).
[[nodiscard]] core::Result<AwsEndpoint> ResolveAwsEndpoint(std::string_view service,
                                                           std::string_view endpoint_url,
                                                           std::string_view region,
                                                           const Environment& env);

// A service's JSON 1.1 protocol constants.
struct AwsJsonService {
  std::string signing_name;   // SigV4 service: "kms", "ssm"
  std::string target_prefix;  // X-Amz-Target prefix: "TrentService", "AmazonSSM"
  // Decodes a non-200 answer into the enclavectl error and whether to retry.
  KmsError (*decode_error)(long http_status, core::ByteView body,
                           std::string_view error_type_header) = nullptr;
};

struct AwsJsonClientOptions {
  AwsEndpoint endpoint;
  RetryPolicy retry;
  HttpOptions http;
  // Also send and sign X-Amz-Content-SHA256 (as aws-nitro-enclaves-sdk-c does).
  bool add_content_sha256 = false;
  // The protocol's Content-Type: JSON 1.1 (KMS, SSM); DynamoDbClient sets JSON 1.0.
  std::string content_type = std::string(kKmsContentType);
};

// A signed request, ready to send (or to show with --dry-run).
struct PreparedRequest {
  HttpRequest http;
  SignatureParts signature;
};

class AwsJsonClient {
 public:
  // Borrows `transport`, `credentials`, `clock` and `sleeper` for its lifetime.
  AwsJsonClient(AwsJsonService service, AwsJsonClientOptions options, HttpTransport& transport,
                const AwsCredentials& credentials, const core::io::Clock& clock, Sleeper& sleeper);

  // Signs `body` for `operation` ("CreateKey") at the clock's time; sends nothing.
  [[nodiscard]] core::Result<PreparedRequest> Prepare(std::string_view operation,
                                                      const core::SecretBytes& body) const;

  // Sends `body` (signed afresh for every attempt) and returns the 200 answer. Fails with the
  // service's error (decode_error), kNetwork or kServiceUnavailable after the last retry.
  [[nodiscard]] core::Result<HttpResponse> Call(std::string_view operation,
                                                const core::SecretBytes& body);

  // How many HTTP attempts the last call made (1 without retries).
  int LastAttempts() const noexcept { return last_attempts_; }

 private:
  AwsJsonService service_;
  AwsJsonClientOptions options_;
  HttpTransport& transport_;
  const AwsCredentials& credentials_;
  const core::io::Clock& clock_;
  Sleeper& sleeper_;
  int last_attempts_ = 0;
};

}  // namespace enclavectl::aws
