#include "enclavectl/app/key_setup.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "enclavectl/app/adopt.hpp"
#include "enclavectl/app/confidential_script.hpp"
#include "enclavectl/app/kms_recipient.hpp"
#include "enclavectl/aws/recipient.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/kmspolicy/policy.hpp"
#include "enclavectl/verifier/key_binding.hpp"

namespace enclavectl::app {
namespace {

using core::ErrorCode;
using core::Fail;

constexpr std::uint16_t kBindingPcr = static_cast<std::uint16_t>(verifier::kKeyBindingPcr);

using Recipient = KmsRecipient;

core::Result<KeyPair> Reproducible(const SetupRequest& request, const std::string& key_arn,
                                   SetupContext& setup, std::string& detail) {
  std::optional<core::Sha256Digest> nums_blockhash = request.blockhash;
  if (request.derivation == KeyDerivation::kHkdf && nums_blockhash) {
    // confidential-script.md 2.3 step 1: the Confidential Script TEE hashes the blockhash in
    // Bitcoin's internal byte order, the reverse of the hex it is written in.
    std::reverse(nums_blockhash->begin(), nums_blockhash->end());
  }
  auto nums = MakeNumsKey(nums_blockhash);
  if (!nums) {
    return Fail(nums.error());
  }
  auto recipient = MakeKmsRecipient(setup.nsm);
  if (!recipient) {
    return Fail(recipient.error());
  }
  auto for_recipient = setup.kms.DeriveSharedSecret(key_arn, nums->spki_der, recipient->document);
  if (!for_recipient) {
    return Fail(for_recipient.error());
  }
  auto secret = OpenRecipientSecret(*for_recipient, *recipient, "DeriveSharedSecret");
  if (!secret) {
    return Fail(secret.error());
  }
  detail = "derived from KMS key " + key_arn + (request.blockhash ? " with a blockhash" : "") +
           " (NUMS counter " + std::to_string(nums->counter) + ")";
  if (request.derivation == KeyDerivation::kHkdf) {
    auto seed = ConfidentialScriptHkdf(secret->View(), "confidential-script-setup");
    if (!seed) {
      return Fail(seed.error());
    }
    detail += " with the HKDF step";
    return MakeKeyPair(*seed, setup.ctx);
  }
  return MakeKeyPair(*secret, setup.ctx);
}

// Unseals `text` (a stored record) with KMS: Decrypt(data key blob) with a Recipient, then the
// AES-256-GCM secret under the data key, bound to the key ARN.
core::Result<SealedKey> Unseal(std::string_view text, const std::string& key_arn,
                               SetupContext& setup, const Recipient& recipient) {
  auto record = DecodeSealedRecord(text);
  if (!record) {
    return Fail(record.error());
  }
  if (record->key_arn != key_arn) {
    return Fail(ErrorCode::kSealedRecordInvalid,
                "the sealed-key record is sealed under another KMS key than " + key_arn);
  }
  auto for_recipient =
      setup.kms.Decrypt(key_arn, record->data_key_blob, SealedKeyContext(), recipient.document);
  if (!for_recipient) {
    return Fail(for_recipient.error());
  }
  auto data_key = OpenRecipientSecret(*for_recipient, recipient, "Decrypt");
  if (!data_key) {
    return Fail(data_key.error());
  }
  auto secret = OpenSealedSecret(*record, data_key->View());
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
  return SealedKey{std::move(*keys), std::move(record->origin)};
}

core::Result<SealedKey> Sealed(const SetupRequest& request, const std::string& key_arn,
                               SetupContext& setup, std::string& detail) {
  if (request.blockhash) {
    return Fail(ErrorCode::kInvalidArgument, "a blockhash applies to reproducible mode only");
  }
  auto stored = setup.store.Load();
  if (!stored) {
    return Fail(stored.error());
  }
  auto recipient = MakeKmsRecipient(setup.nsm);
  if (!recipient) {
    return Fail(recipient.error());
  }
  if (*stored) {
    detail = "unsealed from " + setup.store.Describe();
    if (setup.adoption != nullptr) {
      detail +=
          " (--adopt-ciphertext ignored: the store already holds a record, adoption "
          "happens once)";
    }
    return Unseal(**stored, key_arn, setup, *recipient);
  }
  if (setup.adoption != nullptr) {
    std::string adopted;
    auto secret = AdoptIntrospectorSecret(*setup.adoption, setup, key_arn, *recipient, adopted);
    if (!secret) {
      return Fail(secret.error());
    }
    auto sealed =
        SealProvidedSecret(setup, key_arn, *recipient, *secret, kSealedOriginAdopted, detail);
    if (sealed && detail.rfind("sealed into", 0) == 0) {
      detail = adopted + ", " + detail;
    }
    return sealed;
  }
  core::SecretBytes secret(32);
  if (setup.given_secret != nullptr) {
    if (setup.given_secret->size() != 32) {
      return Fail(ErrorCode::kInvalidArgument, "a given secret must be 32 bytes");
    }
    std::copy(setup.given_secret->View().begin(), setup.given_secret->View().end(),
              secret.MutableData());
  } else if (RAND_bytes(secret.MutableData(), 32) != 1) {
    return Fail(ErrorCode::kInternal, "no random secret");
  }
  return SealProvidedSecret(setup, key_arn, *recipient, secret,
                            setup.given_secret != nullptr ? kSealedOriginMigrated : "", detail);
}

}  // namespace

core::Result<SealedKey> SealProvidedSecret(SetupContext& setup, const std::string& key_arn,
                                           const KmsRecipient& recipient,
                                           const core::SecretBytes& secret, std::string_view origin,
                                           std::string& detail) {
  if (secret.size() != 32) {
    return Fail(ErrorCode::kInvalidArgument, "a sealed secret is 32 bytes");
  }
  if (!origin.empty() && !IsValidSealedOrigin(origin)) {
    return Fail(ErrorCode::kInvalidArgument, "a sealed origin is 1..32 characters of [a-z0-9-]");
  }
  // Only operations that need an attestation: GenerateDataKey with a Recipient.
  auto data_key = setup.kms.GenerateDataKey(key_arn, 32, SealedKeyContext(), recipient.document);
  if (!data_key) {
    return Fail(data_key.error());
  }
  auto plain_data_key =
      OpenRecipientSecret(data_key->ciphertext_for_recipient, recipient, "GenerateDataKey");
  if (!plain_data_key) {
    return Fail(plain_data_key.error());
  }
  auto keys = MakeKeyPair(secret, setup.ctx);
  if (!keys) {
    return Fail(keys.error());
  }
  auto record = SealSecret(plain_data_key->View(), secret.View(), key_arn,
                           std::move(data_key->ciphertext_blob), keys->signing.Compressed(),
                           std::string(origin));
  if (!record) {
    return Fail(record.error());
  }
  if (auto created = setup.store.Create(EncodeSealedRecord(*record)); !created) {
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
    detail = "unsealed from " + setup.store.Describe() + " (another instance sealed it)";
    return Unseal(**winner, key_arn, setup, recipient);
  }
  detail = "sealed into " + setup.store.Describe();
  return SealedKey{std::move(*keys), std::string(origin)};
}

const char* KeyModeName(KeyMode mode) noexcept {
  return mode == KeyMode::kSealed ? "sealed" : "reproducible";
}

EncryptionContext SealedKeyContext() {
  return {{"enclavectl:purpose", "enclave-app sealed signing key v2"}};
}

core::Result<aws::KeyMetadata> DescribeSetupKey(EnclaveKms& kms, const std::string& key_id) {
  auto metadata = kms.DescribeKey(key_id);
  if (!metadata) {
    return Fail(metadata.error());
  }
  // arn:<partition>:kms:<region>:<account>:key/<id>
  const std::string& arn = metadata->arn;
  if (arn.rfind("arn:", 0) != 0 || arn.find(":kms:") == std::string::npos ||
      arn.find(":key/") == std::string::npos || arn.size() > core::limits::kMaxKmsKeyIdBytes) {
    return Fail(ErrorCode::kKmsResponseMalformed, "DescribeKey answered without a key ARN");
  }
  return metadata;
}

core::Result<std::string> ResolveKeyArn(EnclaveKms& kms, const std::string& key_id) {
  auto metadata = DescribeSetupKey(kms, key_id);
  if (!metadata) {
    return Fail(metadata.error());
  }
  return std::move(metadata->arn);
}

core::Result<KeyPolicyReport> CheckKeyPolicy(EnclaveKms& kms, NsmClient& nsm,
                                             const aws::KeyMetadata& key, KeyMode mode,
                                             const PolicyCheckOptions& options) {
  const std::string& key_arn = key.arn;
  KeyPolicyReport report;
  if (options.skip) {
    return report;
  }
  auto pcr0 = nsm.DescribePcr(0);
  if (!pcr0) {
    return Fail(pcr0.error());
  }
  report.pcr0_hex = core::HexEncode(pcr0->data);
  auto text = kms.GetKeyPolicy(key_arn);
  if (!text) {
    return Fail(text.error());
  }
  report.checked = true;
  report.sha256 = core::Sha256(core::AsBytes(*text));
  auto policy = kmspolicy::ParsePolicy(*text);
  if (!policy) {
    report.reasons.push_back("the key policy does not parse: " + policy.error().detail);
  } else {
    // kms.md 7: enclave-only and locked, judged for this enclave's own image.
    kmspolicy::LintReport lint =
        kmspolicy::LintPolicy(*policy, kmspolicy::LintTarget{key_arn, report.pcr0_hex});
    // No policy governs key material that exists outside this key (imported, external, replicas).
    kmspolicy::AddKeyMaterialVerdict(lint, key);
    report.enclave_only = lint.enclave_only.holds;
    report.locked = lint.locked.holds;
    for (const auto* verdict : {&lint.enclave_only, &lint.locked}) {
      if (!verdict->holds) {
        report.reasons.insert(report.reasons.end(), verdict->reasons.begin(),
                              verdict->reasons.end());
      }
    }
  }
  const bool need_enclave_only = mode == KeyMode::kSealed || options.require.enclave_only;
  if (need_enclave_only && !report.enclave_only) {
    return Fail(ErrorCode::kAppKeyPolicyUnsafe,
                std::string("the key policy is not enclave-only for this enclave's PCR0") +
                    (mode == KeyMode::kSealed ? " (sealed mode requires it)" : ""));
  }
  if (options.require.locked && !report.locked) {
    return Fail(ErrorCode::kAppKeyPolicyUnsafe, "the key policy is not locked");
  }
  return report;
}

core::Result<ObtainedKey> ObtainKey(const SetupRequest& request, SetupContext& setup) {
  if (request.key_id.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "no KMS key id");
  }
  auto key = DescribeSetupKey(setup.kms, request.key_id);
  if (!key) {
    return Fail(key.error());
  }
  std::string key_arn = key->arn;
  // Before any key is derived or any record adopted.
  auto policy = CheckKeyPolicy(setup.kms, setup.nsm, *key, request.mode, setup.policy);
  if (!policy) {
    return Fail(policy.error());
  }
  if (setup.given_secret != nullptr && request.mode != KeyMode::kSealed) {
    return Fail(ErrorCode::kInvalidArgument, "a migrated key is kept in sealed mode only");
  }
  std::string detail;
  if (request.mode == KeyMode::kSealed) {
    auto sealed = Sealed(request, key_arn, setup, detail);
    if (!sealed) {
      return Fail(sealed.error());
    }
    // A recorded origin means the secret was made outside an enclave (docs/migration.md).
    const bool provable = sealed->origin.empty();
    std::string origin = provable ? std::string("sealed") : std::move(sealed->origin);
    return ObtainedKey{std::move(sealed->keys), std::move(detail), std::move(key_arn),
                       std::move(*policy),      std::move(origin), provable};
  }
  auto keys = Reproducible(request, key_arn, setup, detail);
  if (!keys) {
    return Fail(keys.error());
  }
  return ObtainedKey{std::move(*keys),   std::move(detail), std::move(key_arn),
                     std::move(*policy), "reproducible",    true};
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
