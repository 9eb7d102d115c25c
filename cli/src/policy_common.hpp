// What `policy` and `lock-policy` share: the PCR-source flags and the media types. Reading
// the sources is kmspolicy/io/policy_sources.hpp; rendering a lint report kmspolicy/report.hpp.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "enclavectl/kmspolicy/io/policy_sources.hpp"
#include "enclavectl/kmspolicy/report.hpp"

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

// The lint report's renderers live beside the lint (kmspolicy/report.hpp).
using kmspolicy::LintToJson;
using kmspolicy::PinnedPcrs;
using kmspolicy::RenderLintText;

}  // namespace enclavectl::cli
