#include "kms_json.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>

#include "enclavectl/core/encoding.hpp"

namespace enclavectl::aws::kms_json {

using core::ErrorCode;
using core::Fail;

core::SecretBytes ToSecret(const std::string& text) {
  return core::SecretBytes(core::AsBytes(text));
}

core::SecretBytes WithSecretMember(const std::string& json_without_secret, std::string_view name,
                                   core::ByteView secret) {
  const std::string head = json_without_secret.substr(0, json_without_secret.size() - 1) +
                           (json_without_secret.size() > 2 ? "," : "") + "\"" + std::string(name) +
                           "\":\"";
  const std::size_t b64_len = 4 * ((secret.size() + 2) / 3);
  core::SecretBytes out(head.size() + b64_len + 2);
  std::uint8_t* p = out.MutableData();
  std::copy(head.begin(), head.end(), p);
  p += head.size();
  if (!secret.empty()) {
    // EVP_EncodeBlock writes b64_len characters and a NUL; write into a wiped scratch buffer.
    core::SecretBytes scratch(b64_len + 1);
    EVP_EncodeBlock(scratch.MutableData(), secret.data(), static_cast<int>(secret.size()));
    std::copy_n(scratch.View().begin(), b64_len, p);
  }
  p += b64_len;
  p[0] = '"';
  p[1] = '}';
  return out;
}

core::Result<Json> ParseBody(core::ByteView body, const char* operation) {
  auto json = core::ParseStrictJson(core::AsChars(body), core::limits::kMaxKmsResponseBytes,
                                    ErrorCode::kKmsResponseMalformed,
                                    (std::string(operation) + " response").c_str());
  if (!json) {
    return json;
  }
  if (!json->is_object()) {
    return Fail(ErrorCode::kKmsResponseMalformed,
                std::string(operation) + " response is not a JSON object");
  }
  return json;
}

core::Result<std::optional<std::string>> OptString(const Json& obj, const char* name,
                                                   std::size_t max_len) {
  const auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) {
    return std::optional<std::string>();
  }
  if (!it->is_string() || it->get_ref<const std::string&>().size() > max_len) {
    return Fail(ErrorCode::kKmsResponseMalformed, std::string(name) +
                                                      " is not a string of at most " +
                                                      std::to_string(max_len) + " characters");
  }
  return std::optional<std::string>(it->get<std::string>());
}

core::Result<std::string> ReqString(const Json& obj, const char* name, std::size_t max_len) {
  auto value = OptString(obj, name, max_len);
  if (!value) {
    return Fail(value.error());
  }
  if (!*value) {
    return Fail(ErrorCode::kKmsResponseMalformed, std::string("the response has no ") + name);
  }
  return std::move(**value);
}

core::Result<std::vector<std::string>> StringArray(const Json& obj, const char* name) {
  std::vector<std::string> out;
  const auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) {
    return out;
  }
  if (!it->is_array() || it->size() > 64) {
    return Fail(ErrorCode::kKmsResponseMalformed, std::string(name) + " is not a short list");
  }
  for (const Json& item : *it) {
    if (!item.is_string() || item.get_ref<const std::string&>().size() > 256) {
      return Fail(ErrorCode::kKmsResponseMalformed, std::string(name) + " lists a non-string");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

core::Result<std::optional<core::Bytes>> OptBlob(const Json& obj, const char* name,
                                                 std::size_t max_len) {
  const auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) {
    return std::optional<core::Bytes>();
  }
  if (!it->is_string() || it->get_ref<const std::string&>().size() > 4 * (max_len / 3 + 1)) {
    return Fail(ErrorCode::kKmsResponseMalformed, std::string(name) + " is not a base64 string");
  }
  auto bytes = core::Base64Decode(it->get_ref<const std::string&>());
  if (!bytes || bytes->empty() || bytes->size() > max_len) {
    return Fail(ErrorCode::kKmsResponseMalformed,
                std::string(name) + " is not base64 of 1.." + std::to_string(max_len) + " bytes");
  }
  return std::optional<core::Bytes>(std::move(*bytes));
}

core::Result<core::Bytes> ReqBlob(const Json& obj, const char* name, std::size_t max_len) {
  auto blob = OptBlob(obj, name, max_len);
  if (!blob) {
    return Fail(blob.error());
  }
  if (!*blob) {
    return Fail(ErrorCode::kKmsResponseMalformed, std::string("the response has no ") + name);
  }
  return std::move(**blob);
}

core::Result<core::SecretBytes> SecretBlob(Json& obj, const char* name, std::size_t max_len) {
  const auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) {
    return core::SecretBytes();
  }
  if (!it->is_string()) {
    return Fail(ErrorCode::kKmsResponseMalformed, std::string(name) + " is not a base64 string");
  }
  std::string& text = it->get_ref<std::string&>();
  auto bytes = core::Base64Decode(text);
  OPENSSL_cleanse(text.data(), text.size());
  if (!bytes || bytes->empty() || bytes->size() > max_len) {
    if (bytes) {
      OPENSSL_cleanse(bytes->data(), bytes->size());
    }
    return Fail(ErrorCode::kKmsResponseMalformed,
                std::string(name) + " is not base64 of 1.." + std::to_string(max_len) + " bytes");
  }
  core::SecretBytes out(*bytes);
  OPENSSL_cleanse(bytes->data(), bytes->size());
  return out;
}

}  // namespace enclavectl::aws::kms_json
