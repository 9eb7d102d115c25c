// A Recipient for AWS KMS (kms.md section 6): a fresh RSA-2048 key and an attestation
// document from the NSM carrying its public key (no user_data, no nonce), and the opening of
// a CiphertextForRecipient that must hold a 32-byte secret. Shared by key setup and the
// wallet accounts.
#pragma once

#include "enclavectl/app/nsm.hpp"
#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"

namespace enclavectl::app {

struct KmsRecipient {
  core::EvpPkeyPtr key;
  core::Bytes document;
};

// A new key and its attestation document (the NSM's errors pass through).
[[nodiscard]] core::Result<KmsRecipient> MakeKmsRecipient(NsmClient& nsm);

// The 32-byte secret in `ciphertext_for_recipient` (a KMS answer: untrusted). Fails with the
// CMS decoder's codes, or kKmsResponseMalformed naming `operation` when the secret is not 32
// bytes.
[[nodiscard]] core::Result<core::SecretBytes> OpenRecipientSecret(
    core::ByteView ciphertext_for_recipient, const KmsRecipient& recipient, const char* operation);

}  // namespace enclavectl::app
