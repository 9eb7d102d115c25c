// The monitor's Prometheus metrics (prometheus-cpp) and their HTTP exposition (civetweb, via
// prometheus-cpp's Exposer). Labels carry only the target URL, the PCR0 an authentic document
// measured, an error code's stable name and a state name: nothing secret.
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <exception>
#include <map>

#include "enclavectl/core/error_codes.hpp"
#include "enclavectl/monitor/live.hpp"

namespace enclavectl::monitor {

namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

// Seconds: a visit is three GETs on loopback (milliseconds) up to a slow region (seconds).
const Histogram::BucketBoundaries& DurationBuckets() {
  static const Histogram::BucketBoundaries buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                      0.5,   1,    2.5,   5,    10,  30};
  return buckets;
}

}  // namespace

struct PrometheusMetrics::State {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  Family<Gauge>& verdict = prometheus::BuildGauge()
                               .Name("enclavectl_monitor_verdict")
                               .Help("1 when the target's last check was accepted, else 0")
                               .Register(*registry);
  Family<Gauge>& last_success = prometheus::BuildGauge()
                                    .Name("enclavectl_monitor_last_success_timestamp_seconds")
                                    .Help("Unix time of the target's last accepted check")
                                    .Register(*registry);
  Family<Gauge>& info = prometheus::BuildGauge()
                            .Name("enclavectl_monitor_target_info")
                            .Help(
                                "Always 1; pcr0 is the PCR0 the target's last authentic "
                                "attestation document measured")
                            .Register(*registry);
  Family<Gauge>& leaf_expiry =
      prometheus::BuildGauge()
          .Name("enclavectl_monitor_leaf_certificate_expiry_timestamp_seconds")
          .Help(
              "notAfter (Unix time) of the leaf certificate of the target's last authentic "
              "attestation document")
          .Register(*registry);
  Family<Gauge>& attestation_age =
      prometheus::BuildGauge()
          .Name("enclavectl_monitor_attestation_age_seconds")
          .Help("Age of the target's last authentic attestation document when it was checked")
          .Register(*registry);
  Family<Histogram>& duration = prometheus::BuildHistogram()
                                    .Name("enclavectl_monitor_check_duration_seconds")
                                    .Help("Time to visit and judge a target")
                                    .Register(*registry);
  Family<Counter>& checks = prometheus::BuildCounter()
                                .Name("enclavectl_monitor_checks_total")
                                .Help("Checks of the target")
                                .Register(*registry);
  Family<Counter>& failures = prometheus::BuildCounter()
                                  .Name("enclavectl_monitor_check_failures_total")
                                  .Help(
                                      "Checks of the target that were not accepted, by the "
                                      "stable name of the first error (enclavectl errors)")
                                  .Register(*registry);
  Family<Counter>& transitions = prometheus::BuildCounter()
                                     .Name("enclavectl_monitor_transitions_total")
                                     .Help(
                                         "Changes of the target's state (to accepted or "
                                         "rejected; the first check counts)")
                                     .Register(*registry);
  Family<Counter>& evidence_failures =
      prometheus::BuildCounter()
          .Name("enclavectl_monitor_evidence_write_failures_total")
          .Help("Evidence bundles that could not be made, written or pruned")
          .Register(*registry);
  Family<Counter>& rounds = prometheus::BuildCounter()
                                .Name("enclavectl_monitor_rounds_total")
                                .Help("Rounds of checks done")
                                .Register(*registry);
  std::map<std::string, std::pair<std::string, Gauge*>> info_of;  // target -> (pcr0, gauge)
};

PrometheusMetrics::PrometheusMetrics() : state_(std::make_unique<State>()) {
  state_->evidence_failures.Add({});
  state_->rounds.Add({});
}

PrometheusMetrics::~PrometheusMetrics() = default;

void PrometheusMetrics::Record(const Observation& observation) {
  State& s = *state_;
  const prometheus::Labels target = {{"target", observation.target}};
  s.checks.Add(target).Increment();
  s.duration.Add(target, DurationBuckets()).Observe(observation.duration_seconds);
  s.verdict.Add(target).Set(observation.Accepted() ? 1 : 0);
  if (observation.Accepted()) {
    s.last_success.Add(target).Set(static_cast<double>(observation.checked_at.value) / 1000);
  } else {
    const std::string code = observation.error
                                 ? std::string(core::ErrorCodeName(observation.error->code))
                                 : std::string("INTERNAL");
    s.failures.Add({{"target", observation.target}, {"code", code}}).Increment();
  }
  if (!observation.pcr0_hex.empty()) {
    auto& [pcr0, gauge] = s.info_of[observation.target];
    if (pcr0 != observation.pcr0_hex) {
      if (gauge != nullptr) {
        s.info.Remove(gauge);
      }
      pcr0 = observation.pcr0_hex;
      gauge = &s.info.Add({{"target", observation.target}, {"pcr0", pcr0}});
      gauge->Set(1);
    }
  }
  if (observation.leaf_not_after_s) {
    s.leaf_expiry.Add(target).Set(static_cast<double>(*observation.leaf_not_after_s));
  }
  if (observation.attested_at) {
    s.attestation_age.Add(target).Set(
        static_cast<double>(observation.checked_at.value - observation.attested_at->value) / 1000);
  }
}

void PrometheusMetrics::RecordTransition(const Transition& transition) {
  state_->transitions
      .Add({{"target", transition.target}, {"to", std::string(TargetStateName(transition.to))}})
      .Increment();
}

void PrometheusMetrics::RecordEvidenceFailure() { state_->evidence_failures.Add({}).Increment(); }

void PrometheusMetrics::RecordRound() { state_->rounds.Add({}).Increment(); }

std::string PrometheusMetrics::Text() const {
  return prometheus::TextSerializer().Serialize(state_->registry->Collect());
}

struct MetricsServer::State {
  std::unique_ptr<prometheus::Exposer> exposer;
};

MetricsServer::~MetricsServer() = default;

core::Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& listen,
                                                                  PrometheusMetrics& metrics) {
  const std::size_t colon = listen.rfind(':');
  const std::string host = colon == std::string::npos ? "" : listen.substr(0, colon);
  const std::string port = colon == std::string::npos ? "" : listen.substr(colon + 1);
  const bool port_ok = !port.empty() && port.size() <= 5 &&
                       port.find_first_not_of("0123456789") == std::string::npos &&
                       std::stoul(port) <= 65535;
  const bool host_ok = !host.empty() && host.find_first_of(" ,/@") == std::string::npos &&
                       (host.front() != '[' || host.back() == ']');
  if (!port_ok || !host_ok) {
    return core::Fail(core::ErrorCode::kInvalidArgument,
                      "--listen: expected HOST:PORT (e.g. 127.0.0.1:9464, [::1]:9464)");
  }
  std::unique_ptr<MetricsServer> server(new MetricsServer());  // NOLINT: private constructor
  server->state_ = std::make_unique<State>();
  try {
    server->state_->exposer = std::make_unique<prometheus::Exposer>(
        std::vector<std::string>{"listening_ports", listen, "num_threads", "2"});
  } catch (const std::exception& e) {
    return core::Fail(core::ErrorCode::kMonitorListenFailed,
                      "--listen " + listen + ": cannot listen (" + e.what() + ")");
  }
  server->state_->exposer->RegisterCollectable(metrics.state_->registry);
  const std::vector<int> ports = server->state_->exposer->GetListeningPorts();
  server->url_ =
      "http://" + host + ":" + (ports.empty() ? port : std::to_string(ports.front())) + "/metrics";
  return server;
}

}  // namespace enclavectl::monitor
