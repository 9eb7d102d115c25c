// The migration protocol's adapters (app_io): the file store of the state and the operator's
// inputs, V1's HTTP listener over enclavectl_net and V2's HTTP transport to it.
#pragma once

#include <memory>
#include <string>

#include "enclavectl/app/migration_source.hpp"
#include "enclavectl/app/migration_target.hpp"
#include "enclavectl/app/stores.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/net/http_server.hpp"
#include "enclavectl/wallet/io/enclave_channel.hpp"

namespace enclavectl::app {

// `dir`/MigrationState, `dir`/MaintainerSig, `dir`/MigrationActivationTime (spec 1.1 names).
// An entry that is missing, empty after trimming or "UNSET" is absent; writes are atomic.
class FileMigrationStore final : public MigrationStore {
 public:
  explicit FileMigrationStore(std::string dir) : dir_(std::move(dir)) {}
  [[nodiscard]] core::Result<std::optional<std::string>> Load(std::string_view name) override;
  [[nodiscard]] core::Status Save(std::string_view name, std::string_view value) override;
  std::string Describe() const override { return "directory " + dir_; }

 private:
  std::string dir_;
};

// SSM Parameter Store: `prefix`/MigrationState, /MaintainerSig, /MigrationActivationTime as
// String parameters (spec 1.1). ParameterNotFound, a value empty after trimming or "UNSET" is
// absent; a parameter of another type fails (kInvalidArgument); Save overwrites
// (PutParameter Type String, Overwrite true). The client is built per call (fresh credentials).
class SsmMigrationStore final : public MigrationStore {
 public:
  SsmMigrationStore(SsmSealedKeyStore::ClientCall with_client, std::string prefix)
      : with_client_(std::move(with_client)), prefix_(std::move(prefix)) {}
  [[nodiscard]] core::Result<std::optional<std::string>> Load(std::string_view name) override;
  [[nodiscard]] core::Status Save(std::string_view name, std::string_view value) override;
  std::string Describe() const override { return "SSM parameters " + prefix_ + "/*"; }

 private:
  SsmSealedKeyStore::ClientCall with_client_;
  std::string prefix_;
};

// An SSM prefix for the migration store: starts with "/", does not end with "/", no empty
// level, only letters, digits and _ . - /, and every entry name (prefix + "/" + the longest
// name) within SSM's 1011 characters. Fails with kInvalidArgument.
[[nodiscard]] core::Status ValidateMigrationSsmPrefix(std::string_view prefix);

// V1's migration listener on TCP `host`:`port` (loopback, --dev), or on AF_VSOCK (any CID)
// `vsock_port` when non-zero: plain HTTP/1.1, bodies at most kMigrationMaxBody. Fails with
// kListenFailed.
[[nodiscard]] core::Result<std::unique_ptr<net::HttpServer>> StartMigrationListener(
    const std::string& host, std::uint16_t port, MigrationSourceHandler& handler,
    std::uint32_t vsock_port = 0);

// V2's transport to V1 at http://`host_port` (TCP). kMigrationPeerFailed when unreachable.
MigrationTransport TcpMigrationTransport(std::string host_port);

// V2's transport to V1 on AF_VSOCK `cid`:`port`: the same HTTP/1.1 exchanges, one connection
// each ("Connection: close"), answers capped, 30 s per exchange. kMigrationPeerFailed when V1
// cannot be reached or its answer is not HTTP/1.1.
MigrationTransport VsockMigrationTransport(std::uint32_t cid, std::uint32_t port);
// The same over any wallet::EnclaveAddress (vsock, or TCP for tests).
MigrationTransport StreamMigrationTransport(wallet::EnclaveAddress address);

}  // namespace enclavectl::app
