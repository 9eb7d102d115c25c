// enclave-app's migration flags and their wiring (main layer): V1's listener and state restore,
// V2's migration before its sealed setup. docs/migration.md "The migration protocol".
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "enclavectl/app/migration_io.hpp"
#include "enclavectl/app/sealed_store.hpp"
#include "enclavectl/app/service.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"

namespace enclavectl::app::run_detail {

struct MigrationFlags {
  std::string listen;                // --migration-listen HOST:PORT (V1, --dev, loopback)
  std::string from_tcp;              // --migrate-from-tcp HOST:PORT (V2, --dev, loopback)
  std::uint32_t port = 0;            // --migration-port N (V1, AF_VSOCK any CID)
  std::string from;                  // --migrate-from CID:PORT (V2, AF_VSOCK)
  std::string store;                 // --migration-store file:DIR or ssm:PREFIX
  std::int64_t cooldown = 0;         // --migration-cooldown (--dev only); 0: the default
  std::int64_t poll = 30;            // --migration-poll
  std::string maintainer_sig;        // --maintainer-sig (V2), else the store's MaintainerSig
  std::int64_t activation_time = 0;  // --activation-time (V2), else MigrationActivationTime
};

void AddMigrationFlags(CLI::App& app, MigrationFlags& flags);

class MigrationWiring {
 public:
  // Checks the flags (kInvalidArgument: a dev-only flag without --dev, a non-loopback
  // address, a CID:PORT that is not one, more than one transport flag) and prepares the store and
  // the trust root (AWS, or the simulator's `nsm_state`/root.pem with --dev). nullptr when no
  // migration flag is given. `ssm` gives the SSM client call for --migration-store ssm:PREFIX
  // (called only then).
  using SsmCall = std::function<core::Result<SsmSealedKeyStore::ClientCall>()>;
  [[nodiscard]] static core::Result<std::unique_ptr<MigrationWiring>> Create(
      const MigrationFlags& flags, bool dev, const std::string& nsm_state,
      const std::string& previous_pcr0, const std::string& maintainer_pubkey, NsmClient& nsm,
      KeyService& service, LogSink& log, const SsmCall& ssm);
  ~MigrationWiring();

  bool IsTarget() const noexcept { return !flags_.from_tcp.empty() || !flags_.from.empty(); }
  // V2, before its configured (sealed) setup: when `sealed` has no record yet, migrates and
  // returns the key; nullopt when a record exists (a later boot).
  [[nodiscard]] core::Result<std::optional<core::SecretBytes>> TakeKey(SealedKeyStore& sealed);
  // V1, after its setup: restores the state (a completed one keeps it from signing; a forged
  // one fails) and starts the listener.
  [[nodiscard]] core::Status StartSource();
  void Stop();

 private:
  MigrationWiring(const MigrationFlags& flags, NsmClient& nsm, KeyService& service, LogSink& log)
      : flags_(flags), nsm_(nsm), service_(service), log_(log) {}
  MigrationFlags flags_;
  NsmClient& nsm_;
  KeyService& service_;
  LogSink& log_;
  bool dev_ = false;
  std::string previous_pcr0_;
  std::string maintainer_pubkey_;
  std::uint32_t from_cid_ = 0;
  std::uint32_t from_port_ = 0;
  std::int64_t cooldown_ = 86400;
  std::unique_ptr<verifier::TrustAnchor> root_;
  std::unique_ptr<MigrationStore> store_;
  std::unique_ptr<MigrationSourceHandler> handler_;
  std::unique_ptr<net::HttpServer> server_;
};

}  // namespace enclavectl::app::run_detail
