#include "enclavectl/verifier/lineage_walk.hpp"

#include <ostream>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/verifier/chain.hpp"
#include "enclavectl/verifier/lineage.hpp"
#include "enclavectl/verifier/report_json.hpp"

namespace enclavectl::verifier {
namespace {

using core::Error;
using core::ErrorCode;
using nlohmann::json;

std::string StepName(std::size_t index, const LineageTarget& target) {
  return "step " + std::to_string(index) + " (" + target.url + ", line " +
         std::to_string(target.line) + ")";
}

Error AtStep(Error error, std::size_t index, const LineageTarget& target) {
  error.detail = StepName(index, target) + ": " + error.detail;
  error.index = static_cast<int>(index);
  return error;
}

Verdict VerdictOf(const Error& error) {
  switch (core::InfoFor(error.code).exit_class) {
    case core::ExitClass::kMalformed:
      return Verdict::kMalformed;
    case core::ExitClass::kRejected:
      return Verdict::kRejected;
    default:
      return Verdict::kError;
  }
}

}  // namespace

LineageWalkReport VerifyLineageWalk(const std::vector<LineageTarget>& targets,
                                    std::vector<core::Result<Evidence>> visits,
                                    const TrustAnchor& root, const LiveExpectations& expectations) {
  LineageWalkReport out;
  ChainCache cache;
  const VerifierConfig config{&root, &cache};
  const auto fail = [&out](Error error) {
    if (!out.error) {
      out.error = std::move(error);
    }
  };
  for (std::size_t i = 0; i < targets.size(); ++i) {
    LineageWalkStep step;
    step.target = targets[i];
    if (i >= visits.size() || !visits[i]) {
      step.unreachable =
          i < visits.size() ? visits[i].error() : Error{ErrorCode::kInternal, "no visit", -1};
      fail(AtStep(*step.unreachable, i, step.target));
      out.steps.push_back(std::move(step));
      continue;
    }
    step.evidence = std::move(*visits[i]);
    LiveExpectations pinned = expectations;
    auto pcr0 = core::HexDecode(step.target.pcr0_hex);
    if (pcr0) {
      pinned.required_pcrs[0] = std::move(*pcr0);
    }
    pinned.allow_retired = true;
    pinned.previous_pcr0.reset();  // the chain below links the steps
    pinned.any_image = false;
    step.report = VerifyEvidence(step.evidence, config, pinned);
    if (step.report.verdict != Verdict::kAccepted && step.report.error) {
      fail(AtStep(*step.report.error, i, step.target));
    }
    out.steps.push_back(std::move(step));
  }
  if (!out.error) {
    std::vector<LineageStep> chain;
    for (std::size_t i = 0; i < out.steps.size(); ++i) {
      const LineageWalkStep& step = out.steps[i];
      chain.push_back(LineageStep{StepName(i, step.target), step.target.pcr0_hex,
                                  step.report.claims.previous_pcr0.value_or("")});
    }
    if (auto linked = VerifyLineage(chain); !linked) {
      fail(linked.error());
    }
  }
  if (!out.error) {
    for (std::size_t i = 0; i < out.steps.size(); ++i) {
      const LineageWalkStep& step = out.steps[i];
      const std::string& to = step.report.claims.migrated_to_pcr0;
      if (to.empty()) {
        continue;
      }
      if (i + 1 == out.steps.size()) {
        fail(AtStep(Error{ErrorCode::kEnclaveRetired,
                          "the newest version is retired: its key moved to PCR0 " +
                              to.substr(0, 16) + "..., which the targets file does not list",
                          -1},
                    i, step.target));
        break;
      }
      if (to != out.steps[i + 1].target.pcr0_hex) {
        fail(AtStep(
            Error{ErrorCode::kLineageBroken,
                  "it handed its key to PCR0 " + to.substr(0, 16) + "..., not to the next step's " +
                      out.steps[i + 1].target.pcr0_hex.substr(0, 16) + "...",
                  -1},
            i, step.target));
        break;
      }
    }
  }
  out.verdict = out.error ? VerdictOf(*out.error) : Verdict::kAccepted;
  return out;
}

json LineageWalkToJson(const LineageWalkReport& report) {
  json steps = json::array();
  json chain = json::array({"genesis"});
  for (std::size_t i = 0; i < report.steps.size(); ++i) {
    const LineageWalkStep& step = report.steps[i];
    chain.push_back(step.target.pcr0_hex);
    const std::optional<Error> error = step.unreachable ? step.unreachable
                                       : step.report.verdict == Verdict::kAccepted
                                           ? std::nullopt
                                           : step.report.error;
    const ServiceClaims& claims = step.report.claims;
    steps.push_back(
        {{"index", i},
         {"url", step.target.url},
         {"line", step.target.line},
         {"expected_pcr0", step.target.pcr0_hex},
         {"verdict",
          step.unreachable ? std::string("error") : std::string(VerdictName(step.report.verdict))},
         {"error", error ? ErrorToJson(*error) : json(nullptr)},
         {"previous_pcr0", claims.previous_pcr0 ? json(*claims.previous_pcr0) : json(nullptr)},
         {"retired", !claims.migrated_to_pcr0.empty()},
         {"migrated_to_pcr0",
          claims.migrated_to_pcr0.empty() ? json(nullptr) : json(claims.migrated_to_pcr0)},
         {"report",
          step.unreachable ? json(nullptr) : LiveReportToJson(step.report, step.evidence)}});
  }
  return {{"media_type", kLineageMediaType},
          {"verdict", std::string(VerdictName(report.verdict))},
          {"error", report.error ? ErrorToJson(*report.error) : json(nullptr)},
          {"chain", std::move(chain)},
          {"steps", std::move(steps)}};
}

void RenderLineageWalkText(std::ostream& out, const LineageWalkReport& report) {
  for (std::size_t i = 0; i < report.steps.size(); ++i) {
    const LineageWalkStep& step = report.steps[i];
    const bool ok = !step.unreachable && step.report.verdict == Verdict::kAccepted;
    out << (ok ? "PASS" : "FAIL") << "  " << i << "  " << step.target.url << "  PCR0 "
        << step.target.pcr0_hex.substr(0, 16) << "...";
    if (ok) {
      const std::string previous = step.report.claims.previous_pcr0.value_or("(none)");
      out << "  previous " << core::SafeExcerpt(previous, 16);
      if (!step.report.claims.migrated_to_pcr0.empty()) {
        out << "  RETIRED (key moved to " << step.report.claims.migrated_to_pcr0.substr(0, 16)
            << "...)";
      }
    } else {
      const Error& error = step.unreachable ? *step.unreachable : *step.report.error;
      out << "  " << core::ErrorCodeName(error.code) << ": " << error.detail;
    }
    out << "\n";
  }
  out << "lineage  genesis";
  for (const LineageWalkStep& step : report.steps) {
    out << " -> " << step.target.pcr0_hex.substr(0, 16) << "...";
  }
  out << "  " << (report.verdict == Verdict::kAccepted ? "ACCEPTED" : "NOT ACCEPTED") << "\n";
}

}  // namespace enclavectl::verifier
