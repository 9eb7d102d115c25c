// The monitor's pure part with a fake clock, a fake verifier, a fake store: transitions (and
// only transitions) logged with their evidence, the evidence directory bounded oldest first,
// jitter within its bounds, rounds until the waiter stops; and the Prometheus side offline
// (metric names, labels, PCR0 info replaced) and its server (port 0, a port in use).
#include "enclavectl/monitor/monitor.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "enclavectl/monitor/live.hpp"
#include "test_paths.hpp"

namespace enclavectl::monitor {
namespace {

using core::ErrorCode;
using nlohmann::json;

class FakeClock final : public core::io::Clock {
 public:
  core::UnixMillis Now() const override { return now; }
  core::UnixMillis now{1'765'000'000'000};
};

// Plays a script: round r gives script[r] (verdict per target); a verdict of accepted or a
// rejection with PCR_MISMATCH. Each check takes 100 ms of fake time.
class FakeProber final : public Prober {
 public:
  FakeProber(FakeClock& clock, std::vector<std::vector<bool>> script)
      : clock_(clock), script_(std::move(script)) {}
  std::vector<Observation> CheckAll(const std::vector<std::string>& targets) override {
    const auto& round = script_.at(std::min(rounds_, script_.size() - 1));
    ++rounds_;
    std::vector<Observation> out;
    for (std::size_t i = 0; i < targets.size(); ++i) {
      clock_.now.value += 100;
      Observation o;
      o.target = targets[i];
      o.checked_at = clock_.now;
      o.duration_seconds = 0.1;
      o.verdict = round.at(i) ? core::Verdict::kAccepted : core::Verdict::kRejected;
      if (!round.at(i)) {
        o.error = core::Error{ErrorCode::kPcrMismatch, "PCR0 differs", 0};
      }
      o.pcr0_hex = round.at(i) ? std::string(96, 'a') : std::string(96, 'b');
      const std::string body = targets[i] + (round.at(i) ? " ok" : " bad");
      o.bundle = [body] {
        return core::Result<core::Bytes>(core::Bytes(body.begin(), body.end()));
      };
      out.push_back(std::move(o));
    }
    return out;
  }
  std::size_t rounds_ = 0;

 private:
  FakeClock& clock_;
  std::vector<std::vector<bool>> script_;
};

class FakeMetrics final : public MetricsSink {
 public:
  void Record(const Observation& o) override { verdicts[o.target] = o.Accepted(); }
  void RecordTransition(const Transition&) override { ++transitions; }
  void RecordEvidenceFailure() override { ++evidence_failures; }
  void RecordRound() override { ++rounds; }
  std::map<std::string, bool> verdicts;
  int transitions = 0;
  int evidence_failures = 0;
  int rounds = 0;
};

class FakeStore final : public EvidenceStore {
 public:
  core::Result<std::string> Put(const std::string& name, core::ByteView bytes) override {
    if (fail_writes) {
      return core::Fail(ErrorCode::kIoWrite, "disk full");
    }
    files[name] = core::Bytes(bytes.begin(), bytes.end());
    return "/evidence/" + name;
  }
  core::Result<std::vector<std::string>> List() override {
    std::vector<std::string> names;
    for (const auto& [name, bytes] : files) {
      names.push_back(name);
    }
    return names;
  }
  core::Status Remove(const std::string& name) override {
    files.erase(name);
    return {};
  }
  std::map<std::string, core::Bytes> files;
  bool fail_writes = false;
};

// Moves the fake clock to each deadline; says stop after `rounds` waits.
class FakeWaiter final : public Waiter {
 public:
  FakeWaiter(FakeClock& clock, int rounds) : clock_(clock), left_(rounds) {}
  bool WaitUntil(core::UnixMillis deadline) override {
    delays.push_back(deadline.value - clock_.now.value);
    clock_.now = std::max(clock_.now, deadline);
    return --left_ > 0;
  }
  std::vector<std::int64_t> delays;

