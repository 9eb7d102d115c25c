#include <string>

#include "enclavectl/app/sealed_store.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/kmspolicy/json.hpp"

namespace enclavectl::app {
namespace {

using core::ErrorCode;
using core::Fail;

constexpr int kSealedRecordVersion = 1;

core::Error Invalid(const std::string& what) {
  return core::Error{ErrorCode::kSealedRecordInvalid, "sealed-key record: " + what, -1};
}

}  // namespace

std::string EncodeSealedRecord(const SealedRecord& record) {
  nlohmann::ordered_json json = {{"format", kSealedRecordFormat},
                                 {"version", kSealedRecordVersion},
                                 {"key_id", record.key_id},
                                 {"ciphertext_blob", core::Base64Encode(record.ciphertext_blob)},
                                 {"public_key", core::HexEncode(record.public_key)},
                                 {"encryption_context", record.encryption_context}};
  return kmspolicy::DumpJson(json, 2) + "\n";
}

core::Result<SealedRecord> DecodeSealedRecord(std::string_view text) {
  auto json = kmspolicy::ParseStrictJson(text, core::limits::kMaxSealedRecordBytes,
                                         ErrorCode::kSealedRecordInvalid, "sealed-key record");
  if (!json) {
    return Fail(json.error());
  }
  if (!json->is_object()) {
    return Fail(Invalid("not a JSON object"));
  }
  const auto string_member = [&](const char* name) -> const std::string* {
    const auto it = json->find(name);
    return it != json->end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
  };
  const std::string* format = string_member("format");
  const auto version = json->find("version");
  if (format == nullptr || *format != kSealedRecordFormat || version == json->end() ||
      !version->is_number_integer() || version->get<int>() != kSealedRecordVersion) {
    return Fail(Invalid("not an enclavectl-sealed-key record of version 1"));
  }
  for (const auto& [name, value] : json->items()) {
    if (name != "format" && name != "version" && name != "key_id" && name != "ciphertext_blob" &&
        name != "public_key" && name != "encryption_context") {
      return Fail(Invalid("unknown member " + kmspolicy::SafeExcerpt(name)));
    }
  }
  const std::string* key_id = string_member("key_id");
  const std::string* blob = string_member("ciphertext_blob");
  const std::string* public_key = string_member("public_key");
  if (key_id == nullptr || key_id->empty() || key_id->size() > core::limits::kMaxKmsKeyIdBytes ||
      blob == nullptr || public_key == nullptr) {
    return Fail(Invalid("key_id, ciphertext_blob and public_key must be strings"));
  }
  SealedRecord record;
  record.key_id = *key_id;
  auto blob_bytes = core::Base64Decode(*blob);
  // KMS model: CiphertextBlob is 1..6144 bytes.
  if (!blob_bytes || blob_bytes->empty() || blob_bytes->size() > 6144) {
    return Fail(Invalid("ciphertext_blob is not base64 of 1..6144 bytes"));
  }
  record.ciphertext_blob = std::move(*blob_bytes);
  auto key_bytes = core::HexDecode(*public_key);
  if (!key_bytes || key_bytes->size() != 33) {
    return Fail(Invalid("public_key is not 66 hex digits"));
  }
  record.public_key = std::move(*key_bytes);
  if (const auto context = json->find("encryption_context"); context != json->end()) {
    if (!context->is_object()) {
      return Fail(Invalid("encryption_context is not an object"));
    }
    for (const auto& [name, value] : context->items()) {
      if (!value.is_string()) {
        return Fail(Invalid("encryption_context values must be strings"));
      }
      record.encryption_context[name] = value.get<std::string>();
    }
  }
  return record;
}

}  // namespace enclavectl::app
