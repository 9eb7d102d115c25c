// V1's migration endpoints (app/migration_source.hpp).
#include "enclavectl/app/migration_source.hpp"

#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/sha.hpp"

namespace enclavectl::app {
namespace {

using core::ErrorCode;
using core::Fail;

net::HttpResponse Json(std::string body) {
  net::HttpResponse response;
  response.status = 200;
  response.content_type = "application/json";
  response.body = std::move(body);
  return response;
}

}  // namespace

MigrationSourceHandler::MigrationSourceHandler(MigrationSourceConfig config, MigrationStore& store,
                                               NsmClient& nsm, KeyService& service, LogSink& log)
    : config_(std::move(config)), store_(store), nsm_(nsm), service_(service), log_(log) {}

core::Result<std::optional<MigrationState>> MigrationSourceHandler::LoadState() {
  const core::SecretBytes* secret = service_.SigningSecret();
  if (secret == nullptr) {
    return Fail(ErrorCode::kAppNotSetUp, "no key has been set up yet");
  }
  auto text = store_.Load(kMigrationStateName);
  if (!text) {
    return Fail(text.error());
  }
  if (!*text) {
    return std::optional<MigrationState>();
  }
  auto state = ParseMigrationState(**text);
  if (!state) {
    return Fail(state.error());
  }
  auto key = MigrationStateKey(*secret);
  if (!key) {
    return Fail(key.error());
  }
  ENCLAVECTL_RETURN_IF_ERROR(AuthenticateMigrationState(*state, *key));
  return std::optional<MigrationState>(std::move(*state));
}

core::Status MigrationSourceHandler::StoreState(const MigrationState& state) {
  const core::SecretBytes* secret = service_.SigningSecret();
  if (secret == nullptr) {
    return Fail(ErrorCode::kAppNotSetUp, "no key has been set up yet");
  }
  auto key = MigrationStateKey(*secret);
  if (!key) {
    return Fail(key.error());
  }
  auto sealed = SealMigrationState(state, *key);
  if (!sealed) {
    return Fail(sealed.error());
  }
  return store_.Save(kMigrationStateName, MigrationStateJson(*sealed));
}

core::Status MigrationSourceHandler::Restore() {
  std::lock_guard lock(mutex_);
  auto state = LoadState();
  if (!state) {
    return Fail(state.error());
  }
  if (*state && !(*state)->Pending()) {
    service_.SetMigratedTo((*state)->target_pcr0);
  }
  return {};
}

std::string MigrationSourceHandler::StatusBody() {
  std::lock_guard lock(mutex_);
  auto state = LoadState();
  if (!state) {
    log_.Log(LogLevel::kWarning,
             "migration status: " + std::string(core::ErrorCodeName(state.error().code)) + ": " +
                 state.error().detail);
    return "{\"state\":null}\n";
  }
  return MigrationStatusBody(*state, config_.now(), config_.self.cooldown);
}

net::HttpResponse MigrationSourceHandler::Refusal(const core::Error& error) {
  log_.Log(
      LogLevel::kWarning,
      "migration refused: " + std::string(core::ErrorCodeName(error.code)) + ": " + error.detail);
  net::HttpResponse response;
  response.status = static_cast<unsigned>(MigrationHttpStatus(error.code));
  response.content_type = "text/plain; charset=utf-8";
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  // Store and NSM details stay in the log.
  core::Error shown = error;
  if (response.status == 500) {
    shown.detail = std::string(core::InfoFor(error.code).meaning);
  }
  response.body = MigrationRefusalText(shown);
  return response;
}

net::HttpResponse MigrationSourceHandler::Handle(const net::HttpRequest& request) {
  std::lock_guard lock(mutex_);
  if (service_.SigningSecret() == nullptr) {
    return Refusal(core::Error{ErrorCode::kAppNotSetUp, "no key has been set up yet"});
  }
  if (request.method == "POST" && request.path == "/internal/migration-nonce") {
    return Nonce();
  }
  if (request.method == "POST" && request.path == "/internal/initiate-migration") {
    return Initiate(request);
  }
  if (request.method == "POST" && request.path == "/internal/complete-migration") {
    return Complete(request);
  }
  if ((request.method == "GET" || request.method == "HEAD") &&
      request.path == "/internal/migration-status") {
    auto state = LoadState();
    if (!state) {
      return Refusal(state.error());
    }
    return Json(MigrationStatusBody(*state, config_.now(), config_.self.cooldown, false));
  }
  net::HttpResponse response;
  response.status = 404;
  response.content_type = "text/plain; charset=utf-8";
  response.body = "404 page not found\n";
  return response;
}

net::HttpResponse MigrationSourceHandler::Nonce() {
  auto random = nsm_.GetRandom();
  if (!random || random->size() < 32) {
    return Refusal(random ? core::Error{ErrorCode::kInternal, "short NSM random"} : random.error());
  }
  random->resize(32);
  const std::string hex = nonces_.Issue(*random, config_.now());
  nlohmann::ordered_json body;
  body["nonce"] = hex;
  body["expires_in"] = kMigrationNonceLifetime;
  return Json(core::DumpJson(body) + "\n");
}

net::HttpResponse MigrationSourceHandler::Initiate(const net::HttpRequest& request) {
  const std::int64_t now = config_.now();
  auto parsed = ParseInitiateRequest(request.body);
  if (!parsed) {
    return Refusal(parsed.error());
  }
  if (parsed->named_kms_key) {
    log_.Log(LogLevel::kInfo,
             "initiate-migration: v2_kms_key_id ignored (the key only travels RSA-encrypted to "
             "the attested public key)");
  }
  auto peer = CheckFreshPeer(parsed->document, now);
  if (!peer) {
    return Refusal(peer.error());
  }
  auto current = LoadState();
  if (!current) {
    return Refusal(current.error());
  }
  auto state = DecideInitiate(config_.self, *current, *peer, *parsed, now);
  if (!state) {
    return Refusal(state.error());
  }
  if (auto stored = StoreState(*state); !stored) {
    return Refusal(stored.error());
  }
  log_.Log(LogLevel::kWarning, "migration initiated to PCR0 " + state->target_pcr0 +
                                   ", activation " + std::to_string(state->activation_time));
  nlohmann::ordered_json body;
  body["cooldown_seconds"] = config_.self.cooldown;
  body["initiated_at"] = state->initiated_at;
  return Json(core::DumpJson(body) + "\n");
}

core::Result<PeerDocument> MigrationSourceHandler::CheckFreshPeer(core::ByteView document,
                                                                  std::int64_t now) {
  auto peer = CheckPeerDocument(document, *config_.root, now);
  if (!peer) {
    return tl::unexpected(peer.error());
  }
  if (auto used = nonces_.Consume(peer->doc.nonce, now); !used) {
    return tl::unexpected(used.error());
  }
  return peer;
}

net::HttpResponse MigrationSourceHandler::Complete(const net::HttpRequest& request) {
  const std::int64_t now = config_.now();
  auto parsed = ParseCompleteRequest(request.body);
  if (!parsed) {
    return Refusal(parsed.error());
  }
  auto peer = CheckFreshPeer(parsed->document, now);
  if (!peer) {
    return Refusal(peer.error());
  }
  auto current = LoadState();
  if (!current) {
    return Refusal(current.error());
  }
  auto done = DecideComplete(config_.self, *current, *peer, now);
  if (!done) {
    return Refusal(done.error());
  }
  const core::SecretBytes* secret = service_.SigningSecret();
  auto ciphertext = EncryptToPeer(*secret, *peer->doc.public_key);
  if (!ciphertext) {
    return Refusal(ciphertext.error());
  }
  AttestationRequest attest;
  attest.nonce = parsed->v2_nonce;
  const core::Sha256Digest digest = core::Sha256(*ciphertext);
  attest.user_data = core::Bytes(digest.begin(), digest.end());
  auto document = nsm_.Attestation(attest);
  if (!document) {
    return Refusal(document.error());
  }
  // Persisted before anything leaves: if this fails, no key is sent.
  if (auto stored = StoreState(*done); !stored) {
    return Refusal(stored.error());
  }
  service_.SetMigratedTo(done->target_pcr0);
  nlohmann::ordered_json body;
  body["completed"] = true;
  body["ciphertext"] = core::Base64Encode(*ciphertext);
  body["attestation_doc"] = core::Base64Encode(*document);
  return Json(core::DumpJson(body) + "\n");
}

}  // namespace enclavectl::app
