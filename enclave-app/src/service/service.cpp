#include "enclavectl/app/service.hpp"

#include <array>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "enclavectl/app/api.hpp"
#include "enclavectl/app/confidential_script.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/verifier/introspector.hpp"
#include "enclavectl/verifier/key_binding.hpp"
#include "enclavectl/verifier/signatures.hpp"

namespace enclavectl::app {
namespace {

using core::ErrorCode;
using core::Fail;
using nlohmann::json;

constexpr const char* kJson = "application/json";
constexpr const char* kText = "text/plain; charset=utf-8";

core::Error RequestError(ErrorCode code, std::string detail) {
  return core::Error{code, std::move(detail), -1};
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Strips ARNs and 12-digit account ids from a message for clients.
std::string Redact(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i, 4) == "arn:") {
      while (i < text.size() && text[i] != ' ' && text[i] != '"' && text[i] != ',' &&
             text[i] != ')' && text[i] != '\'' && text[i] != ';') {
        ++i;
      }
      out += "<arn>";
      continue;
    }
    if (IsDigit(text[i])) {
      std::size_t end = i;
      while (end < text.size() && IsDigit(text[end])) {
        ++end;
      }
      if (end - i >= 12) {
        out += "<account>";
      } else {
        out.append(text.substr(i, end - i));
      }
      i = end;
      continue;
    }
    out.push_back(text[i]);
    ++i;
  }
  return out;
}

// Codes whose detail this service wrote itself about the request (no remote text in it).
bool OwnDetail(ErrorCode code) {
  switch (code) {
    case ErrorCode::kAppRequestMalformed:
    case ErrorCode::kAppRequestInvalid:
    case ErrorCode::kAppNotFound:
    case ErrorCode::kAppMethodNotAllowed:
    case ErrorCode::kAppNotSetUp:
    case ErrorCode::kAppAlreadySetUp:
    case ErrorCode::kAppRequestTimeout:
    case ErrorCode::kAppOverloaded:
    case ErrorCode::kAppKeyNotAllowed:
    case ErrorCode::kAppKeyPolicyUnsafe:
    case ErrorCode::kAppKeyBinding:
    case ErrorCode::kSealedRecordInvalid:
    case ErrorCode::kSealedRecordOutdated:
    case ErrorCode::kInputTooLarge:
    case ErrorCode::kInvalidArgument:
      return true;
    default:
      return false;
  }
}

json ErrorJson(const core::Error& error) {
  return json{
      {"error",
       {{"code", std::string(core::ErrorCodeName(error.code))}, {"message", error.detail}}}};
}

net::HttpResponse JsonResponse(unsigned status, const json& body) {
  net::HttpResponse response;
  response.status = status;
  response.content_type = kJson;
  response.body = core::DumpJson(body);
  return response;
}

net::HttpResponse TextResponse(std::string body) {
  net::HttpResponse response;
  response.content_type = kText;
  response.body = std::move(body);
  return response;
}

// The HTTP API, exhaustively: every endpoint, the one method it allows and its handler. A
// request whose path is not here is 404 APP_NOT_FOUND; one with another method is 405
// APP_METHOD_NOT_ALLOWED with `Allow`. There is no default handler: KeyService::Route switches
// over Handler without a default case, so a handler added here and not there fails to compile.
enum class Handler : std::uint8_t {
  kHealth,
  kGenerateSecret,  // reproducible-key.md "Original HTTP surface"
  kSetupWithBlockhash,
  kPublicKey,
  kAttestation,
  kInfo,
  kEnclaveInfo,
  kMigrationStatus,  // migration.md 4.2 (Introspector-compatible)
  kSetupV1,
  kSign,
  kVerifyAndSign,  // Confidential Script (docs/confidential-script.md)
  kSecureVerifyAndSign,
};

struct Endpoint {
  std::string_view path;    // compared exactly: no prefix, case or trailing-slash matching
  std::string_view method;  // the only method allowed (also the Allow header)
  Handler handler;
  bool waits_for_kms;  // a setup: runs on the service's setup thread (HandleAsync)
};

