// enclave-app's migration wiring (migration_wiring.hpp).
#include "migration_wiring.hpp"

#include <chrono>
#include <thread>
#include <utility>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/file_io.hpp"
#include "enclavectl/wallet/io/enclave_channel.hpp"
#include "listeners.hpp"

namespace enclavectl::app::run_detail {

using core::ErrorCode;
using core::Fail;

namespace {

std::int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

core::Status Loopback(const std::string& flag, const std::string& value) {
  auto split = SplitHostPort(value);
  if (!split || split->first != "127.0.0.1") {
    return Fail(ErrorCode::kInvalidArgument, flag + " takes 127.0.0.1:PORT (loopback only)");
  }
  return {};
}

}  // namespace

void AddMigrationFlags(CLI::App& app, MigrationFlags& flags) {
  app.add_option("--migration-listen", flags.listen,
                 "V1: the migration listener on TCP 127.0.0.1:PORT (--dev only)");
  app.add_option("--migrate-from-tcp", flags.from_tcp,
                 "V2: take the key from the V1 listening at 127.0.0.1:PORT (--dev only)");
  app.add_option("--migration-port", flags.port,
                 "V1: the migration listener on AF_VSOCK (any CID), this port (1..4294967294)");
  app.add_option("--migrate-from", flags.from,
                 "V2: take the key from the V1 listening on AF_VSOCK CID:PORT (decimal)");
  app.add_option("--migration-store", flags.store,
                 "Where the migration state and the operator's inputs live: file:DIR or "
                 "ssm:PREFIX (PREFIX/MigrationState...; default file:.enclavectl/migration)");
  app.add_option("--migration-cooldown", flags.cooldown,
                 "Seconds between initiation and completion (default 86400; --dev only)");
  app.add_option("--migration-poll", flags.poll,
                 "V2: seconds between status polls (default 30; smaller only with --dev)");
  app.add_option("--maintainer-sig", flags.maintainer_sig,
                 "V2: the maintainer's 128-hex BIP-340 signature (else the store's "
                 "MaintainerSig)");
  app.add_option("--activation-time", flags.activation_time,
                 "V2: the signed activation time, Unix seconds (else the store's "
                 "MigrationActivationTime)");
}

MigrationWiring::~MigrationWiring() { Stop(); }

core::Result<std::unique_ptr<MigrationWiring>> MigrationWiring::Create(
    const MigrationFlags& flags, bool dev, const std::string& nsm_state,
    const std::string& previous_pcr0, const std::string& maintainer_pubkey, NsmClient& nsm,
    KeyService& service, LogSink& log, const SsmCall& ssm) {
  const int transports = static_cast<int>(!flags.listen.empty()) +
                         static_cast<int>(!flags.from_tcp.empty()) +
                         static_cast<int>(flags.port != 0) + static_cast<int>(!flags.from.empty());
  if (transports == 0) {
    if (flags.cooldown != 0 && !dev) {
      return Fail(ErrorCode::kInvalidArgument, "--migration-cooldown is for --dev only");
    }
    return std::unique_ptr<MigrationWiring>();
  }
  if (transports > 1) {
    return Fail(ErrorCode::kInvalidArgument,
                "one of --migration-listen, --migrate-from-tcp, --migration-port, --migrate-from: "
                "an enclave is V1 or V2 of a migration, over TCP or vsock");
  }
  const bool tcp = !flags.listen.empty() || !flags.from_tcp.empty();
  if (tcp && !dev) {
    return Fail(ErrorCode::kInvalidArgument,
                "--migration-listen and --migrate-from-tcp (TCP) are for --dev only; an enclave "
                "uses --migration-port and --migrate-from (vsock)");
  }
  if (flags.port == 0xffffffffU) {
    return Fail(ErrorCode::kInvalidArgument, "--migration-port takes 1..4294967294");
  }
  std::uint32_t from_cid = 0;
  std::uint32_t from_port = 0;
  if (!flags.from.empty()) {
    auto address = wallet::ParseVsockAddress(flags.from);
    if (!address) {
      return Fail(ErrorCode::kInvalidArgument,
                  "--migrate-from takes CID:PORT (decimal, CID 2..4294967294, port "
                  "1..4294967294): " +
                      address.error().detail);
    }
    from_cid = address->cid;
    from_port = address->port;
  }
  ENCLAVECTL_RETURN_IF_ERROR(flags.listen.empty() ? core::Status{}
                                                  : Loopback("--migration-listen", flags.listen));
  ENCLAVECTL_RETURN_IF_ERROR(
      flags.from_tcp.empty() ? core::Status{} : Loopback("--migrate-from-tcp", flags.from_tcp));
  if (flags.cooldown < 0 || flags.poll < 1) {
    return Fail(ErrorCode::kInvalidArgument, "--migration-cooldown >= 0, --migration-poll >= 1");
  }
  if (!dev && (flags.cooldown != 0 || flags.poll < 30)) {
    return Fail(ErrorCode::kInvalidArgument,
                "--migration-cooldown and a --migration-poll under 30 are for --dev only");
  }
  if (!dev && flags.store.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "an enclave's migration needs --migration-store (ssm:PREFIX): its files do not "
                "survive a restart");
  }
  std::unique_ptr<MigrationWiring> wiring(new MigrationWiring(flags, nsm, service, log));
  wiring->dev_ = dev;
  wiring->previous_pcr0_ = previous_pcr0;
  wiring->maintainer_pubkey_ = maintainer_pubkey;
  wiring->from_cid_ = from_cid;
  wiring->from_port_ = from_port;
  if (flags.cooldown != 0) {
    wiring->cooldown_ = flags.cooldown;
  }
  std::string dir = ".enclavectl/migration";
  if (flags.store.rfind("ssm:", 0) == 0) {
    const std::string prefix = flags.store.substr(4);
    ENCLAVECTL_RETURN_IF_ERROR(ValidateMigrationSsmPrefix(prefix));
    auto call = ssm();
    if (!call) {
      return Fail(call.error());
    }
    wiring->store_ = std::make_unique<SsmMigrationStore>(std::move(*call), prefix);
  } else {
    if (!flags.store.empty()) {
      if (flags.store.rfind("file:", 0) != 0 || flags.store.size() == 5) {
        return Fail(ErrorCode::kInvalidArgument, "--migration-store takes file:DIR or ssm:PREFIX");
      }
      dir = flags.store.substr(5);
    }
    wiring->store_ = std::make_unique<FileMigrationStore>(dir);
  }
  if (!dev) {
    auto root = verifier::TrustAnchor::AwsNitroRoot();
    if (!root) {
      return Fail(root.error());
    }
    wiring->root_ = std::make_unique<verifier::TrustAnchor>(std::move(*root));
    log.Log(LogLevel::kInfo, "migration: state in " + wiring->store_->Describe());
    return wiring;
  }
  auto pem = core::io::ReadFile(nsm_state + "/root.pem", 64 * 1024);
  if (!pem) {
    return Fail(pem.error());
  }
  auto root = verifier::TrustAnchor::FromPem(*pem);
  if (!root) {
    return Fail(root.error());
  }
  wiring->root_ = std::make_unique<verifier::TrustAnchor>(std::move(*root));
  log.Log(LogLevel::kWarning,
          "migration (--dev): documents are checked against the simulator's "
          "root " +
              nsm_state + "/root.pem; state in " + wiring->store_->Describe());
  return wiring;
}

