// The listeners of the seeds' wallet protocols (adapters), on net::StreamListener (TCP or
// AF_VSOCK, accept loop, connection cap, I/O threads): one request and one answer per
// connection, then close.
//   SeedWalletServer  seed (a): the request ends where its JSON value ends (or at the peer's
//                     half-close), at most 4096 bytes, within 5 s (wallet.md 1.2)
//   AccountServer     seed (b): one u64 little-endian length-prefixed frame each way, the
//                     payload at most 1 MiB (wallet.md 2.2)
// Connections are served concurrently (the seed serves one at a time); a slow client is cut
// off at the deadline, so one idle peer cannot block the others.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "enclavectl/app/accounts.hpp"
#include "enclavectl/app/seed_wallet.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::app {

struct OneShotServerOptions {
  // The whole request must arrive within this time (then: an error answer if any bytes came,
  // else a silent close). The answer must be written within it too.
  std::chrono::milliseconds timeout{5000};
  // Open connections at most; more get the protocol's "busy" answer and are closed.
  std::size_t max_connections = 256;
  std::size_t threads = 2;
  // Told (one line) when accepting pauses for lack of descriptors or memory; may be empty.
  std::function<void(const std::string&)> warn;
};

// A listening one-request-per-connection server. Stop() or destruction stops it.
class OneShotServer {
 public:
  virtual ~OneShotServer() = default;
  virtual std::uint32_t Port() const noexcept = 0;  // the bound TCP or vsock port
  virtual void Stop() = 0;                          // idempotent; joins the I/O threads
};

// Where to listen: TCP `host`:`port` (0: any free port) when `host` is non-empty, else
// AF_VSOCK any CID, `port`.
struct OneShotAddress {
  std::string host;
  std::uint32_t port = 0;
};

// Seed (a). `service` is borrowed and must outlive the server. Fails with kListenFailed.
[[nodiscard]] core::Result<std::unique_ptr<OneShotServer>> ListenSeedWallet(
    const OneShotAddress& address, const OneShotServerOptions& options,
    const SeedWalletService& service);

// Seed (b): frames are checked here (a header declaring more than
// accounts::kMaxFramePayloadBytes, a frame cut short by EOF or the deadline get the
// bad_request envelope); payloads go to `service`. Borrowed; fails with kListenFailed.
[[nodiscard]] core::Result<std::unique_ptr<OneShotServer>> ListenAccounts(
    const OneShotAddress& address, const OneShotServerOptions& options,
    const accounts::AccountService& service);

}  // namespace enclavectl::app
