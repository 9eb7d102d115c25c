#include "listeners.hpp"

#include <exception>
#include <stdexcept>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/ethereum/address.hpp"

namespace enclavectl::app::run_detail {

using core::ErrorCode;

core::Result<std::pair<std::string, std::uint16_t>> SplitHostPort(const std::string& text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return core::Fail(ErrorCode::kInvalidArgument, "--listen must be HOST:PORT, e.g. 0.0.0.0:7074");
  }
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port_text = text.substr(colon + 1);
  unsigned long port = 0;  // NOLINT(google-runtime-int): std::stoul's type
  try {
    std::size_t used = 0;
    port = std::stoul(port_text, &used);
    if (used != port_text.size() || port > 65535) {
      throw std::out_of_range("port");
    }
  } catch (const std::exception&) {
    return core::Fail(ErrorCode::kInvalidArgument, "--listen: not a port: " + port_text);
  }
  return std::make_pair(host, static_cast<std::uint16_t>(port));
}

core::Result<SeedWallet> StartSeedWallet(const Flags& flags, NsmClient& nsm, LogSink& log) {
  SeedWallet out;
  if (flags.seed_wallet_port == 0 && flags.seed_wallet_listen.empty()) {
    return out;
  }
  if (flags.seed_wallet_port != 0 && flags.seed_wallet_port == flags.vsock_port) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "--seed-wallet-port and --vsock-port must differ (use --vsock-port 0)");
  }
  const SeedRevision revision =
      flags.seed_wallet_revision == "v2" ? SeedRevision::kV2 : SeedRevision::kV1;
  auto key = SeedWalletKey::Generate(revision);
  if (!key) {
    return core::Fail(key.error());
  }
  std::string described = "public key " + core::HexEncode(key->PublicKey());
  if (revision == SeedRevision::kV2) {
    auto address = ethereum::AddressFromPublicKey(key->PublicKey());
    if (address) {
      described += ", address " + ethereum::LowercaseAddress(*address);
    }
  }
  log.Log(LogLevel::kInfo, "seed wallet (nitro-enclave-wallet " + flags.seed_wallet_revision +
                               "): a new key for this process, lost when it stops (the seed's "
                               "semantics); " +
                               described);
  out.service = std::make_unique<SeedWalletService>(std::move(*key), NsmSeedAttester(nsm));
  OneShotServerOptions options;
  options.warn = [&log](const std::string& line) {
    log.Log(LogLevel::kWarning, "seed wallet: " + line);
  };
  std::vector<OneShotAddress> addresses;
  if (flags.seed_wallet_port != 0) {
    addresses.push_back({"", flags.seed_wallet_port});
  }
  if (!flags.seed_wallet_listen.empty()) {
    auto tcp = SplitHostPort(flags.seed_wallet_listen);
    if (!tcp) {
      return core::Fail(tcp.error());
    }
    addresses.push_back({tcp->first, tcp->second});
  }
  for (const OneShotAddress& address : addresses) {
    auto server = ListenSeedWallet(address, options, *out.service);
    if (!server) {
      out.Stop();
      return core::Fail(server.error());
    }
    log.Log(LogLevel::kInfo, "seed wallet listening on " +
                                 (address.host.empty() ? "vsock port " : address.host + ":") +
                                 std::to_string((*server)->Port()));
    out.servers.push_back(std::move(*server));
  }
  return out;
}

core::Result<Accounts> StartAccounts(const Flags& flags, NsmClient& nsm,
                                     std::unique_ptr<AwsAccountKmsFactory> factory,
                                     const PolicyCheckOptions& policy, LogSink& log) {
  Accounts out;
  if (flags.accounts_port == 0 && flags.accounts_listen.empty()) {
    return out;
  }
  if (flags.accounts_port != 0 &&
      (flags.accounts_port == flags.vsock_port || flags.accounts_port == flags.seed_wallet_port)) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "--accounts-port must differ from --vsock-port and --seed-wallet-port");
  }
  KmsAccountOptions options;
  options.format =
      flags.legacy_format ? wallet::EnvelopeFormat::kLegacy : wallet::EnvelopeFormat::kHardenedV1;
  options.dev = flags.dev;
  options.policy = policy;
  out.factory = std::move(factory);
  out.operations = std::make_unique<KmsAccountOperations>(nsm, *out.factory, options);
  out.service = std::make_unique<accounts::AccountService>(*out.operations);
  log.Log(LogLevel::kInfo,
          std::string("accounts (aws-nitro-enclaves-rs protocol): new accounts in the ") +
              (flags.legacy_format ? "legacy layout (--legacy-format: fixed nonce, no binding)"
                                   : "hardened v1 envelope") +
              "; every request's KMS key must be enclave-only for this enclave's PCR0");
  OneShotServerOptions server_options;
  // KMS round trips happen inside the request: a longer deadline than the seed (a) default.
  server_options.timeout = std::chrono::milliseconds(flags.request_timeout_ms);
  server_options.warn = [&log](const std::string& line) {
    log.Log(LogLevel::kWarning, "accounts: " + line);
  };
  std::vector<OneShotAddress> addresses;
  if (flags.accounts_port != 0) {
    addresses.push_back({"", flags.accounts_port});
  }
  if (!flags.accounts_listen.empty()) {
    auto tcp = SplitHostPort(flags.accounts_listen);
    if (!tcp) {
      return core::Fail(tcp.error());
    }
    addresses.push_back({tcp->first, tcp->second});
  }
  for (const OneShotAddress& address : addresses) {
    auto server = ListenAccounts(address, server_options, *out.service);
    if (!server) {
      out.Stop();
      return core::Fail(server.error());
    }
    const std::string where = (address.host.empty() ? "vsock port " : address.host + ":") +
                              std::to_string((*server)->Port());
    log.Log(LogLevel::kInfo, "accounts listening on " + where);
    out.servers.push_back(std::move(*server));
  }
  return out;
}

}  // namespace enclavectl::app::run_detail