core::Result<std::optional<core::SecretBytes>> MigrationWiring::TakeKey(SealedKeyStore& sealed) {
  auto record = sealed.Load();
  if (!record) {
    return Fail(record.error());
  }
  if (*record) {
    log_.Log(LogLevel::kInfo, "migration: a sealed record exists; no migration needed");
    return std::optional<core::SecretBytes>();
  }
  MigrationTargetConfig config;
  config.previous_pcr0 = previous_pcr0_;
  config.maintainer_sig = flags_.maintainer_sig;
  config.activation_time = flags_.activation_time;
  if (config.maintainer_sig.empty()) {
    auto sig = store_->Load(kMaintainerSigName);
    config.maintainer_sig = sig && *sig ? **sig : "";
  }
  if (config.activation_time == 0) {
    auto time = store_->Load(kActivationTimeName);
    if (time && *time) {
      try {
        config.activation_time = std::stoll(**time);
      } catch (...) {  // NOLINT: an unreadable value is "absent", as upstream
        config.activation_time = 0;
      }
    }
  }
  config.root = root_.get();
  config.now = NowSeconds;
  config.sleep = [](std::int64_t seconds) {
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
  };
  config.poll_seconds = flags_.poll;
  auto transport = flags_.from.empty() ? TcpMigrationTransport(flags_.from_tcp)
                                       : VsockMigrationTransport(from_cid_, from_port_);
  auto secret = RunMigrationTarget(config, std::move(transport), nsm_, log_);
  if (!secret) {
    return Fail(secret.error());
  }
  service_.SetMigratedFrom(previous_pcr0_);
  return std::optional<core::SecretBytes>(std::move(*secret));
}

core::Status MigrationWiring::StartSource() {
  auto own = nsm_.DescribePcr(0);
  if (!own) {
    return Fail(own.error());
  }
  MigrationSourceConfig config;
  config.self.own_pcr0 = core::HexEncode(own->data);
  config.self.previous_pcr0 = previous_pcr0_;
  config.self.maintainer_pubkey = maintainer_pubkey_;
  config.self.cooldown = cooldown_;
  config.root = root_.get();
  config.now = NowSeconds;
  handler_ = std::make_unique<MigrationSourceHandler>(config, *store_, nsm_, service_, log_);
  ENCLAVECTL_RETURN_IF_ERROR(handler_->Restore());
  service_.SetMigrationStatus([handler = handler_.get()] { return handler->StatusBody(); });
  if (flags_.port != 0) {
    auto server = StartMigrationListener("", 0, *handler_, flags_.port);
    if (!server) {
      return Fail(server.error());
    }
    server_ = std::move(*server);
    log_.Log(LogLevel::kWarning, "migration listener on vsock port " + std::to_string(flags_.port));
    return {};
  }
  auto split = SplitHostPort(flags_.listen);
  if (!split) {
    return Fail(split.error());
  }
  auto server = StartMigrationListener(split->first, split->second, *handler_);
  if (!server) {
    return Fail(server.error());
  }
  server_ = std::move(*server);
  log_.Log(LogLevel::kWarning,
           "migration listener on http://" + split->first + ":" + std::to_string(server_->Port()));
  return {};
}

void MigrationWiring::Stop() {
  if (server_) {
    server_->Stop();
    server_.reset();
  }
}

}  // namespace enclavectl::app::run_detail
