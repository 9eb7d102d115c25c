// enclave-app --metrics (adapter): Prometheus metrics of the key service, served as GET
// /metrics (text format 0.0.4) on the HTTP API. Labels are fixed vocabularies only -- a known
// route or "other", an HTTP method and status, a signing scheme name, a KMS operation name, an
// error code's stable name, a key state -- never a key id, an ARN, a secret or any part of a
// request or message.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "enclavectl/app/enclave_kms.hpp"
#include "enclavectl/app/service.hpp"
#include "enclavectl/core/error_codes.hpp"

namespace enclavectl::app {

class AppMetrics {
 public:
  AppMetrics();
  ~AppMetrics();
  AppMetrics(const AppMetrics&) = delete;
  AppMetrics& operator=(const AppMetrics&) = delete;

  // One HTTP request: `path` is untrusted and becomes the route label only when it is one of
  // the service's routes (IsServiceRoute) or /metrics, else "other"; likewise the method.
  void RecordRequest(std::string_view path, std::string_view method, unsigned status,
                     double seconds);
  // One signature made by POST /v1/sign (`scheme`: SignSchemeName).
  void RecordSign(std::string_view scheme, double seconds);
  // One KMS call (`operation`: "Decrypt", ...), failed with `error` if set.
  void RecordKmsCall(std::string_view operation, double seconds,
                     std::optional<core::ErrorCode> error);
  // The exposition, with enclave_app_setup_state set from `state` at this moment.
  std::string Text(KeyState state) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// An EnclaveKms that times every call of `inner` (which outlives it) into `metrics`.
std::unique_ptr<EnclaveKms> MakeObservedKms(EnclaveKms& inner, AppMetrics& metrics);

}  // namespace enclavectl::app
