// A lint report for people (text) and machines (JSON), next to the lint it renders; used by
// `policy generate`, `policy lint` and `lock-policy`.
#pragma once

#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "enclavectl/kmspolicy/lint.hpp"
#include "enclavectl/kmspolicy/policy.hpp"

namespace enclavectl::kmspolicy {

// The lint report for people: statement count, the two verdicts with their reasons, findings.
void RenderLintText(std::ostream& out, const std::string& title, const Policy& policy,
                    const LintReport& report);

// The lint report as JSON (verdicts, findings with statement index and Sid).
nlohmann::json LintToJson(const Policy& policy, const LintReport& report);

// "PCR0,PCR1,PCR2" of the PCRs the first attested statement pins (for summaries).
std::string PinnedPcrs(const Policy& policy);

}  // namespace enclavectl::kmspolicy
