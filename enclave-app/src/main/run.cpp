#include "enclavectl/app/run.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>

#include "adopt_flags.hpp"
#include "enclavectl/app/aws_kms.hpp"
#include "enclavectl/app/confidential_script.hpp"
#include "enclavectl/app/hardening.hpp"
#include "enclavectl/app/kms_accounts.hpp"
#include "enclavectl/app/metrics.hpp"
#include "enclavectl/app/nitriding.hpp"
#include "enclavectl/app/nsm_device.hpp"
#include "enclavectl/app/nsm_simulator.hpp"
#include "enclavectl/app/seed_servers.hpp"
#include "enclavectl/app/servers.hpp"
#include "enclavectl/app/service.hpp"
#include "enclavectl/app/simulator_config.hpp"
#include "enclavectl/app/stores.hpp"
#include "enclavectl/aws/credentials.hpp"
#include "enclavectl/aws/curl_transport.hpp"
#include "enclavectl/aws/ssm_client.hpp"
#include "enclavectl/cmddoc/describe.hpp"
#include "enclavectl/cmddoc/man.hpp"
#include "enclavectl/core/build_info.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/file_io.hpp"
#include "enclavectl/eif/image_config.hpp"
#include "enclavectl/ethereum/address.hpp"
#include "enclavectl/kmspolicy/lint.hpp"
#include "enclavectl/net/fd_limit.hpp"
#include "enclavectl/verifier/trust.hpp"
#include "listeners.hpp"

#ifndef ENCLAVECTL_VERSION
#define ENCLAVECTL_VERSION "0.0.0"
#endif
#ifndef ENCLAVECTL_BUILD_TYPE
#define ENCLAVECTL_BUILD_TYPE "unknown"
#endif

namespace enclavectl::app {
namespace {

using core::ErrorCode;
using run_detail::Accounts;
using run_detail::AddMigrationFlags;
using run_detail::Flags;
using run_detail::MigrationWiring;
using run_detail::SeedWallet;
using run_detail::SplitHostPort;
using run_detail::StartAccounts;
using run_detail::StartSeedWallet;

constexpr int kExitUsage = 64;
constexpr int kExitIo = 74;
constexpr int kExitInternal = 70;

// Log lines on stderr: "2025-01-01T00:00:00Z enclave-app INFO text".
class StreamLog final : public LogSink {
 public:
  StreamLog(std::ostream& out, bool verbose) : out_(out), verbose_(verbose) {}
  void Log(LogLevel level, std::string_view line) override {
    if (level == LogLevel::kDebug && !verbose_) {
      return;
    }
    const char* name = level == LogLevel::kError     ? "ERROR"
                       : level == LogLevel::kWarning ? "WARN"
                       : level == LogLevel::kInfo    ? "INFO"
                                                     : "DEBUG";
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    gmtime_r(&now, &utc);
    std::lock_guard lock(mutex_);
    out_ << std::put_time(&utc, "%Y-%m-%dT%H:%M:%SZ") << " enclave-app " << name << " " << line
         << std::endl;  // NOLINT(performance-avoid-endl): a log line is flushed at once
  }

