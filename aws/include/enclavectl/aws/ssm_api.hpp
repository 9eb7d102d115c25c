// AWS Systems Manager Parameter Store, the subset the key service needs to keep its sealed
// key record (parse layer: pure, tested offline): GetParameter and PutParameter requests and
// answers of the AmazonSSM JSON 1.1 protocol, and its error answers. Transport and signing:
// net/ssm_client.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "enclavectl/aws/kms_api.hpp"
#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"

namespace enclavectl::aws {

// SSM's errors: ParameterNotFound -> kSsmParameterNotFound, ParameterAlreadyExists ->
// kSsmParameterExists, AccessDeniedException -> kSsmAccessDenied, throttling and internal
// errors -> kServiceUnavailable (retryable), anything else kSsmError.
KmsError DecodeSsmError(long http_status, core::ByteView body, std::string_view error_type_header);

// A parameter name: 1..2048 characters of a-zA-Z0-9_.-/ (a hierarchical name starts with '/').
// Fails with kInvalidArgument.
[[nodiscard]] core::Status ValidateSsmParameterName(std::string_view name);

struct SsmParameter {
  std::string name;
  std::string type;  // "String", "StringList", "SecureString"
  std::string value;
  std::int64_t version = 0;
};

struct PutParameterRequest {
  std::string name;
  std::string value;  // at most 4096 characters (standard tier) or 8192 (advanced)
  std::string type = "String";
  bool overwrite = false;
  std::string description;  // omitted when empty
};

// Request bodies (SecretBytes because the AWS client sends SecretBytes; parameters are not
// secret here).
core::SecretBytes EncodeGetParameterRequest(std::string_view name);
core::SecretBytes EncodePutParameterRequest(const PutParameterRequest& request);

// Answers (untrusted, at most limits::kMaxSsmResponseBytes). Fail with kSsmResponseMalformed
// or kInputTooLarge.
[[nodiscard]] core::Result<SsmParameter> DecodeGetParameterResponse(core::ByteView body);
// Returns the new Version.
[[nodiscard]] core::Result<std::int64_t> DecodePutParameterResponse(core::ByteView body);

}  // namespace enclavectl::aws
