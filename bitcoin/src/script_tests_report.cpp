// The report of a conformance run as JSON and text (pure).
#include <string>

#include "enclavectl/bitcoin/script_error.hpp"
#include "enclavectl/bitcoin/script_tests.hpp"

namespace enclavectl::bitcoin {

nlohmann::json ScriptTestReportToJson(const ScriptTestReport& report) {
  nlohmann::json entries = nlohmann::json::array();
  for (const ScriptTestResult& r : report.results) {
    entries.push_back(
        {{"number", r.number},
         {"comment", r.comment},
         {"status", r.passed ? "pass" : "fail"},
         {"success", std::string(ScriptErrorName(r.success_result))},
         {"failure", std::string(ScriptErrorName(r.failure_result))},
         {"problem", r.problem.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.problem)}});
  }
  return {{"media_type", kScriptTestsMediaType},
          {"verdict", report.num_failed == 0 ? "accepted" : "rejected"},
          {"flags", "P2SH,CHECKLOCKTIMEVERIFY,CHECKSEQUENCEVERIFY,WITNESS,NULLFAIL,TAPROOT"},
          {"passed", report.num_passed},
          {"failed", report.num_failed},
          {"entries", entries}};
}

void RenderScriptTestReport(std::ostream& out, const ScriptTestReport& report) {
  for (const ScriptTestResult& r : report.results) {
    out << (r.passed ? "ok   " : "FAIL ") << r.number << " " << r.comment;
    if (r.passed) {
      out << " (failure witness: " << ScriptErrorName(r.failure_result) << ")";
    } else {
      out << ": " << r.problem;
    }
    out << "\n";
  }
  out << report.num_passed << " passed, " << report.num_failed << " failed\n";
}

}  // namespace enclavectl::bitcoin
