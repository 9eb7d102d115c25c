// What `policy` and `lock-policy` share: the PCR-source flags and rendering a lint report
// (text and JSON). Reading the sources is kmspolicy/io/policy_sources.hpp.
#pragma once

#include <ostream>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "enclavectl/kmspolicy/io/policy_sources.hpp"
#include "enclavectl/kmspolicy/lint.hpp"
#include "enclavectl/kmspolicy/policy.hpp"

namespace enclavectl::cli {

inline constexpr const char* kPolicyGenerateMediaType =
    "application/vnd.enclavectl.policy-generate+json;version=1";
inline constexpr const char* kPolicyLintMediaType =
    "application/vnd.enclavectl.policy-lint+json;version=1";
inline constexpr const char* kPolicySimulateMediaType =
    "application/vnd.enclavectl.policy-simulate+json;version=1";
inline constexpr const char* kLockPolicyMediaType =
    "application/vnd.enclavectl.lock-policy+json;version=1";

// --root and --at, as `verify` reads them, for the documents policy commands verify.
void AddDocumentTrustFlags(CLI::App* cmd, kmspolicy::io::DocumentTrust& trust);

// --eif | --pcrs | --attestation | --pcr (exactly one kind), --use-pcrs, --root and --at.
void AddPcrSourceFlags(CLI::App* cmd, kmspolicy::io::PcrSourceSpec& source);

// The lint report for people.
void RenderLintText(std::ostream& out, const std::string& title, const kmspolicy::Policy& policy,
                    const kmspolicy::LintReport& report);

// The lint report as JSON (verdicts, findings with statement index and Sid).
nlohmann::json LintToJson(const kmspolicy::Policy& policy, const kmspolicy::LintReport& report);

// "PCR0,PCR1,PCR2" of the PCRs the first attested statement pins (for summaries).
std::string PinnedPcrs(const kmspolicy::Policy& policy);

}  // namespace enclavectl::cli
