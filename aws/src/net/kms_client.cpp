#include "enclavectl/aws/kms_client.hpp"

namespace enclavectl::aws {

using core::Fail;

core::Result<KmsEndpoint> ResolveKmsEndpoint(std::string_view endpoint_url, std::string_view region,
                                             const Environment& env) {
  return ResolveAwsEndpoint("kms", endpoint_url, region, env);
}

KmsClient::KmsClient(KmsClientOptions options, HttpTransport& transport,
                     const AwsCredentials& credentials, const core::io::Clock& clock,
                     Sleeper& sleeper)
    : client_(AwsJsonService{"kms", "TrentService", &DecodeKmsError}, std::move(options), transport,
              credentials, clock, sleeper) {}

core::Result<PreparedRequest> KmsClient::Prepare(KmsOperation operation,
                                                 const core::SecretBytes& body) const {
  return client_.Prepare(KmsOperationName(operation), body);
}

core::Result<HttpResponse> KmsClient::Call(KmsOperation operation, const core::SecretBytes& body) {
  return client_.Call(KmsOperationName(operation), body);
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

}  // namespace enclavectl::aws
