// The migration protocol's adapters (app_io): the file store of the state and the operator's
// inputs, V1's HTTP listener over enclavectl_net and V2's HTTP transport to it.
#pragma once

#include <memory>
#include <string>

#include "enclavectl/app/migration_source.hpp"
#include "enclavectl/app/migration_target.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/net/http_server.hpp"

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

// V1's migration listener on TCP `host`:`port` (loopback, --dev): plain HTTP/1.1, bodies at
// most kMigrationMaxBody. Fails with kListenFailed.
[[nodiscard]] core::Result<std::unique_ptr<net::HttpServer>> StartMigrationListener(
    const std::string& host, std::uint16_t port, MigrationSourceHandler& handler);

// V2's transport to V1 at http://`host_port` (TCP). kMigrationPeerFailed when unreachable.
MigrationTransport TcpMigrationTransport(std::string host_port);

}  // namespace enclavectl::app
