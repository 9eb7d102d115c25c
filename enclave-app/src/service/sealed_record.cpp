#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <string>

#include "enclavectl/app/sealed_store.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/limits.hpp"

namespace enclavectl::app {
namespace {

using core::ErrorCode;
using core::Fail;

constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;
constexpr std::size_t kSecretBytes = 32;

core::Error Invalid(const std::string& what) {
  return core::Error{ErrorCode::kSealedRecordInvalid, "sealed-key record: " + what, -1};
}

int Len(std::size_t size) { return static_cast<int>(size); }

// A hex member of exactly `len` bytes.
core::Result<core::Bytes> HexMember(const core::JsonObjectView& object, const char* name,
                                    std::size_t len) {
  auto text = object.String(name);
  if (!text) {
    return Fail(Invalid(text.error().detail));
  }
  auto bytes = core::HexDecode(*text);
  if (!bytes || bytes->size() != len) {
    return Fail(Invalid(std::string(name) + " is not " + std::to_string(2 * len) + " hex digits"));
  }
  return bytes;
}

}  // namespace

bool IsValidSealedOrigin(std::string_view origin) noexcept {
  return !origin.empty() && origin.size() <= 32 &&
         std::all_of(origin.begin(), origin.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
         });
}

std::string SealedRecordAad(std::string_view key_arn, core::ByteView public_key,
                            std::string_view origin) {
  std::string aad(kSealedRecordFormat);
  aad.push_back('\0');
  aad += std::to_string(kSealedRecordVersion);
  aad.push_back('\0');
  aad += key_arn;
  aad.push_back('\0');
  aad += core::HexEncode(public_key);
  if (!origin.empty()) {
    aad.push_back('\0');
    aad += origin;
  }
  return aad;
}

core::Result<SealedRecord> SealSecret(core::ByteView data_key, core::ByteView secret,
                                      std::string key_arn, core::Bytes data_key_blob,
                                      core::Bytes public_key, std::string origin) {
  if (data_key.size() != 32 || secret.size() != kSecretBytes) {
    return Fail(ErrorCode::kInvalidArgument, "sealing needs a 32-byte data key and secret");
  }
  if (!origin.empty() && !IsValidSealedOrigin(origin)) {
    return Fail(ErrorCode::kInvalidArgument, "a sealed origin is 1..32 characters of [a-z0-9-]");
  }
  SealedRecord record;
  record.key_arn = std::move(key_arn);
  record.data_key_blob = std::move(data_key_blob);
  record.public_key = std::move(public_key);
  record.origin = std::move(origin);
  record.nonce.resize(kNonceBytes);
  record.ciphertext.resize(kSecretBytes);
  record.tag.resize(kTagBytes);
  if (RAND_bytes(record.nonce.data(), Len(kNonceBytes)) != 1) {
    return Fail(ErrorCode::kInternal, "no random nonce");
  }
  const std::string aad = SealedRecordAad(record.key_arn, record.public_key, record.origin);
  core::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int final_len = 0;
  // AES-256-GCM, 96-bit nonce, 128-bit tag (NIST SP 800-38D).
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, data_key.data(),
                         record.nonce.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(aad.data()), Len(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), record.ciphertext.data(), &len, secret.data(),
                        Len(secret.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), record.ciphertext.data() + len, &final_len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, Len(kTagBytes), record.tag.data()) !=
          1) {
    return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("AES-256-GCM seal"));
  }
  return record;
}

core::Result<core::SecretBytes> OpenSealedSecret(const SealedRecord& record,
                                                 core::ByteView data_key) {
  if (data_key.size() != 32 || record.nonce.size() != kNonceBytes ||
      record.ciphertext.size() != kSecretBytes || record.tag.size() != kTagBytes) {
    return Fail(Invalid("wrong data key, nonce, ciphertext or tag length"));
  }
  const std::string aad = SealedRecordAad(record.key_arn, record.public_key, record.origin);
  core::SecretBytes secret(kSecretBytes);
  core::Bytes tag = record.tag;
  core::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int final_len = 0;
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, data_key.data(),
                         record.nonce.data()) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(aad.data()), Len(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), secret.MutableData(), &len, record.ciphertext.data(),
                        Len(record.ciphertext.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, Len(kTagBytes), tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), secret.MutableData() + len, &final_len) != 1) {
    static_cast<void>(core::DrainOpensslErrors("AES-256-GCM open"));
    return Fail(
        Invalid("the sealed secret does not open: the record was altered, is for "
                "another KMS key or public key, or the data key is another one"));
  }
  return secret;
}

