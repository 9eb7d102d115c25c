// Where the simulated enclave's boot PCRs come from (adapter: it reads files): an EIF image
// measured with eifbuild, so that a policy written for a real image works unchanged with the
// simulator, or a nitro-cli pcr.json, plus single PCRs given as N=HEX. Shared by
// `enclavectl nsm attest` and the key service's --dev mode.
#pragma once

#include <string>
#include <vector>

#include "enclavectl/app/nsm_simulator.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::app {

struct SimulatorPcrInputs {
  std::string eif_path;                      // --eif IMAGE: PCR0, PCR1, PCR2 (and PCR8 when signed)
  std::string pcrs_path;                     // --pcrs pcr.json: one measurement set (PCR0..15)
  std::vector<std::string> pcr_assignments;  // --pcr N=HEX, applied last (override)
};

// The boot PCRs the inputs describe. --eif and --pcrs exclude each other; an EIF whose CRC,
// layout, metadata or signature check fails is refused. Fails with kInvalidArgument (both
// sources, a malformed N=HEX), kIoRead, kPolicyInvalid (pcr.json), or the EIF codes (6xx).
[[nodiscard]] core::Result<verifier::PcrMap> LoadSimulatorPcrs(const SimulatorPcrInputs& inputs);

// SimulatorOptions with boot_pcrs from LoadSimulatorPcrs and the other fields at their
// defaults. Fails like LoadSimulatorPcrs.
[[nodiscard]] core::Result<SimulatorOptions> MakeSimulatorOptions(const SimulatorPcrInputs& inputs);

// One attestation document from a simulated enclave (`enclavectl nsm attest`).
struct SimulatedAttestation {
  core::Bytes document;   // COSE_Sign1
  std::string module_id;  // the simulated enclave's
};

// Boots a simulated enclave with `options` under the development CA kept in `state_dir`
// (LoadOrCreateDevCa: created on first use) and asks it once for `request`. Fails like
// LoadOrCreateDevCa, NsmSimulator::Boot and NsmClient::Attestation.
[[nodiscard]] core::Result<SimulatedAttestation> AttestWithSimulator(
    const std::string& state_dir, const SimulatorOptions& options,
    const AttestationRequest& request, const core::io::Clock& clock);

}  // namespace enclavectl::app