 private:
  std::mutex mutex_;
  std::ostream& out_;
  bool verbose_;
};

core::Result<std::unique_ptr<NsmTransport>> OpenNsm(const Flags& flags, LogSink& log,
                                                    const core::io::Clock& clock) {
  if (flags.nsm == "device") {
    auto device = NsmDevice::Open(flags.nsm_device);
    if (!device) {
      return core::Fail(device.error());
    }
    return std::unique_ptr<NsmTransport>(std::move(*device));
  }
  auto options = MakeSimulatorOptions(SimulatorPcrInputs{flags.eif, flags.pcrs, flags.pcr});
  if (!options) {
    return core::Fail(options.error());
  }
  if (!flags.eif.empty() || !flags.pcrs.empty()) {
    log.Log(LogLevel::kInfo,
            "simulated enclave measured from " +
                (flags.eif.empty() ? "pcr.json " + flags.pcrs : "EIF " + flags.eif));
  }
  auto ca = LoadOrCreateDevCa(flags.nsm_state, clock);
  if (!ca) {
    return core::Fail(ca.error());
  }
  auto simulator = NsmSimulator::Boot(std::move(*ca), *options, clock);
  if (!simulator) {
    return core::Fail(simulator.error());
  }
  log.Log(LogLevel::kWarning,
          "NSM SIMULATOR: attestation documents are signed by the development "
          "CA in " +
              flags.nsm_state + " (root: " + flags.nsm_state +
              "/root.pem), which AWS and KMS never trust");
  return std::unique_ptr<NsmTransport>(std::move(*simulator));
}

int ExitFor(const core::Error& error, LogSink& log, const std::string& what) {
  log.Log(LogLevel::kError,
          what + ": " + std::string(core::ErrorCodeName(error.code)) + ": " + error.detail);
  const core::ExitClass exit_class = core::InfoFor(error.code).exit_class;
  if (exit_class == core::ExitClass::kUsage) {
    return kExitUsage;
  }
  return exit_class == core::ExitClass::kInternal ? kExitInternal : kExitIo;
}

void BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void WaitForStopSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int signal_number = 0;
  sigwait(&set, &signal_number);
}

struct ConnectionLimits {
  std::size_t http = 0;
  std::size_t vsock = 0;
};

// Open files: raises the soft limit to the hard one and keeps the listeners' connections
// within it (net::ConnectionBudget); the vsock listener gets a quarter of the budget, at
// most its usual 256, HTTP the rest. Warns when --max-connections must shrink.
ConnectionLimits FitConnectionsToFdLimit(const Flags& flags, LogSink& log) {
  const net::FdLimit fd_limit = net::RaiseFdLimit();
  log.Log(fd_limit.error.empty() ? LogLevel::kInfo : LogLevel::kWarning,
          net::DescribeFdLimit(fd_limit));
  ConnectionLimits limits;
  if (fd_limit.soft == 0) {  // unknown: leave the configured values
    limits.http = flags.max_connections;
    limits.vsock = LineServerOptions{}.max_connections;
    return limits;
  }
  const std::size_t budget = net::ConnectionBudget(fd_limit.soft);
  if (flags.vsock_port != 0) {
    limits.vsock = std::clamp<std::size_t>(budget / 4, 1, LineServerOptions{}.max_connections);
  }
  const std::size_t http_budget = budget > limits.vsock ? budget - limits.vsock : 1;
  const net::ConnectionCap http =
      net::FitConnections("--max-connections", flags.max_connections, http_budget, fd_limit.soft);
  if (!http.warning.empty()) {
    log.Log(LogLevel::kWarning, http.warning);
  }
  limits.http = http.max_connections;
  return limits;
}

// Seed (a)'s wallet protocol (nitro-enclave-wallet, docs/enclave-app.md "Seed wallet
// protocols"): a fresh key per process start, as the seed does, served on vsock and/or TCP.
// The image config measured into PCR0 (eif/image_config.hpp). The file is part of the image:
// absent means the first image of a lineage (genesis, no maintainer). Only --dev may read
// another file (--image-config); never the parent's choice in production.
core::Result<eif::ImageConfig> LoadImageConfig(const Flags& flags, LogSink& log) {
  if (!flags.image_config.empty() && !flags.dev) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "--image-config is for --dev only: in an enclave the image config is the "
                      "measured file " +
                          std::string(eif::kImageConfigPath));
  }
  const std::string path =
      flags.image_config.empty() ? std::string(eif::kImageConfigPath) : flags.image_config;
  std::error_code ec;
  if (flags.image_config.empty() && !std::filesystem::exists(path, ec)) {
    log.Log(LogLevel::kInfo, "no image config (" + path + "): previous_pcr0 genesis");
    return eif::ImageConfig{};
  }
  auto text = core::io::ReadFile(path, eif::kMaxImageConfigBytes);
  if (!text) {
    return core::Fail(text.error());
  }
  auto config = eif::DecodeImageConfig(core::AsChars(*text));
  if (!config) {
    core::Error error = config.error();
    error.detail = path + ": " + error.detail;
    return core::Fail(error);
  }
  log.Log(LogLevel::kInfo, "image config " + path + ": previous_pcr0 " + config->previous_pcr0 +
                               (config->maintainer_pubkey.empty()
                                    ? ", no maintainer key"
                                    : ", maintainer key " + config->maintainer_pubkey));
  return config;
}

