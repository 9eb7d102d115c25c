// V2's side of the migration protocol (service layer, no sockets): drives V1's endpoints over
// an injected transport, checks V1's answer and returns the migrated signing secret for the
// sealed setup (KeyService::Setup with given_secret). docs/migration.md "The migration
// protocol".
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "enclavectl/app/migration.hpp"
#include "enclavectl/app/nsm.hpp"
#include "enclavectl/app/service.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"
#include "enclavectl/verifier/trust.hpp"

namespace enclavectl::app {

struct MigrationAnswer {
  unsigned status = 0;
  std::string body;
};
// One HTTP exchange with V1's migration listener (method, path, JSON body); fails with
// kMigrationPeerFailed when V1 cannot be reached.
using MigrationTransport = std::function<core::Result<MigrationAnswer>(
    std::string_view method, std::string_view path, std::string_view body)>;

struct MigrationTargetConfig {
  std::string previous_pcr0;         // V2's image config: the only PCR0 it takes a key from
  std::string maintainer_sig;        // 128 hex (MaintainerSig)
  std::int64_t activation_time = 0;  // MigrationActivationTime
  const verifier::TrustAnchor* root = nullptr;
  std::function<std::int64_t()> now;                // Unix seconds
  std::function<void(std::int64_t seconds)> sleep;  // between polls
  std::int64_t poll_seconds = 30;
  int max_polls = -1;  // -1: until completion is allowed
};

// Runs V2's side: initiates (unless V1 already holds a pending migration to V2's PCR0), polls
// GET /internal/migration-status until the activation time, completes with a fresh document
// (fresh RSA key, user_data and v2_nonce = 32 NSM bytes) and checks V1's answer
// (CheckPeerDocument, CheckSourceAnswer). Fails with kMigrationNoPredecessor (genesis),
// kMigrationPeerFailed (V1 unreachable, refusing, or answering a malformed body; V1's text in
// the detail), kMigrationSourceRefused and the document checks' codes.
[[nodiscard]] core::Result<core::SecretBytes> RunMigrationTarget(
    const MigrationTargetConfig& config, const MigrationTransport& transport, NsmClient& nsm,
    LogSink& log);

}  // namespace enclavectl::app
