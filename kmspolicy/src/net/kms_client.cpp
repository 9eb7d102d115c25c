#include "enclavectl/kmspolicy/net/kms_client.hpp"

#include <algorithm>

#include "ascii.hpp"

namespace enclavectl::kmspolicy::net {
namespace {

using core::ErrorCode;
using core::Fail;

bool ValidRegion(std::string_view region) {
  // us-east-1, eu-central-2, us-gov-west-1, cn-north-1, il-central-1 ...
  if (region.empty() || region.size() > 32 || region.front() == '-' || region.back() == '-') {
    return false;
  }
  return std::all_of(region.begin(), region.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
         }) &&
         region.find('-') != std::string_view::npos;
}

core::Result<KmsEndpoint> ParseEndpointUrl(std::string_view url, std::string_view region,
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
  std::string host = ascii::Lower(authority);
  // Leave out the scheme's default port: the Host header clients send (and sign) omits it.
  const std::string default_port = https ? ":443" : ":80";
  if (host.size() > default_port.size() &&
      host.compare(host.size() - default_port.size(), default_port.size(), default_port) == 0) {
    host.resize(host.size() - default_port.size());
  }
  return KmsEndpoint{std::string(https ? "https://" : "http://") + host + "/", host,
                     std::string(region)};
}

}  // namespace

core::Result<KmsEndpoint> ResolveKmsEndpoint(std::string_view endpoint_url, std::string_view region,
                                             const Environment& env) {
  if (!ValidRegion(region)) {
    return Fail(ErrorCode::kInvalidArgument,
                region.empty() ? "no AWS region: pass --region or set AWS_REGION"
                               : "the region \"" + std::string(region) + "\" is not valid");
  }
  if (!endpoint_url.empty()) {
    return ParseEndpointUrl(endpoint_url, region, "--endpoint-url");
  }
  for (const char* variable : {"AWS_ENDPOINT_URL_KMS", "AWS_ENDPOINT_URL"}) {
    if (auto value = env.Get(variable)) {
      return ParseEndpointUrl(*value, region, variable);
    }
  }
  const std::string suffix = region.substr(0, 3) == "cn-" ? ".amazonaws.com.cn" : ".amazonaws.com";
  const std::string host = "kms." + std::string(region) + suffix;
  return KmsEndpoint{"https://" + host + "/", host, std::string(region)};
}

KmsClient::KmsClient(KmsClientOptions options, HttpTransport& transport,
                     const AwsCredentials& credentials, const core::io::Clock& clock,
                     Sleeper& sleeper)
    : options_(std::move(options)),
      transport_(transport),
      credentials_(credentials),
      clock_(clock),
      sleeper_(sleeper) {}

core::Result<PreparedRequest> KmsClient::Prepare(KmsOperation operation,
                                                 const core::SecretBytes& body) const {
  // kms.md 1 / sigv4.md 7: the headers botocore sends and signs.
  std::vector<HttpHeader> headers = {{"Host", options_.endpoint.host},
                                     {"Content-Type", std::string(kKmsContentType)},
                                     {"X-Amz-Target", KmsTarget(operation)}};
  SigningRequest to_sign{"POST", "/", "", headers, body.View()};
  SigningParams params;
  params.region = options_.endpoint.region;
  params.service = "kms";
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

core::Result<HttpResponse> KmsClient::Call(KmsOperation operation, const core::SecretBytes& body) {
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
    KmsError error = DecodeKmsError(response->status, response->body.View(),
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

core::Result<KeyMetadata> KmsClient::CreateKey(const CreateKeyRequest& request) {
  auto response = Call(KmsOperation::kCreateKey, EncodeCreateKeyRequest(request));
  if (!response) {
    return Fail(response.error());
  }
  return DecodeKeyMetadataResponse(response->body.View());
}

core::Result<KeyMetadata> KmsClient::DescribeKey(std::string_view key_id) {
  auto response = Call(KmsOperation::kDescribeKey, EncodeKeyIdRequest(key_id));
  if (!response) {
    return Fail(response.error());
  }
  return DecodeKeyMetadataResponse(response->body.View());
}

core::Result<GetKeyPolicyResult> KmsClient::GetKeyPolicy(std::string_view key_id) {
  auto response = Call(KmsOperation::kGetKeyPolicy, EncodeGetKeyPolicyRequest(key_id));
  if (!response) {
    return Fail(response.error());
  }
  return DecodeGetKeyPolicyResponse(response->body.View());
}

core::Status KmsClient::PutKeyPolicy(const PutKeyPolicyRequest& request) {
  auto response = Call(KmsOperation::kPutKeyPolicy, EncodePutKeyPolicyRequest(request));
  if (!response) {
    return Fail(response.error());
  }
  return DecodeEmptyResponse(response->body.View());
}

core::Result<EncryptResult> KmsClient::Encrypt(const EncryptRequest& request) {
  auto response = Call(KmsOperation::kEncrypt, EncodeEncryptRequest(request));
  if (!response) {
    return Fail(response.error());
  }
  return DecodeEncryptResponse(response->body.View());
}

core::Result<DecryptResult> KmsClient::Decrypt(const DecryptRequest& request) {
  auto response = Call(KmsOperation::kDecrypt, EncodeDecryptRequest(request));
  if (!response) {
    return Fail(response.error());
  }
  return DecodeDecryptResponse(response->body.View(), request.recipient.has_value());
}

core::Result<GenerateDataKeyResult> KmsClient::GenerateDataKey(
    const GenerateDataKeyRequest& request) {
  auto response = Call(KmsOperation::kGenerateDataKey, EncodeGenerateDataKeyRequest(request));
  if (!response) {
    return Fail(response.error());
  }
  return DecodeGenerateDataKeyResponse(response->body.View(), request.recipient.has_value());
}

core::Result<GenerateRandomResult> KmsClient::GenerateRandom(const GenerateRandomRequest& request) {
  auto response = Call(KmsOperation::kGenerateRandom, EncodeGenerateRandomRequest(request));
  if (!response) {
    return Fail(response.error());
  }
  return DecodeGenerateRandomResponse(response->body.View(), request.recipient.has_value());
}

core::Result<DeriveSharedSecretResult> KmsClient::DeriveSharedSecret(
    const DeriveSharedSecretRequest& request) {
  auto response = Call(KmsOperation::kDeriveSharedSecret, EncodeDeriveSharedSecretRequest(request));
  if (!response) {
    return Fail(response.error());
  }
  return DecodeDeriveSharedSecretResponse(response->body.View(), request.recipient.has_value());
}

core::Result<GetPublicKeyResult> KmsClient::GetPublicKey(std::string_view key_id) {
  auto response = Call(KmsOperation::kGetPublicKey, EncodeKeyIdRequest(key_id));
  if (!response) {
    return Fail(response.error());
  }
  return DecodeGetPublicKeyResponse(response->body.View());
}

}  // namespace enclavectl::kmspolicy::net
