// Everything `enclavectl wallet` needs for one command (adapter): the account store named by
// a spec ("sqlite:PATH" or "dynamodb:TABLE"), the AWS credentials from the chain (env, profile,
// IMDSv2: aws/credentials.hpp) when the enclave or DynamoDB needs them, the enclave channel,
// and the WalletService over them. The credentials are kept in memory only: they travel to the
// enclave inside the request frame and sign DynamoDB requests, and are never printed.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "enclavectl/aws/environment.hpp"
#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/wallet/io/enclave_channel.hpp"
#include "enclavectl/wallet/io/wallet_service.hpp"

namespace enclavectl::wallet {

inline constexpr const char* kDefaultStoreSpec = "sqlite:.enclavectl/wallet.db";

struct StoreSpec {
  enum class Kind : std::uint8_t { kSqlite, kDynamoDb };
  Kind kind = Kind::kSqlite;
  std::string target;  // the SQLite file or the DynamoDB table
};
// "sqlite:PATH" or "dynamodb:TABLE" (a table name of 3..255 of [A-Za-z0-9_.-]). Fails with
// kInvalidArgument.
[[nodiscard]] core::Result<StoreSpec> ParseStoreSpec(std::string_view text);

struct WalletSessionOptions {
  std::string store = kDefaultStoreSpec;
  Dialect dialect = Dialect::kReadme;     // DynamoDB: the table's dialect (wallet.md 2.7)
  bool create_table = false;              // DynamoDB: create the table when it does not exist
  std::string dynamodb_endpoint;          // else AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, AWS
  std::string region;                     // else AWS_REGION, AWS_DEFAULT_REGION, the profile
  std::string profile;                    // the credential chain's --profile
  std::optional<EnclaveAddress> enclave;  // create and sign
  int timeout_ms = 30000;                 // per enclave exchange
};

class WalletSession {
 public:
  // Opens the store (creating a SQLite file's directory when absent) and resolves the
  // credentials when the enclave or DynamoDB needs them. Fails with kInvalidArgument (spec,
  // no region for DynamoDB), kCredentialsNotFound/kCredentialsMalformed, and the store's codes.
  [[nodiscard]] static core::Result<std::unique_ptr<WalletSession>> Open(
      const WalletSessionOptions& options, const aws::Environment& env,
      const core::io::Clock& clock);
  ~WalletSession();
  WalletSession(const WalletSession&) = delete;
  WalletSession& operator=(const WalletSession&) = delete;

  WalletService& Service();
  // "sqlite:/abs/path" or "dynamodb:TABLE (region, endpoint)".
  const std::string& StoreDescription() const;
  // Where the credentials came from ("environment", ...), "" when none were needed.
  const std::string& CredentialsSource() const;

  struct Impl;

 private:
  explicit WalletSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace enclavectl::wallet
