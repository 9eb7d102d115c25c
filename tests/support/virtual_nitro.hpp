// The test "virtual Nitro": a development CA in AWS's shape (verifier/devca) with one
// enclave, created once per test process at a fixed time, minting documents with chosen
// PCRs, user data, nonce and timestamp. Its root is trusted only where a test says so.
#pragma once

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/time.hpp"
#include "enclavectl/verifier/devca.hpp"
#include "enclavectl/verifier/policy.hpp"
#include "enclavectl/verifier/trust.hpp"
#include "enclavectl/verifier/verify.hpp"

namespace enclavectl::testing {

// 2025-01-01T00:00:00Z: the hierarchy is issued at this time and the enclave boots then.
inline constexpr core::UnixMillis kVirtualNow{1735689600000};

class VirtualNitro {
 public:
  static const VirtualNitro& Get();

  const verifier::devca::DevCa& Ca() const { return ca_; }
  const verifier::TrustAnchor& Root() const { return root_; }
  const verifier::devca::Enclave& Enclave() const { return enclave_; }

  // A signed document for the enclave.
  core::Bytes Mint(const verifier::devca::DocumentSpec& spec = {}) const;
  // The fields Mint would sign.
  verifier::AttestationDocument Fields(const verifier::devca::DocumentSpec& spec = {}) const;
  // Signs an arbitrary payload with the enclave's leaf key.
  core::Bytes SignPayload(core::ByteView payload) const;

  // A policy verifying at the document's default timestamp + 1 s.
  static verifier::VerificationPolicy PolicyNow();

  // Verifies `doc` against the virtual root.
  verifier::VerificationReport Verify(core::ByteView doc,
                                      const verifier::VerificationPolicy& policy = PolicyNow(),
                                      verifier::ChainCache* cache = nullptr) const;

 private:
  VirtualNitro(verifier::devca::DevCa ca, verifier::TrustAnchor root,
               verifier::devca::Enclave enclave)
      : ca_(std::move(ca)), root_(std::move(root)), enclave_(std::move(enclave)) {}
  verifier::devca::DevCa ca_;
  verifier::TrustAnchor root_;
  verifier::devca::Enclave enclave_;
};

}  // namespace enclavectl::testing