 private:
  FakeClock& clock_;
  int left_;
};

std::vector<json> Lines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    out.push_back(json::parse(line));
  }
  return out;
}

Observation Seen(const std::string& target, bool accepted) {
  Observation o;
  o.target = target;
  o.verdict = accepted ? core::Verdict::kAccepted : core::Verdict::kRejected;
  return o;
}

TEST(MonitorStateMachine, FirstObservationThenOnlyChanges) {
  StateMachine machine;
  EXPECT_EQ(machine.StateOf("a"), TargetState::kUnknown);
  auto first = machine.Apply(Seen("a", true));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->from, TargetState::kUnknown);
  EXPECT_EQ(first->to, TargetState::kAccepted);
  EXPECT_FALSE(machine.Apply(Seen("a", true)));
  auto down = machine.Apply(Seen("a", false));
  ASSERT_TRUE(down);
  EXPECT_EQ(down->from, TargetState::kAccepted);
  EXPECT_EQ(down->to, TargetState::kRejected);
  EXPECT_FALSE(machine.Apply(Seen("a", false)));
  // Unreachable and malformed are "not accepted" like rejected: no transition between them.
  Observation unreachable = Seen("a", false);
  unreachable.verdict = core::Verdict::kError;
  EXPECT_FALSE(machine.Apply(unreachable));
  auto up = machine.Apply(Seen("a", true));
  ASSERT_TRUE(up);
  EXPECT_EQ(up->from, TargetState::kRejected);
  EXPECT_EQ(up->to, TargetState::kAccepted);
  // Targets are independent.
  auto other = machine.Apply(Seen("b", false));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->from, TargetState::kUnknown);
  EXPECT_EQ(machine.StateOf("a"), TargetState::kAccepted);
  EXPECT_EQ(TargetStateName(TargetState::kRejected), "rejected");
}

TEST(MonitorJitter, StaysWithinItsBounds) {
  for (const double jitter : {0.0, 0.1, 0.25, 0.5}) {
    for (int i = 0; i <= 1000; ++i) {
      const double u = i / 1000.0;
      const std::int64_t d = JitteredDelayMs(30000, jitter, u);
      EXPECT_GE(d, static_cast<std::int64_t>(30000 * (1 - jitter))) << jitter << " " << u;
      EXPECT_LE(d, static_cast<std::int64_t>(30000 * (1 + jitter))) << jitter << " " << u;
    }
  }
  EXPECT_EQ(JitteredDelayMs(30000, 0.1, 0.0), 27000);
  EXPECT_EQ(JitteredDelayMs(30000, 0.1, 0.5), 30000);
  EXPECT_EQ(JitteredDelayMs(30000, 0.1, 1.0), 33000);
  EXPECT_EQ(JitteredDelayMs(30000, 0.0, 0.9), 30000);
  // Out-of-range randomness or jitter is clamped, never a wait outside the bounds.
  EXPECT_EQ(JitteredDelayMs(30000, 0.1, 7.0), 33000);
  EXPECT_EQ(JitteredDelayMs(30000, 0.9, 0.0), 15000);
  EXPECT_EQ(JitteredDelayMs(1, 0.5, 0.0), 1);
}

