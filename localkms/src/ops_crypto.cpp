// The cryptographic operations (kms.md 4, 5): Encrypt, Decrypt, GenerateDataKey,
// GenerateRandom and DeriveSharedSecret. A Recipient is checked before the service lock is
// taken, and the result is encrypted to it after the lock is released.
#include <openssl/rand.h>

#include "enclavectl/localkms/crypto.hpp"
#include "service_internal.hpp"

namespace enclavectl::localkms::internal {
namespace {

// The ciphertext's key (named in the blob) and, when KeyId is given, that it is the same key.
const KeyRecord* CiphertextKey(State& kms, const aws::DecryptRequest& request, core::ByteView blob,
                               Fault& fault) {
  const std::optional<std::string> named = CiphertextKeyId(blob);
  if (!named) {
    fault = MakeFault("InvalidCiphertextException", "");
    return nullptr;
  }
  const KeyRecord* key = kms.Resolve(*named, fault, false);
  if (key == nullptr) {
    fault = MakeFault("InvalidCiphertextException", "");
    return nullptr;
  }
  if (!request.key_id.empty()) {
    const KeyRecord* asked = kms.Resolve(request.key_id, fault);
    if (asked == nullptr) {
      return nullptr;
    }
    if (asked != key) {
      fault = MakeFault("IncorrectKeyException",
                        "The key ID in the request does not identify a CMK that can "
                        "perform this operation.");
      return nullptr;
    }
  }
  return key;
}

// Decrypt's state part, under the lock: the key, the policy, the key state, the plaintext.
std::optional<Fault> DecryptLocked(State& kms, const Call& call, const aws::DecryptRequest& request,
                                   core::ByteView blob, const RecipientCheck& recipient,
                                   aws::DecryptResult& result) {
  Fault fault;
  const KeyRecord* key = CiphertextKey(kms, request, blob, fault);
  if (key == nullptr) {
    return fault;
  }
  if (auto denied = kms.Authorize(call, *key, &recipient, &request.encryption_context)) {
    return denied;
  }
  if (auto unusable = kms.CheckUsable(*key)) {
    return unusable;
  }
  if (!request.encryption_algorithm.empty() &&
      request.encryption_algorithm != "SYMMETRIC_DEFAULT") {
    return MakeFault("IncorrectKeyException",
                     "The encryption algorithm does not match the ciphertext");
  }
  auto plaintext = OpenSymmetric(*key, blob, request.encryption_context);
  if (!plaintext) {
    return MakeFault("InvalidCiphertextException", "");
  }
  if (request.dry_run) {
    return DryRun();
  }
  result.key_id = kms.ArnOf(key->key_id);
  result.encryption_algorithm = "SYMMETRIC_DEFAULT";
  result.plaintext = std::move(*plaintext);
  return std::nullopt;
}

// GenerateDataKey's state part, under the lock.
std::optional<Fault> GenerateDataKeyLocked(State& kms, const Call& call,
                                           const aws::GenerateDataKeyRequest& request,
                                           const RecipientCheck& recipient,
                                           aws::GenerateDataKeyResult& result) {
  Fault fault;
  const KeyRecord* key =
      kms.ResolveAuthorized(request.key_id, call, &recipient, &request.encryption_context, fault);
  if (key == nullptr) {
    return fault;
  }
  if (auto unusable = kms.CheckUsable(*key)) {
    return unusable;
  }
  if (auto wrong = kms.CheckUsage(*key, KeyUsage::kEncryptDecrypt, "GenerateDataKey")) {
    return wrong;
  }
  if (request.dry_run) {
    return DryRun();
  }
  const std::size_t len = request.number_of_bytes         ? *request.number_of_bytes
                          : request.key_spec == "AES_128" ? 16
                                                          : 32;
  result.plaintext = core::SecretBytes(len);
  if (RAND_bytes(result.plaintext.MutableData(), static_cast<int>(len)) != 1) {
    return InternalFault("the CSPRNG failed");
  }
  auto blob = SealSymmetric(*key, result.plaintext.View(), request.encryption_context);
  if (!blob) {
    return InternalFault("encryption failed");
  }
  result.ciphertext_blob = std::move(*blob);
  result.key_id = kms.ArnOf(key->key_id);
  return std::nullopt;
}

// DeriveSharedSecret's state part, under the lock.
std::optional<Fault> DeriveSharedSecretLocked(State& kms, const Call& call,
                                              const aws::DeriveSharedSecretRequest& request,
                                              const RecipientCheck& recipient,
                                              aws::DeriveSharedSecretResult& result) {
  Fault fault;
  const KeyRecord* key = kms.ResolveAuthorized(request.key_id, call, &recipient, nullptr, fault);
  if (key == nullptr) {
    return fault;
  }
  if (auto unusable = kms.CheckUsable(*key)) {
    return unusable;
  }
  if (auto wrong = kms.CheckUsage(*key, KeyUsage::kKeyAgreement, "DeriveSharedSecret")) {
    return wrong;
  }
  auto secret = localkms::DeriveSharedSecret(*key, request.public_key);
  if (!secret) {
    if (secret.error().code == core::ErrorCode::kKmsValidation) {
      return MakeFault("ValidationException", secret.error().detail);
    }
    return InternalFault("ECDH failed");
  }
  if (request.dry_run) {
    return DryRun();
  }
  result.key_id = kms.ArnOf(key->key_id);
  result.shared_secret = std::move(*secret);
  result.key_agreement_algorithm = "ECDH";
  result.key_origin = key->origin;
  return std::nullopt;
}

// The frame of an operation that takes a Recipient: the document is checked without the
// lock, `locked(recipient)` takes the lock for the state part, and the secret at `secret` in
// `result` is encrypted to the recipient after the lock is released.
template <typename Result, typename Locked>
std::optional<Fault> WithRecipient(Service& service, const Call& call,
                                   const std::optional<aws::RecipientInfo>& info, Result& result,
                                   core::SecretBytes Result::*secret, Locked locked) {
  RecipientCheck recipient;
  if (auto invalid = service.CheckRecipient(info, recipient)) {
    return invalid;
  }
  call.note = recipient.note;
  if (auto fault = locked(recipient)) {
    return fault;
  }
  return Deliver(recipient, result.*secret, result.ciphertext_for_recipient);
}

}  // namespace

Answer Encrypt(Service& service, const Call& call) {
  core::SecretBytes plaintext;
  auto request = aws::DecodeEncryptRequest(core::AsBytes(call.body), plaintext);
  if (!request) {
    return Error(FromDecodeError(request.error()));
  }
  Session kms = service.Lock();
  Fault fault;
  const KeyRecord* key =
      kms->ResolveAuthorized(request->key_id, call, nullptr, &request->encryption_context, fault);
  if (key == nullptr) {
    return Error(std::move(fault));
  }
  if (auto unusable = kms->CheckUsable(*key)) {
    return Error(std::move(*unusable));
  }
  if (auto wrong = kms->CheckUsage(*key, KeyUsage::kEncryptDecrypt, "Encrypt")) {
    return Error(std::move(*wrong));
  }
  if (!request->encryption_algorithm.empty() &&
      request->encryption_algorithm != "SYMMETRIC_DEFAULT") {
    return Error(MakeFault("InvalidKeyUsageException",
                           "The encryption algorithm " + request->encryption_algorithm +
                               " is not compatible with " + kms->ArnOf(key->key_id)));
  }
  auto blob = SealSymmetric(*key, plaintext.View(), request->encryption_context);
  if (!blob) {
    return Error(InternalFault("encryption failed"));
  }
  return Ok(
      aws::EncodeEncryptResponse({std::move(*blob), kms->ArnOf(key->key_id), "SYMMETRIC_DEFAULT"}));
}

Answer Decrypt(Service& service, const Call& call) {
  core::Bytes blob;
  auto request = aws::DecodeDecryptRequest(core::AsBytes(call.body), blob);
  if (!request) {
    return Error(FromDecodeError(request.error()));
  }
  aws::DecryptResult result;
  auto fault = WithRecipient(service, call, request->recipient, result,
                             &aws::DecryptResult::plaintext, [&](const RecipientCheck& recipient) {
                               Session kms = service.Lock();
                               return DecryptLocked(*kms, call, *request, blob, recipient, result);
                             });
  return fault ? Error(std::move(*fault)) : Ok(aws::EncodeDecryptResponse(result));
}

Answer GenerateDataKey(Service& service, const Call& call) {
  auto request = aws::DecodeGenerateDataKeyRequest(core::AsBytes(call.body));
  if (!request) {
    return Error(FromDecodeError(request.error()));
  }
  aws::GenerateDataKeyResult result;
  auto fault =
      WithRecipient(service, call, request->recipient, result,
                    &aws::GenerateDataKeyResult::plaintext, [&](const RecipientCheck& recipient) {
                      Session kms = service.Lock();
                      return GenerateDataKeyLocked(*kms, call, *request, recipient, result);
                    });
  return fault ? Error(std::move(*fault)) : Ok(aws::EncodeGenerateDataKeyResponse(result));
}

// No key, so no key policy and no state: kms:GenerateRandom is an IAM permission and the
// local KMS has no IAM; every authenticated caller may call it (docs/local-stack.md).
Answer GenerateRandom(Service& service, const Call& call) {
  auto request = aws::DecodeGenerateRandomRequest(core::AsBytes(call.body));
  if (!request) {
    return Error(FromDecodeError(request.error()));
  }
  if (!request->custom_key_store_id.empty()) {
    return Error(
        MakeFault("CustomKeyStoreNotFoundException", "The local KMS has no custom key stores"));
  }
  aws::GenerateRandomResult result;
  auto fault = WithRecipient(service, call, request->recipient, result,
                             &aws::GenerateRandomResult::plaintext,
                             [&](const RecipientCheck&) -> std::optional<Fault> {
                               result.plaintext = core::SecretBytes(request->number_of_bytes);
                               if (RAND_bytes(result.plaintext.MutableData(),
                                              static_cast<int>(request->number_of_bytes)) != 1) {
                                 return InternalFault("the CSPRNG failed");
                               }
                               return std::nullopt;
                             });
  return fault ? Error(std::move(*fault)) : Ok(aws::EncodeGenerateRandomResponse(result));
}

Answer DeriveSharedSecret(Service& service, const Call& call) {
  auto request = aws::DecodeDeriveSharedSecretRequest(core::AsBytes(call.body));
  if (!request) {
    return Error(FromDecodeError(request.error()));
  }
  aws::DeriveSharedSecretResult result;
  auto fault = WithRecipient(
      service, call, request->recipient, result, &aws::DeriveSharedSecretResult::shared_secret,
      [&](const RecipientCheck& recipient) {
        Session kms = service.Lock();
        return DeriveSharedSecretLocked(*kms, call, *request, recipient, result);
      });
  return fault ? Error(std::move(*fault)) : Ok(aws::EncodeDeriveSharedSecretResponse(result));
}

}  // namespace enclavectl::localkms::internal
