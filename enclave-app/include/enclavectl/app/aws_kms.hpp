// The key service's AWS clients (adapters): EnclaveKms over the KMS client, and the SSM client
// the Parameter Store backend uses. Credentials are resolved before every call, so that
// instance-role credentials (which expire) are fresh whenever a setup happens.
#pragma once

#include <functional>
#include <mutex>

#include "enclavectl/app/enclave_kms.hpp"
#include "enclavectl/app/kms_accounts.hpp"
#include "enclavectl/app/stores.hpp"
#include "enclavectl/aws/kms_client.hpp"
#include "enclavectl/aws/retry.hpp"
#include "enclavectl/core/file_io.hpp"

namespace enclavectl::app {

// What the AWS clients share; everything borrowed.
struct AwsAccess {
  aws::HttpTransport& transport;
  // The credential chain (environment, shared files, IMDSv2); fails with its codes.
  std::function<core::Result<aws::AwsCredentials>()> credentials;
  const core::io::Clock& clock;
  aws::Sleeper& sleeper;
  aws::RetryPolicy retry;
};

class AwsEnclaveKms final : public EnclaveKms {
 public:
  AwsEnclaveKms(AwsAccess access, aws::AwsEndpoint endpoint)
      : access_(std::move(access)), endpoint_(std::move(endpoint)) {}

  [[nodiscard]] core::Result<core::Bytes> DeriveSharedSecret(
      const std::string& key_id, core::ByteView peer_spki,
      core::ByteView attestation_document) override;
  [[nodiscard]] core::Result<SealedDataKey> GenerateDataKey(
      const std::string& key_id, std::uint32_t number_of_bytes, const EncryptionContext& context,
      core::ByteView attestation_document) override;
  [[nodiscard]] core::Result<core::Bytes> Decrypt(const std::string& key_id,
                                                  core::ByteView ciphertext_blob,
                                                  const EncryptionContext& context,
                                                  core::ByteView attestation_document) override;
  [[nodiscard]] core::Result<aws::KeyMetadata> DescribeKey(const std::string& key_id) override;
  [[nodiscard]] core::Result<std::string> GetKeyPolicy(const std::string& key_id) override;

 private:
  std::mutex mutex_;  // one KMS call at a time (setups are serialised anyway)
  AwsAccess access_;
  aws::AwsEndpoint endpoint_;
};

// The account operations' KMS clients (kms_accounts.hpp): each signs with the credentials of
// its request (the parent's, as seed (b) sends them), never with the enclave's own chain;
// they are held as SecretBytes and wiped with the client.
class AwsAccountKmsFactory final : public AccountKmsFactory {
 public:
  // Everything borrowed.
  AwsAccountKmsFactory(aws::HttpTransport& transport, const core::io::Clock& clock,
                       aws::Sleeper& sleeper, aws::RetryPolicy retry, aws::AwsEndpoint endpoint)
      : transport_(transport),
        clock_(clock),
        sleeper_(sleeper),
        retry_(retry),
        endpoint_(std::move(endpoint)) {}

  [[nodiscard]] std::unique_ptr<EnclaveKms> ForCredential(
      const accounts::Credential& credential) override;

 private:
  aws::HttpTransport& transport_;
  const core::io::Clock& clock_;
  aws::Sleeper& sleeper_;
  aws::RetryPolicy retry_;
  aws::AwsEndpoint endpoint_;
};

// The SSM store's client factory for `endpoint`.
SsmSealedKeyStore::ClientCall MakeSsmClientCall(AwsAccess access, aws::AwsEndpoint endpoint);

}  // namespace enclavectl::app
