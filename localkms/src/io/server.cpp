#include "enclavectl/localkms/server.hpp"

#include <openssl/crypto.h>

#include <utility>

#include "enclavectl/aws/arn.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/kmspolicy/policy.hpp"
#include "enclavectl/localkms/crypto.hpp"
#include "enclavectl/net/http_server.hpp"
#include "state_dir.hpp"

namespace enclavectl::localkms {
namespace {

using core::ErrorCode;
using core::Fail;

constexpr const char* kDefaultAccount = "111122223333";
constexpr const char* kDefaultRegion = "us-east-1";

core::Status CheckSame(const std::string& what, const std::string& given,
                       const std::string& stored) {
  if (!given.empty() && given != stored) {
    return Fail(ErrorCode::kInvalidArgument, "the state directory was created with " + what + " " +
                                                 stored + ", not " + given +
                                                 " (key ARNs depend on it)");
  }
  return core::Ok();
}

std::string PrincipalArn(const ServiceConfig& config, const std::string& principal) {
  if (principal.empty()) {
    return "arn:aws:iam::" + config.account_id + ":" + std::string(kDefaultPrincipalName);
  }
  return principal;
}

class Server final : public LocalKmsServer {
 public:
  Server(core::UniqueFd lock, std::unique_ptr<io::FilePersister> persister,
         std::unique_ptr<LocalKms> kms, std::string region, std::vector<std::string> roots,
         std::function<void(const std::string&)> log, const core::io::Clock& clock)
      : lock_(std::move(lock)),
        persister_(std::move(persister)),
        kms_(std::move(kms)),
        region_(std::move(region)),
        roots_(std::move(roots)),
        log_(std::move(log)),
        clock_(clock) {}

  ~Server() override { Stop(); }

  core::Status Listen(const ServerOptions& options) {
    net::HttpServerOptions http;
    http.host = options.host;
    http.port = options.port;
    http.threads = options.threads;
    http.max_connections = options.max_connections;
    http.warn = options.warn;
    http.max_body_bytes = core::limits::kMaxKmsRequestBytes;
    http.max_header_bytes = core::limits::kMaxKmsRequestHeaderBytes;
    http.server_name = "enclavectl-local-kms";
    auto server = net::HttpServer::Start(
        http, [this](const net::HttpRequest& request) { return Handle(request); },
        [this](unsigned status, std::string_view reason) {
          return ToHttp(LocalKms::Refusal(status, reason), "-");
        });
    if (!server) {
      return Fail(server.error());
    }
    http_ = std::move(*server);
    return core::Ok();
  }

  std::uint16_t Port() const noexcept override { return http_->Port(); }
  std::string Endpoint() const override {
    return "http://127.0.0.1:" + std::to_string(http_->Port());
  }
  const std::string& Region() const noexcept override { return region_; }
  std::vector<std::string> Roots() const override { return roots_; }
  void Stop() override {
    if (http_) {
      http_->Stop();
    }
  }
  void Wait() override { http_->Wait(); }

 private:
  net::HttpResponse Handle(const net::HttpRequest& request) {
    IncomingRequest incoming;
    incoming.method = request.method;
    incoming.path = request.path;
    incoming.query = request.query;
    incoming.headers = request.headers;
    incoming.body = request.body;
    OutgoingResponse response = kms_->Handle(incoming);
    OPENSSL_cleanse(incoming.body.data(), incoming.body.size());
    return ToHttp(std::move(response), request.remote);
  }

  net::HttpResponse ToHttp(OutgoingResponse response, std::string_view remote) {
    if (log_) {
      std::string line = core::FormatRfc3339(clock_.Now()) + " " + std::string(remote) + " " +
                         (response.operation.empty() ? "-" : response.operation) + " " +
                         (response.principal.empty() ? "-" : response.principal) + " " +
                         std::to_string(response.status);
      if (!response.error_type.empty()) {
        line += " " + response.error_type;
      }
      if (!response.note.empty()) {
        line += " (" + response.note + ")";
      }
      log_(line);
    }
    net::HttpResponse out;
    out.status = response.status;
    out.content_type = std::move(response.content_type);
    out.headers = std::move(response.headers);
    out.body = std::move(response.body);
    return out;
  }

