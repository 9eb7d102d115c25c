#include "enclavectl/app/kms_recipient.hpp"

#include <string>
#include <utility>

#include "enclavectl/aws/recipient.hpp"

namespace enclavectl::app {

core::Result<KmsRecipient> MakeKmsRecipient(NsmClient& nsm) {
  auto key = aws::MakeRecipientKey();
  if (!key) {
    return core::Fail(key.error());
  }
  auto spki = aws::PublicKeyDer(key->get());
  if (!spki) {
    return core::Fail(spki.error());
  }
  AttestationRequest request;
  request.public_key = std::move(*spki);
  auto document = nsm.Attestation(request);
  if (!document) {
    return core::Fail(document.error());
  }
  return KmsRecipient{std::move(*key), std::move(*document)};
}

core::Result<core::SecretBytes> OpenRecipientSecret(core::ByteView ciphertext_for_recipient,
                                                    const KmsRecipient& recipient,
                                                    const char* operation) {
  constexpr std::size_t kSecretLen = 32;
  auto secret = aws::DecryptCiphertextForRecipient(ciphertext_for_recipient, recipient.key.get());
  if (!secret) {
    return core::Fail(secret.error());
  }
  if (secret->size() != kSecretLen) {
    return core::Fail(core::ErrorCode::kKmsResponseMalformed,
                      std::string(operation) + " returned a secret of " +
                          std::to_string(secret->size()) + " bytes (32 expected)");
  }
  return secret;
}

}  // namespace enclavectl::app