constexpr std::array<Endpoint, 14> kEndpoints = {{
    {"/health", "GET", Handler::kHealth, false},
    {"/generate-secret", "POST", Handler::kGenerateSecret, true},
    {"/setup", "POST", Handler::kSetupWithBlockhash, true},
    {"/public-key", "GET", Handler::kPublicKey, false},
    {"/retrieve-public-key", "GET", Handler::kPublicKey, false},
    {"/enclave/attestation", "GET", Handler::kAttestation, false},
    {"/v1/info", "GET", Handler::kInfo, false},
    {"/v1/enclave-info", "GET", Handler::kEnclaveInfo, false},
    {"/v1/migration-status", "GET", Handler::kMigrationStatus, false},
    {"/v1/setup", "POST", Handler::kSetupV1, true},
    {"/v1/sign", "POST", Handler::kSign, false},
    {"/v1/health", "GET", Handler::kHealth, false},
    {"/verify-and-sign", "POST", Handler::kVerifyAndSign, false},
    {"/secure/verify-and-sign", "POST", Handler::kSecureVerifyAndSign, false},
}};

// The endpoint at `path`, or nullptr.
const Endpoint* FindEndpoint(std::string_view path) {
  for (const Endpoint& endpoint : kEndpoints) {
    if (endpoint.path == path) {
      return &endpoint;
    }
  }
  return nullptr;
}

}  // namespace

bool IsServiceRoute(std::string_view path) noexcept { return FindEndpoint(path) != nullptr; }

// The keys of this boot, immutable once published.
struct KeyService::ActiveKeys {
  KeyMode mode;
  std::string key_arn;
  std::optional<core::Sha256Digest> blockhash;
  KeyPair keys;
  std::string origin;  // /v1/enclave-info key_origin (ObtainedKey::origin)
  bool origin_provable = true;
  std::string info_body;        // GET /v1/info
  std::string public_key_body;  // GET /public-key
};

// One thread that runs setups (which wait for KMS) off the HTTP I/O threads; at most one job.
class KeyService::SetupWorker {
 public:
  SetupWorker() : thread_([this] { Run(); }) {}
  ~SetupWorker() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  SetupWorker(const SetupWorker&) = delete;
  SetupWorker& operator=(const SetupWorker&) = delete;

  // False when a job is queued or running (the caller answers at once). The worker runs
  // `work`, frees its slot, and only then calls `deliver`: a client that sends its next setup
  // request as soon as it has read this answer must find the worker free.
  bool TrySubmit(std::function<net::HttpResponse()> work,
                 std::function<void(net::HttpResponse)> deliver) {
    std::lock_guard lock(mutex_);
    if (busy_ || stop_) {
      return false;
    }
    busy_ = true;
    work_ = std::move(work);
    deliver_ = std::move(deliver);
    cv_.notify_all();
    return true;
  }

