// KMS's (and other AWS JSON 1.1 services') error answers: decoding them into stable codes on
// the client's side, and writing them on the local KMS's side.
#include <array>
#include <string>

#include "enclavectl/aws/kms_api.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/limits.hpp"

namespace enclavectl::aws {
namespace {

using core::ErrorCode;
using Json = nlohmann::json;

constexpr std::size_t kMaxMessageChars = 1024;

std::string CleanMessage(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (out.size() >= kMaxMessageChars) {
      out += "...";
      break;
    }
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(byte < 0x20 || byte == 0x7f ? ' ' : c);
  }
  return out;
}

constexpr std::array<AwsErrorMapping, 28> kErrorMappings = {{
    {"AccessDeniedException", ErrorCode::kKmsAccessDenied, false},
    {"NotFoundException", ErrorCode::kKmsNotFound, false},
    {"KMSInvalidStateException", ErrorCode::kKmsInvalidState, false},
    {"DisabledException", ErrorCode::kKmsInvalidState, false},
    {"MalformedPolicyDocumentException", ErrorCode::kKmsMalformedPolicy, false},
    {"ValidationException", ErrorCode::kKmsValidation, false},
    {"SerializationException", ErrorCode::kKmsValidation, false},
    {"InvalidArnException", ErrorCode::kKmsValidation, false},
    {"UnknownOperationException", ErrorCode::kKmsValidation, false},
    {"InvalidGrantTokenException", ErrorCode::kKmsValidation, false},
    {"InvalidCiphertextException", ErrorCode::kKmsInvalidCiphertext, false},
    {"IncorrectKeyException", ErrorCode::kKmsInvalidCiphertext, false},
    {"InvalidKeyUsageException", ErrorCode::kKmsKeyUsage, false},
    {"UnsupportedOperationException", ErrorCode::kKmsKeyUsage, false},
    {"UnrecognizedClientException", ErrorCode::kKmsAuth, false},
    {"InvalidSignatureException", ErrorCode::kKmsAuth, false},
    {"IncompleteSignatureException", ErrorCode::kKmsAuth, false},
    {"MissingAuthenticationTokenException", ErrorCode::kKmsAuth, false},
    {"ExpiredTokenException", ErrorCode::kKmsAuth, false},
    {"LimitExceededException", ErrorCode::kKmsLimitExceeded, false},
    {"ThrottlingException", ErrorCode::kServiceUnavailable, true},
    {"TooManyRequestsException", ErrorCode::kServiceUnavailable, true},
    {"RequestLimitExceeded", ErrorCode::kServiceUnavailable, true},
    {"KMSInternalException", ErrorCode::kServiceUnavailable, true},
    {"DependencyTimeoutException", ErrorCode::kServiceUnavailable, true},
    {"KeyUnavailableException", ErrorCode::kServiceUnavailable, true},
    {"ServiceUnavailableException", ErrorCode::kServiceUnavailable, true},
    {"InternalFailure", ErrorCode::kServiceUnavailable, true},
}};

}  // namespace

KmsError DecodeAwsJsonError(long http_status, core::ByteView body,
                            std::string_view error_type_header,
                            std::span<const AwsErrorMapping> mappings, ErrorCode unknown_code,
                            std::string_view service) {
  KmsError out;
  auto json = core::ParseStrictJson(core::AsChars(body), core::limits::kMaxKmsResponseBytes,
                                    ErrorCode::kKmsResponseMalformed, "error answer");
  if (json && json->is_object()) {
    for (const char* name : {"__type", "code"}) {
      if (const auto it = json->find(name); it != json->end() && it->is_string()) {
        out.type = it->get<std::string>();
        break;
      }
    }
    for (const char* name : {"message", "Message"}) {
      if (const auto it = json->find(name); it != json->end() && it->is_string()) {
        out.message = CleanMessage(it->get_ref<const std::string&>());
        break;
      }
    }
  }
  if (out.type.empty()) {
    out.type = std::string(error_type_header.substr(0, error_type_header.find(':')));
  }
  if (const std::size_t hash = out.type.rfind('#'); hash != std::string::npos) {
    out.type.erase(0, hash + 1);
  }
  out.type = CleanMessage(out.type.substr(0, 128));
  ErrorCode code = unknown_code;
  bool known = false;
  for (const AwsErrorMapping& mapping : mappings) {
    if (out.type == mapping.type) {
      code = mapping.code;
      out.retryable = mapping.retryable;
      known = true;
      break;
    }
  }
  // A 5xx is a server fault and 429 throttling, whatever the body says: worth a retry.
  if (http_status >= 500 || http_status == 429) {
    out.retryable = true;
    if (!known) {
      code = ErrorCode::kServiceUnavailable;
    }
  }
  if (out.type.empty()) {
    out.type = "HTTP " + std::to_string(http_status);
  }
  std::string detail = out.type + (out.message.empty() ? "" : ": " + out.message);
  if (!json || !json->is_object()) {
    detail += " (HTTP " + std::to_string(http_status) + ", not a " + std::string(service) +
              " error body)";
  }
  out.error = core::Error{code, std::move(detail), -1};
  return out;
}

KmsError DecodeKmsError(long http_status, core::ByteView body, std::string_view error_type_header) {
  return DecodeAwsJsonError(http_status, body, error_type_header, kErrorMappings,
                            ErrorCode::kKmsError, "KMS");
}

std::string EncodeKmsErrorBody(std::string_view type, std::string_view message,
                               bool capital_message) {
  return core::DumpJson(Json{{"__type", type}, {capital_message ? "Message" : "message", message}});
}

}  // namespace enclavectl::aws
