// LiveProber: each target visited and judged as `verify --url` does, `concurrency` targets at
// a time on worker threads, sharing one (thread-safe) chain cache.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/monitor/live.hpp"
#include "enclavectl/verifier/collect.hpp"
#include "enclavectl/verifier/reverify.hpp"

namespace enclavectl::monitor {

void FillAttestationFacts(const verifier::LiveReport& report, Observation& observation) {
  const verifier::VerificationReport& doc = report.document;
  if (!doc.document || !doc.ContentVerified()) {
    return;  // an unauthentic document's claims are not facts
  }
  if (const auto pcr0 = doc.document->pcrs.find(0); pcr0 != doc.document->pcrs.end()) {
    observation.pcr0_hex = core::HexEncode(pcr0->second);
  }
  if (!doc.chain.empty()) {
    observation.leaf_not_after_s = doc.chain.back().not_after;
  }
  observation.attested_at = core::UnixMillis{static_cast<std::int64_t>(doc.document->timestamp_ms)};
}

struct LiveProber::State {
  State(LiveProberConfig c, const core::io::Clock& k) : config(std::move(c)), clock(k) {}
  LiveProberConfig config;
  const core::io::Clock& clock;
  verifier::ChainCache cache;

  Observation Check(const std::string& target) {
    const auto start = std::chrono::steady_clock::now();
    Observation observation;
    observation.target = target;
    auto visits = verifier::CollectEvidence({target}, config.http, clock);
    if (!visits.front()) {
      observation.verdict = core::Verdict::kError;
      observation.error = visits.front().error();
      observation.checked_at = clock.Now();
    } else {
      auto evidence = std::make_shared<verifier::Evidence>(std::move(*visits.front()));
      evidence->options = config.recorded;
      const verifier::VerifierConfig verifier_config{config.root, &cache};
      auto report = std::make_shared<verifier::LiveReport>(
          verifier::VerifyEvidence(*evidence, verifier_config, config.expectations));
      if (config.extra_check) {
        report->AddCheck(config.extra_check(*report));
      }
      observation.verdict = report->verdict;
      if (report->verdict != core::Verdict::kAccepted) {
        observation.error = report->error.value_or(
            core::Error{core::ErrorCode::kInternal, "a failed report without an error"});
      }
      observation.checked_at = evidence->captured_at;
      FillAttestationFacts(*report, observation);
      observation.bundle = [evidence, report] {
        return verifier::BundleOfVisit(*evidence, *report);
      };
    }
    observation.duration_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return observation;
  }
};

LiveProber::LiveProber(LiveProberConfig config, const core::io::Clock& clock)
    : state_(std::make_unique<State>(std::move(config), clock)) {}

LiveProber::~LiveProber() = default;

std::vector<Observation> LiveProber::CheckAll(const std::vector<std::string>& targets) {
  std::vector<Observation> out(targets.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < targets.size(); i = next++) {
      out[i] = state_->Check(targets[i]);
    }
  };
  const std::size_t threads = std::clamp<std::size_t>(state_->config.concurrency, 1,
                                                      std::max<std::size_t>(1, targets.size()));
  std::vector<std::jthread> workers;
  workers.reserve(threads - 1);
  for (std::size_t t = 1; t < threads; ++t) {
    workers.emplace_back(work);
  }
  work();
  return out;
}

}  // namespace enclavectl::monitor
