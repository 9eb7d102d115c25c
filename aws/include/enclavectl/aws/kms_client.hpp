// The KMS client (adapter): JSON 1.1 over HTTP(S), SigV4-signed, retried with jittered
// backoff on throttling, server faults and network failures (aws_json_client.hpp). Codecs:
// kms_api.hpp; signing: sigv4.hpp.
#pragma once

#include <string>
#include <string_view>

#include "enclavectl/aws/aws_json_client.hpp"
#include "enclavectl/aws/environment.hpp"
#include "enclavectl/aws/http.hpp"
#include "enclavectl/aws/kms_api.hpp"
#include "enclavectl/aws/retry.hpp"
#include "enclavectl/aws/sigv4.hpp"
#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::aws {

using KmsEndpoint = AwsEndpoint;

// The endpoint for `region`: ResolveAwsEndpoint("kms", ...): `endpoint_url` when given
// (--endpoint-url), else AWS_ENDPOINT_URL_KMS, else AWS_ENDPOINT_URL, else
// https://kms.<region>.amazonaws.com (.amazonaws.com.cn for cn-* regions). Fails with
// kInvalidArgument.
[[nodiscard]] core::Result<KmsEndpoint> ResolveKmsEndpoint(std::string_view endpoint_url,
                                                           std::string_view region,
                                                           const Environment& env);

using KmsClientOptions = AwsJsonClientOptions;

class KmsClient {
 public:
  // Borrows `transport`, `credentials`, `clock` and `sleeper` for its lifetime.
  KmsClient(KmsClientOptions options, HttpTransport& transport, const AwsCredentials& credentials,
            const core::io::Clock& clock, Sleeper& sleeper);

  // Signs `body` for `operation` at the clock's time; sends nothing.
  [[nodiscard]] core::Result<PreparedRequest> Prepare(KmsOperation operation,
                                                      const core::SecretBytes& body) const;

  // The operations (kms.md section 4). Each fails with the KMS error's code and AWS's message
  // (DecodeKmsError), kKmsResponseMalformed, kNetwork or kServiceUnavailable after the last
  // retry.
  [[nodiscard]] core::Result<KeyMetadata> CreateKey(const CreateKeyRequest& request);
  [[nodiscard]] core::Result<KeyMetadata> DescribeKey(std::string_view key_id);
  [[nodiscard]] core::Result<GetKeyPolicyResult> GetKeyPolicy(std::string_view key_id);
  [[nodiscard]] core::Status PutKeyPolicy(const PutKeyPolicyRequest& request);
  [[nodiscard]] core::Result<EncryptResult> Encrypt(const EncryptRequest& request);
  [[nodiscard]] core::Result<DecryptResult> Decrypt(const DecryptRequest& request);
  [[nodiscard]] core::Result<GenerateDataKeyResult> GenerateDataKey(
      const GenerateDataKeyRequest& request);
  [[nodiscard]] core::Result<GenerateRandomResult> GenerateRandom(
      const GenerateRandomRequest& request);
  [[nodiscard]] core::Result<DeriveSharedSecretResult> DeriveSharedSecret(
      const DeriveSharedSecretRequest& request);
  [[nodiscard]] core::Result<GetPublicKeyResult> GetPublicKey(std::string_view key_id);

  // How many HTTP attempts the last operation made (1 without retries).
  int LastAttempts() const noexcept { return client_.LastAttempts(); }

 private:
  [[nodiscard]] core::Result<HttpResponse> Call(KmsOperation operation,
                                                const core::SecretBytes& body);

  AwsJsonClient client_;
};

}  // namespace enclavectl::aws
