// V1's side of the migration protocol (service layer, no sockets or files): the HTTP
// endpoints of the migration listener over a MigrationStore, the NSM and the key service.
// The decisions are app/migration.hpp's; this class sequences them, persists the state before
// any key leaves, and applies a completed state to the key service (which then refuses to
// sign). docs/migration.md "The migration protocol".
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "enclavectl/app/migration.hpp"
#include "enclavectl/app/nsm.hpp"
#include "enclavectl/app/service.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/net/http_server.hpp"
#include "enclavectl/verifier/trust.hpp"

namespace enclavectl::app {

// The host-controlled store of the state and the operator's inputs (spec 1.1 names: see
// kMigrationStateName...). Hostile: V1 authenticates what it reads back (the state's MAC).
class MigrationStore {
 public:
  virtual ~MigrationStore() = default;
  // The entry's value; nullopt when absent (missing, empty after trimming, or "UNSET").
  [[nodiscard]] virtual core::Result<std::optional<std::string>> Load(std::string_view name) = 0;
  // Writes (overwrites) the entry.
  [[nodiscard]] virtual core::Status Save(std::string_view name, std::string_view value) = 0;
  virtual std::string Describe() const = 0;
};

struct MigrationSourceConfig {
  MigrationSource self;
  const verifier::TrustAnchor* root = nullptr;  // AWS root, or the dev CA's with --dev
  std::function<std::int64_t()> now;            // Unix seconds
};

class MigrationSourceHandler {
 public:
  // Borrowed dependencies must outlive the handler.
  MigrationSourceHandler(MigrationSourceConfig config, MigrationStore& store, NsmClient& nsm,
                         KeyService& service, LogSink& log);

  // Loads and authenticates the stored state (needs the key set up): a completed one makes
  // the key service refuse to sign. Fails with kMigrationStateForged, kMigrationStateInvalid,
  // kAppNotSetUp or the store's codes; V1 then must not serve (the caller stops).
  [[nodiscard]] core::Status Restore();

  // POST /internal/migration-nonce, POST /internal/initiate-migration,
  // POST /internal/complete-migration, GET /internal/migration-status (untrusted requests).
  // Refusals are plain text "<spec message> (<CODE>)\n" with MigrationHttpStatus.
  net::HttpResponse Handle(const net::HttpRequest& request);

  // GET /v1/migration-status's body (spec 4.2); a state that does not authenticate answers
  // {"state":null} and is logged.
  std::string StatusBody();

 private:
  [[nodiscard]] core::Result<std::optional<MigrationState>> LoadState();
  // A peer's document through CheckPeerDocument, then its nonce consumed (one issued here,
  // unused, unexpired): the first step of both initiation and completion.
  [[nodiscard]] core::Result<PeerDocument> CheckFreshPeer(core::ByteView document,
                                                          std::int64_t now);
  [[nodiscard]] core::Status StoreState(const MigrationState& state);
  net::HttpResponse Nonce();
  net::HttpResponse Initiate(const net::HttpRequest& request);
  net::HttpResponse Complete(const net::HttpRequest& request);
  net::HttpResponse Refusal(const core::Error& error);

  MigrationSourceConfig config_;
  MigrationStore& store_;
  NsmClient& nsm_;
  KeyService& service_;
  LogSink& log_;
  std::mutex mutex_;  // one migration request at a time
  MigrationNonces nonces_;
};

}  // namespace enclavectl::app
