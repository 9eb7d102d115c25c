// The wallet accounts of seed (b) on the enclave side (service layer; docs/wallet.md "The
// enclave side"): AccountOperations over KMS with a Recipient, the wallet envelopes, owner
// authorization and the policy gate.
//
// generateAccount: gate, a fresh secp256k1 key made here, GenerateDataKey (32 bytes, with the
// account's EncryptionContext for the hardened format) with a Recipient, the key sealed under
// the data key, {address, encryptedDataKey, encryptedPrivateKey, ownerKey?} returned.
// sign: gate, owner authorization verified (owned accounts), Decrypt of the data key with a
// Recipient (the same EncryptionContext), the envelope opened and its address checked, the
// authorization remembered (replay cache), the 32-byte digest signed (RFC 6979, low s, v).
//
// The gate, before any KMS call that touches a secret: a debug-mode enclave (PCR0 all zeros)
// refuses unless --dev (kAccountDebugEnclaveRefused); the request's key is resolved
// (DescribeKey) and its policy must be enclave-only for this enclave's PCR0 (CheckKeyPolicy in
// sealed mode; else kAccountKeyPolicyRefused). KMS calls then use the resolved key ARN.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>

#include "enclavectl/app/accounts.hpp"
#include "enclavectl/app/enclave_kms.hpp"
#include "enclavectl/app/key_setup.hpp"
#include "enclavectl/app/nsm.hpp"
#include "enclavectl/wallet/envelope.hpp"
#include "enclavectl/wallet/owner_auth.hpp"

namespace enclavectl::app {

// The KMS client of one request, signing with the request's credentials (the parent's:
// seed (b) sends them with every call). Thread-safe.
class AccountKmsFactory {
 public:
  virtual ~AccountKmsFactory() = default;
  [[nodiscard]] virtual std::unique_ptr<EnclaveKms> ForCredential(
      const accounts::Credential& credential) = 0;
};

struct KmsAccountOptions {
  // --legacy-format: new accounts in seed (b)'s layout (fixed nonce, no binding), readable by
  // upstream tools; owned accounts are refused then. Default: hardened v1.
  wallet::EnvelopeFormat format = wallet::EnvelopeFormat::kHardenedV1;
  // --dev: a debug-mode enclave (PCR0 all zeros) may use accounts; the policy check may be
  // skipped (policy.skip) only in this mode.
  bool dev = false;
  PolicyCheckOptions policy{};
  std::size_t replay_capacity = wallet::OwnerReplayCache::kDefaultCapacity;
  // How long one Recipient (an RSA-2048 key and the attestation document carrying it) serves
  // successive requests; 0: a fresh one per request. Making one costs an RSA key generation
  // and an NSM call; the private key never leaves the enclave either way. A Recipient is
  // dropped at once when a KMS call made with it fails.
  std::chrono::seconds recipient_lifetime{60};
  // The clock of recipient_lifetime (steady_clock::now when empty; tests inject one).
  std::function<std::chrono::steady_clock::time_point()> now;
};

struct AccountRecipient;  // kms_accounts.cpp

class KmsAccountOperations final : public accounts::AccountOperations {
 public:
  // `nsm` and `kms` are borrowed and must outlive the operations.
  KmsAccountOperations(NsmClient& nsm, AccountKmsFactory& kms, KmsAccountOptions options)
      : nsm_(nsm), kms_(kms), options_(std::move(options)), replay_(options_.replay_capacity) {}

  // Fails with the gate's codes, kAccountOwnerKeyInvalid, kWalletAccountInvalid (an owner
  // with --legacy-format), the NSM, KMS and CMS codes, kKmsResponseMalformed.
  [[nodiscard]] core::Result<accounts::GenerateResponse> Generate(
      const accounts::GenerateRequest& request) override;
  // Fails with the gate's codes, kAccountRequestInvalid (a hardened envelope without the
  // address it is bound to), the owner codes (owner_auth.hpp), the NSM, KMS and CMS codes, the
  // envelope codes (kWalletDecryptFailed, kWalletAddressMismatch...), kAccountAddressMismatch.
  [[nodiscard]] core::Result<accounts::SignResponse> Sign(
      const accounts::SignRequest& request) override;

 private:
  // The gate; returns the key ARN to use.
  core::Result<std::string> Gate(EnclaveKms& kms, const std::string& key_id);
  // The current Recipient, made anew when there is none or it is older than the lifetime.
  core::Result<std::shared_ptr<const AccountRecipient>> CurrentRecipient();
  void DropRecipient(const std::shared_ptr<const AccountRecipient>& recipient);

  NsmClient& nsm_;
  AccountKmsFactory& kms_;
  KmsAccountOptions options_;
  wallet::OwnerReplayCache replay_;
  std::mutex recipient_mutex_;
  std::shared_ptr<const AccountRecipient> recipient_;
  std::chrono::steady_clock::time_point recipient_made_{};
};

}  // namespace enclavectl::app