int Serve(const Flags& flags, std::ostream& out, LogSink& log) {
  const core::io::SystemClock clock;
  const ConnectionLimits connection_limits = FitConnectionsToFdLimit(flags, log);
  if (flags.dev) {
    log.Log(LogLevel::kWarning,
            "*** DEVELOPMENT MODE (--dev): simulated NSM and a local KMS. Attestation here "
            "proves nothing; never use --dev for real keys. ***");
  }
  auto listen = SplitHostPort(flags.listen);
  if (!listen) {
    return ExitFor(listen.error(), log, "usage");
  }
  std::optional<std::string> nitriding;
  if (!flags.nitriding_url.empty()) {
    auto parsed = ParseNitridingUrl(flags.nitriding_url);
    if (!parsed) {
      return ExitFor(parsed.error(), log, "usage");
    }
    nitriding = std::move(*parsed);
  }
  auto image_config = LoadImageConfig(flags, log);
  if (!image_config) {
    return ExitFor(
        image_config.error(), log,
        image_config.error().code == ErrorCode::kInvalidArgument ? "usage" : "image config");
  }
  std::optional<core::Sha256Digest> blockhash;
  if (!flags.blockhash.empty()) {
    auto bytes = core::HexDecode(flags.blockhash);
    if (!bytes || bytes->size() != 32) {
      return ExitFor({ErrorCode::kInvalidArgument, "--blockhash must be 64 hex digits", -1}, log,
                     "usage");
    }
    blockhash.emplace();
    std::copy(bytes->begin(), bytes->end(), blockhash->begin());
  }
  if (!flags.key_mode.empty() && flags.key_id.empty()) {
    return ExitFor({ErrorCode::kInvalidArgument, "--key-mode needs --key-id", -1}, log, "usage");
  }
  if (!flags.derivation.empty() && (flags.key_id.empty() || flags.key_mode == "sealed")) {
    return ExitFor(
        {ErrorCode::kInvalidArgument, "--derivation needs --key-id in reproducible mode", -1}, log,
        "usage");
  }
  if (!flags.accounts_listen.empty() && !flags.dev) {
    return ExitFor({ErrorCode::kInvalidArgument,
                    "--accounts-listen (TCP) is for development only: use it with --dev, or "
                    "--accounts-port for vsock",
                    -1},
                   log, "usage");
  }
  if (flags.legacy_format && flags.accounts_port == 0 && flags.accounts_listen.empty()) {
    return ExitFor({ErrorCode::kInvalidArgument,
                    "--legacy-format applies to the accounts protocol: add --accounts-port", -1},
                   log, "usage");
  }
  PolicyCheckOptions policy_check;
  policy_check.skip = flags.insecure_skip_policy_check;
  if (!flags.require_key_policy.empty()) {
    auto required = kmspolicy::ParseLintRequirements(flags.require_key_policy);
    if (!required) {
      return ExitFor(required.error(), log, "usage");
    }
    if (policy_check.skip && (required->enclave_only || required->locked)) {
      return ExitFor(
          {ErrorCode::kInvalidArgument,
           "--require-key-policy and --insecure-skip-policy-check contradict each other", -1},
          log, "usage");
    }
    policy_check.require = *required;
  }
  if (policy_check.skip) {
    log.Log(LogLevel::kWarning,
            "*** --insecure-skip-policy-check: the KMS key policy is NOT checked; a parent "
            "allowed to encrypt under the key can choose the sealed key. Development only. ***");
  }
  std::optional<SetupRequest> configured;
  if (!flags.key_id.empty()) {
    configured.emplace();
    configured->mode = flags.key_mode == "sealed" ? KeyMode::kSealed : KeyMode::kReproducible;
    configured->key_id = flags.key_id;
    configured->blockhash = blockhash;
    configured->derivation =
        flags.derivation == "hkdf" ? KeyDerivation::kHkdf : KeyDerivation::kSeed;
  }

  const aws::ProcessEnvironment env;
  if (flags.dev && flags.kms_endpoint.empty() && !env.Get("AWS_ENDPOINT_URL_KMS") &&
      !env.Get("AWS_ENDPOINT_URL")) {
    return ExitFor({ErrorCode::kInvalidArgument,
                    "--dev needs the local KMS: run `enclavectl dev up` and export what it "
                    "prints, or pass --kms-endpoint http://127.0.0.1:PORT",
                    -1},
                   log, "usage");
  }
  auto nsm_transport = OpenNsm(flags, log, clock);
  if (!nsm_transport) {
    return ExitFor(nsm_transport.error(), log,
                   flags.nsm == "device" ? "no Nitro Security Module (use --dev to develop "
                                           "without Nitro hardware)"
                                         : "NSM simulator");
  }
  NsmClient nsm(**nsm_transport);

  // AWS: region, endpoints and the credential chain (resolved again before every call).
  std::string region = flags.region;
  if (region.empty()) {
    auto resolved = aws::ResolveRegion(env, {});
    region = resolved ? *resolved : "";
  }
  if (region.empty() && flags.dev) {
    region = "us-east-1";
  }
  auto kms_endpoint = aws::ResolveKmsEndpoint(flags.kms_endpoint, region, env);
  if (!kms_endpoint) {
    return ExitFor(kms_endpoint.error(), log, "usage");
  }
  aws::CurlTransport transport("enclavectl-enclave-app/" ENCLAVECTL_VERSION);
  aws::RealSleeper sleeper;
  AwsAccess access{transport,
                   [&env, &transport]() -> core::Result<aws::AwsCredentials> {
                     auto resolved = aws::ResolveCredentials(env, transport, {});
                     if (!resolved) {
                       return core::Fail(resolved.error());
                     }
                     return std::move(resolved->credentials);
                   },
                   clock, sleeper, aws::RetryPolicy{}};
  AwsEnclaveKms kms(access, *kms_endpoint);
  log.Log(LogLevel::kInfo, "KMS endpoint " + kms_endpoint->url + " (region " + region + ")");

  auto location = ParseStoreLocation(flags.sealed_store);
  if (!location) {
    return ExitFor(location.error(), log, "usage");
  }
  std::unique_ptr<SealedKeyStore> store;
  if (location->kind == StoreLocation::Kind::kSsm) {
    auto ssm_endpoint = aws::ResolveSsmEndpoint(flags.ssm_endpoint, region, env);
    if (!ssm_endpoint) {
      return ExitFor(ssm_endpoint.error(), log, "usage");
    }
    store = std::make_unique<SsmSealedKeyStore>(MakeSsmClientCall(access, *ssm_endpoint),
                                                location->location);
  } else {
    store = std::make_unique<FileSealedKeyStore>(location->location);
  }
  log.Log(LogLevel::kInfo, "sealed keys: " + store->Describe());
  auto adoption = run_detail::MakeAdoption(flags, access, region, env, log);
  if (!adoption) {
    return ExitFor(adoption.error(), log, "usage");
  }

  ServiceOptions service_options;
  service_options.version = ENCLAVECTL_VERSION;
  service_options.build = std::string("g++ ") + __VERSION__ + ", " + ENCLAVECTL_BUILD_TYPE;
  service_options.previous_pcr0 = image_config->previous_pcr0;
  service_options.maintainer_pubkey = image_config->maintainer_pubkey;
  service_options.serve_attestation = !nitriding;
  service_options.dev = flags.dev;
  service_options.configured = configured;
  service_options.max_weight = flags.max_weight;
  service_options.policy = policy_check;
  if (*adoption) {
    service_options.adoption = (*adoption)->adoption;
  }
  // --metrics: KMS calls timed, signatures timed, requests counted, GET /metrics served.
  std::unique_ptr<AppMetrics> metrics;
  std::unique_ptr<EnclaveKms> observed_kms;
  EnclaveKms* service_kms = &kms;
  if (flags.metrics) {
    metrics = std::make_unique<AppMetrics>();
    observed_kms = MakeObservedKms(kms, *metrics);
    service_kms = observed_kms.get();
    service_options.on_sign = [sink = metrics.get()](std::string_view scheme, double seconds) {
      sink->RecordSign(scheme, seconds);
    };
    log.Log(LogLevel::kInfo, "metrics: GET /metrics (Prometheus text) on the HTTP listener");
  }
  auto service = KeyService::Create(service_options, nsm, *service_kms, *store, log);
  if (!service) {
    return ExitFor(service.error(), log, "key service");
  }

  auto migration = MigrationWiring::Create(
      flags.migration, flags.dev, flags.nsm_state, image_config->previous_pcr0,
      image_config->maintainer_pubkey, nsm, **service, log,
      [&]() -> core::Result<SsmSealedKeyStore::ClientCall> {
        auto endpoint = aws::ResolveSsmEndpoint(flags.ssm_endpoint, region, env);
        if (!endpoint) {
          return core::Fail(endpoint.error());
        }
        return MakeSsmClientCall(access, *endpoint);
      });
  if (!migration) {
    return ExitFor(migration.error(), log, "migration");
  }
  if (*migration &&
      (!configured || ((*migration)->IsTarget() && configured->mode != KeyMode::kSealed))) {
    return ExitFor({ErrorCode::kInvalidArgument,
                    "a migration needs the configured key (--key-id; V2: --key-mode sealed)", -1},
                   log, "usage");
  }
  if (nitriding) {
    // migration.md 3.4: appKeyHash before anything is served; a refusal is fatal.
    if (auto registered = RegisterAppKeyHash(*nitriding, (*service)->AppKeyHash()); !registered) {
      return ExitFor(registered.error(), log, "nitriding");
    }
    log.Log(LogLevel::kInfo, "appKeyHash registered with nitriding at " + *nitriding);
  }

  net::HttpServerOptions http;
  http.host = listen->first;
  http.port = listen->second;
  http.threads = flags.threads;
  http.max_header_bytes = core::limits::kMaxAppRequestHeaderBytes;
  // Confidential Script's verify-and-sign takes up to 4 MiB (+ nonce and tag when encrypted);
  // every other endpoint refuses more than kMaxAppRequestBodyBytes when it parses the body.
  http.max_body_bytes = kMaxVerifyAndSignBodyBytes + 28;
  http.request_timeout = std::chrono::milliseconds(flags.request_timeout_ms);
  http.idle_timeout = std::chrono::milliseconds(flags.idle_timeout_ms);
  http.max_connections = connection_limits.http;
  http.warn = [&log](const std::string& line) { log.Log(LogLevel::kWarning, "HTTP: " + line); };
  auto http_server = StartHttpApi(http, **service, metrics.get());
  if (!http_server) {
    return ExitFor(http_server.error(), log, "HTTP listener");
  }
  std::unique_ptr<LineServer> vsock;
  if (flags.vsock_port != 0) {
    LineServerOptions line_options;
    line_options.request_timeout = http.request_timeout;
    line_options.idle_timeout = http.idle_timeout;
    line_options.max_connections = connection_limits.vsock;
    line_options.warn = [&log](const std::string& line) {
      log.Log(LogLevel::kWarning, "vsock: " + line);
    };
    KeyService& key_service = **service;
    auto listening = LineServer::ListenVsock(
        flags.vsock_port, line_options,
        [&key_service](std::string_view line) { return key_service.HandleWalletLine(line); },
        [](ErrorCode code, std::string_view reason) {
          return ErrorBody(core::Error{code, std::string(reason), -1});
        });
    if (!listening) {
      if (!flags.dev) {
        (*http_server)->Stop();
        return ExitFor(listening.error(), log, "vsock listener");
      }
      log.Log(LogLevel::kWarning,
              "no vsock listener (" + listening.error().detail + "); the wallet protocol is off");
    } else {
      vsock = std::move(*listening);
    }
  }
  auto seed_wallet = StartSeedWallet(flags, nsm, log);
  if (!seed_wallet) {
    if (vsock) {
      vsock->Stop();
    }
    (*http_server)->Stop();
    return ExitFor(seed_wallet.error(), log, "seed wallet");
  }
  auto accounts = StartAccounts(flags, nsm,
                                std::make_unique<AwsAccountKmsFactory>(
                                    transport, clock, sleeper, aws::RetryPolicy{}, *kms_endpoint),
                                policy_check, log);
  if (!accounts) {
    seed_wallet->Stop();
    if (vsock) {
      vsock->Stop();
    }
    (*http_server)->Stop();
    return ExitFor(accounts.error(), log, "accounts");
  }
  const std::string url = "http://" + listen->first + ":" + std::to_string((*http_server)->Port());
  out << "enclave-app: listening on " << url;
  if (vsock) {
    out << " and vsock port " << vsock->Port();
  }
  out << (flags.dev ? " (DEVELOPMENT MODE)" : "") << std::endl;  // NOLINT: scripts wait for it
  log.Log(LogLevel::kInfo, "serving on " + url);
  if (nitriding) {
    auto ready = SignalNitridingReady(*nitriding);
    if (!ready) {
      if (vsock) {
        vsock->Stop();
      }
      seed_wallet->Stop();
      (*http_server)->Stop();
      return ExitFor(ready.error(), log, "nitriding");
    }
    log.Log(LogLevel::kInfo, *ready == NitridingReady::kReady ? "nitriding: ready signalled"
                             : *ready == NitridingReady::kAlreadyReady
                                 ? "nitriding: already ready (410)"
                                 : "nitriding: not waiting for the app (no -wait-for-app)");
  }

  // A setup requested on the command line runs once the listeners are up, so that /health
  // and /enclave/attestation answer meanwhile.
  // A configured key whose policy is unsafe (or a record that can never be adopted) stops the
  // service with exit 74; other failures (KMS unreachable) leave it serving, and the same
  // setup may be retried over HTTP.
  std::thread boot_setup;
  std::atomic<int> boot_exit{0};
  if (configured) {
    boot_setup =
        std::thread([&service, &boot_exit, &migration, &store, &log, request = *configured] {
          // V2 of a migration takes its key from V1 first; V1 restores its state after setup.
          std::optional<core::SecretBytes> migrated;
          if (*migration && (*migration)->IsTarget()) {
            auto taken = (*migration)->TakeKey(*store);
            if (!taken) {
              log.Log(LogLevel::kError,
                      "migration failed: " + std::string(core::ErrorCodeName(taken.error().code)) +
                          ": " + taken.error().detail);
              boot_exit.store(kExitIo);
              kill(getpid(), SIGTERM);
              return;
            }
            migrated = std::move(*taken);
          }
          auto done = (*service)->Setup(request, migrated ? &*migrated : nullptr);
          if (done && *migration && !(*migration)->IsTarget()) {
            if (auto started = (*migration)->StartSource(); !started) {
              log.Log(LogLevel::kError,
                      "migration: " + std::string(core::ErrorCodeName(started.error().code)) +
                          ": " + started.error().detail);
              boot_exit.store(kExitIo);
              kill(getpid(), SIGTERM);
              return;
            }
          }  // the setup itself is logged by the service
          if (!done && (done.error().code == ErrorCode::kAppKeyPolicyUnsafe ||
                        done.error().code == ErrorCode::kSealedRecordOutdated ||
                        run_detail::IsAdoptionRefusal(done.error().code))) {
            boot_exit.store(kExitIo);
            kill(getpid(), SIGTERM);
          }
        });
  }
  WaitForStopSignal();
  log.Log(LogLevel::kInfo, "stopping");
  if (boot_setup.joinable()) {
    boot_setup.join();
  }
  if (*migration) {
    (*migration)->Stop();
  }
  accounts->Stop();
  seed_wallet->Stop();
  if (vsock) {
    vsock->Stop();
  }
  (*http_server)->Stop();
  if (boot_exit.load() != 0) {
    log.Log(LogLevel::kError, "stopped: the configured key cannot be used safely");
  }
  return boot_exit.load();
}