TEST(MonitorEvidence, NamesSortInTimeAndOnlyOursArePruned) {
  const Transition t{"https://signer.example.com:8443", TargetState::kAccepted,
                     TargetState::kRejected};
  const std::string name = EvidenceFileName(t, core::UnixMillis{1765000000123}, 7);
  EXPECT_EQ(name, "1765000000123-000007-signer.example.com_8443-rejected.zip");
  EXPECT_TRUE(IsEvidenceFileName(name));
  const Transition odd{"http://[::1]:80/../x", TargetState::kUnknown, TargetState::kAccepted};
  const std::string odd_name = EvidenceFileName(odd, core::UnixMillis{5}, 1);
  EXPECT_EQ(odd_name.find('/'), std::string::npos);
  EXPECT_TRUE(IsEvidenceFileName(odd_name)) << odd_name;
  EXPECT_FALSE(IsEvidenceFileName("notes.txt"));
  EXPECT_FALSE(IsEvidenceFileName("1765000000123-000007-x-rejected.txt"));
  EXPECT_FALSE(IsEvidenceFileName("1765000000123-00000a-x-rejected.zip"));
  EXPECT_FALSE(IsEvidenceFileName("1765000000123-000007-a/b-rejected.zip"));

  const std::vector<std::string> names = {"1765000000300-000003-a-accepted.zip", "README",
                                          "1765000000100-000001-a-accepted.zip",
                                          "1765000000200-000002-a-rejected.zip", "keep-me.zip"};
  EXPECT_EQ(EvidenceToPrune(names, 1),
            (std::vector<std::string>{"1765000000100-000001-a-accepted.zip",
                                      "1765000000200-000002-a-rejected.zip"}));
  EXPECT_TRUE(EvidenceToPrune(names, 3).empty());
  EXPECT_EQ(EvidenceToPrune(names, 0).size(), 3U);
}

TEST(MonitorRun, LogsTransitionsKeepsBoundedEvidenceAndStops) {
  FakeClock clock;
  // Two targets; b turns rejected in round 2 and back in round 4; a stays accepted.
  FakeProber prober(clock, {{true, true}, {true, false}, {true, false}, {true, true}});
  FakeMetrics metrics;
  FakeStore store;
  FakeWaiter waiter(clock, 4);
  std::ostringstream log;
  std::ostringstream warn;
  MonitorOptions options;
  options.targets = {"http://a:1", "http://b:2"};
  options.interval_ms = 10000;
  options.jitter = 0.2;
  options.evidence_keep = 3;
  double u = 0;
  const MonitorPorts ports{prober,
                           metrics,
                           &store,
                           waiter,
                           clock,
                           [&u] {
                             u = u > 0.9 ? 0 : u + 0.45;
                             return u;
                           },
                           log,
                           warn};
  const MonitorSummary summary = RunMonitor(options, ports);
  EXPECT_EQ(summary.rounds, 4U);
  EXPECT_EQ(metrics.rounds, 4);
  EXPECT_EQ(summary.transitions, 4U);  // a: unknown->accepted; b: unknown->a, a->r, r->a
  EXPECT_EQ(metrics.transitions, 4);
  EXPECT_EQ(summary.accepted, 2U);
  EXPECT_FALSE(summary.first_failure);

  const std::vector<json> lines = Lines(log.str());
  ASSERT_EQ(lines.size(), 4U);
  EXPECT_EQ(lines[0]["media_type"], kTransitionMediaType);
  EXPECT_EQ(lines[0]["target"], "http://a:1");
  EXPECT_EQ(lines[0]["from"], "unknown");
  EXPECT_EQ(lines[0]["to"], "accepted");
  EXPECT_TRUE(lines[0]["error"].is_null());
  EXPECT_EQ(lines[2]["target"], "http://b:2");
  EXPECT_EQ(lines[2]["from"], "accepted");
  EXPECT_EQ(lines[2]["to"], "rejected");
  EXPECT_EQ(lines[2]["verdict"], "rejected");
  EXPECT_EQ(lines[2]["error"]["code"], "PCR_MISMATCH");
  EXPECT_EQ(lines[2]["pcr0"], std::string(96, 'b'));
  EXPECT_EQ(lines[3]["from"], "rejected");
  EXPECT_EQ(lines[3]["to"], "accepted");
  // Every transition wrote a bundle; only the newest 3 remain.
  EXPECT_EQ(summary.evidence_written, 4U);
  ASSERT_EQ(store.files.size(), 3U);
  EXPECT_EQ(store.files.count(lines[0]["evidence"].get<std::string>().substr(10)), 0U);
  for (std::size_t i = 1; i < 4; ++i) {
    const std::string name = lines[i]["evidence"].get<std::string>().substr(10);
    ASSERT_EQ(store.files.count(name), 1U) << name;
  }
  const std::string rejected_name = lines[2]["evidence"].get<std::string>().substr(10);
  EXPECT_EQ(core::AsChars(store.files[rejected_name]), "http://b:2 bad");
  EXPECT_NE(rejected_name.find("-rejected.zip"), std::string::npos);
  EXPECT_TRUE(warn.str().empty());
  // Waits: round start + jittered delay, each within [8 s, 12 s] of the round's start.
  ASSERT_EQ(waiter.delays.size(), 4U);
  for (const std::int64_t d : waiter.delays) {
    EXPECT_GE(d, 8000 - 200);
    EXPECT_LE(d, 12000);
  }
}

