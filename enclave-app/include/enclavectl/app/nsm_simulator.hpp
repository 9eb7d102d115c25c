// An NSM answered in-process (nsm.md sections 3-5): 32 SHA-384 PCRs, 0-15 locked at boot,
// user PCRs extendable and lockable, attestation documents in the real format signed by a
// development CA (verifier/devca.hpp) whose root is never trusted by default.
#pragma once

#include <array>
#include <mutex>

#include "enclavectl/app/nsm.hpp"
#include "enclavectl/core/file_io.hpp"
#include "enclavectl/verifier/devca.hpp"

namespace enclavectl::app {

struct SimulatorOptions {
  // Boot values of PCRs 0..15 (from an EIF's measurements or a pcr.json). Unset PCRs are
  // zero, except PCR4, which defaults to SHA-384(0^48 || instance id) as on EC2.
  verifier::PcrMap boot_pcrs;
  // Refuse user_data, nonce or public_key above 1024 bytes with InvalidArgument (the real
  // NSM only enforces the 4 KiB request limit).
  bool strict_field_sizes = false;
  // Encode the payload map with indefinite length like documents from mid-2025 on.
  bool indefinite_payload = false;
  // 64-bit enclave id in module_id and the leaf serial; 0 picks a random one.
  std::uint64_t enclave_id = 0;
};

class NsmSimulator final : public NsmTransport {
 public:
  // Boots a simulated enclave: a new leaf certificate from `ca` valid from now.
  [[nodiscard]] static core::Result<std::unique_ptr<NsmSimulator>> Boot(
      verifier::devca::DevCa ca, const SimulatorOptions& options, const core::io::Clock& clock);

  // Never fails: malformed requests get an InvalidOperation error response, requests above
  // 4096 bytes InputTooLarge, as the device and its driver answer. Thread-safe.
  [[nodiscard]] core::Result<Bytes> Exchange(ByteView request) override;

  // The typed form of Exchange.
  NsmResponse Handle(const NsmRequest& request);

  const std::string& ModuleId() const noexcept { return enclave_.module_id; }
  const verifier::devca::DevCa& Ca() const noexcept { return ca_; }

 private:
  NsmSimulator(verifier::devca::DevCa ca, verifier::devca::Enclave enclave,
               const SimulatorOptions& options, const core::io::Clock& clock);
  NsmResponse Attest(const AttestationRequest& request);

  verifier::devca::DevCa ca_;
  verifier::devca::Enclave enclave_;
  SimulatorOptions options_;
  const core::io::Clock& clock_;
  std::mutex mutex_;
  std::array<Bytes, kNsmMaxPcrs> pcrs_;
  std::array<bool, kNsmMaxPcrs> locked_{};
};

// The development CA kept in a state directory: DIR/devca.json (keys, mode 0600) and
// DIR/root.pem (the root certificate to pass to `enclavectl verify --root`). Created on
// first use, renewed when intermediates near expiry, saved atomically.
// Fails with kIoRead / kIoWrite, or the DevCa codes for a damaged state file.
[[nodiscard]] core::Result<verifier::devca::DevCa> LoadOrCreateDevCa(const std::string& state_dir,
                                                                     const core::io::Clock& clock);

}  // namespace enclavectl::app
