// What the key service asks of KMS (an interface: the AWS client adapter in app_io, fakes in
// tests). Every call carries a Recipient (../shared/spec/kms.md section 5): the attestation
// document whose public_key is the service's fresh RSA-2048 key, so the secret comes back as
// CiphertextForRecipient and only this enclave, measured as the key policy demands, can read it.
#pragma once

#include <cstdint>
#include <string>

#include "enclavectl/aws/kms_api.hpp"
#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::app {

using aws::EncryptionContext;

// GenerateDataKey's answer with a Recipient.
struct SealedDataKey {
  core::Bytes ciphertext_blob;           // the data key encrypted under the KMS key (to store)
  core::Bytes ciphertext_for_recipient;  // the data key encrypted to the enclave's RSA key
};

class EnclaveKms {
 public:
  virtual ~EnclaveKms() = default;

  // DeriveSharedSecret{KeyId, ECDH, PublicKey = peer_spki (DER SubjectPublicKeyInfo),
  // Recipient}. Returns CiphertextForRecipient. Fails with the KMS client's codes.
  [[nodiscard]] virtual core::Result<core::Bytes> DeriveSharedSecret(
      const std::string& key_id, core::ByteView peer_spki, core::ByteView attestation_document) = 0;

  // GenerateDataKey{KeyId, NumberOfBytes, EncryptionContext, Recipient}.
  [[nodiscard]] virtual core::Result<SealedDataKey> GenerateDataKey(
      const std::string& key_id, std::uint32_t number_of_bytes, const EncryptionContext& context,
      core::ByteView attestation_document) = 0;

  // Decrypt{CiphertextBlob, KeyId, EncryptionContext, Recipient}. Returns
  // CiphertextForRecipient.
  [[nodiscard]] virtual core::Result<core::Bytes> Decrypt(const std::string& key_id,
                                                          core::ByteView ciphertext_blob,
                                                          const EncryptionContext& context,
                                                          core::ByteView attestation_document) = 0;

  // The two calls without a Recipient: they reveal no secret, only what the enclave needs to
  // decide whether it may trust the key (kms.md section 7).
  // DescribeKey{KeyId}: the key's metadata; KMS resolves an alias (alias/x or its ARN) to the
  // key, so `arn` is the key ARN setup then uses. Fails with the KMS client's codes.
  [[nodiscard]] virtual core::Result<aws::KeyMetadata> DescribeKey(const std::string& key_id) = 0;
  // GetKeyPolicy{KeyId, PolicyName "default"}: the policy text exactly as KMS returned it.
  [[nodiscard]] virtual core::Result<std::string> GetKeyPolicy(const std::string& key_id) = 0;
};

}  // namespace enclavectl::app
