#include "enclavectl/app/simulator_config.hpp"

#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/eif/io.hpp"
#include "enclavectl/verifier/policy.hpp"

namespace enclavectl::app {

core::Result<verifier::PcrMap> LoadSimulatorPcrs(const SimulatorPcrInputs& inputs) {
  if (!inputs.eif_path.empty() && !inputs.pcrs_path.empty()) {
    return core::Fail(core::ErrorCode::kInvalidArgument,
                      "--eif and --pcrs both give PCR0..2: use one of them");
  }
  verifier::PcrMap pcrs;
  if (!inputs.eif_path.empty()) {
    auto measured = eif::io::MeasureImageFile(inputs.eif_path);
    if (!measured) {
      return core::Fail(measured.error());
    }
    pcrs.insert(measured->begin(), measured->end());
  }
  if (!inputs.pcrs_path.empty()) {
    auto text = core::io::ReadFile(inputs.pcrs_path, core::limits::kMaxPolicyFileBytes);
    if (!text) {
      return core::Fail(text.error());
    }
    auto sets = verifier::ParsePcrSets(core::AsChars(*text));
    if (!sets) {
      return core::Fail(sets.error());
    }
    if (sets->size() != 1) {
      return core::Fail(core::ErrorCode::kPolicyInvalid, "--pcrs must hold one measurement set");
    }
    pcrs = sets->front();
  }
  for (const std::string& text : inputs.pcr_assignments) {
    auto assignment = verifier::ParsePcrAssignment(text);
    if (!assignment) {
      return core::Fail(core::ErrorCode::kInvalidArgument, "--pcr: " + assignment.error().detail);
    }
    pcrs[assignment->first] = std::move(assignment->second);
  }
  return pcrs;
}

core::Result<SimulatorOptions> MakeSimulatorOptions(const SimulatorPcrInputs& inputs) {
  auto pcrs = LoadSimulatorPcrs(inputs);
  if (!pcrs) {
    return core::Fail(pcrs.error());
  }
  SimulatorOptions options;
  options.boot_pcrs = std::move(*pcrs);
  return options;
}

core::Result<SimulatedAttestation> AttestWithSimulator(const std::string& state_dir,
                                                       const SimulatorOptions& options,
                                                       const AttestationRequest& request,
                                                       const core::io::Clock& clock) {
  auto ca = LoadOrCreateDevCa(state_dir, clock);
  if (!ca) {
    return core::Fail(ca.error());
  }
  auto sim = NsmSimulator::Boot(std::move(*ca), options, clock);
  if (!sim) {
    return core::Fail(sim.error());
  }
  NsmClient client(**sim);
  auto document = client.Attestation(request);
  if (!document) {
    return core::Fail(document.error());
  }
  return SimulatedAttestation{std::move(*document), (*sim)->ModuleId()};
}

}  // namespace enclavectl::app
