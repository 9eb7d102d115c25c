#include "enclavectl/aws/ssm_api.hpp"

#include <array>
#include <string>

#include "enclavectl/core/json.hpp"
#include "enclavectl/core/limits.hpp"

namespace enclavectl::aws {
namespace {

using core::ErrorCode;
using core::Fail;
using Json = nlohmann::json;

// SSM's error names (botocore ssm service-2.json).
constexpr std::array<AwsErrorMapping, 19> kSsmErrors = {{
    {"ParameterNotFound", ErrorCode::kSsmParameterNotFound, false},
    {"ParameterVersionNotFound", ErrorCode::kSsmParameterNotFound, false},
    {"ParameterAlreadyExists", ErrorCode::kSsmParameterExists, false},
    {"AccessDeniedException", ErrorCode::kSsmAccessDenied, false},
    {"UnrecognizedClientException", ErrorCode::kSsmAccessDenied, false},
    {"InvalidSignatureException", ErrorCode::kSsmAccessDenied, false},
    {"IncompleteSignatureException", ErrorCode::kSsmAccessDenied, false},
    {"MissingAuthenticationTokenException", ErrorCode::kSsmAccessDenied, false},
    {"ExpiredTokenException", ErrorCode::kSsmAccessDenied, false},
    {"ValidationException", ErrorCode::kSsmError, false},
    {"ParameterLimitExceeded", ErrorCode::kSsmError, false},
    {"ParameterMaxVersionLimitExceeded", ErrorCode::kSsmError, false},
    {"HierarchyLevelLimitExceededException", ErrorCode::kSsmError, false},
    {"UnsupportedParameterType", ErrorCode::kSsmError, false},
    {"TooManyUpdates", ErrorCode::kServiceUnavailable, true},
    {"ThrottlingException", ErrorCode::kServiceUnavailable, true},
    {"InternalServerError", ErrorCode::kServiceUnavailable, true},
    {"ServiceUnavailableException", ErrorCode::kServiceUnavailable, true},
    {"InternalFailure", ErrorCode::kServiceUnavailable, true},
}};

core::Result<Json> ParseAnswer(core::ByteView body, const char* operation) {
  auto json = core::ParseStrictJson(core::AsChars(body), core::limits::kMaxSsmResponseBytes,
                                    ErrorCode::kSsmResponseMalformed, operation);
  if (!json) {
    return Fail(json.error());
  }
  if (!json->is_object()) {
    return Fail(ErrorCode::kSsmResponseMalformed,
                std::string(operation) + " answer is not a JSON object");
  }
  return json;
}

}  // namespace

KmsError DecodeSsmError(long http_status, core::ByteView body, std::string_view error_type_header) {
  return DecodeAwsJsonError(http_status, body, error_type_header, kSsmErrors, ErrorCode::kSsmError,
                            "SSM");
}

core::Status ValidateSsmParameterName(std::string_view name) {
  if (name.empty() || name.size() > 2048) {
    return Fail(ErrorCode::kInvalidArgument, "an SSM parameter name has 1 to 2048 characters");
  }
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-' || c == '/';
    if (!ok) {
      return Fail(ErrorCode::kInvalidArgument,
                  "an SSM parameter name has only letters, digits and _ . - /");
    }
  }
  if (name.find('/') != std::string_view::npos && name.front() != '/') {
    return Fail(ErrorCode::kInvalidArgument, "a hierarchical SSM parameter name must start with /");
  }
  return core::Ok();
}

core::SecretBytes EncodeGetParameterRequest(std::string_view name) {
  const Json body = {{"Name", name}, {"WithDecryption", false}};
  return core::SecretBytes(core::AsBytes(core::DumpJson(body)));
}

core::SecretBytes EncodePutParameterRequest(const PutParameterRequest& request) {
  Json body = {{"Name", request.name},
               {"Value", request.value},
               {"Type", request.type},
               {"Overwrite", request.overwrite}};
  if (!request.description.empty()) {
    body["Description"] = request.description;
  }
  return core::SecretBytes(core::AsBytes(core::DumpJson(body)));
}

core::Result<SsmParameter> DecodeGetParameterResponse(core::ByteView body) {
  auto json = ParseAnswer(body, "GetParameter");
  if (!json) {
    return Fail(json.error());
  }
  const auto parameter = json->find("Parameter");
  if (parameter == json->end() || !parameter->is_object()) {
    return Fail(ErrorCode::kSsmResponseMalformed, "GetParameter answer has no Parameter object");
  }
  SsmParameter out;
  for (const auto& [name, target] : std::array<std::pair<const char*, std::string*>, 3>{
           {{"Name", &out.name}, {"Type", &out.type}, {"Value", &out.value}}}) {
    const auto it = parameter->find(name);
    if (it == parameter->end() || !it->is_string()) {
      return Fail(ErrorCode::kSsmResponseMalformed,
                  std::string("GetParameter answer: Parameter.") + name + " is not a string");
    }
    *target = it->get<std::string>();
  }
  if (const auto version = parameter->find("Version");
      version != parameter->end() && !version->is_null()) {
    if (!version->is_number_integer()) {
      return Fail(ErrorCode::kSsmResponseMalformed,
                  "GetParameter answer: Parameter.Version is not an integer");
    }
    out.version = version->get<std::int64_t>();
  }
  return out;
}

core::Result<std::int64_t> DecodePutParameterResponse(core::ByteView body) {
  auto json = ParseAnswer(body, "PutParameter");
  if (!json) {
    return Fail(json.error());
  }
  const auto version = json->find("Version");
  if (version == json->end() || !version->is_number_integer()) {
    return Fail(ErrorCode::kSsmResponseMalformed, "PutParameter answer has no integer Version");
  }
  return version->get<std::int64_t>();
}

}  // namespace enclavectl::aws
