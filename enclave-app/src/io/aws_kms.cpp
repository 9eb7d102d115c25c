#include "enclavectl/app/aws_kms.hpp"

#include <memory>
#include <utility>

namespace enclavectl::app {

using core::Fail;

namespace {

// Runs `call` with a `Client` (KmsClient, SsmClient) built for this call with credentials
// resolved now.
template <typename Client, typename Call>
auto WithAwsClient(const AwsAccess& access, const aws::AwsEndpoint& endpoint, const Call& call)
    -> decltype(call(std::declval<Client&>())) {
  auto credentials = access.credentials();
  if (!credentials) {
    return Fail(credentials.error());
  }
  aws::AwsJsonClientOptions options;
  options.endpoint = endpoint;
  options.retry = access.retry;
  Client client(options, access.transport, *credentials, access.clock, access.sleeper);
  return call(client);
}

}  // namespace

core::Result<core::Bytes> AwsEnclaveKms::DeriveSharedSecret(const std::string& key_id,
                                                            core::ByteView peer_spki,
                                                            core::ByteView attestation_document) {
  std::lock_guard lock(mutex_);
  return WithAwsClient<aws::KmsClient>(
      access_, endpoint_, [&](aws::KmsClient& client) -> core::Result<core::Bytes> {
        aws::DeriveSharedSecretRequest request;
        request.key_id = key_id;
        request.public_key = core::ToBytes(peer_spki);
        request.recipient = aws::RecipientInfo{core::ToBytes(attestation_document)};
        auto result = client.DeriveSharedSecret(request);
        if (!result) {
          return Fail(result.error());
        }
        return std::move(result->ciphertext_for_recipient);
      });
}

core::Result<SealedDataKey> AwsEnclaveKms::GenerateDataKey(const std::string& key_id,
                                                           std::uint32_t number_of_bytes,
                                                           const EncryptionContext& context,
                                                           core::ByteView attestation_document) {
  std::lock_guard lock(mutex_);
  return WithAwsClient<aws::KmsClient>(
      access_, endpoint_, [&](aws::KmsClient& client) -> core::Result<SealedDataKey> {
        aws::GenerateDataKeyRequest request;
        request.key_id = key_id;
        request.number_of_bytes = number_of_bytes;
        request.encryption_context = context;
        request.recipient = aws::RecipientInfo{core::ToBytes(attestation_document)};
        auto result = client.GenerateDataKey(request);
        if (!result) {
          return Fail(result.error());
        }
        return SealedDataKey{std::move(result->ciphertext_blob),
                             std::move(result->ciphertext_for_recipient)};
      });
}

core::Result<core::Bytes> AwsEnclaveKms::Decrypt(const std::string& key_id,
                                                 core::ByteView ciphertext_blob,
                                                 const EncryptionContext& context,
                                                 core::ByteView attestation_document) {
  std::lock_guard lock(mutex_);
  return WithAwsClient<aws::KmsClient>(
      access_, endpoint_, [&](aws::KmsClient& client) -> core::Result<core::Bytes> {
        aws::DecryptRequest request;
        request.ciphertext_blob = ciphertext_blob;
        request.key_id = key_id;
        request.encryption_context = context;
        request.recipient = aws::RecipientInfo{core::ToBytes(attestation_document)};
        auto result = client.Decrypt(request);
        if (!result) {
          return Fail(result.error());
        }
        return std::move(result->ciphertext_for_recipient);
      });
}

core::Result<aws::KeyMetadata> AwsEnclaveKms::DescribeKey(const std::string& key_id) {
  std::lock_guard lock(mutex_);
  return WithAwsClient<aws::KmsClient>(
      access_, endpoint_, [&](aws::KmsClient& client) { return client.DescribeKey(key_id); });
}

core::Result<std::string> AwsEnclaveKms::GetKeyPolicy(const std::string& key_id) {
  std::lock_guard lock(mutex_);
  return WithAwsClient<aws::KmsClient>(access_, endpoint_,
                                       [&](aws::KmsClient& client) -> core::Result<std::string> {
                                         auto result = client.GetKeyPolicy(key_id);
                                         if (!result) {
                                           return Fail(result.error());
                                         }
                                         return std::move(result->policy);
                                       });
}

SsmSealedKeyStore::ClientCall MakeSsmClientCall(AwsAccess access, aws::AwsEndpoint endpoint) {
  return [access = std::move(access), endpoint = std::move(endpoint)](
             const std::function<core::Status(aws::SsmClient&)>& use) -> core::Status {
    return WithAwsClient<aws::SsmClient>(access, endpoint, use);
  };
}

std::unique_ptr<EnclaveKms> AwsAccountKmsFactory::ForCredential(
    const accounts::Credential& credential) {
  auto held = std::make_shared<aws::AwsCredentials>();
  held->access_key_id = credential.access_key_id;
  held->secret_access_key = core::SecretBytes(credential.secret_access_key.View());
  held->session_token = core::SecretBytes(credential.session_token.View());
  AwsAccess access{transport_,
                   [held]() -> core::Result<aws::AwsCredentials> {
                     aws::AwsCredentials copy;
                     copy.access_key_id = held->access_key_id;
                     copy.secret_access_key = core::SecretBytes(held->secret_access_key.View());
                     copy.session_token = core::SecretBytes(held->session_token.View());
                     return copy;
                   },
                   clock_, sleeper_, retry_};
  return std::make_unique<AwsEnclaveKms>(std::move(access), endpoint_);
}

}  // namespace enclavectl::app