TEST(MonitorRun, OnceGivesTheFirstFailureAndEvidenceFailuresOnlyWarn) {
  FakeClock clock;
  FakeProber prober(clock, {{true, false}});
  FakeMetrics metrics;
  FakeStore store;
  store.fail_writes = true;
  FakeWaiter waiter(clock, 100);
  std::ostringstream log;
  std::ostringstream warn;
  MonitorOptions options;
  options.targets = {"http://a:1", "http://b:2"};
  options.once = true;
  const MonitorPorts ports{prober, metrics, &store, waiter, clock, [] { return 0.5; }, log, warn};
  const MonitorSummary summary = RunMonitor(options, ports);
  EXPECT_EQ(summary.rounds, 1U);
  EXPECT_TRUE(waiter.delays.empty());
  ASSERT_TRUE(summary.first_failure);
  EXPECT_EQ(summary.first_failure->code, ErrorCode::kPcrMismatch);
  EXPECT_EQ(summary.accepted, 1U);
  EXPECT_EQ(metrics.evidence_failures, 2);
  EXPECT_NE(warn.str().find("IO_WRITE"), std::string::npos);
  const std::vector<json> lines = Lines(log.str());
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_TRUE(lines[1]["evidence"].is_null());
  EXPECT_FALSE(metrics.verdicts.at("http://b:2"));
}

TEST(MonitorRun, NoStoreAndNoBundleWriteNothing) {
  FakeClock clock;
  FakeProber prober(clock, {{false}});
  FakeMetrics metrics;
  FakeWaiter waiter(clock, 100);
  std::ostringstream log;
  std::ostringstream warn;
  MonitorOptions options;
  options.targets = {"http://a:1"};
  options.once = true;
  const MonitorPorts ports{prober, metrics, nullptr, waiter, clock, [] { return 0.5; }, log, warn};
  const MonitorSummary summary = RunMonitor(options, ports);
  EXPECT_EQ(summary.evidence_written, 0U);
  EXPECT_TRUE(Lines(log.str()).at(0)["evidence"].is_null());
}

Observation Full(bool accepted, const std::string& pcr0) {
  Observation o = Seen("http://10.0.0.1:8443", accepted);
  if (!accepted) {
    o.error = core::Error{ErrorCode::kPcrMismatch, "differs", 0};
  }
  o.checked_at = core::UnixMillis{1765000010000};
  o.attested_at = core::UnixMillis{1765000007500};
  o.leaf_not_after_s = 1765010000;
  o.pcr0_hex = pcr0;
  o.duration_seconds = 0.02;
  return o;
}

