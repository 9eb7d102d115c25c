// Continuous audit of a fleet (`enclavectl monitor`), the pure part: the per-target state
// machine (accepted <-> rejected), the round scheduler with jitter, the bounded evidence
// directory and the loop that ties them together. Everything outside -- visiting services,
// the clock, waiting, metrics, files -- comes in through the small interfaces below, so tests
// drive the loop with a fake clock and a fake verifier (monitor/io.hpp has the real ones).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/time.hpp"
#include "enclavectl/core/verdict.hpp"

namespace enclavectl::monitor {

inline constexpr const char* kTransitionMediaType =
    "application/vnd.enclavectl.monitor-transition+json;version=1";

// Limits of the options (usage errors outside them).
inline constexpr std::int64_t kMinIntervalMs = 1000;
inline constexpr std::int64_t kMaxIntervalMs = std::int64_t{24} * 3600 * 1000;
inline constexpr double kMaxJitter = 0.5;
inline constexpr std::size_t kMaxEvidenceKeep = 100000;

// One check of one target, as the prober saw it.
struct Observation {
  std::string target;  // the normalised base URL
  // The verdict of the visit: accepted, rejected, malformed, or error (unreachable).
  core::Verdict verdict = core::Verdict::kError;
  std::optional<core::Error> error;  // set iff verdict != kAccepted
  core::UnixMillis checked_at{};     // when the answers were in (the verification time)
  double duration_seconds = 0;       // visit + verification
  // Authentic facts of the attestation (its root, chain and signature verified, whatever the
  // verdict on the policy): empty / nullopt when the document was not authentic.
  std::string pcr0_hex;
  std::optional<std::int64_t> leaf_not_after_s;  // the leaf certificate's notAfter, Unix s
  std::optional<core::UnixMillis> attested_at;   // the document's timestamp
  // The evidence bundle of the visit (zip), made only when needed (a transition); null when
  // the visit left no evidence (the service could not be reached).
  std::function<core::Result<core::Bytes>()> bundle;

  bool Accepted() const noexcept { return verdict == core::Verdict::kAccepted; }
};

// A target's state: nothing seen yet, or the last verdict (accepted or not).
enum class TargetState : std::uint8_t { kUnknown, kAccepted, kRejected };
// "unknown", "accepted", "rejected".
std::string_view TargetStateName(TargetState state) noexcept;

struct Transition {
  std::string target;
  TargetState from = TargetState::kUnknown;
  TargetState to = TargetState::kUnknown;
};

// The per-target state machine. The first observation of a target is a transition from
// kUnknown (so the starting state is logged and its evidence kept); after that, only a change
// between accepted and rejected is.
class StateMachine {
 public:
  // Records `observation`; the transition it causes, if any.
  std::optional<Transition> Apply(const Observation& observation);
  TargetState StateOf(const std::string& target) const;

 private:
  std::map<std::string, TargetState> states_;
};

// The delay before the next round: `interval_ms` moved by up to +-jitter*interval_ms, where
// `uniform` in [0, 1) picks the point (0: the earliest, 0.5: exactly the interval).
// Preconditions: interval_ms > 0, 0 <= jitter <= kMaxJitter. The result is always in
// [interval_ms*(1-jitter), interval_ms*(1+jitter)] and at least 1.
std::int64_t JitteredDelayMs(std::int64_t interval_ms, double jitter, double uniform) noexcept;

// The evidence file name of a transition: "<captured ms, 13 digits>-<seq, 6 digits>-<target
// host_port>-<to>.zip", so names sort in time order. Only [A-Za-z0-9._-] appear.
std::string EvidenceFileName(const Transition& transition, core::UnixMillis at,
                             std::uint64_t sequence);
// True for a name EvidenceFileName could have made (the only files pruning touches).
bool IsEvidenceFileName(std::string_view name) noexcept;
// Of the files in a directory (`names`, any order), the evidence files to delete so that
// `keep` remain: the oldest first. Other names are never returned.
std::vector<std::string> EvidenceToPrune(std::vector<std::string> names, std::size_t keep);

// The JSON line logged for a transition: {"media_type", "time", "target", "from", "to",
// "verdict", "error" (ErrorToJson or null), "pcr0" (authentic, or null), "evidence" (the
// file name, or null)}.
nlohmann::json TransitionToJson(const Transition& transition, const Observation& observation,
                                const std::optional<std::string>& evidence);

// Adapters the loop uses.
class Prober {
 public:
  virtual ~Prober() = default;
  // Checks every target once (concurrently as the prober likes); one observation each, in
  // target order. Never throws except std::bad_alloc.
  virtual std::vector<Observation> CheckAll(const std::vector<std::string>& targets) = 0;
};

class MetricsSink {
 public:
  virtual ~MetricsSink() = default;
  virtual void Record(const Observation& observation) = 0;
  virtual void RecordTransition(const Transition& transition) = 0;
  virtual void RecordEvidenceFailure() = 0;
  virtual void RecordRound() = 0;
};

// A directory of evidence bundles.
class EvidenceStore {
 public:
  virtual ~EvidenceStore() = default;
  // Writes `bytes` as `name` (atomically); the path written for the log.
  [[nodiscard]] virtual core::Result<std::string> Put(const std::string& name,
                                                      core::ByteView bytes) = 0;
  [[nodiscard]] virtual core::Result<std::vector<std::string>> List() = 0;
  [[nodiscard]] virtual core::Status Remove(const std::string& name) = 0;
};

class Waiter {
 public:
  virtual ~Waiter() = default;
  // Returns when the clock reaches `deadline` (true) or a stop was asked for (false).
  virtual bool WaitUntil(core::UnixMillis deadline) = 0;
};

struct MonitorOptions {
  std::vector<std::string> targets;  // normalised base URLs, at least one
  std::int64_t interval_ms = 30000;
  double jitter = 0.1;
  bool once = false;
  std::size_t evidence_keep = 100;  // with a store: at most this many bundles kept
};

struct MonitorSummary {
  std::uint64_t rounds = 0;
  std::uint64_t transitions = 0;
  std::uint64_t evidence_written = 0;
  // The last round: how many accepted, and its first failure in target order.
  std::size_t accepted = 0;
  std::optional<core::Error> first_failure;
};

struct MonitorPorts {
  Prober& prober;
  MetricsSink& metrics;
  EvidenceStore* evidence = nullptr;  // null: no --evidence-dir
  Waiter& waiter;
  const core::io::Clock& clock;
  std::function<double()> uniform;  // [0, 1): the jitter's randomness
  std::ostream& log;                // one JSON line per transition
  std::ostream& warn;               // one line per evidence failure
};

// Runs rounds until `options.once` (one round) or the waiter says stop. Each round: CheckAll,
// metrics for every observation, then for each transition a JSON line on `log`, its bundle
// in the store and the store pruned to evidence_keep. A failing evidence write is a warning
// and a metric, never the end of the monitor. Never throws except std::bad_alloc.
MonitorSummary RunMonitor(const MonitorOptions& options, const MonitorPorts& ports);

}  // namespace enclavectl::monitor