  core::UniqueFd lock_;
  std::unique_ptr<io::FilePersister> persister_;
  std::unique_ptr<LocalKms> kms_;
  std::string region_;
  std::vector<std::string> roots_;
  std::function<void(const std::string&)> log_;
  const core::io::Clock& clock_;
  std::unique_ptr<net::HttpServer> http_;
};

}  // namespace

core::Result<ServiceConfig> LoadOrCreateConfig(const std::string& state_dir,
                                               const std::string& account_id,
                                               const std::string& region) {
  ENCLAVECTL_RETURN_IF_ERROR(io::EnsureDirectory(state_dir));
  auto lock = io::LockFile(state_dir, "config.lock", /*wait=*/true);
  if (!lock) {
    return Fail(lock.error());
  }
  bool exists = false;
  auto config = io::ReadConfig(state_dir, exists);
  if (!config) {
    return Fail(config.error());
  }
  if (exists) {
    ENCLAVECTL_RETURN_IF_ERROR(CheckSame("account", account_id, config->account_id));
    ENCLAVECTL_RETURN_IF_ERROR(CheckSame("region", region, config->region));
    return config;
  }
  ServiceConfig fresh;
  fresh.account_id = account_id.empty() ? kDefaultAccount : account_id;
  fresh.region = region.empty() ? kDefaultRegion : region;
  if (!aws::IsAccountId(fresh.account_id)) {
    return Fail(ErrorCode::kInvalidArgument, "--account must be a 12-digit account id");
  }
  if (fresh.region.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") !=
      std::string::npos) {
    return Fail(ErrorCode::kInvalidArgument, "--region must be a region name such as us-east-1");
  }
  auto key = MakeAccessKey(PrincipalArn(fresh, ""));
  if (!key) {
    return Fail(key.error());
  }
  fresh.access_keys.push_back(std::move(*key));
  ENCLAVECTL_RETURN_IF_ERROR(io::WriteConfig(state_dir, fresh));
  return fresh;
}

core::Result<AccessKey> AccessKeyFor(const std::string& state_dir, const std::string& principal) {
  auto config = LoadOrCreateConfig(state_dir, "", "");
  if (!config) {
    return Fail(config.error());
  }
  const auto copy = [](const AccessKey& key) {
    AccessKey out;
    out.access_key_id = key.access_key_id;
    out.secret_access_key = core::SecretBytes(key.secret_access_key.View());
    out.session_token = core::SecretBytes(key.session_token.View());
    out.principal = key.principal;
    return out;
  };
  const std::string wanted = PrincipalArn(*config, principal);
  for (const AccessKey& key : config->access_keys) {
    if (key.principal == wanted || (principal.empty() && &key == &config->access_keys.front())) {
      return copy(key);
    }
  }
  // A new principal: created under the configuration lock, re-reading the file first.
  auto lock = io::LockFile(state_dir, "config.lock", /*wait=*/true);
  if (!lock) {
    return Fail(lock.error());
  }
  bool exists = false;
  auto current = io::ReadConfig(state_dir, exists);
  if (!current) {
    return Fail(current.error());
  }
  for (const AccessKey& key : current->access_keys) {
    if (key.principal == wanted) {
      return copy(key);
    }
  }
  auto key = MakeAccessKey(wanted);
  if (!key) {
    return Fail(key.error());
  }
  current->access_keys.push_back(copy(*key));
  // The principal must be of the configured account: DecodeServiceConfig's rule, checked by
  // encoding and decoding before the file is replaced.
  if (auto check = DecodeServiceConfig(EncodeServiceConfig(*current).View()); !check) {
    return Fail(ErrorCode::kInvalidArgument,
                "--principal must be an IAM or STS ARN of account " + current->account_id);
  }
  ENCLAVECTL_RETURN_IF_ERROR(io::WriteConfig(state_dir, *current));
  return key;
}

namespace {

// The state directory owned by this process: configuration, the server lock, the keys.
struct OpenedState {
  ServiceConfig config;
  core::UniqueFd lock;
  KeyStore store;
};

core::Result<OpenedState> OpenState(const std::string& state_dir, const std::string& account_id,
                                    const std::string& region) {
  auto config = LoadOrCreateConfig(state_dir, account_id, region);
  if (!config) {
    return Fail(config.error());
  }
  auto lock = io::LockFile(state_dir, "server.lock", /*wait=*/false);
  if (!lock) {
    return Fail(lock.error());
  }
  auto store = io::ReadKeyStore(state_dir);
  if (!store) {
    return Fail(store.error());
  }
  return OpenedState{std::move(*config), std::move(*lock), std::move(*store)};
}

}  // namespace

core::Result<aws::KeyMetadata> ImportKey(const ImportOptions& options,
                                         const core::io::Clock& clock) {
  auto opened = OpenState(options.state_dir, "", "");
  if (!opened) {
    return Fail(opened.error());
  }
  ServiceConfig* config = &opened->config;
  KeyStore* store = &opened->store;
  KeySpec spec = KeySpec::kEccNistP256;
  auto material = ImportPrivateKeyPem(options.private_key_pem, spec);
  if (!material) {
    return Fail(material.error());
  }
  if (!options.policy.empty()) {
    if (auto policy = kmspolicy::ParsePolicy(options.policy); !policy) {
      return Fail(policy.error());
    }
  }
  KeyRecord key;
  key.key_id = options.key_id;
  key.spec = spec;
  key.usage = options.usage;
  key.description = options.description;
  key.policy = options.policy;
  key.material = std::move(material->material);
  key.public_key = std::move(material->public_key);
  auto id = AddImportedKey(*store, *config, std::move(key), options.alias, clock.Now());
  if (!id) {
    return Fail(id.error());
  }
  io::FilePersister persister(options.state_dir);
  ENCLAVECTL_RETURN_IF_ERROR(persister.Save(*store));
  // The metadata as DescribeKey shows it, from the service itself.
  const std::string root = "arn:aws:iam::" + config->account_id + ":root";
  ServiceOptions service_options;
  service_options.config = std::move(*config);
  MemoryPersister memory;
  LocalKms kms(std::move(service_options), std::move(*store), memory, clock);
  const OutgoingResponse described =
      kms.Dispatch("TrentService.DescribeKey", "{\"KeyId\":\"" + *id + "\"}", root);
  auto metadata = aws::DecodeKeyMetadataResponse(core::AsBytes(described.body));
  if (!metadata) {
    return Fail(ErrorCode::kInternal, "DescribeKey of the imported key failed: " + described.body);
  }
  return metadata;
}

core::Result<std::unique_ptr<LocalKmsServer>> LocalKmsServer::Start(const ServerOptions& options,
                                                                    const core::io::Clock& clock) {
  auto opened = OpenState(options.state_dir, options.account_id, options.region);
  if (!opened) {
    return Fail(opened.error());
  }
  ServiceConfig* config = &opened->config;
  KeyStore* store = &opened->store;
  core::UniqueFd* lock = &opened->lock;
  ServiceOptions service;
  service.attestation.max_age_ms = options.attestation_max_age_ms;
  std::vector<std::string> described;
  if (options.attestation_root_paths.empty()) {
    auto root = verifier::TrustAnchor::AwsNitroRoot();
    if (!root) {
      return Fail(root.error());
    }
    service.attestation.roots.push_back(std::move(*root));
  }
  for (const std::string& path : options.attestation_root_paths) {
    auto pem = core::io::ReadFile(path, core::limits::kMaxPemFileBytes);
    if (!pem) {
      return Fail(pem.error());
    }
    auto root = verifier::TrustAnchor::FromPemOrDer(*pem);
    if (!root) {
      core::Error error = root.error();
      error.detail = path + ": " + error.detail;
      return Fail(std::move(error));
    }
    service.attestation.roots.push_back(std::move(*root));
  }
  for (const verifier::TrustAnchor& root : service.attestation.roots) {
    described.push_back(root.Describe());
  }
  const std::string region = config->region;
  const std::string dir = options.state_dir;
  service.config = std::move(*config);
  service.reload_config = [dir]() {
    bool exists = false;
    return io::ReadConfig(dir, exists);
  };
  auto persister = std::make_unique<io::FilePersister>(options.state_dir);
  auto kms = std::make_unique<LocalKms>(std::move(service), std::move(*store), *persister, clock);
  auto server = std::make_unique<Server>(std::move(*lock), std::move(persister), std::move(kms),
                                         region, std::move(described), options.log, clock);
  ENCLAVECTL_RETURN_IF_ERROR(server->Listen(options));
  return std::unique_ptr<LocalKmsServer>(std::move(server));
}

}  // namespace enclavectl::localkms