std::string EncodeSealedRecord(const SealedRecord& record) {
  nlohmann::ordered_json json = {{"format", kSealedRecordFormat},
                                 {"version", kSealedRecordVersion},
                                 {"key_arn", record.key_arn},
                                 {"data_key_blob", core::Base64Encode(record.data_key_blob)},
                                 {"nonce", core::HexEncode(record.nonce)},
                                 {"ciphertext", core::HexEncode(record.ciphertext)},
                                 {"tag", core::HexEncode(record.tag)},
                                 {"public_key", core::HexEncode(record.public_key)}};
  if (!record.origin.empty()) {
    json["origin"] = record.origin;
  }
  return core::DumpJson(json, 2) + "\n";
}

core::Result<SealedRecord> DecodeSealedRecord(std::string_view text) {
  auto json = core::ParseStrictJson(text, core::limits::kMaxSealedRecordBytes,
                                    ErrorCode::kSealedRecordInvalid, "sealed-key record");
  if (!json) {
    return Fail(json.error());
  }
  auto object =
      core::JsonObjectView::Of(*json, ErrorCode::kSealedRecordInvalid, "sealed-key record");
  if (!object) {
    return Fail(object.error());
  }
  auto format = object->String("format");
  auto version = object->Uint("version", 1000);
  if (!format || *format != kSealedRecordFormat || !version) {
    return Fail(Invalid("not an enclavectl-sealed-key record"));
  }
  if (*version == 1) {
    // Version 1 stored a bare data key: KMS may have produced its blob for kms:Encrypt, i.e.
    // for a secret the parent chose. It is never adopted (no migration).
    return Fail(ErrorCode::kSealedRecordOutdated,
                "sealed-key record of version 1: it binds nothing and may hold a secret chosen "
                "outside the enclave; remove it and set up again (a new key is sealed)");
  }
  if (*version != static_cast<std::uint64_t>(kSealedRecordVersion)) {
    return Fail(Invalid("version " + std::to_string(*version) + " is not supported (2 is)"));
  }
  if (auto only = object->OnlyKeys({"format", "version", "key_arn", "data_key_blob", "nonce",
                                    "ciphertext", "tag", "public_key", "origin"});
      !only) {
    return Fail(Invalid(only.error().detail));
  }
  SealedRecord record;
  auto key_arn = object->String("key_arn");
  if (!key_arn || key_arn->empty() || key_arn->size() > core::limits::kMaxKmsKeyIdBytes ||
      key_arn->rfind("arn:", 0) != 0) {
    return Fail(Invalid("key_arn must be a KMS key ARN"));
  }
  record.key_arn = std::move(*key_arn);
  auto blob = object->String("data_key_blob");
  if (!blob) {
    return Fail(Invalid(blob.error().detail));
  }
  auto blob_bytes = core::Base64Decode(*blob);
  // KMS model: CiphertextBlob is 1..6144 bytes.
  if (!blob_bytes || blob_bytes->empty() || blob_bytes->size() > 6144) {
    return Fail(Invalid("data_key_blob is not base64 of 1..6144 bytes"));
  }
  record.data_key_blob = std::move(*blob_bytes);
  auto nonce = HexMember(*object, "nonce", kNonceBytes);
  auto ciphertext = HexMember(*object, "ciphertext", kSecretBytes);
  auto tag = HexMember(*object, "tag", kTagBytes);
  auto public_key = HexMember(*object, "public_key", 33);
  for (const auto* member : {&nonce, &ciphertext, &tag, &public_key}) {
    if (!*member) {
      return Fail(member->error());
    }
  }
  record.nonce = std::move(*nonce);
  record.ciphertext = std::move(*ciphertext);
  record.tag = std::move(*tag);
  record.public_key = std::move(*public_key);
  if (object->Has("origin")) {
    auto origin = object->String("origin");
    if (!origin || !IsValidSealedOrigin(*origin)) {
      return Fail(Invalid("origin must be 1..32 characters of [a-z0-9-]"));
    }
    record.origin = std::move(*origin);
  }
  return record;
}

}  // namespace enclavectl::app
