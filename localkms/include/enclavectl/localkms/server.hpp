// The local KMS's adapters: its state directory (configuration with access keys, the key
// store written atomically, a lock so that one server owns it) and its HTTP server (the
// enclavectl_net Beast server answering the KMS JSON 1.1 protocol).
//
// State directory layout (docs/design/0005-local-kms.md):
//   DIR/config.json   account, region, access keys and principals (0600, secrets)
//   DIR/state.json    keys with material and policies, aliases (0600, secrets)
//   DIR/server.lock   held (flock) by the running server and by offline edits (import-key)
//   DIR/config.lock   held while config.json is created or changed
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "enclavectl/aws/kms_api.hpp"
#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/localkms/service.hpp"
#include "enclavectl/localkms/state.hpp"

namespace enclavectl::localkms {

// The principal of the access key created on first start.
inline constexpr std::string_view kDefaultPrincipalName = "user/local-admin";

// Reads DIR/config.json, creating DIR (0700) and the file with `account_id`, `region` and one
// access key for arn:aws:iam::<account>:user/local-admin when it does not exist yet. When it
// exists, a non-empty `account_id`/`region` that differs from it is an error: keys' ARNs
// depend on them. Fails with kIoRead, kIoWrite, kLocalKmsState, kInvalidArgument.
[[nodiscard]] core::Result<ServiceConfig> LoadOrCreateConfig(const std::string& state_dir,
                                                             const std::string& account_id,
                                                             const std::string& region);

// The access key of `principal` (an ARN of the configured account; empty: the first access
// key), created and saved when the principal has none yet. Works while the server runs (it
// reloads the configuration when it meets an unknown access key).
[[nodiscard]] core::Result<AccessKey> AccessKeyFor(const std::string& state_dir,
                                                   const std::string& principal);

struct ImportOptions {
  std::string state_dir;
  core::Bytes private_key_pem;  // PKCS#8 or SEC1 PEM, P-256 / P-384 / secp256k1
  KeyUsage usage = KeyUsage::kKeyAgreement;
  std::string key_id;  // empty: a random UUID
  std::string alias;   // "alias/demo", optional
  std::string description;
  std::string policy;  // empty: the default key policy
};

// Adds a key with the given private key material to the state directory (the server must
// not be running: it owns the store). Idempotent for the same key id and material. Fails
// with kLocalKmsBusy, kKeyImport, kInvalidArgument, kLocalKmsState, kIoRead, kIoWrite.
[[nodiscard]] core::Result<aws::KeyMetadata> ImportKey(const ImportOptions& options,
                                                       const core::io::Clock& clock);

struct ServerOptions {
  std::string state_dir;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port
  // PEM files of the roots Recipient documents must chain to; empty: the AWS Nitro root.
  std::vector<std::string> attestation_root_paths;
  std::int64_t attestation_max_age_ms = std::int64_t{5} * 60 * 1000;
  // Used when config.json is created (first start); checked against it otherwise.
  std::string account_id;
  std::string region;
  std::size_t threads = 0;  // 0: one per core
  // Open connections at most (more get 503 ThrottlingException); the binaries keep it within
  // the open-file limit (net/fd_limit.hpp).
  std::size_t max_connections = 4096;
  // One line per request (operation, caller, status, error type, note); never a secret.
  std::function<void(const std::string&)> log;
  // Server trouble (accepting paused for lack of descriptors), one line; may be empty.
  std::function<void(const std::string&)> warn;
};

class LocalKmsServer {
 public:
  // Locks and loads the state directory (creating it on first start), loads the roots and
  // starts listening. Fails with kLocalKmsBusy (another server owns DIR), kLocalKmsState,
  // kIoRead/kIoWrite, the TrustAnchor codes for a root file, kListenFailed.
  [[nodiscard]] static core::Result<std::unique_ptr<LocalKmsServer>> Start(
      const ServerOptions& options, const core::io::Clock& clock);

  virtual ~LocalKmsServer() = default;
  virtual std::uint16_t Port() const noexcept = 0;
  // "http://127.0.0.1:PORT"
  virtual std::string Endpoint() const = 0;
  virtual const std::string& Region() const noexcept = 0;
  // The descriptions of the attestation roots in use.
  virtual std::vector<std::string> Roots() const = 0;
  // Stops accepting and joins the threads (idempotent); the state is already on disk.
  virtual void Stop() = 0;
  virtual void Wait() = 0;
};

}  // namespace enclavectl::localkms
