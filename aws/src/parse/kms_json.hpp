// Internal to aws_parse (not a public header): the JSON 1.1 helpers the KMS codecs share,
// kms_api.cpp (the client's side) and kms_responses.cpp (the local KMS's side). Members are
// read as the botocore KMS model (service-2.json) constrains them; failures are
// kKmsResponseMalformed.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"

namespace enclavectl::aws::kms_json {

using Json = nlohmann::json;

// Model constraints (botocore KMS service-2.json).
constexpr std::size_t kMaxCiphertextBlob = core::limits::kMaxKmsCiphertextBlobBytes;
constexpr std::size_t kMaxPlaintext = core::limits::kMaxKmsPlaintextBytes;
constexpr std::size_t kMaxPublicKey = core::limits::kMaxKmsPublicKeyBytes;
constexpr std::size_t kMaxKeyIdText = core::limits::kMaxKmsKeyIdChars;

// ---- encoding ----

core::SecretBytes ToSecret(const std::string& text);

// `json_without_secret` is a JSON object's text; returns it with one more member whose value
// is the base64 of `secret`, written straight into wiped memory.
core::SecretBytes WithSecretMember(const std::string& json_without_secret, std::string_view name,
                                   core::ByteView secret);

// ---- decoding (untrusted response bodies) ----

// `body` as a JSON object; `operation` names it in errors.
core::Result<Json> ParseBody(core::ByteView body, const char* operation);

// The member `name` as a string; nullopt when absent or null.
core::Result<std::optional<std::string>> OptString(const Json& obj, const char* name,
                                                   std::size_t max_len = kMaxKeyIdText);
// The member `name` as a string; fails when absent or null.
core::Result<std::string> ReqString(const Json& obj, const char* name,
                                    std::size_t max_len = kMaxKeyIdText);
// A short list of short strings; empty when absent or null.
core::Result<std::vector<std::string>> StringArray(const Json& obj, const char* name);

// A base64 blob member (not secret) of 1..max_len bytes; nullopt when absent or null.
core::Result<std::optional<core::Bytes>> OptBlob(const Json& obj, const char* name,
                                                 std::size_t max_len);
// A base64 blob member (not secret) of 1..max_len bytes; fails when absent or null.
core::Result<core::Bytes> ReqBlob(const Json& obj, const char* name, std::size_t max_len);

// A secret base64 member: decoded into SecretBytes; the JSON text and the intermediate copy
// are wiped. Empty SecretBytes when absent or null.
core::Result<core::SecretBytes> SecretBlob(Json& obj, const char* name, std::size_t max_len);

}  // namespace enclavectl::aws::kms_json
