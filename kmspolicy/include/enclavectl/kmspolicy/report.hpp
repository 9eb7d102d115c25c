// A lint report for people (text) and machines (JSON), next to the lint it renders; used by
// `policy generate`, `policy lint` and `lock-policy`.
#pragma once

#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "enclavectl/kmspolicy/evaluate.hpp"
#include "enclavectl/kmspolicy/lint.hpp"
#include "enclavectl/kmspolicy/policy.hpp"

namespace enclavectl::kmspolicy {

// The lint report for people: statement count, the two verdicts with their reasons, findings.
void RenderLintText(std::ostream& out, const std::string& title, const Policy& policy,
                    const LintReport& report);

// The lint report as JSON: {"statements": N, "properties": {"enclave_only": {"holds",
// "reasons"}, "locked": {...}}, "findings": [{"rule", "severity", "statement", "sid",
// "message"}]} (snake_case keys; the command adds media_type and verdict).
nlohmann::json LintToJson(const Policy& policy, const LintReport& report);

// The properties a lint was asked to require, as checks: [{"name": "enclave_only" | "locked",
// "status": "pass" | "fail" | "skipped"}]; a property not required is skipped.
nlohmann::json LintChecksToJson(const LintReport& report, const LintRequirements& required);

// A simulated request and its evaluation for people: ALLOW/DENY, the deciding statement, the
// attestation (`attestation_note`, empty: none) and why each statement applied or not.
void RenderEvaluationText(std::ostream& out, const Policy& policy, const Request& request,
                          const Evaluation& evaluation, const std::string& attestation_note);

// A simulated request and its evaluation as JSON: {"request": {"principal", "action",
// "resource" (null: unknown), "context"}, "deciding_statement": N | null, "statements":
// [{"index", "sid", "effect", "applies", "reason"}]} (the command adds media_type, verdict).
nlohmann::json EvaluationToJson(const Policy& policy, const Request& request,
                                const Evaluation& evaluation);

// "PCR0,PCR1,PCR2" of the PCRs the first attested statement pins (for summaries).
std::string PinnedPcrs(const Policy& policy);

}  // namespace enclavectl::kmspolicy