 private:
  void Run() {
    std::unique_lock lock(mutex_);
    while (true) {
      cv_.wait(lock, [this] { return stop_ || work_; });
      if (!work_) {
        return;  // stopping with nothing to do
      }
      std::function<net::HttpResponse()> work = std::move(work_);
      std::function<void(net::HttpResponse)> deliver = std::move(deliver_);
      work_ = nullptr;
      deliver_ = nullptr;
      lock.unlock();
      net::HttpResponse response = work();
      lock.lock();
      busy_ = false;
      lock.unlock();
      deliver(std::move(response));
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::function<net::HttpResponse()> work_;
  std::function<void(net::HttpResponse)> deliver_;
  bool busy_ = false;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

std::string ErrorBody(const core::Error& error) { return core::DumpJson(ErrorJson(error)); }

core::Error ClientError(const core::Error& error) {
  std::string message =
      OwnDetail(error.code) ? error.detail : std::string(core::InfoFor(error.code).meaning);
  return core::Error{error.code, Redact(message), error.index};
}

const char* KeyStateName(KeyState state) noexcept {
  switch (state) {
    case KeyState::kUnset:
      return "unset";
    case KeyState::kSettingUp:
      return "setting-up";
    case KeyState::kReady:
      return "ready";
    case KeyState::kFailed:
      return "failed";
  }
  return "unset";
}

unsigned HttpStatusFor(core::ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kAppRequestMalformed:
    case ErrorCode::kAppRequestInvalid:
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kAppKeyNotAllowed:
    case ErrorCode::kAppKeyPolicyUnsafe:
      return 403;
    case ErrorCode::kAppNotFound:
      return 404;
    case ErrorCode::kAppMethodNotAllowed:
      return 405;
    case ErrorCode::kAppRequestTimeout:
      return 408;
    case ErrorCode::kAppAlreadySetUp:
      return 409;
    case ErrorCode::kKeyMigrated:
      return 410;
    case ErrorCode::kInputTooLarge:
      return 413;
    case ErrorCode::kAppNotSetUp:
    case ErrorCode::kAppOverloaded:
      return 503;
    default:
      return 500;
  }
}

KeyService::KeyService(ServiceOptions options, NsmClient& nsm, EnclaveKms& kms,
                       SealedKeyStore& store, LogSink& log, Secp256k1Key attestation_key,
                       core::Secp256k1ContextPtr ctx)
    : options_(std::move(options)),
      nsm_(nsm),
      kms_(kms),
      store_(store),
      log_(log),
      ctx_(std::move(ctx)),
      attestation_key_(std::move(attestation_key)),
      attestation_pubkey_hex_(core::HexEncode(attestation_key_.Compressed())),
      app_key_hash_(core::Sha256(attestation_key_.Compressed())),
      worker_(std::make_unique<SetupWorker>()) {}

KeyService::~KeyService() = default;

core::Result<std::unique_ptr<KeyService>> KeyService::Create(ServiceOptions options, NsmClient& nsm,
                                                             EnclaveKms& kms, SealedKeyStore& store,
                                                             LogSink& log) {
  core::Secp256k1ContextPtr ctx = core::MakeSecp256k1Context();
  if (!ctx) {
    return Fail(ErrorCode::kInternal, "cannot create a secp256k1 context");
  }
  auto attestation_key = Secp256k1Key::Generate(ctx.get());
  if (!attestation_key) {
    return Fail(attestation_key.error());
  }
  std::unique_ptr<KeyService> service(new KeyService(std::move(options), nsm, kms, store, log,
                                                     std::move(*attestation_key),
                                                     std::move(ctx)));  // NOLINT: private ctor
  log.Log(LogLevel::kInfo, "attestation key for this boot: " + service->attestation_pubkey_hex_ +
                               " (appKeyHash " + core::HexEncode(service->app_key_hash_) + ")");
  return service;
}

core::Status KeyService::Setup(const SetupRequest& request, const core::SecretBytes* given_secret) {
  if (const std::optional<SetupRequest>& configured = options_.configured; configured) {
    // Item 3 of issue 12: with --key-id, setup only ever uses that key (mode, blockhash).
    if (request.key_id != configured->key_id || request.mode != configured->mode ||
        request.blockhash != configured->blockhash ||
        request.derivation != configured->derivation) {
      log_.Log(LogLevel::kWarning, "setup refused: it names KMS key " +
                                       core::SafeExcerpt(request.key_id, 256) +
                                       " or a mode or blockhash other than the configured setup");
      return Fail(ErrorCode::kAppKeyNotAllowed,
                  "this service sets up only its configured KMS key (GET /v1/enclave-info "
                  "configured_key_id), in its configured mode and blockhash");
    }
  }
  KeyState expected = KeyState::kUnset;
  if (!state_.compare_exchange_strong(expected, KeyState::kSettingUp, std::memory_order_acq_rel)) {
    const char* why = expected == KeyState::kReady       ? "the key is already set up"
                      : expected == KeyState::kSettingUp ? "another setup is running"
                                                         : "a failed setup changed PCR16: restart "
                                                           "the enclave";
    return Fail(ErrorCode::kAppAlreadySetUp, why);
  }
  log_.Log(LogLevel::kInfo, std::string("setup: ") + KeyModeName(request.mode) +
                                " key from KMS key " + request.key_id);
  SetupContext context{nsm_,
                       kms_,
                       store_,
                       ctx_.get(),
                       options_.policy,
                       options_.adoption ? &*options_.adoption : nullptr,
                       given_secret};
  auto obtained = ObtainKey(request, context);
  if (!obtained) {
    state_.store(KeyState::kUnset, std::memory_order_release);
    log_.Log(LogLevel::kError,
             "setup failed: " + std::string(ErrorCodeName(obtained.error().code)) + ": " +
                 obtained.error().detail);
    return Fail(obtained.error());
  }
  for (const std::string& reason : obtained->policy.reasons) {
    log_.Log(LogLevel::kWarning, "key policy of " + obtained->key_arn + ": " + reason);
  }
  bool touched = false;
  auto bound = BindKeyToPcr16(nsm_, obtained->keys.signing.Compressed(), touched);
  if (!bound) {
    state_.store(touched ? KeyState::kFailed : KeyState::kUnset, std::memory_order_release);
    log_.Log(LogLevel::kError,
             "setup failed binding PCR16: " + std::string(ErrorCodeName(bound.error().code)) +
                 ": " + bound.error().detail);
    return Fail(bound.error());
  }
  const KeyPair& pair = obtained->keys;
  const core::Sha384Digest pcr16 = verifier::KeyBindingPcrValue(pair.signing.Compressed());
  // signerPubkey: the upstream signer's name for the same key (migration.md 4.3), so the
  // Introspector Go client's PCR16 check reads it.
  json info = {
      {"public_key", core::HexEncode(pair.signing.Compressed())},
      {"signerPubkey", core::HexEncode(pair.signing.Compressed())},
      {"public_key_uncompressed", core::HexEncode(pair.signing.Uncompressed())},
      {"x_only_public_key", core::HexEncode(pair.signing.XOnly())},
      {"wallet_public_key", core::HexEncode(pair.wallet.Uncompressed())},
      {"key_mode", KeyModeName(request.mode)},
      {"key_id", obtained->key_arn},
      {"kms_key_arn", obtained->key_arn},
      {"key_policy",
       {{"checked", obtained->policy.checked},
        {"sha256",
         obtained->policy.sha256 ? json(core::HexEncode(*obtained->policy.sha256)) : json(nullptr)},
        {"enclave_only", obtained->policy.enclave_only},
        {"locked", obtained->policy.locked}}},
      {"blockhash", request.blockhash ? json(core::HexEncode(*request.blockhash)) : json(nullptr)},
      {"pcr16", core::HexEncode(pcr16)},
      {"version", options_.version}};
  // Seed 000's field and Confidential Script's (compressed hex), so both clients work.
  json public_key = {{"public-key-base64", core::Base64Encode(pair.signing.Uncompressed())},
                     {"public_key", core::HexEncode(pair.signing.Compressed())}};
  keys_ = std::make_unique<const ActiveKeys>(
      ActiveKeys{request.mode, obtained->key_arn, request.blockhash, std::move(obtained->keys),
                 obtained->origin, obtained->origin_provable, core::DumpJson(info),
                 core::DumpJson(public_key)});
  active_.store(keys_.get(), std::memory_order_release);
  state_.store(KeyState::kReady, std::memory_order_release);
  log_.Log(
      LogLevel::kInfo,
      std::string("setup done: key policy ") +
          (obtained->policy.checked
               ? std::string(obtained->policy.enclave_only ? "enclave-only" : "NOT enclave-only") +
                     (obtained->policy.locked ? ", locked" : ", not locked") + " (PCR0 " +
                     obtained->policy.pcr0_hex + ")"
               : "NOT CHECKED (--insecure-skip-policy-check)") +
          "; key " + obtained->detail + "; public key " +
          core::HexEncode(keys_->keys.signing.Compressed()) + " bound to PCR16 (locked)");
  return core::Ok();
}

net::HttpResponse KeyService::Handle(const net::HttpRequest& request) {
  net::HttpResponse response;
  try {
    response = Route(request);
  } catch (const std::bad_alloc&) {
    response = ErrorResponse(RequestError(ErrorCode::kInternal, "memory exhausted"));
  }
  if (response.status >= 500) {
    log_.Log(LogLevel::kWarning, core::SafeExcerpt(request.method, 16) + " " +
                                     core::SafeExcerpt(request.path) + " -> " +
                                     std::to_string(response.status));
  }
  SignResponse(response, request.method, request.path,
               request.QueryParam("nonce").value_or(std::string_view()));
  return response;
}

void KeyService::HandleAsync(net::HttpRequest request,
                             std::function<void(net::HttpResponse)> respond) {
  const Endpoint* endpoint = FindEndpoint(request.path);
  const bool setup =
      endpoint != nullptr && endpoint->waits_for_kms && request.method == endpoint->method;
  if (!setup) {
    respond(Handle(request));
    return;
  }
  auto shared =
      std::make_shared<std::pair<net::HttpRequest, std::function<void(net::HttpResponse)>>>(
          std::move(request), std::move(respond));
  const bool submitted = worker_->TrySubmit(
      [this, shared] {
        try {
          return Handle(shared->first);
        } catch (const std::exception&) {
          return Refuse(500, "internal error");
        }
      },
      [shared](net::HttpResponse response) { shared->second(std::move(response)); });
  if (!submitted) {
    net::HttpResponse response =
        ErrorResponse(RequestError(ErrorCode::kAppAlreadySetUp, "another setup is running"));
    SignResponse(response, shared->first.method, shared->first.path,
                 shared->first.QueryParam("nonce").value_or(std::string_view()));
    shared->second(std::move(response));
  }
}

net::HttpResponse KeyService::Refuse(unsigned status, std::string_view reason) {
  ErrorCode code = ErrorCode::kAppRequestMalformed;
  if (status == 408) {
    code = ErrorCode::kAppRequestTimeout;
  } else if (status == 413 || status == 431) {
    code = ErrorCode::kInputTooLarge;
  } else if (status == 503) {
    code = ErrorCode::kAppOverloaded;
  } else if (status >= 500) {
    code = ErrorCode::kInternal;
  }
  net::HttpResponse response =
      JsonResponse(status, ErrorJson(RequestError(code, std::string(reason))));
  response.close = true;
  log_.Log(LogLevel::kDebug,
           "refused a request: " + std::to_string(status) + " " + std::string(reason));
  SignResponse(response, "", "", "");
  return response;
}

net::HttpResponse KeyService::Route(const net::HttpRequest& request) {
  const Endpoint* endpoint = FindEndpoint(request.path);
  if (endpoint == nullptr) {
    return ErrorResponse(RequestError(ErrorCode::kAppNotFound, "no such endpoint"));
  }
  if (endpoint->method != request.method) {
    net::HttpResponse response = ErrorResponse(RequestError(
        ErrorCode::kAppMethodNotAllowed,
        std::string(endpoint->path) + " accepts " + std::string(endpoint->method) + " only"));
    response.headers.emplace_back("Allow", std::string(endpoint->method));
    return response;
  }
  // Confidential Script's master key is the signing key.
  const auto master = [this]() -> const core::SecretBytes* {
    const ActiveKeys* keys = Active();
    return keys != nullptr ? &keys->keys.signing.Secret() : nullptr;
  };
  switch (endpoint->handler) {
    case Handler::kHealth:
      return TextResponse("OK");
    case Handler::kGenerateSecret:
      return Compatibility(request, false);
    case Handler::kSetupWithBlockhash:
      return Compatibility(request, true);
    case Handler::kPublicKey:
      return PublicKey();
    case Handler::kAttestation:
      if (!options_.serve_attestation) {
        return ErrorResponse(RequestError(ErrorCode::kAppNotFound,
                                          "behind nitriding: /enclave/attestation is nitriding's"));
      }
      return Attestation(request);
    case Handler::kInfo:
      return Info();
    case Handler::kEnclaveInfo:
      return EnclaveInfo();
    case Handler::kMigrationStatus:
      return MigrationStatus();
    case Handler::kSetupV1:
      return SetupV1(request);
    case Handler::kSign:
      return Sign(request);
    case Handler::kVerifyAndSign:
      return VerifyAndSignHttp(request, master(), options_.max_weight);
    case Handler::kSecureVerifyAndSign:
      return SecureVerifyAndSignHttp(request, master(), options_.max_weight);
  }
  // Not reached (every Handler has its case above); never fall through to a handler.
  return ErrorResponse(RequestError(ErrorCode::kAppNotFound, "no such endpoint"));
}

net::HttpResponse KeyService::Compatibility(const net::HttpRequest& request, bool with_blockhash) {
  // reproducible-key.md "Original HTTP surface".
  auto setup = DecodeSetupRequest(
      request.body, with_blockhash ? SetupEndpoint::kSetup : SetupEndpoint::kGenerateSecret);
  if (!setup) {
    return ErrorResponse(setup.error());
  }
  if (auto done = Setup(*setup); !done) {
    return ErrorResponse(done.error());
  }
  return TextResponse("Secret generated");
}

net::HttpResponse KeyService::SetupV1(const net::HttpRequest& request) {
  auto setup = DecodeSetupRequest(request.body, SetupEndpoint::kV1Setup);
  if (!setup) {
    return ErrorResponse(setup.error());
  }
  if (auto done = Setup(*setup); !done) {
    return ErrorResponse(done.error());
  }
  return Info();
}

net::HttpResponse KeyService::PublicKey() const {
  const ActiveKeys* keys = Active();
  if (keys == nullptr) {
    // reproducible-key.md: 404 before setup.
    return ErrorResponse(RequestError(ErrorCode::kAppNotFound, "no key has been set up yet"));
  }
  net::HttpResponse response;
  response.body = keys->public_key_body;
  return response;
}

net::HttpResponse KeyService::Attestation(const net::HttpRequest& request) {
  // enclave-http.md 1.1: nonce = exactly 20 bytes as 40 hex digits, case-insensitive.
  const std::optional<std::string_view> nonce_text = request.QueryParam("nonce");
  if (!nonce_text) {
    return ErrorResponse(RequestError(ErrorCode::kAppRequestInvalid,
                                      "could not find nonce in URL query parameters"));
  }
  auto nonce = core::HexDecode(*nonce_text);
  if (nonce_text->size() != 40 || !nonce) {
    return ErrorResponse(RequestError(ErrorCode::kAppRequestInvalid,
                                      "unexpected nonce format; must be 40-digit hex string"));
  }
  AttestationRequest attestation;
  attestation.nonce = std::move(*nonce);
  // tlsKeyHash: this service terminates no TLS (nitriding or enclaver do): 32 zero bytes.
  attestation.user_data = verifier::EncodeNitridingUserData({{}, app_key_hash_});
  attestation.public_key = Bytes{'d', 'u', 'm', 'm', 'y'};
  auto document = nsm_.Attestation(attestation);
  if (!document) {
    log_.Log(LogLevel::kError, "attestation failed: " + document.error().detail);
    return ErrorResponse(RequestError(document.error().code,
                                      "failed to obtain attestation document from hypervisor"));
  }
  return TextResponse(core::Base64Encode(*document) + "\n");
}

net::HttpResponse KeyService::Info() const {
  const ActiveKeys* keys = Active();
  if (keys == nullptr) {
    return ErrorResponse(RequestError(ErrorCode::kAppNotSetUp, "no key has been set up yet"));
  }
  net::HttpResponse response;
  response.body = keys->info_body;
  return response;
}

net::HttpResponse KeyService::EnclaveInfo() const {
  // migration.md 4.1: version, previous_pcr0, maintainer_pubkey (omitted when empty) and
  // attestation_pubkey as the Introspector client reads them; the rest is ours (additive).
  json body{{"version", options_.version},
            {"build", options_.build},
            {"previous_pcr0", options_.previous_pcr0},
            {"attestation_pubkey", attestation_pubkey_hex_},
            {"app_key_hash", core::HexEncode(app_key_hash_)},
            {"key_state", KeyStateName(State())},
            {"dev", options_.dev},
            {"configured_key_id",
             options_.configured ? json(options_.configured->key_id) : json(nullptr)},
            {"configured_key_mode",
             options_.configured ? json(KeyModeName(options_.configured->mode)) : json(nullptr)},
            {"insecure_skip_policy_check", options_.policy.skip},
            {"require_key_policy",
             {{"enclave_only", options_.policy.require.enclave_only},
              {"locked", options_.policy.require.locked}}}};
  if (!options_.maintainer_pubkey.empty()) {
    body["maintainer_pubkey"] = options_.maintainer_pubkey;
  }
  // Where the key came from (docs/enclave-app.md): null until a key is set up.
  const ActiveKeys* keys = Active();
  body["key_origin"] = keys != nullptr ? json(keys->origin) : json(nullptr);
  body["key_origin_provable"] = keys != nullptr ? json(keys->origin_provable) : json(nullptr);
  if (auto migrated = MigratedTo()) {
    body["migrated_to_pcr0"] = *migrated;
  }
  {
    std::lock_guard lock(migration_mutex_);
    if (migrated_from_) {
      body["migrated_from_pcr0"] = *migrated_from_;
    }
  }
  return JsonResponse(200, body);
}

const core::SecretBytes* KeyService::SigningSecret() const noexcept {
  const ActiveKeys* keys = Active();
  return keys == nullptr ? nullptr : &keys->keys.signing.Secret();
}

void KeyService::SetMigratedTo(std::string target_pcr0) {
  std::lock_guard lock(migration_mutex_);
  if (!migrated_to_) {
    log_.Log(LogLevel::kWarning,
             "key migrated to PCR0 " + target_pcr0 + ": this enclave no longer signs");
    migrated_to_ = std::move(target_pcr0);
  }
}

std::optional<std::string> KeyService::MigratedTo() const {
  std::lock_guard lock(migration_mutex_);
  return migrated_to_;
}

void KeyService::SetMigratedFrom(std::string source_pcr0) {
  std::lock_guard lock(migration_mutex_);
  migrated_from_ = std::move(source_pcr0);
}

void KeyService::SetMigrationStatus(std::function<std::string()> body) {
  std::lock_guard lock(migration_mutex_);
  migration_status_ = std::move(body);
}

net::HttpResponse KeyService::MigrationStatus() const {
  // migration.md 4.2: the store's state (SetMigrationStatus, the migration protocol) or,
  // without a migration store, the idle answer {"state":null}.
  net::HttpResponse response;
  response.content_type = kJson;
  std::function<std::string()> status;
  {
    std::lock_guard lock(migration_mutex_);
    status = migration_status_;
  }
  response.body = status ? status() : verifier::EncodeMigrationStatus({});
  return response;
}

net::HttpResponse KeyService::Sign(const net::HttpRequest& request) const {
  const ActiveKeys* keys = Active();
  if (keys == nullptr) {
    return ErrorResponse(RequestError(ErrorCode::kAppNotSetUp, "no key has been set up yet"));
  }
  if (auto migrated = MigratedTo()) {
    return ErrorResponse(core::Error{
        ErrorCode::kKeyMigrated,
        "the key was migrated to PCR0 " + *migrated + ": this enclave no longer signs"});
  }
  auto parsed = DecodeSignRequest(request.body);
  if (!parsed) {
    return ErrorResponse(parsed.error());
  }
  json out = {{"scheme", SignSchemeName(parsed->scheme)},
              {"digest", core::HexEncode(parsed->digest)}};
  const KeyPair& pair = keys->keys;
  const auto start = std::chrono::steady_clock::now();
  struct Timer {  // reports the signature's time however Sign returns
    const ServiceOptions& options;
    std::string_view scheme;
    std::chrono::steady_clock::time_point start;
    ~Timer() {
      if (options.on_sign) {
        options.on_sign(
            scheme,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      }
    }
  } timer{options_, SignSchemeName(parsed->scheme), start};
  if (parsed->scheme == SignScheme::kBip340) {
    auto sig = pair.signing.SignBip340(parsed->digest);
    if (!sig) {
      return ErrorResponse(sig.error());
    }
    out["public_key"] = core::HexEncode(pair.signing.XOnly());
    out["signature"] = core::HexEncode(*sig);
  } else {
    const bool k1 = parsed->scheme == SignScheme::kEcdsaSecp256k1;
    auto sig = k1 ? pair.signing.SignEcdsa(parsed->digest) : pair.wallet.SignDigest(parsed->digest);
    if (!sig) {
      return ErrorResponse(sig.error());
    }
    out["public_key"] =
        core::HexEncode(k1 ? pair.signing.Compressed() : pair.wallet.Uncompressed());
    out["signature"] = core::HexEncode(sig->der);
    out["signature_compact"] = core::HexEncode(sig->compact);
  }
  return JsonResponse(200, out);
}

net::HttpResponse KeyService::ErrorResponse(const core::Error& error) const {
  return JsonResponse(HttpStatusFor(error.code), ErrorJson(ClientError(error)));
}

void KeyService::SignResponse(net::HttpResponse& response, std::string_view method,
                              std::string_view path, std::string_view nonce) const {
  // enclave-http.md 4: BIP-340 over SHA-256(body), lower-case hex headers.
  const core::Sha256Digest digest = core::Sha256(core::AsBytes(response.body));
  auto signature = attestation_key_.SignBip340(digest);
  // The exchange signature: the same key over method, path, status, nonce and body, so that
  // a signed answer cannot be replayed for another request or status.
  auto exchange = attestation_key_.SignBip340(
      verifier::ExchangeSignatureDigest(method, path, response.status, nonce, response.body));
  if (!signature || !exchange) {
    response.headers.emplace_back("X-Attestation-Error", "signing-failed");
    return;
  }
  response.headers.emplace_back("X-Attestation-Signature", core::HexEncode(*signature));
  response.headers.emplace_back("X-Attestation-Pubkey", attestation_pubkey_hex_);
  response.headers.emplace_back(std::string(verifier::kExchangeSignatureHeader),
                                core::HexEncode(*exchange));
}

std::string KeyService::HandleWalletLine(std::string_view line) {
  try {
    auto request = DecodeWalletRequest(line);
    if (!request) {
      return ErrorBody(ClientError(request.error()));
    }
    const ActiveKeys* keys = Active();
    if (keys == nullptr) {
      return ErrorBody(RequestError(ErrorCode::kAppNotSetUp, "no key has been set up yet"));
    }
    const P256Key& wallet = keys->keys.wallet;
    // DecodeWalletRequest refuses unknown actions (APP_NOT_FOUND); each known one has its case
    // and there is no default.
    switch (request->action) {
      case WalletRequest::Action::kGetPublicKey:
        return core::DumpJson(json{{"public_key", core::HexEncode(wallet.Uncompressed())}});
      case WalletRequest::Action::kSign: {
        if (auto migrated = MigratedTo()) {
          return ErrorBody(core::Error{
              ErrorCode::kKeyMigrated,
              "the key was migrated to PCR0 " + *migrated + ": this enclave no longer signs", -1});
        }
        auto sig = wallet.SignDigest(core::Sha256(request->message));
        if (!sig) {
          return ErrorBody(sig.error());
        }
        const ByteView compact(sig->compact);
        return core::DumpJson(json{{"r", core::HexEncode(compact.first(32))},
                                   {"s", core::HexEncode(compact.subspan(32))}});
      }
    }
    return ErrorBody(RequestError(ErrorCode::kAppNotFound, "unknown action"));
  } catch (const std::bad_alloc&) {
    return ErrorBody(RequestError(ErrorCode::kInternal, "memory exhausted"));
  }
}

}  // namespace enclavectl::app
