// What `policy` and `lock-policy` share: the PCR-source flags, reading a policy file, and
// rendering a lint report (text and JSON).
#pragma once

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/kmspolicy/generate.hpp"
#include "enclavectl/kmspolicy/lint.hpp"
#include "enclavectl/kmspolicy/policy.hpp"
#include "enclavectl/verifier/trust.hpp"
#include "enclavectl/verifier/verify.hpp"

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
struct DocumentTrustFlags {
  std::string root_path;
  std::string at = "now";

  void Add(CLI::App* cmd);
  // The trust anchor (the pinned AWS root unless --root) and the verification policy.
  [[nodiscard]] core::Result<verifier::TrustAnchor> LoadRoot() const;
  [[nodiscard]] core::Result<verifier::VerificationPolicy> Policy(
      const core::io::Clock& clock) const;
};

// --eif | --pcrs | --attestation | --pcr (exactly one kind), and --use-pcrs.
struct PcrSourceFlags {
  std::string eif;
  std::string pcrs;
  std::string attestation;
  std::vector<std::string> pcr;
  std::string use_pcrs;
  DocumentTrustFlags trust;

  void Add(CLI::App* cmd);
  // Loads the measurements from the chosen source. Fails with kInvalidArgument when none or
  // several sources are given, and with the source's codes.
  [[nodiscard]] core::Result<kmspolicy::Measurements> Load(const core::io::Clock& clock) const;
  // --use-pcrs as indexes; nullopt when not given.
  [[nodiscard]] core::Result<std::optional<std::vector<std::uint64_t>>> Indexes() const;
};

// Reads and parses a key-policy file ("-" = stdin). Fails with kIoRead, kInputTooLarge,
// kPolicyJson, kPolicyStructure (detail prefixed with the path).
[[nodiscard]] core::Result<kmspolicy::Policy> ReadPolicyFile(const std::string& path);

// The lint report for people.
void RenderLintText(std::ostream& out, const std::string& title, const kmspolicy::Policy& policy,
                    const kmspolicy::LintReport& report);

// The lint report as JSON (verdicts, findings with statement index and Sid).
nlohmann::json LintToJson(const kmspolicy::Policy& policy, const kmspolicy::LintReport& report);

// "PCR0,PCR1,PCR2" of the PCRs the first attested statement pins (for summaries).
std::string PinnedPcrs(const kmspolicy::Policy& policy);

}  // namespace enclavectl::cli
