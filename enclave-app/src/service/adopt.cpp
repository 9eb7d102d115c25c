#include "enclavectl/app/adopt.hpp"

#include <secp256k1.h>

#include <algorithm>
#include <string>
#include <utility>

#include "enclavectl/aws/recipient.hpp"
#include "enclavectl/core/encoding.hpp"

namespace enclavectl::app {
namespace {

using core::ErrorCode;
using core::Fail;

bool IsAsciiSpace(std::uint8_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

core::ByteView Trim(core::ByteView bytes) {
  std::size_t begin = 0;
  std::size_t end = bytes.size();
  while (begin < end && IsAsciiSpace(bytes[begin])) {
    ++begin;
  }
  while (end > begin && IsAsciiSpace(bytes[end - 1])) {
    --end;
  }
  return bytes.subspan(begin, end - begin);
}

int HexValue(std::uint8_t c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// 64 hex digits into 32 bytes held as a secret; false when `text` is not that.
bool DecodeHexSecret(core::ByteView text, core::SecretBytes& out) {
  if (text.size() != 64) {
    return false;
  }
  core::SecretBytes bytes(32);
  for (std::size_t i = 0; i < 32; ++i) {
    const int high = HexValue(text[2 * i]);
    const int low = HexValue(text[2 * i + 1]);
    if (high < 0 || low < 0) {
      return false;
    }
    bytes.MutableData()[i] = static_cast<std::uint8_t>((high << 4) | low);
  }
  out = std::move(bytes);
  return true;
}

}  // namespace

core::Result<core::Bytes> ParseAdoptCiphertext(const std::optional<std::string>& value) {
  if (!value) {
    return Fail(ErrorCode::kAdoptCiphertextAbsent,
                "the ciphertext to adopt does not exist (no Introspector key to adopt)");
  }
  const core::ByteView trimmed = Trim(core::AsBytes(*value));
  const std::string_view text(reinterpret_cast<const char*>(trimmed.data()), trimmed.size());
  if (text.empty() || text == "UNSET") {
    return Fail(ErrorCode::kAdoptCiphertextAbsent,
                "the ciphertext to adopt is " + std::string(text.empty() ? "empty" : "UNSET") +
                    " (no Introspector key to adopt)");
  }
  if (text.size() > kMaxAdoptCiphertextText) {
    return Fail(ErrorCode::kAdoptCiphertextInvalid, "the ciphertext to adopt is longer than " +
                                                        std::to_string(kMaxAdoptCiphertextText) +
                                                        " characters");
  }
  auto blob = core::Base64Decode(text);
  if (!blob || blob->empty() || blob->size() > kMaxAdoptCiphertextBytes) {
    return Fail(ErrorCode::kAdoptCiphertextInvalid,
                "the ciphertext to adopt is not standard padded base64 of a KMS ciphertext blob "
                "(1..6144 bytes)");
  }
  return blob;
}

core::Result<core::SecretBytes> NormaliseAdoptedSecret(core::ByteView plaintext) {
  if (plaintext.size() > kMaxAdoptPlaintextBytes) {
    return Fail(ErrorCode::kAdoptSecretInvalid, "the adopted plaintext is longer than 4096 bytes");
  }
  core::SecretBytes secret;
  // migration.md 3.2 step 5: 64 hex digits (after trimming) are the key as written.
  if (!DecodeHexSecret(Trim(plaintext), secret)) {
    if (plaintext.size() != 32) {
      return Fail(ErrorCode::kAdoptSecretInvalid,
                  "the adopted plaintext is " + std::to_string(plaintext.size()) +
                      " bytes: neither 64 hex digits nor 32 raw bytes");
    }
    secret = core::SecretBytes(plaintext);
  }
  // 0 < s < n, used as is: an adopted key must stay the key Introspector served.
  if (secp256k1_ec_seckey_verify(secp256k1_context_static, secret.View().data()) != 1) {
    return Fail(ErrorCode::kAdoptSecretInvalid,
                "the adopted secret is not a valid secp256k1 secret key (zero, or not below the "
                "group order)");
  }
  return secret;
}

core::Result<core::SecretBytes> AdoptIntrospectorSecret(const KeyAdoption& adoption,
                                                        SetupContext& setup,
                                                        const std::string& sealing_key_arn,
                                                        const KmsRecipient& recipient,
                                                        std::string& detail) {
  if (adoption.source == nullptr) {
    return Fail(ErrorCode::kInvalidArgument, "no ciphertext source to adopt from");
  }
  auto value = adoption.source->Load();
  if (!value) {
    return Fail(value.error());
  }
  auto blob = ParseAdoptCiphertext(*value);
  if (!blob) {
    return Fail(blob.error().code, adoption.source->Describe() + ": " + blob.error().detail);
  }
  std::string key_arn = sealing_key_arn;
  if (!adoption.kms_key_id.empty()) {
    auto key = DescribeSetupKey(setup.kms, adoption.kms_key_id);
    if (!key) {
      return Fail(key.error());
    }
    if (key->arn != sealing_key_arn) {
      // The same judgement as the sealing key's: only this image may decrypt (else the secret
      // is not ours alone to seal), nobody may encrypt without an attestation.
      auto policy = CheckKeyPolicy(setup.kms, setup.nsm, *key, KeyMode::kSealed, setup.policy);
      if (!policy) {
        if (policy.error().code == ErrorCode::kAppKeyPolicyUnsafe) {
          return Fail(ErrorCode::kAdoptKeyPolicyUnsafe,
                      "the policy of " + key->arn +
                          " (the key of the ciphertext to adopt) is not enclave-only for this "
                          "enclave's PCR0: " +
                          (policy.error().detail));
        }
        return Fail(policy.error());
      }
    }
    key_arn = key->arn;
  }
  // migration.md 3.1: no EncryptionContext. KeyId named: KMS refuses a blob of another key.
  auto for_recipient = setup.kms.Decrypt(key_arn, *blob, {}, recipient.document);
  if (!for_recipient) {
    return Fail(for_recipient.error());
  }
  auto plaintext = aws::DecryptCiphertextForRecipient(*for_recipient, recipient.key.get());
  if (!plaintext) {
    return Fail(plaintext.error());
  }
  auto secret = NormaliseAdoptedSecret(plaintext->View());
  if (!secret) {
    return Fail(secret.error());
  }
  detail = "adopted from " + adoption.source->Describe() + " (KMS key " + key_arn + ")";
  return secret;
}

}  // namespace enclavectl::app
