#include "enclavectl/app/key_setup.hpp"

#include <string>
#include <utility>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/kmspolicy/recipient.hpp"
#include "enclavectl/verifier/key_binding.hpp"

namespace enclavectl::app {
namespace {

using core::ErrorCode;
using core::Fail;

constexpr std::uint16_t kBindingPcr = static_cast<std::uint16_t>(verifier::kKeyBindingPcr);

// The Recipient of one setup: a fresh RSA-2048 key and an attestation document carrying its
// public key (kms.md section 6: no user_data, no nonce).
struct Recipient {
  core::EvpPkeyPtr key;
  Bytes document;
};

core::Result<Recipient> MakeRecipient(NsmClient& nsm) {
  auto key = kmspolicy::MakeRecipientKey();
  if (!key) {
    return Fail(key.error());
  }
  auto spki = kmspolicy::PublicKeyDer(key->get());
  if (!spki) {
    return Fail(spki.error());
  }
  AttestationRequest request;
  request.public_key = std::move(*spki);
  auto document = nsm.Attestation(request);
  if (!document) {
    return Fail(document.error());
  }
  return Recipient{std::move(*key), std::move(*document)};
}

// Decrypts a CiphertextForRecipient that must hold a 32-byte secret.
core::Result<core::SecretBytes> OpenSecret(ByteView ciphertext_for_recipient,
                                           const Recipient& recipient, const char* what) {
  auto secret =
      kmspolicy::DecryptCiphertextForRecipient(ciphertext_for_recipient, recipient.key.get());
  if (!secret) {
    return Fail(secret.error());
  }
  if (secret->size() != 32) {
    return Fail(ErrorCode::kKmsResponseMalformed, std::string(what) + " returned a secret of " +
                                                      std::to_string(secret->size()) +
                                                      " bytes (32 expected)");
  }
  return secret;
}

core::Result<ObtainedKey> Reproducible(const SetupRequest& request, SetupContext& setup) {
  auto nums = MakeNumsKey(request.blockhash);
  if (!nums) {
    return Fail(nums.error());
  }
  auto recipient = MakeRecipient(setup.nsm);
  if (!recipient) {
    return Fail(recipient.error());
  }
  auto for_recipient =
      setup.kms.DeriveSharedSecret(request.key_id, nums->spki_der, recipient->document);
  if (!for_recipient) {
    return Fail(for_recipient.error());
  }
  auto secret = OpenSecret(*for_recipient, *recipient, "DeriveSharedSecret");
  if (!secret) {
    return Fail(secret.error());
  }
  auto keys = MakeKeyPair(*secret, setup.ctx);
  if (!keys) {
    return Fail(keys.error());
  }
  return ObtainedKey{std::move(*keys), "derived from KMS key " + request.key_id +
                                           (request.blockhash ? " with a blockhash" : "") +
                                           " (NUMS counter " + std::to_string(nums->counter) + ")"};
}

// Unseals `text` (a stored record) with KMS.
core::Result<KeyPair> Unseal(std::string_view text, const SetupRequest& request,
                             SetupContext& setup, const Recipient& recipient) {
  auto record = DecodeSealedRecord(text);
  if (!record) {
    return Fail(record.error());
  }
  auto for_recipient = setup.kms.Decrypt(request.key_id, record->ciphertext_blob,
                                         record->encryption_context, recipient.document);
  if (!for_recipient) {
    return Fail(for_recipient.error());
  }
  auto secret = OpenSecret(*for_recipient, recipient, "Decrypt");
  if (!secret) {
    return Fail(secret.error());
  }
  auto keys = MakeKeyPair(*secret, setup.ctx);
  if (!keys) {
    return Fail(keys.error());
  }
  if (!core::Equal(keys->signing.Compressed(), record->public_key)) {
    return Fail(ErrorCode::kSealedRecordInvalid,
                "the unsealed key is not the public key the record names");
  }
  return keys;
}

core::Result<ObtainedKey> Sealed(const SetupRequest& request, SetupContext& setup) {
  if (request.blockhash) {
    return Fail(ErrorCode::kInvalidArgument, "a blockhash applies to reproducible mode only");
  }
  auto stored = setup.store.Load();
  if (!stored) {
    return Fail(stored.error());
  }
  auto recipient = MakeRecipient(setup.nsm);
  if (!recipient) {
    return Fail(recipient.error());
  }
  if (*stored) {
    auto keys = Unseal(**stored, request, setup, *recipient);
    if (!keys) {
      return Fail(keys.error());
    }
    return ObtainedKey{std::move(*keys), "unsealed from " + setup.store.Describe()};
  }
  const EncryptionContext context = SealedKeyContext();
  auto data_key = setup.kms.GenerateDataKey(request.key_id, 32, context, recipient->document);
  if (!data_key) {
    return Fail(data_key.error());
  }
  auto secret = OpenSecret(data_key->ciphertext_for_recipient, *recipient, "GenerateDataKey");
  if (!secret) {
    return Fail(secret.error());
  }
  auto keys = MakeKeyPair(*secret, setup.ctx);
  if (!keys) {
    return Fail(keys.error());
  }
  const SealedRecord record{request.key_id, std::move(data_key->ciphertext_blob),
                            keys->signing.Compressed(), context};
  if (auto created = setup.store.Create(EncodeSealedRecord(record)); !created) {
    if (created.error().code != ErrorCode::kSealedKeyExists) {
      return Fail(created.error());
    }
    // Another instance sealed first: use its key, so that every instance holds the same one.
    auto winner = setup.store.Load();
    if (!winner) {
      return Fail(winner.error());
    }
    if (!*winner) {
      return Fail(ErrorCode::kSealedRecordInvalid,
                  setup.store.Describe() + " reported a record that is not there");
    }
    auto theirs = Unseal(**winner, request, setup, *recipient);
    if (!theirs) {
      return Fail(theirs.error());
    }
    return ObtainedKey{std::move(*theirs),
                       "unsealed from " + setup.store.Describe() + " (another instance sealed it)"};
  }
  return ObtainedKey{std::move(*keys), "sealed into " + setup.store.Describe()};
}

}  // namespace

const char* KeyModeName(KeyMode mode) noexcept {
  return mode == KeyMode::kSealed ? "sealed" : "reproducible";
}

EncryptionContext SealedKeyContext() {
  return {{"enclavectl:purpose", "enclave-app sealed signing key v1"}};
}

core::Result<ObtainedKey> ObtainKey(const SetupRequest& request, SetupContext& setup) {
  if (request.key_id.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "no KMS key id");
  }
  return request.mode == KeyMode::kSealed ? Sealed(request, setup) : Reproducible(request, setup);
}

