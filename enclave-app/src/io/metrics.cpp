#include "enclavectl/app/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <array>
#include <chrono>

namespace enclavectl::app {

namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

const Histogram::BucketBoundaries& Buckets() {
  static const Histogram::BucketBoundaries buckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                      0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                                      1,      2.5,     5,      10};
  return buckets;
}

std::string MethodLabel(std::string_view method) {
  for (const std::string_view known : {"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS"}) {
    if (method == known) {
      return std::string(known);
    }
  }
  return "other";
}

}  // namespace

struct AppMetrics::State {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  Family<Counter>& requests = prometheus::BuildCounter()
                                  .Name("enclave_app_http_requests_total")
                                  .Help("HTTP requests answered, by route, method and status")
                                  .Register(*registry);
  Family<Histogram>& request_duration =
      prometheus::BuildHistogram()
          .Name("enclave_app_http_request_duration_seconds")
          .Help("Time from a request's arrival to its answer, by route")
          .Register(*registry);
  Family<Histogram>& sign_duration = prometheus::BuildHistogram()
                                         .Name("enclave_app_sign_duration_seconds")
                                         .Help("Time to make one signature, by scheme")
                                         .Register(*registry);
  Family<Gauge>& setup_state = prometheus::BuildGauge()
                                   .Name("enclave_app_setup_state")
                                   .Help("1 for the key service's current setup state")
                                   .Register(*registry);
  Family<Histogram>& kms_duration = prometheus::BuildHistogram()
                                        .Name("enclave_app_kms_request_duration_seconds")
                                        .Help("Time of a KMS call, by operation")
                                        .Register(*registry);
  Family<Counter>& kms_errors = prometheus::BuildCounter()
                                    .Name("enclave_app_kms_errors_total")
                                    .Help(
                                        "KMS calls that failed, by operation and the stable "
                                        "name of the error (enclavectl errors)")
                                    .Register(*registry);
};

AppMetrics::AppMetrics() : state_(std::make_unique<State>()) {
  for (const KeyState s :
       {KeyState::kUnset, KeyState::kSettingUp, KeyState::kReady, KeyState::kFailed}) {
    state_->setup_state.Add({{"state", KeyStateName(s)}}).Set(0);
  }
}

AppMetrics::~AppMetrics() = default;

void AppMetrics::RecordRequest(std::string_view path, std::string_view method, unsigned status,
                               double seconds) {
  const std::string route =
      (IsServiceRoute(path) || path == "/metrics") ? std::string(path) : std::string("other");
  state_->requests
      .Add({{"route", route}, {"method", MethodLabel(method)}, {"status", std::to_string(status)}})
      .Increment();
  state_->request_duration.Add({{"route", route}}, Buckets()).Observe(seconds);
}

void AppMetrics::RecordSign(std::string_view scheme, double seconds) {
  state_->sign_duration.Add({{"scheme", std::string(scheme)}}, Buckets()).Observe(seconds);
}

void AppMetrics::RecordKmsCall(std::string_view operation, double seconds,
                               std::optional<core::ErrorCode> error) {
  state_->kms_duration.Add({{"operation", std::string(operation)}}, Buckets()).Observe(seconds);
  if (error) {
    state_->kms_errors
        .Add({{"operation", std::string(operation)},
              {"code", std::string(core::ErrorCodeName(*error))}})
        .Increment();
  }
}

std::string AppMetrics::Text(KeyState state) const {
  for (const KeyState s :
       {KeyState::kUnset, KeyState::kSettingUp, KeyState::kReady, KeyState::kFailed}) {
    state_->setup_state.Add({{"state", KeyStateName(s)}}).Set(s == state ? 1 : 0);
  }
  return prometheus::TextSerializer().Serialize(state_->registry->Collect());
}

namespace {

class ObservedKms final : public EnclaveKms {
 public:
  ObservedKms(EnclaveKms& inner, AppMetrics& metrics) : inner_(inner), metrics_(metrics) {}

 private:
  template <typename Call>
  auto Timed(std::string_view operation, const Call& call) {
    const auto start = std::chrono::steady_clock::now();
    auto result = call();
    metrics_.RecordKmsCall(
        operation, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
        result ? std::nullopt : std::optional<core::ErrorCode>(result.error().code));
    return result;
  }

 public:
  core::Result<core::Bytes> DeriveSharedSecret(const std::string& key_id, core::ByteView peer_spki,
                                               core::ByteView attestation_document) override {
    return Timed("DeriveSharedSecret", [&] {
      return inner_.DeriveSharedSecret(key_id, peer_spki, attestation_document);
    });
  }
  core::Result<SealedDataKey> GenerateDataKey(const std::string& key_id,
                                              std::uint32_t number_of_bytes,
                                              const EncryptionContext& context,
                                              core::ByteView attestation_document) override {
    return Timed("GenerateDataKey", [&] {
      return inner_.GenerateDataKey(key_id, number_of_bytes, context, attestation_document);
    });
  }
  core::Result<core::Bytes> Decrypt(const std::string& key_id, core::ByteView ciphertext_blob,
                                    const EncryptionContext& context,
                                    core::ByteView attestation_document) override {
    return Timed("Decrypt", [&] {
      return inner_.Decrypt(key_id, ciphertext_blob, context, attestation_document);
    });
  }
  core::Result<aws::KeyMetadata> DescribeKey(const std::string& key_id) override {
    return Timed("DescribeKey", [&] { return inner_.DescribeKey(key_id); });
  }
  core::Result<std::string> GetKeyPolicy(const std::string& key_id) override {
    return Timed("GetKeyPolicy", [&] { return inner_.GetKeyPolicy(key_id); });
  }

 private:
  EnclaveKms& inner_;
  AppMetrics& metrics_;
};

}  // namespace

std::unique_ptr<EnclaveKms> MakeObservedKms(EnclaveKms& inner, AppMetrics& metrics) {
  return std::make_unique<ObservedKms>(inner, metrics);
}

}  // namespace enclavectl::app
