// One `enclavectl wallet` command's store, credentials and enclave (wallet_session.hpp).
#include "enclavectl/wallet/io/wallet_session.hpp"

#include <filesystem>
#include <system_error>

#include "enclavectl/aws/credentials.hpp"
#include "enclavectl/aws/curl_transport.hpp"
#include "enclavectl/aws/dynamodb_client.hpp"
#include "enclavectl/aws/retry.hpp"
#include "enclavectl/wallet/io/dynamodb_store.hpp"
#include "enclavectl/wallet/io/sqlite_store.hpp"

namespace enclavectl::wallet {
namespace {

using core::ErrorCode;
using core::Fail;

class NoEnclave final : public EnclaveChannel {
 public:
  core::Result<std::string> Exchange(std::string_view /*request_payload*/) override {
    return Fail(ErrorCode::kInvalidArgument,
                "this command needs the enclave: give --enclave CID:PORT or --enclave-tcp "
                "HOST:PORT");
  }
};

bool TableNameOk(std::string_view name) {
  if (name.size() < 3 || name.size() > 255) {
    return false;
  }
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

}  // namespace

core::Result<StoreSpec> ParseStoreSpec(std::string_view text) {
  StoreSpec spec;
  if (text.substr(0, 7) == "sqlite:" && text.size() > 7) {
    spec.kind = StoreSpec::Kind::kSqlite;
    spec.target = std::string(text.substr(7));
    return spec;
  }
  if (text.substr(0, 9) == "dynamodb:" && TableNameOk(text.substr(9))) {
    spec.kind = StoreSpec::Kind::kDynamoDb;
    spec.target = std::string(text.substr(9));
    return spec;
  }
  return Fail(ErrorCode::kInvalidArgument,
              "--store takes sqlite:PATH or dynamodb:TABLE (3..255 of A-Z a-z 0-9 _ . -)");
}

struct WalletSession::Impl {
  aws::CurlTransport transport{"enclavectl-wallet"};
  aws::RealSleeper sleeper;
  aws::ResolvedCredentials credentials;
  std::unique_ptr<aws::DynamoDbClient> dynamodb;
  std::unique_ptr<AccountStore> store;
  std::unique_ptr<EnclaveChannel> channel;
  std::unique_ptr<WalletService> service;
  std::string store_description;
};

WalletSession::WalletSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WalletSession::~WalletSession() = default;
WalletService& WalletSession::Service() { return *impl_->service; }
const std::string& WalletSession::StoreDescription() const { return impl_->store_description; }
const std::string& WalletSession::CredentialsSource() const { return impl_->credentials.source; }

core::Result<std::unique_ptr<WalletSession>> WalletSession::Open(
    const WalletSessionOptions& options, const aws::Environment& env,
    const core::io::Clock& clock) {
  auto spec = ParseStoreSpec(options.store);
  if (!spec) {
    return Fail(spec.error());
  }
  auto impl = std::make_unique<Impl>();
  aws::CredentialOptions credential_options;
  credential_options.profile = options.profile;
  const bool dynamodb = spec->kind == StoreSpec::Kind::kDynamoDb;
  if (options.enclave || dynamodb) {
    auto credentials = aws::ResolveCredentials(env, impl->transport, credential_options);
    if (!credentials) {
      return Fail(credentials.error());
    }
    impl->credentials = std::move(*credentials);
  }
  if (dynamodb) {
    std::string region = options.region;
    if (region.empty()) {
      auto resolved = aws::ResolveRegion(env, credential_options);
      if (!resolved) {
        return Fail(resolved.error());
      }
      region = *resolved;
    }
    if (region.empty()) {
      return Fail(ErrorCode::kInvalidArgument,
                  "DynamoDB needs a region: give --region or set AWS_REGION");
    }
    auto endpoint = aws::ResolveDynamoDbEndpoint(options.dynamodb_endpoint, region, env);
    if (!endpoint) {
      return Fail(endpoint.error());
    }
    impl->store_description = "dynamodb:" + spec->target + " (" + endpoint->url + ")";
    aws::AwsJsonClientOptions client_options;
    client_options.endpoint = std::move(*endpoint);
    impl->dynamodb = std::make_unique<aws::DynamoDbClient>(
        client_options, impl->transport, impl->credentials.credentials, clock, impl->sleeper);
    auto store = std::make_unique<DynamoDbAccountStore>(
        *impl->dynamodb, DynamoDbStoreOptions{spec->target, options.dialect});
    if (options.create_table) {
      auto status = impl->dynamodb->DescribeTable(spec->target);
      if (!status && status.error().code == ErrorCode::kDynamoDbTableNotFound) {
        ENCLAVECTL_RETURN_IF_ERROR(store->CreateTable());
      } else if (!status) {
        return Fail(status.error());
      }
    }
    impl->store = std::move(store);
  } else {
    const std::filesystem::path path(spec->target);
    if (path.has_parent_path()) {
      std::error_code ec;
      std::filesystem::create_directories(path.parent_path(), ec);  // Open reports failures
    }
    auto store = SqliteAccountStore::Open(spec->target);
    if (!store) {
      return Fail(store.error());
    }
    impl->store = std::move(*store);
    impl->store_description = "sqlite:" + spec->target;
  }
  if (options.enclave) {
    impl->channel = std::make_unique<SocketEnclaveChannel>(*options.enclave, options.timeout_ms);
  } else {
    impl->channel = std::make_unique<NoEnclave>();
  }
  protocol::Credential credential;
  credential.access_key_id = impl->credentials.credentials.access_key_id;
  credential.secret_access_key =
      core::SecretBytes(impl->credentials.credentials.secret_access_key.View());
  credential.session_token = core::SecretBytes(impl->credentials.credentials.session_token.View());
  impl->service =
      std::make_unique<WalletService>(*impl->store, *impl->channel, std::move(credential));
  return std::unique_ptr<WalletSession>(new WalletSession(std::move(impl)));
}

}  // namespace enclavectl::wallet
