// Upgrade lineage (verify layer: pure; docs/migration.md). Each image names, in its measured
// image config, the PCR0 of the image it replaces ("genesis" for the first); a verifier that
// knows the PCR0 of every image walks genesis -> v1 -> v2 and checks each link.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "enclavectl/core/result.hpp"

namespace enclavectl::verifier {

// One image of a lineage: its PCR0 (96 hex, attested or measured) and the previous_pcr0 its
// image config names (as /v1/enclave-info reports it, signed by its attestation key).
struct LineageStep {
  std::string name;           // for messages ("v1", a URL)
  std::string pcr0_hex;       // 96 hex digits, either case
  std::string previous_pcr0;  // "genesis" or 96 hex digits
};

// Checks that `claimed` (a service's previous_pcr0, untrusted) is `expected` ("genesis" or 96
// hex digits; hex compared case-insensitively). Fails with kPreviousPcr0Mismatch.
[[nodiscard]] core::Status CheckPreviousPcr0(std::string_view claimed, std::string_view expected);

// Walks `chain`, oldest first: step 0 must name "genesis", every later step the PCR0 of the
// step before it, and no PCR0 may appear twice. Fails with kLineageInvalid (no steps, a PCR0
// or previous_pcr0 that is neither 96 hex digits nor "genesis") or kLineageBroken (a link
// that does not hold, a repeated PCR0); Error::index is the step.
[[nodiscard]] core::Status VerifyLineage(std::span<const LineageStep> chain);

}  // namespace enclavectl::verifier
