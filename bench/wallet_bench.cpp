// Wallet accounts on one core, in process (issue 15's accounts created and signatures per
// second): the parent's WalletService calls the enclave's AccountService directly (the
// protocol's JSON, no socket), which runs the real KmsAccountOperations: the NSM simulator's
// attestation, the policy gate (DescribeKey, GetKeyPolicy), GenerateDataKey or Decrypt with a
// Recipient against a local KMS served on loopback in this process (one server thread), the
// hardened envelope, secp256k1. The parent side checks every signature (recovery) as
// `enclavectl wallet` does; accounts are kept in memory (the store's own cost is SQLite's or
// DynamoDB's). Each iteration is one account or one signature; items/s is the rate.
// Run: cmake --build --preset release --target wallet_bench && build/release/bench/wallet_bench
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "enclavectl/app/accounts.hpp"
#include "enclavectl/app/aws_kms.hpp"
#include "enclavectl/app/kms_accounts.hpp"
#include "enclavectl/app/nsm_simulator.hpp"
#include "enclavectl/aws/curl_transport.hpp"
#include "enclavectl/aws/kms_client.hpp"
#include "enclavectl/aws/retry.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/localkms/server.hpp"
#include "enclavectl/wallet/io/wallet_service.hpp"

namespace {

using namespace enclavectl;  // NOLINT(google-build-using-namespace)
using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kAccount = "111122223333";

// The enclave's account service, called in process.
class InProcessChannel final : public wallet::EnclaveChannel {
 public:
  explicit InProcessChannel(const app::accounts::AccountService& service) : service_(service) {}
  core::Result<std::string> Exchange(std::string_view payload) override {
    return service_.Handle(payload);
  }

 private:
  const app::accounts::AccountService& service_;
};

class MemoryStore final : public wallet::AccountStore {
 public:
  core::Status Put(const wallet::Account& account) override {
    if (!rows_.emplace(account.key_id + "\n" + account.name, account).second) {
      return core::Fail(core::ErrorCode::kWalletAccountExists, account.name);
    }
    return core::Ok();
  }
  core::Result<wallet::Account> Get(std::string_view key_id, std::string_view name) override {
    auto it = rows_.find(std::string(key_id) + "\n" + std::string(name));
    if (it == rows_.end()) {
      return core::Fail(core::ErrorCode::kWalletAccountNotFound, std::string(name));
    }
    return it->second;
  }
  core::Result<wallet::AccountPage> List(const wallet::ListRequest& /*request*/) override {
    wallet::AccountPage page;
    for (const auto& [key, account] : rows_) {
      page.accounts.push_back(account);
    }
    return page;
  }

