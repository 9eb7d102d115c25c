// The key service (service layer): routes, JSON codecs, the once-per-boot setup, response
// signing and the vsock JSON protocol, over interfaces (NSM client, EnclaveKms,
// SealedKeyStore, LogSink). No sockets, files or network here: the HTTP and vsock servers
// (app_io) call Handle / Refuse / HandleWalletLine. Endpoints: docs/enclave-app.md.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "enclavectl/app/adopt.hpp"
#include "enclavectl/app/enclave_kms.hpp"
#include "enclavectl/app/key_setup.hpp"
#include "enclavectl/app/keys.hpp"
#include "enclavectl/app/nsm.hpp"
#include "enclavectl/app/sealed_store.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/net/http_server.hpp"

namespace enclavectl::app {

enum class LogLevel : std::uint8_t { kDebug, kInfo, kWarning, kError };

// Where the service's log lines go. Lines name operations, key ids and public keys; never a
// secret, a message to sign or a request body.
class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void Log(LogLevel level, std::string_view line) = 0;
};

struct ServiceOptions {
  std::string version = "0.0.0";
  std::string build;  // "g++ 12.2.0, Release"
  // The image config (/etc/enclavectl/image-config.json, measured into PCR0): the PCR0 of the
  // image this one replaces ("genesis" for the first) and the maintainer's x-only BIP-340 key
  // (64 hex, or empty). Reported in /v1/enclave-info (docs/migration.md).
  std::string previous_pcr0 = "genesis";
  std::string maintainer_pubkey;
  // Behind nitriding (--nitriding-url) nitriding answers /enclave/attestation on its TLS port;
  // the service then does not (404 APP_NOT_FOUND), so no document without tlsKeyHash exists.
  bool serve_attestation = true;
  bool dev = false;  // simulator + local KMS: reported in /v1/enclave-info
  // --key-id (with --key-mode, --blockhash): when set, this is the only setup the service
  // performs; an HTTP setup naming anything else fails with kAppKeyNotAllowed (403), the same
  // setup may be retried. Reported in /v1/enclave-info as configured_key_id.
  std::optional<SetupRequest> configured;
  // The key policy check (--insecure-skip-policy-check, --require-key-policy).
  PolicyCheckOptions policy;
  // --adopt-ciphertext (sealed mode, with --key-id): what the first sealed setup seals
  // (adopt.hpp). Its source is borrowed and must outlive the service.
  std::optional<KeyAdoption> adoption;
  // Confidential Script's max_weight: heavier emulated transactions are refused (spec 2.3).
  std::uint64_t max_weight = 4'000'000;
  // Told the scheme name (SignSchemeName) and the seconds of every signature POST /v1/sign
  // makes (enclave-app --metrics); may be null. Called on the request's thread.
  std::function<void(std::string_view scheme, double seconds)> on_sign;
};

// True when `path` is one of the service's routes (compared exactly).
bool IsServiceRoute(std::string_view path) noexcept;

enum class KeyState : std::uint8_t { kUnset, kSettingUp, kReady, kFailed };
const char* KeyStateName(KeyState state) noexcept;  // "unset", "setting-up", "ready", "failed"

// The HTTP status a service error is answered with: 400 malformed/invalid, 403 (a key other
// than the configured one, an unsafe key policy), 404, 405, 409, 413, 408, 503 (not set up,
// overloaded), 500 anything else (KMS, NSM, store failures).
unsigned HttpStatusFor(core::ErrorCode code) noexcept;

// The JSON error every endpoint and the vsock protocol answer with:
// {"error": {"code": "<NAME>", "message": "<detail>"}}.
std::string ErrorBody(const core::Error& error);

// What a client may read of `error`: the code with a short reason. Errors of the KMS, SSM,
// NSM, I/O and internal blocks carry the code's fixed meaning instead of their detail (which
// may name role ARNs, account ids or endpoints: it goes to the log); every message is then
// stripped of ARNs ("arn:..." -> "<arn>") and 12-digit account ids ("<account>").
core::Error ClientError(const core::Error& error);

class KeyService {
 public:
  // Creates the per-boot attestation key (a fresh secp256k1 key whose SHA-256 of the compressed
  // public key is appKeyHash). Dependencies are borrowed and must outlive the service. Fails
  // with kInternal.
  [[nodiscard]] static core::Result<std::unique_ptr<KeyService>> Create(
      ServiceOptions options, NsmClient& nsm, EnclaveKms& kms, SealedKeyStore& store, LogSink& log);
  ~KeyService();
  KeyService(const KeyService&) = delete;
  KeyService& operator=(const KeyService&) = delete;

  // Answers one HTTP request (untrusted). Thread-safe; every response carries the
  // X-Attestation-Signature / X-Attestation-Pubkey headers (over the body) and the
  // X-Enclavectl-Exchange-Signature header (verifier::ExchangeSignatureDigest over the
  // request's method, path, `nonce` query parameter, the status and the body). Setup
  // requests block the calling thread while KMS answers.
  net::HttpResponse Handle(const net::HttpRequest& request);

