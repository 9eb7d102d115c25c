#include "enclavectl/monitor/monitor.hpp"

#include <algorithm>
#include <cmath>

#include "enclavectl/core/report_json.hpp"

namespace enclavectl::monitor {

std::string_view TargetStateName(TargetState state) noexcept {
  switch (state) {
    case TargetState::kAccepted:
      return "accepted";
    case TargetState::kRejected:
      return "rejected";
    case TargetState::kUnknown:
      break;
  }
  return "unknown";
}

std::optional<Transition> StateMachine::Apply(const Observation& observation) {
  const TargetState next = observation.Accepted() ? TargetState::kAccepted : TargetState::kRejected;
  TargetState& state = states_[observation.target];  // kUnknown when new
  if (state == next) {
    return std::nullopt;
  }
  Transition transition{observation.target, state, next};
  state = next;
  return transition;
}

TargetState StateMachine::StateOf(const std::string& target) const {
  const auto it = states_.find(target);
  return it == states_.end() ? TargetState::kUnknown : it->second;
}

std::int64_t JitteredDelayMs(std::int64_t interval_ms, double jitter, double uniform) noexcept {
  const double u = std::clamp(uniform, 0.0, 1.0);
  const double j = std::clamp(jitter, 0.0, kMaxJitter);
  const double spread = static_cast<double>(interval_ms) * j;
  const double delay = static_cast<double>(interval_ms) + ((2 * u) - 1) * spread;
  const auto low = static_cast<std::int64_t>(std::ceil(static_cast<double>(interval_ms) - spread));
  const auto high =
      static_cast<std::int64_t>(std::floor(static_cast<double>(interval_ms) + spread));
  return std::max<std::int64_t>(1, std::clamp<std::int64_t>(std::llround(delay), low, high));
}

namespace {

constexpr std::size_t kTimeDigits = 13;
constexpr std::size_t kSequenceDigits = 6;
constexpr std::size_t kMaxTargetChars = 100;

bool SafeChar(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-';
}

// `value` in decimal, zero-padded to `width` digits (more when it needs them).
std::string Padded(std::uint64_t value, std::size_t width) {
  std::string text = std::to_string(value);
  if (text.size() < width) {
    text.insert(0, width - text.size(), '0');
  }
  return text;
}

bool AllDigits(std::string_view text) noexcept {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string EvidenceFileName(const Transition& transition, core::UnixMillis at,
                             std::uint64_t sequence) {
  std::string_view target = transition.target;
  if (const std::size_t scheme = target.find("://"); scheme != std::string_view::npos) {
    target.remove_prefix(scheme + 3);
  }
  std::string host;
  for (const char c : target.substr(0, kMaxTargetChars)) {
    host.push_back(SafeChar(c) ? c : '_');
  }
  if (host.empty()) {
    host = "target";
  }
  const auto time = static_cast<std::uint64_t>(std::max<std::int64_t>(0, at.value));
  return Padded(time, kTimeDigits) + "-" + Padded(sequence % 1000000, kSequenceDigits) + "-" +
         host + "-" + std::string(TargetStateName(transition.to)) + ".zip";
}

bool IsEvidenceFileName(std::string_view name) noexcept {
  constexpr std::string_view kSuffix = ".zip";
  if (name.size() < kTimeDigits + kSequenceDigits + 2 + kSuffix.size() ||
      !name.ends_with(kSuffix)) {
    return false;
  }
  if (!AllDigits(name.substr(0, kTimeDigits)) || name[kTimeDigits] != '-' ||
      !AllDigits(name.substr(kTimeDigits + 1, kSequenceDigits)) ||
      name[kTimeDigits + 1 + kSequenceDigits] != '-') {
    return false;
  }
  const std::string_view rest =
      name.substr(kTimeDigits + kSequenceDigits + 2,
                  name.size() - kTimeDigits - kSequenceDigits - 2 - kSuffix.size());
  return !rest.empty() &&
         std::all_of(rest.begin(), rest.end(), [](char c) { return SafeChar(c) || c == '_'; });
}

std::vector<std::string> EvidenceToPrune(std::vector<std::string> names, std::size_t keep) {
  std::erase_if(names, [](const std::string& name) { return !IsEvidenceFileName(name); });
  std::sort(names.begin(), names.end());
  if (names.size() <= keep) {
    return {};
  }
  names.resize(names.size() - keep);
  return names;
}

nlohmann::json TransitionToJson(const Transition& transition, const Observation& observation,
                                const std::optional<std::string>& evidence) {
  return {{"media_type", kTransitionMediaType},
          {"time", core::FormatRfc3339(observation.checked_at)},
          {"target", transition.target},
          {"from", TargetStateName(transition.from)},
          {"to", TargetStateName(transition.to)},
          {"verdict", core::VerdictName(observation.verdict)},
          {"error", observation.error ? core::ErrorToJson(*observation.error) : nlohmann::json()},
          {"pcr0",
           observation.pcr0_hex.empty() ? nlohmann::json() : nlohmann::json(observation.pcr0_hex)},
          {"evidence", evidence ? nlohmann::json(*evidence) : nlohmann::json()}};
}

namespace {

// Writes the transition's bundle and prunes the store; the path written, or nullopt (a
// warning and a metric when it failed, nothing when the visit left no evidence).
std::optional<std::string> KeepEvidence(const MonitorOptions& options, const MonitorPorts& ports,
                                        const Transition& transition,
                                        const Observation& observation, std::uint64_t sequence,
                                        MonitorSummary& summary) {
  if (ports.evidence == nullptr || !observation.bundle) {
    return std::nullopt;
  }
  auto fail = [&ports](const core::Error& error) -> std::optional<std::string> {
    ports.metrics.RecordEvidenceFailure();
    ports.warn << "monitor: warning: evidence: " << core::ErrorCodeName(error.code) << ": "
               << error.detail << "\n";
    return std::nullopt;
  };
  auto zip = observation.bundle();
  if (!zip) {
    return fail(zip.error());
  }
  auto written =
      ports.evidence->Put(EvidenceFileName(transition, observation.checked_at, sequence), *zip);
  if (!written) {
    return fail(written.error());
  }
  ++summary.evidence_written;
  auto names = ports.evidence->List();
  if (!names) {
    fail(names.error());
    return written.value();
  }
  for (const std::string& name : EvidenceToPrune(std::move(*names), options.evidence_keep)) {
    if (auto removed = ports.evidence->Remove(name); !removed) {
      fail(removed.error());
    }
  }
  return written.value();
}

}  // namespace

MonitorSummary RunMonitor(const MonitorOptions& options, const MonitorPorts& ports) {
  MonitorSummary summary;
  StateMachine machine;
  std::uint64_t sequence = 0;
  while (true) {
    const core::UnixMillis started = ports.clock.Now();
    std::vector<Observation> observations = ports.prober.CheckAll(options.targets);
    ++summary.rounds;
    ports.metrics.RecordRound();
    summary.accepted = 0;
    summary.first_failure.reset();
    for (const Observation& observation : observations) {
      ports.metrics.Record(observation);
      if (observation.Accepted()) {
        ++summary.accepted;
      } else if (!summary.first_failure) {
        summary.first_failure = observation.error.value_or(
            core::Error{core::ErrorCode::kInternal, "no error for a failed check"});
      }
      const auto transition = machine.Apply(observation);
      if (!transition) {
        continue;
      }
      ++summary.transitions;
      ports.metrics.RecordTransition(*transition);
      const auto evidence =
          KeepEvidence(options, ports, *transition, observation, ++sequence, summary);
      ports.log << TransitionToJson(*transition, observation, evidence)
                       .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                << "\n"
                << std::flush;
    }
    if (options.once) {
      return summary;
    }
    const std::int64_t delay =
        JitteredDelayMs(options.interval_ms, options.jitter, ports.uniform());
    if (!ports.waiter.WaitUntil(core::UnixMillis{started.value + delay})) {
      return summary;
    }
  }
}

}  // namespace enclavectl::monitor
