// Walking a published lineage of live services (verify layer: pure; `enclavectl verify
// lineage --targets FILE`, docs/migration.md): each version, oldest first, is visited like
// `verify --url` with its PCR0 pinned to the one the file names; its signed
// /v1/enclave-info previous_pcr0 then links it to the one before (VerifyLineage). A retired
// version (migrated_to_pcr0) belongs in a chain, but must have handed its key to the next one.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "enclavectl/core/result.hpp"
#include "enclavectl/verifier/evidence.hpp"
#include "enclavectl/verifier/live.hpp"
#include "enclavectl/verifier/trust.hpp"

namespace enclavectl::verifier {

inline constexpr const char* kLineageMediaType =
    "application/vnd.enclavectl.verify-lineage+json;version=1";

// One line of a lineage targets file: `URL pcr0=HEX`.
struct LineageTarget {
  std::string url;       // normalised base URL
  std::string pcr0_hex;  // 96 lower-case hex digits
  int line = 0;          // 1-based line number in the file
};

struct LineageWalkStep {
  LineageTarget target;
  std::optional<core::Error> unreachable;  // the visit failed: no report
  Evidence evidence;
  LiveReport report;
};

struct LineageWalkReport {
  std::vector<LineageWalkStep> steps;  // oldest first
  Verdict verdict = Verdict::kRejected;
  // The first failure: a step's (index = the step, 0-based) or the chain's.
  std::optional<core::Error> error;
};

// Judges visits[i], the visit of targets[i] (same size, oldest first): each against
// `expectations` plus PCR0 = targets[i].pcr0_hex (PCR_MISMATCH otherwise) with retired
// enclaves allowed; then the chain (VerifyLineage: genesis first, each previous_pcr0 the PCR0
// before, no PCR0 twice) and the hand-overs: a step that says migrated_to_pcr0 must name the
// next step's PCR0 (kLineageBroken), and the last step must not be retired (kEnclaveRetired:
// the key lives in an image the file does not list). Every error's index is its step. Never
// throws except std::bad_alloc.
LineageWalkReport VerifyLineageWalk(const std::vector<LineageTarget>& targets,
                                    std::vector<core::Result<Evidence>> visits,
                                    const TrustAnchor& root, const LiveExpectations& expectations);

// {"media_type", "verdict", "error", "chain": ["genesis", PCR0...], "steps": [{"index",
//  "url", "line", "expected_pcr0", "verdict", "error", "previous_pcr0", "retired",
//  "migrated_to_pcr0", "report": verify-live+json | null}]}.
nlohmann::json LineageWalkToJson(const LineageWalkReport& report);

// One line per step, then the chain and its verdict.
void RenderLineageWalkText(std::ostream& out, const LineageWalkReport& report);

}  // namespace enclavectl::verifier