core::Status BindKeyToPcr16(NsmClient& nsm, ByteView compressed_key, bool& touched) {
  const core::Sha384Digest expected = verifier::KeyBindingPcrValue(compressed_key);
  auto current = nsm.DescribePcr(kBindingPcr);
  if (!current) {
    return Fail(current.error());
  }
  const bool bound = core::Equal(current->data, expected);
  if (current->lock) {
    if (bound) {
      return core::Ok();  // bound earlier in this boot (the service restarted)
    }
    return Fail(ErrorCode::kAppKeyBinding, "PCR16 is locked with another value");
  }
  if (!bound) {
    if (!core::IsAllZero(current->data)) {
      return Fail(ErrorCode::kAppKeyBinding,
                  "PCR16 was already extended with another value in this boot");
    }
    touched = true;
    const core::Sha256Digest key_hash = core::Sha256(compressed_key);
    auto value = nsm.ExtendPcr(kBindingPcr, key_hash);
    if (!value) {
      return Fail(value.error());
    }
    if (!core::Equal(*value, expected)) {
      return Fail(ErrorCode::kAppKeyBinding, "PCR16 after ExtendPCR is not the expected value");
    }
  }
  touched = true;
  return nsm.LockPcr(kBindingPcr);
}

}  // namespace enclavectl::app
