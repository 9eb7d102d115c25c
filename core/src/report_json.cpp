#include "enclavectl/core/report_json.hpp"

#include <string>

namespace enclavectl::core {

nlohmann::json ReportHeader(std::string_view media_type, Verdict verdict) {
  return nlohmann::json{{"media_type", std::string(media_type)},
                        {"verdict", std::string(VerdictName(verdict))}};
}

nlohmann::json ErrorToJson(const Error& error) {
  return nlohmann::json{
      {"code", InfoFor(error.code).name},
      {"value", static_cast<unsigned>(error.code)},
      {"message", error.detail},
      {"index", error.index >= 0 ? nlohmann::json(error.index) : nlohmann::json(nullptr)}};
}

Verdict VerdictOf(const Status& status) {
  return status ? Verdict::kAccepted
                : VerdictForErrorClass(InfoFor(status.error().code).exit_class);
}

int SetOutcome(nlohmann::json& report, const Status& status) {
  report["verdict"] = std::string(VerdictName(VerdictOf(status)));
  if (status) {
    return 0;
  }
  report["error"] = ErrorToJson(status.error());
  return ExitCodeFor(InfoFor(status.error().code).exit_class);
}

nlohmann::json ErrorReport(std::string_view media_type, const Error& error) {
  nlohmann::json out = ReportHeader(media_type, Verdict::kError);
  SetOutcome(out, Fail(error));
  return out;
}

}  // namespace enclavectl::core