 private:
  std::map<std::string, wallet::Account> rows_;
};

// The whole rig, built once.
struct Rig {
  Rig() : dir(fs::temp_directory_path() / ("wallet-bench-" + std::to_string(::getpid()))) {
    fs::create_directories(dir);
    const std::string nsm_state = (dir / "nsm").string();
    auto ca = app::LoadOrCreateDevCa(nsm_state, clock);
    const std::string state = (dir / "kms").string();
    auto config = localkms::LoadOrCreateConfig(state, kAccount, "us-east-1");
    if (!ca || !config) {
      error = "dev CA or KMS config";
      return;
    }
    localkms::ServerOptions options;
    options.state_dir = state;
    options.attestation_root_paths = {nsm_state + "/root.pem"};
    options.account_id = kAccount;
    options.region = "us-east-1";
    options.threads = 1;
    auto server = localkms::LocalKmsServer::Start(options, clock);
    auto access = localkms::AccessKeyFor(state, "");
    if (!server || !access) {
      error = "local KMS";
      return;
    }
    kms_server = std::move(*server);
    credentials.access_key_id = access->access_key_id;
    credentials.secret_access_key = core::SecretBytes(access->secret_access_key.View());
    aws::MapEnvironment env;
    endpoint = *aws::ResolveKmsEndpoint(kms_server->Endpoint(), "us-east-1", env);
    // A key only this image (PCR0) can use: the gate accepts it.
    const std::string pcr0 = core::HexEncode(core::Bytes(48, 0x5c));
    const json root = {{"AWS", std::string("arn:aws:iam::") + kAccount + ":root"}};
    const json policy = {
        {"Version", "2012-10-17"},
        {"Statement",
         {{{"Sid", "KeyInfo"},
           {"Effect", "Allow"},
           {"Principal", root},
           {"Action", {"kms:DescribeKey", "kms:GetKeyPolicy"}},
           {"Resource", "*"}},
          {{"Sid", "EnclaveOnly"},
           {"Effect", "Allow"},
           {"Principal", root},
           {"Action", {"kms:GenerateDataKey", "kms:Decrypt"}},
           {"Resource", "*"},
           {"Condition",
            {{"StringEqualsIgnoreCase", {{"kms:RecipientAttestation:ImageSha384", pcr0}}}}}}}}};
    aws::KmsClientOptions client_options;
    client_options.endpoint = endpoint;
    aws::KmsClient admin(client_options, transport, credentials, clock, sleeper);
    aws::CreateKeyRequest create;
    create.policy = policy.dump();
    create.bypass_policy_lockout_safety_check = true;
    auto key = admin.CreateKey(create);
    if (!key) {
      error = "CreateKey: " + key.error().detail;
      return;
    }
    key_arn = key->arn;
    app::SimulatorOptions sim_options;
    sim_options.boot_pcrs[0] = core::Bytes(48, 0x5c);
    sim_options.boot_pcrs[1] = core::Bytes(48, 0xb1);
    sim_options.boot_pcrs[2] = core::Bytes(48, 0xb2);
    auto sim = app::NsmSimulator::Boot(std::move(*ca), sim_options, clock);
    if (!sim) {
      error = "NSM simulator";
      return;
    }
    nsm = std::move(*sim);
    nsm_client = std::make_unique<app::NsmClient>(*nsm);
    factory = std::make_unique<app::AwsAccountKmsFactory>(transport, clock, sleeper,
                                                          aws::RetryPolicy{}, endpoint);
    app::KmsAccountOptions account_options;
    account_options.dev = true;
    operations =
        std::make_unique<app::KmsAccountOperations>(*nsm_client, *factory, account_options);
    service = std::make_unique<app::accounts::AccountService>(*operations);
    channel = std::make_unique<InProcessChannel>(*service);
    wallet::protocol::Credential credential;
    credential.access_key_id = credentials.access_key_id;
    credential.secret_access_key = core::SecretBytes(credentials.secret_access_key.View());
    parent = std::make_unique<wallet::WalletService>(store, *channel, std::move(credential));
  }
  ~Rig() {
    if (kms_server) {
      kms_server->Stop();
    }
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }

  fs::path dir;
  std::string error;
  core::io::SystemClock clock;
  aws::CurlTransport transport{"wallet-bench"};
  aws::RealSleeper sleeper;
  aws::AwsCredentials credentials;
  aws::AwsEndpoint endpoint;
  std::unique_ptr<localkms::LocalKmsServer> kms_server;
  std::string key_arn;
  std::unique_ptr<app::NsmTransport> nsm;
  std::unique_ptr<app::NsmClient> nsm_client;
  std::unique_ptr<app::AwsAccountKmsFactory> factory;
  std::unique_ptr<app::KmsAccountOperations> operations;
  std::unique_ptr<app::accounts::AccountService> service;
  std::unique_ptr<InProcessChannel> channel;
  MemoryStore store;
  std::unique_ptr<wallet::WalletService> parent;
};

Rig& TheRig() {
  static Rig* rig = new Rig();  // NOLINT: lives until exit
  return *rig;
}

void BM_CreateAccount(benchmark::State& state) {
  Rig& rig = TheRig();
  if (!rig.error.empty()) {
    state.SkipWithError(rig.error.c_str());
    return;
  }
  static int next = 0;
  for (auto _ : state) {
    auto account = rig.parent->Create(
        {rig.key_arn, "bench-" + std::to_string(next++), std::nullopt, std::nullopt});
    if (!account) {
      state.SkipWithError(account.error().detail.c_str());
      return;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CreateAccount)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SignDigest(benchmark::State& state) {
  Rig& rig = TheRig();
  if (!rig.error.empty()) {
    state.SkipWithError(rig.error.c_str());
    return;
  }
  auto made = rig.parent->Create({rig.key_arn, "signer", std::nullopt, std::nullopt});
  if (!made && made.error().code != core::ErrorCode::kWalletAccountExists) {
    state.SkipWithError(made.error().detail.c_str());
    return;
  }
  ethereum::Hash256 digest{};
  for (auto _ : state) {
    auto signed_digest = rig.parent->SignDigest({rig.key_arn, "signer", nullptr}, digest);
    if (!signed_digest) {
      state.SkipWithError(signed_digest.error().detail.c_str());
      return;
    }
    digest[0] = signed_digest->signature.r[0];  // a new digest each time
    digest[1] = signed_digest->signature.s[0];
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignDigest)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
