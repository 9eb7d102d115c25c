#include "enclavectl/aws/ssm_client.hpp"

#include <algorithm>

#include "enclavectl/core/limits.hpp"

namespace enclavectl::aws {
namespace {

AwsJsonClientOptions SsmOptions(AwsJsonClientOptions options) {
  options.http.max_response_bytes =
      std::min(options.http.max_response_bytes, core::limits::kMaxSsmResponseBytes);
  return options;
}

}  // namespace

core::Result<AwsEndpoint> ResolveSsmEndpoint(std::string_view endpoint_url, std::string_view region,
                                             const Environment& env) {
  return ResolveAwsEndpoint("ssm", endpoint_url, region, env);
}

SsmClient::SsmClient(AwsJsonClientOptions options, HttpTransport& transport,
                     const AwsCredentials& credentials, const core::io::Clock& clock,
                     Sleeper& sleeper)
    : client_(AwsJsonService{"ssm", "AmazonSSM", &DecodeSsmError}, SsmOptions(std::move(options)),
              transport, credentials, clock, sleeper) {}

core::Result<SsmParameter> SsmClient::GetParameter(std::string_view name) {
  ENCLAVECTL_RETURN_IF_ERROR(ValidateSsmParameterName(name));
  auto response = client_.Call("GetParameter", EncodeGetParameterRequest(name));
  if (!response) {
    return core::Fail(response.error());
  }
  return DecodeGetParameterResponse(response->body.View());
}

core::Result<std::int64_t> SsmClient::PutParameter(const PutParameterRequest& request) {
  ENCLAVECTL_RETURN_IF_ERROR(ValidateSsmParameterName(request.name));
  auto response = client_.Call("PutParameter", EncodePutParameterRequest(request));
  if (!response) {
    return core::Fail(response.error());
  }
  return DecodePutParameterResponse(response->body.View());
}

}  // namespace enclavectl::aws
