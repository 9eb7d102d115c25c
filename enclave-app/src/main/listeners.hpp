// enclave-app's parsed flags and the listeners of the seeds' wallet protocols (seed (a) on
// --seed-wallet-port/--seed-wallet-listen, seed (b)'s accounts on --accounts-port/
// --accounts-listen), shared by run.cpp and listeners.cpp. Internal to enclavectl_app_main.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "enclavectl/app/accounts.hpp"
#include "enclavectl/app/aws_kms.hpp"
#include "enclavectl/app/hardening.hpp"
#include "enclavectl/app/kms_accounts.hpp"
#include "enclavectl/app/seed_servers.hpp"
#include "enclavectl/app/seed_wallet.hpp"
#include "enclavectl/app/servers.hpp"
#include "enclavectl/core/result.hpp"
#include "migration_wiring.hpp"

namespace enclavectl::app::run_detail {

struct Flags {
  bool dev = false;
  std::string nsm;  // device | simulator (default: device, simulator with --dev)
  std::string nsm_device = "/dev/nsm";
  std::string nsm_state = ".enclavectl/nsm";
  std::string eif;
  std::string pcrs;
  std::vector<std::string> pcr;
  std::string listen = "127.0.0.1:7074";
  std::uint32_t vsock_port = 5000;
  std::uint32_t seed_wallet_port = 0;
  std::string seed_wallet_listen;
  std::string seed_wallet_revision = "v1";
  std::uint32_t accounts_port = 0;
  std::string accounts_listen;
  bool legacy_format = false;
  std::string kms_endpoint;
  std::string ssm_endpoint;
  std::string region;
  std::string sealed_store = "file:enclave-app-sealed-key.json";
  std::string key_mode;
  std::string key_id;
  std::string blockhash;
  std::string derivation;
  std::string adopt_ciphertext;  // adopt_flags.hpp
  std::string adopt_kms_key;
  std::uint64_t max_weight = 4000000;
  std::string image_config;  // --dev only; default eif::kImageConfigPath
  std::string nitriding_url;
  bool insecure_skip_policy_check = false;
  std::string require_key_policy;
  std::size_t threads = 0;
  std::size_t max_connections = 4096;
  std::int64_t request_timeout_ms = 10000;
  std::int64_t idle_timeout_ms = 30000;
  bool verbose = false;
  bool metrics = false;
  MigrationFlags migration;  // migration_wiring.hpp
};

// "HOST:PORT" (an IPv6 host in brackets) as a host and a port.
core::Result<std::pair<std::string, std::uint16_t>> SplitHostPort(const std::string& text);

struct SeedWallet {
  std::unique_ptr<SeedWalletService> service;
  std::vector<std::unique_ptr<OneShotServer>> servers;
  void Stop() {
    for (auto& server : servers) {
      server->Stop();
    }
  }
};

core::Result<SeedWallet> StartSeedWallet(const Flags& flags, NsmClient& nsm, LogSink& log);

// Seed (b)'s account protocol (aws-nitro-enclaves-rs, docs/wallet.md "The enclave side"):
// accounts sealed under KMS data keys obtained with a Recipient, on vsock and/or TCP (--dev).
struct Accounts {
  std::unique_ptr<AwsAccountKmsFactory> factory;
  std::unique_ptr<KmsAccountOperations> operations;
  std::unique_ptr<accounts::AccountService> service;
  std::vector<std::unique_ptr<OneShotServer>> servers;
  void Stop() {
    for (auto& server : servers) {
      server->Stop();
    }
  }
};

core::Result<Accounts> StartAccounts(const Flags& flags, NsmClient& nsm,
                                     std::unique_ptr<AwsAccountKmsFactory> factory,
                                     const PolicyCheckOptions& policy, LogSink& log);

}  // namespace enclavectl::app::run_detail
