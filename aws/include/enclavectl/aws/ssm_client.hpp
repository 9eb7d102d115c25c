// The SSM Parameter Store client (adapter): GetParameter and PutParameter over the shared AWS
// JSON 1.1 client (aws_json_client.hpp: SigV4 service "ssm", X-Amz-Target AmazonSSM.*,
// retries). Codecs: ssm_api.hpp.
#pragma once

#include <string_view>

#include "enclavectl/aws/aws_json_client.hpp"
#include "enclavectl/aws/ssm_api.hpp"

namespace enclavectl::aws {

// ResolveAwsEndpoint("ssm", ...): `endpoint_url`, else AWS_ENDPOINT_URL_SSM, else
// AWS_ENDPOINT_URL, else https://ssm.<region>.amazonaws.com. Fails with kInvalidArgument.
[[nodiscard]] core::Result<AwsEndpoint> ResolveSsmEndpoint(std::string_view endpoint_url,
                                                           std::string_view region,
                                                           const Environment& env);

class SsmClient {
 public:
  // Borrows `transport`, `credentials`, `clock` and `sleeper` for its lifetime. SSM answers are
  // capped at limits::kMaxSsmResponseBytes whatever options.http says.
  SsmClient(AwsJsonClientOptions options, HttpTransport& transport,
            const AwsCredentials& credentials, const core::io::Clock& clock, Sleeper& sleeper);

  // Fails with kInvalidArgument (a bad name), DecodeSsmError's codes (kSsmParameterNotFound
  // when there is no such parameter), kSsmResponseMalformed, kNetwork, kServiceUnavailable.
  [[nodiscard]] core::Result<SsmParameter> GetParameter(std::string_view name);
  // Returns the new version. Without `overwrite`, an existing parameter fails with
  // kSsmParameterExists (create-once).
  [[nodiscard]] core::Result<std::int64_t> PutParameter(const PutParameterRequest& request);

 private:
  AwsJsonClient client_;
};

}  // namespace enclavectl::aws
