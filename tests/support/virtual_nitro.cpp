#include "virtual_nitro.hpp"

#include <cstdlib>
#include <iostream>

namespace enclavectl::testing {
namespace {

template <typename T>
T OrDie(core::Result<T> result, const char* what) {
  if (!result) {
    std::cerr << "virtual Nitro: " << what << ": " << result.error().detail << "\n";
    std::abort();
  }
  return std::move(*result);
}

}  // namespace

const VirtualNitro& VirtualNitro::Get() {
  static const VirtualNitro* instance = [] {
    verifier::devca::Options options;
    options.now = kVirtualNow;
    auto ca = OrDie(verifier::devca::DevCa::Create(options), "create CA");
    auto root = OrDie(verifier::TrustAnchor::FromDer(ca.Root().der), "load root");
    auto enclave = OrDie(ca.StartEnclave(kVirtualNow, 0x0193685e7fee7d85ULL), "start enclave");
    return new VirtualNitro(std::move(ca), std::move(root),
                            std::move(enclave));  // NOLINT: lives for the process
  }();
  return *instance;
}

core::Bytes VirtualNitro::Mint(const verifier::devca::DocumentSpec& spec) const {
  return OrDie(ca_.Attest(enclave_, spec), "attest");
}

verifier::AttestationDocument VirtualNitro::Fields(
    const verifier::devca::DocumentSpec& spec) const {
  return ca_.DocumentFor(enclave_, spec);
}

core::Bytes VirtualNitro::SignPayload(core::ByteView payload) const {
  return OrDie(verifier::devca::SignPayload(enclave_.leaf.key.get(), payload), "sign payload");
}

verifier::VerificationPolicy VirtualNitro::PolicyNow() {
  verifier::VerificationPolicy policy;
  policy.time = core::UnixMillis{kVirtualNow.value + 2000};
  return policy;
}

verifier::VerificationReport VirtualNitro::Verify(core::ByteView doc,
                                                  const verifier::VerificationPolicy& policy,
                                                  verifier::ChainCache* cache) const {
  const verifier::VerifierConfig config{&root_, cache};
  return verifier::Verify(doc, config, policy);
}

}  // namespace enclavectl::testing
