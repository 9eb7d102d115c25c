// Where the policy commands' inputs come from (adapters: files and verified documents): the
// chosen PCR source with its trust settings, key-policy files, and a policy generated from
// them. `policy generate`, `policy simulate` and `lock-policy` call these; tests call them
// directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/kmspolicy/evaluate.hpp"
#include "enclavectl/kmspolicy/generate.hpp"
#include "enclavectl/kmspolicy/policy.hpp"
#include "enclavectl/verifier/trust.hpp"
#include "enclavectl/verifier/verify.hpp"

namespace enclavectl::kmspolicy::io {

// How an attestation document given to a policy command is verified.
struct DocumentTrust {
  std::string root_path;   // PEM root; empty: the pinned AWS Nitro Enclaves root G1
  std::string at = "now";  // "now", "doc" (its own timestamp) or RFC 3339 / Unix seconds
};

// The trust anchor of `trust`. Fails with kIoRead, kInputTooLarge and TrustAnchor::FromPem's
// codes (detail prefixed with the path).
[[nodiscard]] core::Result<verifier::TrustAnchor> LoadTrustAnchor(const DocumentTrust& trust);

// The verification policy of `trust.at` ("now" reads `clock`). Fails with kInvalidArgument.
[[nodiscard]] core::Result<verifier::VerificationPolicy> VerificationPolicyOf(
    const DocumentTrust& trust, const core::io::Clock& clock);

// The PCR source of a generated policy: exactly one of eif, pcrs, attestation, pcr.
struct PcrSourceSpec {
  std::string eif;               // an EIF image, measured
  std::string pcrs;              // a pcr.json (or describe-eif output, or an array of them)
  std::string attestation;       // an attestation document, verified with `trust`
  std::vector<std::string> pcr;  // "N=HEX" assignments
  std::string use_pcrs;          // which PCRs to pin ("0,1,2,8" or "PCR0,..."); empty: default
  DocumentTrust trust;

  bool AnyGiven() const noexcept {
    return !eif.empty() || !pcrs.empty() || !attestation.empty() || !pcr.empty();
  }
};

// Loads the measurements of the one source given. Fails with kInvalidArgument when none or
// several are given, and with the source's codes (pcr_sources.hpp).
[[nodiscard]] core::Result<Measurements> LoadMeasurements(const PcrSourceSpec& source,
                                                          const core::io::Clock& clock);

// `use_pcrs` as PCR indexes 0..31 ("0,1,2,8", "PCR0,pcr8"); nullopt when empty. Fails with
// kInvalidArgument.
[[nodiscard]] core::Result<std::optional<std::vector<std::uint64_t>>> ParsePcrIndexes(
    std::string_view use_pcrs);

// A policy generated from a source, and where its measurements came from.
struct SourcedPolicy {
  Policy policy;
  std::string origin;  // Measurements::origin
};

// GeneratePolicy(options) with options.actions from `actions` (ParseEnclaveActions; empty: the
// default), options.pcr_indexes from source.use_pcrs and options.measurements loaded from
// `source`, checked in that order. Fails with those steps' codes.
[[nodiscard]] core::Result<SourcedPolicy> GenerateFromSource(GenerateOptions options,
                                                             std::string_view actions,
                                                             const PcrSourceSpec& source,
                                                             const core::io::Clock& clock);

// Reads and parses a key-policy file ("-" = stdin). Fails with kIoRead, kInputTooLarge,
// kPolicyJson, kPolicyStructure (detail prefixed with the path).
[[nodiscard]] core::Result<Policy> ReadPolicyFile(const std::string& path);

// A request to evaluate against a policy file, as `policy simulate` is given it.
struct SimulationRequest {
  std::string policy_path;  // "-" = stdin
  std::string principal;
  std::string action;                // "service:Action"
  std::string resource;              // the key ARN; empty: unknown
  std::vector<std::string> context;  // KEY=VALUE condition keys (never attestation keys)
  std::string attestation;           // a document whose verified PCRs become attestation keys
  DocumentTrust trust;
};

// A simulated request and KMS's decision.
struct Simulation {
  Policy policy;
  Request request;  // with the context keys, attestation keys and caller keys
  Evaluation evaluation;
  // "DOC: MODULE, verified at TIME against ROOT; PCR0 0123...", empty without a document.
  std::string attestation_note;
  std::vector<std::string> warnings;  // RequestWarnings: the decision is unchanged
};

// Checks the request (kInvalidArgument: an action without a service, a context entry that is
// not KEY=VALUE or names an attestation key), reads the policy file (ReadPolicyFile's codes),
// verifies the document (LoadTrustAnchor's, VerificationPolicyOf's and the verifier's codes),
// then evaluates (Evaluate's codes), in that order.
[[nodiscard]] core::Result<Simulation> Simulate(const SimulationRequest& input,
                                                const core::io::Clock& clock);

}  // namespace enclavectl::kmspolicy::io
