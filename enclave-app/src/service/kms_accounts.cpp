#include "enclavectl/app/kms_accounts.hpp"

#include <string>
#include <utility>

#include "enclavectl/app/kms_recipient.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/ethereum/address.hpp"
#include "enclavectl/ethereum/signing.hpp"

namespace enclavectl::app {

// A Recipient (kms_recipient.hpp), read-only once made, shared between concurrent requests.
struct AccountRecipient : KmsRecipient {};

namespace {

using core::ErrorCode;
using core::Fail;

// The KMS EncryptionContext of an account: the hardened format's, none for legacy (upstream
// sends none).
core::Result<EncryptionContext> ContextFor(wallet::EnvelopeFormat format,
                                           const wallet::AccountBinding& binding) {
  if (format == wallet::EnvelopeFormat::kLegacy) {
    return EncryptionContext{};
  }
  auto context = wallet::AccountEncryptionContext(binding);
  if (!context) {
    return Fail(context.error());
  }
  return EncryptionContext(context->begin(), context->end());
}

}  // namespace

core::Result<std::shared_ptr<const AccountRecipient>> KmsAccountOperations::CurrentRecipient() {
  const auto now = options_.now ? options_.now() : std::chrono::steady_clock::now();
  const std::lock_guard lock(recipient_mutex_);
  if (recipient_ && options_.recipient_lifetime.count() > 0 && now >= recipient_made_ &&
      now - recipient_made_ < options_.recipient_lifetime) {
    return recipient_;
  }
  auto made = MakeKmsRecipient(nsm_);
  if (!made) {
    return Fail(made.error());
  }
  recipient_ = std::make_shared<const AccountRecipient>(AccountRecipient{std::move(*made)});
  recipient_made_ = now;
  return recipient_;
}

void KmsAccountOperations::DropRecipient(const std::shared_ptr<const AccountRecipient>& recipient) {
  const std::lock_guard lock(recipient_mutex_);
  if (recipient_ == recipient) {
    recipient_.reset();
  }
}

core::Result<std::string> KmsAccountOperations::Gate(EnclaveKms& kms, const std::string& key_id) {
  auto pcr0 = nsm_.DescribePcr(0);
  if (!pcr0) {
    return Fail(pcr0.error());
  }
  if (core::IsAllZero(pcr0->data) && !options_.dev) {
    return Fail(ErrorCode::kAccountDebugEnclaveRefused,
                "this enclave runs in debug mode (PCR0 is all zeros): its memory is readable "
                "from the parent, so it holds no account key (use --dev to develop)");
  }
  auto key = DescribeSetupKey(kms, key_id);
  if (!key) {
    return Fail(key.error());
  }
  PolicyCheckOptions policy = options_.policy;
  policy.skip = policy.skip && options_.dev;
  auto report = CheckKeyPolicy(kms, nsm_, *key, KeyMode::kSealed, policy);
  if (!report) {
    if (report.error().code == ErrorCode::kAppKeyPolicyUnsafe) {
      return Fail(ErrorCode::kAccountKeyPolicyRefused, report.error().detail);
    }
    return Fail(report.error());
  }
  return std::move(key->arn);
}

core::Result<accounts::GenerateResponse> KmsAccountOperations::Generate(
    const accounts::GenerateRequest& request) {
  std::string owner_hex;
  if (request.owner_key) {
    ENCLAVECTL_RETURN_IF_ERROR(wallet::ValidateOwnerKey(*request.owner_key));
    if (options_.format == wallet::EnvelopeFormat::kLegacy) {
      return Fail(ErrorCode::kWalletAccountInvalid,
                  "an owned account needs the hardened format (this enclave runs with "
                  "--legacy-format)");
    }
    owner_hex = wallet::OwnerKeyHex(*request.owner_key);
  }
  const std::unique_ptr<EnclaveKms> kms = kms_.ForCredential(request.credential);
  auto key_arn = Gate(*kms, request.key_id);
  if (!key_arn) {
    return Fail(key_arn.error());
  }
  auto account = wallet::GenerateAccount();
  if (!account) {
    return Fail(account.error());
  }
  // Bound to the key id as the request (and the row) names it.
  const wallet::AccountBinding binding{request.name, account->address, request.key_id, owner_hex};
  auto context = ContextFor(options_.format, binding);
  if (!context) {
    return Fail(context.error());
  }
  auto recipient = CurrentRecipient();
  if (!recipient) {
    return Fail(recipient.error());
  }
  auto data_key = kms->GenerateDataKey(*key_arn, static_cast<std::uint32_t>(wallet::kDataKeyLen),
                                       *context, (*recipient)->document);
  if (!data_key) {
    DropRecipient(*recipient);
    return Fail(data_key.error());
  }
  auto plain =
      OpenRecipientSecret(data_key->ciphertext_for_recipient, **recipient, "GenerateDataKey");
  if (!plain) {
    DropRecipient(*recipient);
    return Fail(plain.error());
  }
  // One plaintext per GenerateDataKey result (wallet.md 2.5): the fixed legacy nonce is never
  // reused under one data key.
  auto sealed =
      wallet::SealAccountKey(plain->View(), account->secret_key, binding, options_.format);
  if (!sealed) {
    return Fail(sealed.error());
  }
  accounts::GenerateResponse out;
  out.address = *ethereum::ParseAddress(account->address);
  out.encrypted_data_key = std::move(data_key->ciphertext_blob);
  out.encrypted_private_key = std::move(*sealed);
  out.owner_key = request.owner_key;
  return out;
}

core::Result<accounts::SignResponse> KmsAccountOperations::Sign(
    const accounts::SignRequest& request) {
  auto format = wallet::DetectEnvelopeFormat(request.encrypted_private_key);
  if (!format) {
    return Fail(format.error());
  }
  if (*format == wallet::EnvelopeFormat::kHardenedV1 && !request.address) {
    return Fail(ErrorCode::kAccountRequestInvalid,
                "a hardened account is bound to its address: the sign request needs it");
  }
  // Owner authorization first: cheap, and no KMS call for a request its owner did not sign.
  // The owner key the request names is proven by the envelope (AAD and EncryptionContext):
  // dropping or replacing it makes decryption fail below.
  const wallet::OwnerKey* owner = request.owner_key ? &*request.owner_key : nullptr;
  const core::Bytes* nonce = request.owner_auth ? &request.owner_auth->nonce : nullptr;
  const wallet::OwnerSignature* signature =
      request.owner_auth ? &request.owner_auth->signature : nullptr;
  const ethereum::Address claimed = request.address.value_or(ethereum::Address{});
  ENCLAVECTL_RETURN_IF_ERROR(wallet::CheckOwnerAuthorization(owner, request.name, claimed,
                                                             request.digest, nonce, signature));

  const std::unique_ptr<EnclaveKms> kms = kms_.ForCredential(request.credential);
  auto key_arn = Gate(*kms, request.key_id);
  if (!key_arn) {
    return Fail(key_arn.error());
  }
  const wallet::AccountBinding binding{
      request.name, request.address ? ethereum::ChecksumAddress(*request.address) : "",
      request.key_id, owner != nullptr ? wallet::OwnerKeyHex(*owner) : ""};
  auto context = ContextFor(*format, binding);
  if (!context) {
    return Fail(context.error());
  }
  auto recipient = CurrentRecipient();
  if (!recipient) {
    return Fail(recipient.error());
  }
  auto for_recipient =
      kms->Decrypt(*key_arn, request.encrypted_data_key, *context, (*recipient)->document);
  if (!for_recipient) {
    DropRecipient(*recipient);
    return Fail(for_recipient.error());
  }
  auto data_key = OpenRecipientSecret(*for_recipient, **recipient, "Decrypt");
  if (!data_key) {
    DropRecipient(*recipient);
    return Fail(data_key.error());
  }
  auto secret = wallet::OpenAccountKey(data_key->View(), request.encrypted_private_key, binding);
  if (!secret) {
    return Fail(secret.error());
  }
  auto address = ethereum::AddressFromSecret(secret->View());
  if (!address) {
    return Fail(address.error());
  }
  if (request.address && *request.address != *address) {
    return Fail(ErrorCode::kAccountAddressMismatch,
                "the request's address is not the account key's");
  }
  if (owner != nullptr) {
    // Remembered only now, so that a KMS failure above does not burn the authorization.
    ENCLAVECTL_RETURN_IF_ERROR(
        replay_.Remember(wallet::OwnerAuthMessage(request.name, *address, request.digest, *nonce)));
  }
  auto signed_digest = ethereum::SignDigest(secret->View(), request.digest);
  if (!signed_digest) {
    return Fail(signed_digest.error());
  }
  return accounts::SignResponse{*address, *signed_digest};
}

}  // namespace enclavectl::app