// --man-page DIR: enclave-app(8) from the flags above (cmddoc).
int WriteManPage(const CLI::App& app, const std::string& dir, std::ostream& err) {
  cmddoc::ManOptions options;
  options.program = "enclave-app";
  options.section = "8";
  options.version = ENCLAVECTL_VERSION;
  options.manual = "System Administration";
  options.exit_classes = false;  // the footer's "Exit codes:" says what they mean here
  options.see_also = {"enclavectl(1)", "enclavectl-verify(1)", "nitro-cli(1)"};
  for (const cmddoc::ManPage& page :
       cmddoc::RenderManPages(cmddoc::DescribeApp(app), options, false)) {
    const core::Status written =
        core::io::WriteFileAtomic(dir + "/" + page.file, core::AsBytes(page.text));
    if (!written) {
      err << "enclave-app: " << core::ErrorCodeName(written.error().code) << ": "
          << written.error().detail << "\n";
      return kExitIo;
    }
  }
  return 0;
}

}  // namespace

int RunEnclaveApp(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  Flags flags;
  CLI::App app{"enclave-app " ENCLAVECTL_VERSION
               " - the enclavectl key service: a signing key that never leaves the Nitro "
               "Enclave (reproducible from a KMS key, or sealed by KMS), bound to PCR16, every "
               "response signed by a per-boot attestation key.",
               "enclave-app"};
  app.set_version_flag(
      "--version",
      [] {
        auto root = verifier::TrustAnchor::AwsNitroRoot();
        std::string text = core::VersionAnswer(
            "enclave-app", root ? core::HexEncode(root->Fingerprint()) : root.error().detail,
            false);
        text.pop_back();  // CLI11 ends the line
        return text;
      },
      "Print the version, commit, build type, OpenSSL and libsecp256k1 versions and the pinned "
      "AWS root's SHA-256");
  app.add_flag("--dev", flags.dev,
               "Development: the NSM simulator and a local KMS (enclavectl dev up); says so "
               "loudly on every start")
      ->envname("ENCLAVE_APP_DEV");
  app.add_option("--nsm", flags.nsm, "device (/dev/nsm; the default) or simulator (with --dev)")
      ->check(CLI::IsMember({"device", "simulator"}))
      ->envname("ENCLAVE_APP_NSM");
  app.add_option("--nsm-device", flags.nsm_device, "The NSM device")->default_str("/dev/nsm");
  app.add_option("--nsm-state", flags.nsm_state,
                 "Simulator: the development CA's state directory (root.pem for verifiers)")
      ->default_str(".enclavectl/nsm");
  auto* eif = app.add_option("--eif", flags.eif, "Simulator: boot PCRs measured from this EIF");
  app.add_option("--pcrs", flags.pcrs, "Simulator: boot PCRs from a pcr.json")->excludes(eif);
  app.add_option("--pcr", flags.pcr, "Simulator: one boot PCR (0..15) as N=HEX (repeatable)");
  app.add_option("--listen", flags.listen, "HTTP address HOST:PORT (port 0: any)")
      ->default_str("127.0.0.1:7074")
      ->envname("ENCLAVE_APP_LISTEN");
  app.add_option("--vsock-port", flags.vsock_port,
                 "AF_VSOCK port of the wallet JSON protocol (0: off)")
      ->default_str("5000")
      ->envname("ENCLAVE_APP_VSOCK_PORT");
  app.add_option("--seed-wallet-port", flags.seed_wallet_port,
                 "AF_VSOCK port of the nitro-enclave-wallet protocol (seed clients use 5000; "
                 "then move --vsock-port); 0: off")
      ->default_str("0")
      ->envname("ENCLAVE_APP_SEED_WALLET_PORT");
  app.add_option("--seed-wallet-listen", flags.seed_wallet_listen,
                 "The same protocol on TCP HOST:PORT (development, tests); empty: off")
      ->envname("ENCLAVE_APP_SEED_WALLET_LISTEN");
  app.add_option("--seed-wallet-revision", flags.seed_wallet_revision,
                 "v1: P-256 ECDSA over SHA-256(message) (the seed); v2: secp256k1 over a "
                 "32-byte digest, low s, with an address (the seed's later HEAD). The key is "
                 "new at every start, as the seed's")
      ->check(CLI::IsMember({"v1", "v2"}))
      ->default_str("v1")
      ->envname("ENCLAVE_APP_SEED_WALLET_REVISION");
  app.add_option("--accounts-port", flags.accounts_port,
                 "AF_VSOCK port of the wallet accounts protocol (aws-nitro-enclaves-rs: "
                 "generateAccount, sign; its clients use 7878); 0: off")
      ->default_str("0")
      ->envname("ENCLAVE_APP_ACCOUNTS_PORT");
  app.add_option("--accounts-listen", flags.accounts_listen,
                 "The same protocol on TCP HOST:PORT (port 0: any); only with --dev")
      ->envname("ENCLAVE_APP_ACCOUNTS_LISTEN");
  app.add_flag("--legacy-format", flags.legacy_format,
               "New accounts in the seed's layout (fixed nonce, no binding, no owner), readable "
               "by upstream tools; default: the hardened v1 envelope. Both are always read")
      ->envname("ENCLAVE_APP_LEGACY_FORMAT");
  app.add_option("--kms-endpoint", flags.kms_endpoint,
                 "KMS endpoint URL (default: AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL, then "
                 "https://kms.REGION.amazonaws.com)")
      ->envname("ENCLAVE_APP_KMS_ENDPOINT");
  app.add_option("--ssm-endpoint", flags.ssm_endpoint,
                 "SSM endpoint URL (default: AWS_ENDPOINT_URL_SSM, AWS_ENDPOINT_URL, then "
                 "https://ssm.REGION.amazonaws.com)")
      ->envname("ENCLAVE_APP_SSM_ENDPOINT");
  app.add_option("--region", flags.region, "AWS region (default: AWS_REGION, the profile)")
      ->envname("ENCLAVE_APP_REGION");
  app.add_option("--sealed-store", flags.sealed_store,
                 "Where sealed mode keeps its KMS ciphertext: file:PATH or ssm:PARAMETER_NAME")
      ->default_str("file:enclave-app-sealed-key.json")
      ->envname("ENCLAVE_APP_SEALED_STORE");
  run_detail::AddAdoptFlags(app, flags);
  app.add_option("--key-mode", flags.key_mode, "Set the key up at start: reproducible or sealed")
      ->check(CLI::IsMember({"reproducible", "sealed"}))
      ->envname("ENCLAVE_APP_KEY_MODE");
  app.add_option("--key-id", flags.key_id, "The KMS key for a setup at start")
      ->envname("ENCLAVE_APP_KEY_ID");
  app.add_option("--blockhash", flags.blockhash,
                 "Reproducible mode at start: the blockhash (64 hex digits)")
      ->envname("ENCLAVE_APP_BLOCKHASH");
  app.add_option("--derivation", flags.derivation,
                 "Reproducible mode at start: seed (the default: the seed document's key) or hkdf "
                 "(the Confidential Script TEE's master key)")
      ->check(CLI::IsMember({"seed", "hkdf"}))
      ->envname("ENCLAVE_APP_DERIVATION");
  app.add_option("--max-weight", flags.max_weight,
                 "POST /verify-and-sign: the largest transaction weight accepted")
      ->default_str("4000000")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{4000000}))
      ->envname("ENCLAVE_APP_MAX_WEIGHT");
  app.add_option("--image-config", flags.image_config,
                 "--dev only: read the image config from this file instead of the measured "
                 "/etc/enclavectl/image-config.json (previous_pcr0, maintainer_pubkey)");
  app.add_option("--nitriding-url", flags.nitriding_url,
                 "Behind nitriding: its internal API (e.g. http://127.0.0.1:8080); registers "
                 "appKeyHash (POST /enclave/hash), signals readiness, leaves "
                 "/enclave/attestation to nitriding")
      ->envname("ENCLAVE_APP_NITRIDING_URL");
  app.add_flag("--insecure-skip-policy-check", flags.insecure_skip_policy_check,
               "DEVELOPMENT ONLY: do not fetch and lint the KMS key policy at setup (reported "
               "in /v1/enclave-info; sealed mode then adopts whatever record KMS decrypts)")
      ->envname("ENCLAVE_APP_INSECURE_SKIP_POLICY_CHECK");
  app.add_option("--require-key-policy", flags.require_key_policy,
                 "Refuse setup (both modes) unless the key policy is enclave-only and/or locked "
                 "for this enclave's PCR0: enclave-only, locked, enclave-only,locked (sealed "
                 "mode always requires enclave-only)")
      ->check(CLI::Validator([](std::string&) { return std::string(); }, "{enclave-only,locked}",
                             "choices"))
      ->envname("ENCLAVE_APP_REQUIRE_KEY_POLICY");
  app.add_option("--threads", flags.threads, "HTTP I/O threads (0: one per core)")
      ->default_str("0");
  app.add_option("--max-connections", flags.max_connections,
                 "Open HTTP connections at most (lowered, with a warning, to what the open-file "
                 "limit allows)")
      ->default_str("4096");
  app.add_option("--request-timeout-ms", flags.request_timeout_ms,
                 "A request must arrive within this time")
      ->default_str("10000");
  app.add_option("--idle-timeout-ms", flags.idle_timeout_ms, "Idle keep-alive connections close")
      ->default_str("30000");
  app.add_flag("--verbose", flags.verbose, "Also log refused requests");
  app.add_flag("--metrics", flags.metrics,
               "Serve GET /metrics (Prometheus text) on the HTTP listener: requests by route "
               "and status, sign latency by scheme, setup state, KMS call latency and errors "
               "(no key id, secret or message in any label)");
  std::string man_page_dir;  // hidden: the build writes enclave-app.8 with it
  AddMigrationFlags(app, flags.migration);
  app.add_option("--man-page", man_page_dir, "Write the man page enclave-app.8 into DIR")
      ->group("");
  app.footer(
      "Examples:\n"
      "  enclave-app --listen 127.0.0.1:7074 --vsock-port 5000\n"
      "  enclave-app --dev --eif image.eif --kms-endpoint http://127.0.0.1:4000\n"
      "  enclave-app --sealed-store ssm:/enclave/sealed-key --key-mode sealed --key-id ARN\n"
      "  enclave-app --vsock-port 0 --seed-wallet-port 5000 --seed-wallet-revision v2\n\n"
      "Exit codes: 0 stopped by SIGINT/SIGTERM, 64 usage, 74 NSM/listener/store failure or a "
      "configured key refused at start (APP_KEY_POLICY_UNSAFE, SEALED_RECORD_OUTDATED, ADOPT_*), "
      "70 "
      "internal error.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, out, err);
    return code == 0 ? 0 : kExitUsage;
  }
  if (!man_page_dir.empty()) {
    return WriteManPage(app, man_page_dir, err);
  }
  StreamLog log(err, flags.verbose);
  if (flags.nsm.empty()) {
    flags.nsm = flags.dev ? "simulator" : "device";
  }
  if (flags.nsm == "simulator" && !flags.dev) {
    log.Log(LogLevel::kError, "--nsm simulator is for development only: add --dev");
    return kExitUsage;
  }
  // Before anything else: no core dumps, secrets in locked memory.
  const HardeningReport hardening = HardenProcess(std::size_t{1} << 20);
  log.Log(hardening.memory_locked && hardening.not_dumpable ? LogLevel::kInfo : LogLevel::kWarning,
          hardening.Describe());
  BlockStopSignals();
  try {
    return Serve(flags, out, log);
  } catch (const std::bad_alloc&) {
    log.Log(LogLevel::kError, "INTERNAL: memory exhausted");
    return kExitInternal;
  }
}

}  // namespace enclavectl::app