TEST(MonitorPrometheus, ExposesEveryMetricAndReplacesThePcr0Info) {
  PrometheusMetrics metrics;
  metrics.RecordRound();
  metrics.Record(Full(true, std::string(96, 'a')));
  metrics.RecordTransition({"http://10.0.0.1:8443", TargetState::kUnknown, TargetState::kAccepted});
  std::string text = metrics.Text();
  const std::string target = "target=\"http://10.0.0.1:8443\"";
  EXPECT_NE(text.find("enclavectl_monitor_verdict{" + target + "} 1"), std::string::npos) << text;
  EXPECT_NE(
      text.find("enclavectl_monitor_last_success_timestamp_seconds{" + target + "} 1765000010"),
      std::string::npos);
  EXPECT_NE(text.find("enclavectl_monitor_target_info{pcr0=\"" + std::string(96, 'a') + "\"," +
                      target + "} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("enclavectl_monitor_leaf_certificate_expiry_timestamp_seconds{" + target +
                      "} 1765010000"),
            std::string::npos);
  EXPECT_NE(text.find("enclavectl_monitor_attestation_age_seconds{" + target + "} 2.5"),
            std::string::npos);
  EXPECT_NE(
      text.find("enclavectl_monitor_check_duration_seconds_bucket{" + target + ",le=\"0.025\"} 1"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("enclavectl_monitor_transitions_total{" + target + ",to=\"accepted\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("enclavectl_monitor_rounds_total 1"), std::string::npos);
  EXPECT_NE(text.find("enclavectl_monitor_evidence_write_failures_total 0"), std::string::npos);

  metrics.Record(Full(false, std::string(96, 'b')));
  text = metrics.Text();
  EXPECT_NE(text.find("enclavectl_monitor_verdict{" + target + "} 0"), std::string::npos);
  EXPECT_NE(
      text.find("enclavectl_monitor_check_failures_total{code=\"PCR_MISMATCH\"," + target + "} 1"),
      std::string::npos)
      << text;
  // One info series per target: the old PCR0 is gone.
  EXPECT_EQ(text.find("pcr0=\"" + std::string(96, 'a')), std::string::npos);
  EXPECT_NE(text.find("pcr0=\"" + std::string(96, 'b')), std::string::npos);
  // The last success stays that of the accepted check.
  EXPECT_NE(
      text.find("enclavectl_monitor_last_success_timestamp_seconds{" + target + "} 1765000010"),
      std::string::npos);
}

TEST(MonitorPrometheus, ServerOnAnyPortAndAPortInUse) {
  PrometheusMetrics metrics;
  auto server = MetricsServer::Start("127.0.0.1:0", metrics);
  ASSERT_TRUE(server) << server.error().detail;
  const std::string& url = (*server)->Url();
  EXPECT_EQ(url.rfind("http://127.0.0.1:", 0), 0U) << url;
  EXPECT_EQ(url.find(":0/"), std::string::npos) << url;
  const std::string port = url.substr(17, url.find('/', 17) - 17);
  auto second = MetricsServer::Start("127.0.0.1:" + port, metrics);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kMonitorListenFailed);
  for (const char* bad : {"9464", "127.0.0.1:", ":9464", "127.0.0.1:99999", "a b:1", "[::1:5"}) {
    auto refused = MetricsServer::Start(bad, metrics);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(MonitorEvidenceDirectory, WritesListsRemoves) {
  testing::ScopedTempDir dir;
  auto store = DirectoryEvidenceStore::Open((dir.Path() / "evidence").string());
  ASSERT_TRUE(store);
  const core::Bytes bytes = {1, 2, 3};
  auto path = (*store)->Put("1765000000100-000001-a-accepted.zip", bytes);
  ASSERT_TRUE(path);
  EXPECT_EQ(testing::ReadText(*path), std::string("\x01\x02\x03"));
  auto names = (*store)->List();
  ASSERT_TRUE(names);
  EXPECT_EQ(*names, std::vector<std::string>{"1765000000100-000001-a-accepted.zip"});
  EXPECT_TRUE((*store)->Remove("1765000000100-000001-a-accepted.zip"));
  EXPECT_TRUE((*store)->List()->empty());
  const std::string file = dir.Write("plain", bytes);
  auto not_dir = DirectoryEvidenceStore::Open(file);
  ASSERT_FALSE(not_dir);
  EXPECT_EQ(not_dir.error().code, ErrorCode::kIoWrite);
}

}  // namespace
}  // namespace enclavectl::monitor