  // The same, for the HTTP server's I/O threads: setup requests (which wait for KMS) run on
  // the service's own setup thread and `respond` is called from there; every other request
  // is answered before this returns. A setup arriving while the setup thread is busy is
  // answered at once (409 APP_ALREADY_SETUP).
  void HandleAsync(net::HttpRequest request, std::function<void(net::HttpResponse)> respond);

  // The signed JSON error for a request the HTTP server refused itself (400 malformed, 408,
  // 413, 431, 503 too many connections): the server's error responder. The exchange
  // signature covers empty method, path and nonce (the request was not read).
  net::HttpResponse Refuse(unsigned status, std::string_view reason);

  // Answers one line of the vsock JSON protocol (untrusted, without its newline) with one
  // JSON object (without a newline). Thread-safe.
  std::string HandleWalletLine(std::string_view line);

  // The once-per-boot setup: exactly one call can win; while it runs and after it succeeded
  // every other call fails with kAppAlreadySetUp. A failure before PCR16 changed leaves the
  // service unset (setup may be retried); a failure after it leaves it failed for this boot.
  // With a configured setup, any other request fails with kAppKeyNotAllowed first. Fails with
  // kAppKeyNotAllowed, kAppAlreadySetUp, ObtainKey's and BindKeyToPcr16's codes.
  // `given_secret` (sealed mode only): the key a migration brought (app/migration_target.hpp),
  // sealed when the store has no record yet.
  [[nodiscard]] core::Status Setup(const SetupRequest& request,
                                   const core::SecretBytes* given_secret = nullptr);

  KeyState State() const noexcept { return state_.load(std::memory_order_acquire); }
  const Secp256k1Key& AttestationKey() const noexcept { return attestation_key_; }
  // SHA-256 of the compressed attestation public key (nitriding's appKeyHash).
  const core::Sha256Digest& AppKeyHash() const noexcept { return app_key_hash_; }

  // The migration protocol (app/migration_source.hpp). The signing secret once a key is set
  // up (nullptr before): V1 encrypts it to V2's attested key and derives its state MAC key.
  const core::SecretBytes* SigningSecret() const noexcept;
  // After a completed migration (or a start that finds one): every signing route refuses
  // with kKeyMigrated (410) and /v1/enclave-info carries "migrated_to_pcr0". Irreversible.
  void SetMigratedTo(std::string target_pcr0);
  std::optional<std::string> MigratedTo() const;
  // V2 after a migration: /v1/enclave-info carries "migrated_from_pcr0".
  void SetMigratedFrom(std::string source_pcr0);
  // The body of GET /v1/migration-status (migration.md 4.2); unset: {"state":null}. Set
  // before the service answers requests.
  void SetMigrationStatus(std::function<std::string()> body);

 private:
  struct ActiveKeys;
  class SetupWorker;
  KeyService(ServiceOptions options, NsmClient& nsm, EnclaveKms& kms, SealedKeyStore& store,
             LogSink& log, Secp256k1Key attestation_key, core::Secp256k1ContextPtr ctx);

  net::HttpResponse Route(const net::HttpRequest& request);
  net::HttpResponse Compatibility(const net::HttpRequest& request, bool with_blockhash);
  net::HttpResponse SetupV1(const net::HttpRequest& request);
  net::HttpResponse PublicKey() const;
  net::HttpResponse Attestation(const net::HttpRequest& request);
  net::HttpResponse Info() const;
  net::HttpResponse EnclaveInfo() const;
  net::HttpResponse MigrationStatus() const;
  net::HttpResponse Sign(const net::HttpRequest& request) const;
  net::HttpResponse ErrorResponse(const core::Error& error) const;
  void SignResponse(net::HttpResponse& response, std::string_view method, std::string_view path,
                    std::string_view nonce) const;
  const ActiveKeys* Active() const noexcept { return active_.load(std::memory_order_acquire); }

  ServiceOptions options_;
  NsmClient& nsm_;
  EnclaveKms& kms_;
  SealedKeyStore& store_;
  LogSink& log_;
  core::Secp256k1ContextPtr ctx_;
  Secp256k1Key attestation_key_;
  std::string attestation_pubkey_hex_;
  core::Sha256Digest app_key_hash_{};
  std::atomic<KeyState> state_{KeyState::kUnset};
  // Written once by the winning setup before `active_` is published; read through `active_`.
  std::unique_ptr<const ActiveKeys> keys_;
  std::atomic<const ActiveKeys*> active_{nullptr};
  mutable std::mutex migration_mutex_;
  std::optional<std::string> migrated_to_;
  std::optional<std::string> migrated_from_;
  std::function<std::string()> migration_status_;
  std::unique_ptr<SetupWorker> worker_;  // last: stopped (joined) first
};

}  // namespace enclavectl::app
