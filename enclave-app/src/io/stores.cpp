#include "enclavectl/app/stores.hpp"

#include <filesystem>
#include <system_error>

#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/limits.hpp"

namespace enclavectl::app {

using core::ErrorCode;
using core::Fail;

core::Result<std::optional<std::string>> FileSealedKeyStore::Load() {
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec) && !ec) {
    return std::optional<std::string>();
  }
  auto bytes = core::io::ReadFile(path_, core::limits::kMaxSealedRecordBytes);
  if (!bytes) {
    return Fail(bytes.error());
  }
  return std::optional<std::string>(std::string(core::AsChars(*bytes)));
}

core::Status FileSealedKeyStore::Create(std::string_view text) {
  auto created = core::io::CreateFileAtomic(path_, core::AsBytes(text));
  if (!created) {
    return Fail(created.error());
  }
  if (!*created) {
    return Fail(ErrorCode::kSealedKeyExists, path_ + " already holds a sealed key");
  }
  return core::Ok();
}

core::Result<std::optional<std::string>> SsmSealedKeyStore::Load() {
  std::optional<std::string> value;
  auto status = with_client_([&](aws::SsmClient& client) -> core::Status {
    auto parameter = client.GetParameter(name_);
    if (!parameter) {
      if (parameter.error().code == ErrorCode::kSsmParameterNotFound) {
        return core::Ok();
      }
      return Fail(parameter.error());
    }
    if (parameter->type != "String") {
      return Fail(ErrorCode::kSealedRecordInvalid,
                  "SSM parameter " + name_ + " is a " + parameter->type + ", not a String");
    }
    value = std::move(parameter->value);
    return core::Ok();
  });
  if (!status) {
    return Fail(status.error());
  }
  return value;
}

core::Status SsmSealedKeyStore::Create(std::string_view text) {
  return with_client_([&](aws::SsmClient& client) -> core::Status {
    aws::PutParameterRequest request;
    request.name = name_;
    request.value = std::string(text);
    request.type = "String";
    request.overwrite = false;
    request.description = "enclavectl enclave-app sealed signing key (KMS ciphertext)";
    auto version = client.PutParameter(request);
    if (!version) {
      if (version.error().code == ErrorCode::kSsmParameterExists) {
        return Fail(ErrorCode::kSealedKeyExists, "SSM parameter " + name_ + " already exists");
      }
      return Fail(version.error());
    }
    return core::Ok();
  });
}

core::Result<StoreLocation> ParseStoreLocation(std::string_view text) {
  StoreLocation out;
  if (text.substr(0, 4) == "ssm:") {
    out.kind = StoreLocation::Kind::kSsm;
    out.location = std::string(text.substr(4));
    ENCLAVECTL_RETURN_IF_ERROR(aws::ValidateSsmParameterName(out.location));
    return out;
  }
  out.location = std::string(text.substr(0, 5) == "file:" ? text.substr(5) : text);
  if (out.location.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "--sealed-store must be file:PATH or ssm:PARAMETER_NAME");
  }
  return out;
}

}  // namespace enclavectl::app
