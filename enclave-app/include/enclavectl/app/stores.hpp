// Where sealed-key records are kept (adapters): a local file (the default; atomic create-once
// writes) and AWS SSM Parameter Store (the real backend: a String parameter created without
// Overwrite, so that of two enclaves sealing at once exactly one record wins).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "enclavectl/app/sealed_store.hpp"
#include "enclavectl/aws/ssm_client.hpp"

namespace enclavectl::app {

class FileSealedKeyStore final : public SealedKeyStore {
 public:
  explicit FileSealedKeyStore(std::string path) : path_(std::move(path)) {}
  // nullopt when the file does not exist; kIoRead, kInputTooLarge otherwise.
  [[nodiscard]] core::Result<std::optional<std::string>> Load() override;
  // core::io::CreateFileAtomic: kSealedKeyExists when the file exists, else kIoWrite.
  [[nodiscard]] core::Status Create(std::string_view text) override;
  std::string Describe() const override { return "file " + path_; }

 private:
  std::string path_;
};

class SsmSealedKeyStore final : public SealedKeyStore {
 public:
  // Runs `call` with an SsmClient (built per call, so that instance credentials are fresh).
  using ClientCall =
      std::function<core::Status(const std::function<core::Status(aws::SsmClient&)>& use)>;
  SsmSealedKeyStore(ClientCall with_client, std::string parameter_name)
      : with_client_(std::move(with_client)), name_(std::move(parameter_name)) {}
  // GetParameter: nullopt on ParameterNotFound; other SSM errors as SsmClient's.
  [[nodiscard]] core::Result<std::optional<std::string>> Load() override;
  // PutParameter(Type String, Overwrite false): kSealedKeyExists on ParameterAlreadyExists.
  [[nodiscard]] core::Status Create(std::string_view text) override;
  std::string Describe() const override { return "SSM parameter " + name_; }

 private:
  ClientCall with_client_;
  std::string name_;
};

// "file:PATH" or "ssm:NAME" (a bare path means a file). Fails with kInvalidArgument (an empty
// location, an invalid SSM parameter name).
struct StoreLocation {
  enum class Kind : std::uint8_t { kFile, kSsm };
  Kind kind = Kind::kFile;
  std::string location;
};
[[nodiscard]] core::Result<StoreLocation> ParseStoreLocation(std::string_view text);

}  // namespace enclavectl::app
