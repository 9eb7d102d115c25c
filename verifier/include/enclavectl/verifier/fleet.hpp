// Verifying a fleet of live key services (verify layer: pure): the evidence of every visit
// judged against one set of expectations, with one warm certificate cache so that the
// shared root/regional/zonal prefix is verified once.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "enclavectl/core/result.hpp"
#include "enclavectl/verifier/chain.hpp"
#include "enclavectl/verifier/evidence.hpp"
#include "enclavectl/verifier/live.hpp"
#include "enclavectl/verifier/trust.hpp"

namespace enclavectl::verifier {

inline constexpr const char* kFleetMediaType =
    "application/vnd.enclavectl.verify-fleet+json;version=1";

struct FleetEntry {
  std::string url;
  std::optional<core::Error> unreachable;  // the visit failed: no evidence, no report
  Evidence evidence;
  LiveReport report;
};

struct FleetReport {
  std::vector<FleetEntry> entries;  // in target order
  std::size_t accepted = 0;
  std::size_t rejected = 0;
  std::size_t malformed = 0;
  std::size_t unreachable = 0;
  // The error of the first entry (in target order) that was not accepted, if any.
  std::optional<core::Error> first_failure;
  ChainCache::Stats cache;
  nlohmann::json options;  // the options recorded in every visit's evidence
};

// Judges visits[i], the visit of urls[i] (same size), against `root` and `expectations`;
// each evidence gets `recorded_options` as its options. Never throws except std::bad_alloc.
FleetReport VerifyFleet(const std::vector<std::string>& urls,
                        std::vector<core::Result<Evidence>> visits, const TrustAnchor& root,
                        const LiveExpectations& expectations,
                        const nlohmann::json& recorded_options);

// {"media_type", "verdict" (that of the first failure, as the exit code), "targets":
//  [verify-live+json | {"url", "verdict": "error", "error"} (unreachable)], "summary":
//  {...counts, "chain_cache"}, "options"} -- see docs/verify.md.
nlohmann::json FleetReportToJson(const FleetReport& report);

}  // namespace enclavectl::verifier
