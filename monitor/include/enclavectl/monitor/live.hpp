// Continuous audit, the adapters (io): visiting the targets (verifier's CollectEvidence and
// VerifyEvidence on worker threads), the Prometheus metrics (prometheus-cpp registry, served
// by its civetweb exposer on --listen), the evidence directory, and the wait between rounds
// that SIGINT/SIGTERM end. RunLiveMonitor is the one call `enclavectl monitor` makes.
#pragma once

#include <signal.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "enclavectl/core/check.hpp"
#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/monitor/monitor.hpp"
#include "enclavectl/net/http_client.hpp"
#include "enclavectl/verifier/live.hpp"
#include "enclavectl/verifier/trust.hpp"

namespace enclavectl::monitor {

// The facts of a live report the metrics show: the authentic PCR0, leaf notAfter and
// document timestamp (only when the document's root, chain and signature verified).
void FillAttestationFacts(const verifier::LiveReport& report, Observation& observation);

struct LiveProberConfig {
  const verifier::TrustAnchor* root = nullptr;  // required; outlives the prober
  verifier::LiveExpectations expectations;
  nlohmann::json recorded = nlohmann::json::object();  // the options kept in each bundle
  net::HttpClientOptions http;                         // per visit (timeout, TLS)
  std::size_t concurrency = 8;                         // targets visited at once
  // An extra check appended to each report (--check-key-policy), or null.
  std::function<core::Check(const verifier::LiveReport&)> extra_check;
};

// Visits and judges targets like `verify --url`: a fresh nonce each time, one chain cache
// for the prober's life.
class LiveProber final : public Prober {
 public:
  LiveProber(LiveProberConfig config, const core::io::Clock& clock);
  ~LiveProber() override;
  LiveProber(const LiveProber&) = delete;
  LiveProber& operator=(const LiveProber&) = delete;
  std::vector<Observation> CheckAll(const std::vector<std::string>& targets) override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The metrics (names in docs/monitor.md), in a prometheus-cpp registry.
class PrometheusMetrics final : public MetricsSink {
 public:
  PrometheusMetrics();
  ~PrometheusMetrics() override;
  PrometheusMetrics(const PrometheusMetrics&) = delete;
  PrometheusMetrics& operator=(const PrometheusMetrics&) = delete;

  void Record(const Observation& observation) override;
  void RecordTransition(const Transition& transition) override;
  void RecordEvidenceFailure() override;
  void RecordRound() override;
  // The Prometheus text exposition of every metric (what GET /metrics answers).
  std::string Text() const;

 private:
  friend class MetricsServer;
  struct State;
  std::unique_ptr<State> state_;
};

// GET /metrics on `listen` (HOST:PORT; port 0: any free port) until destroyed.
class MetricsServer {
 public:
  // Fails with kInvalidArgument (not HOST:PORT) or kMonitorListenFailed.
  [[nodiscard]] static core::Result<std::unique_ptr<MetricsServer>> Start(
      const std::string& listen, PrometheusMetrics& metrics);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  // "http://HOST:PORT/metrics" with the port bound.
  const std::string& Url() const noexcept { return url_; }

 private:
  MetricsServer() = default;
  struct State;
  std::unique_ptr<State> state_;
  std::string url_;
};

// Evidence bundles as files in one directory (created 0700 if missing).
class DirectoryEvidenceStore final : public EvidenceStore {
 public:
  // Fails with kIoWrite when the directory cannot be created or is not a directory.
  [[nodiscard]] static core::Result<std::unique_ptr<DirectoryEvidenceStore>> Open(
      const std::string& dir);
  [[nodiscard]] core::Result<std::string> Put(const std::string& name,
                                              core::ByteView bytes) override;
  [[nodiscard]] core::Result<std::vector<std::string>> List() override;
  [[nodiscard]] core::Status Remove(const std::string& name) override;

 private:
  explicit DirectoryEvidenceStore(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

// Waits on `clock` until a deadline or SIGINT/SIGTERM. Blocks both signals in the calling
// thread from construction (so threads started afterwards inherit the mask) to destruction.
class SignalWaiter final : public Waiter {
 public:
  explicit SignalWaiter(const core::io::Clock& clock);
  ~SignalWaiter() override;
  SignalWaiter(const SignalWaiter&) = delete;
  SignalWaiter& operator=(const SignalWaiter&) = delete;
  bool WaitUntil(core::UnixMillis deadline) override;

 private:
  const core::io::Clock& clock_;
  sigset_t old_mask_{};
};

struct LiveMonitorOptions {
  MonitorOptions monitor;
  LiveProberConfig prober;
  std::string listen;        // empty: no metrics server
  std::string evidence_dir;  // empty: no evidence kept
};

// `enclavectl monitor`: opens the evidence directory, starts the metrics server (its URL on
// `err`), then RunMonitor with the live prober, transitions as JSON lines on `out`. Fails
// (before any round) as DirectoryEvidenceStore::Open and MetricsServer::Start.
[[nodiscard]] core::Result<MonitorSummary> RunLiveMonitor(const LiveMonitorOptions& options,
                                                          const core::io::Clock& clock,
                                                          std::ostream& out, std::ostream& err);

}  // namespace enclavectl::monitor
