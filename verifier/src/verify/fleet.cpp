#include "enclavectl/verifier/fleet.hpp"

#include "enclavectl/verifier/report_json.hpp"

namespace enclavectl::verifier {

FleetReport VerifyFleet(const std::vector<std::string>& urls,
                        std::vector<core::Result<Evidence>> visits, const TrustAnchor& root,
                        const LiveExpectations& expectations,
                        const nlohmann::json& recorded_options) {
  ChainCache cache;
  const VerifierConfig config{&root, &cache};
  FleetReport out;
  out.options = recorded_options;
  out.entries.reserve(visits.size());
  for (std::size_t i = 0; i < visits.size(); ++i) {
    FleetEntry entry;
    entry.url = urls.at(i);
    if (!visits[i]) {
      ++out.unreachable;
      entry.unreachable = visits[i].error();
      if (!out.first_failure) {
        out.first_failure = visits[i].error();
      }
      out.entries.push_back(std::move(entry));
      continue;
    }
    entry.evidence = std::move(*visits[i]);
    entry.evidence.options = recorded_options;
    entry.report = VerifyEvidence(entry.evidence, config, expectations);
    if (entry.report.verdict == Verdict::kAccepted) {
      ++out.accepted;
    } else {
      ++(entry.report.verdict == Verdict::kMalformed ? out.malformed : out.rejected);
      if (!out.first_failure) {
        out.first_failure = entry.report.error;
      }
    }
    out.entries.push_back(std::move(entry));
  }
  out.cache = cache.GetStats();
  return out;
}

nlohmann::json FleetReportToJson(const FleetReport& report) {
  nlohmann::json results = nlohmann::json::array();
  for (const FleetEntry& entry : report.entries) {
    if (entry.unreachable) {
      results.push_back({{"url", entry.url},
                         {"verdict", core::VerdictName(core::Verdict::kError)},
                         {"error", ErrorToJson(*entry.unreachable)}});
    } else {
      results.push_back(LiveReportToJson(entry.report, entry.evidence));
    }
  }
  // The fleet's verdict follows the exit code: that of its first failure, if any.
  const core::Verdict verdict =
      report.first_failure
          ? core::VerdictForErrorClass(core::InfoFor(report.first_failure->code).exit_class)
          : core::Verdict::kAccepted;
  return {{"media_type", kFleetMediaType},
          {"verdict", core::VerdictName(verdict)},
          {"targets", std::move(results)},
          {"summary",
           {{"total", report.entries.size()},
            {"accepted", report.accepted},
            {"rejected", report.rejected},
            {"malformed", report.malformed},
            {"unreachable", report.unreachable},
            {"chain_cache", {{"hits", report.cache.hits}, {"misses", report.cache.misses}}}}},
          {"options", report.options}};
}

}  // namespace enclavectl::verifier
