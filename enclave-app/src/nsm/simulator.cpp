// The NSM simulator (nsm.md sections 3-5).
#include <openssl/rand.h>

#include "enclavectl/app/nsm_simulator.hpp"
#include "enclavectl/core/sha.hpp"

namespace enclavectl::app {
namespace {

constexpr std::uint16_t kFirstUserPcr = 16;
constexpr std::size_t kMaxFieldStrict = 1024;

NsmResponse Error(NsmErrorCode code) { return ErrorResponse{code}; }

std::uint64_t RandomEnclaveId() {
  std::uint64_t id = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&id), sizeof(id)) != 1) {  // NOLINT
    throw std::bad_alloc();
  }
  // Like AWS's ids, which start 01..: keep the top byte small and non-zero.
  return (id & 0x00ffffffffffffffULL) | 0x0100000000000000ULL;
}

}  // namespace

core::Result<std::unique_ptr<NsmSimulator>> NsmSimulator::Boot(verifier::devca::DevCa ca,
                                                               const SimulatorOptions& options,
                                                               const core::io::Clock& clock) {
  for (const auto& [index, value] : options.boot_pcrs) {
    if (index >= kFirstUserPcr || value.size() != 48) {
      return core::Fail(core::ErrorCode::kInvalidArgument,
                        "boot PCRs are 0..15 with 48-byte SHA-384 values");
    }
  }
  const std::uint64_t id = options.enclave_id != 0 ? options.enclave_id : RandomEnclaveId();
  auto enclave = ca.StartEnclave(clock.Now(), id);
  if (!enclave) {
    return core::Fail(enclave.error());
  }
  return std::unique_ptr<NsmSimulator>(  // NOLINT: private constructor
      new NsmSimulator(std::move(ca), std::move(*enclave), options, clock));
}

NsmSimulator::NsmSimulator(verifier::devca::DevCa ca, verifier::devca::Enclave enclave,
                           const SimulatorOptions& options, const core::io::Clock& clock)
    : ca_(std::move(ca)), enclave_(std::move(enclave)), options_(options), clock_(clock) {
  for (std::size_t i = 0; i < pcrs_.size(); ++i) {
    pcrs_[i] = Bytes(48, 0);
    locked_[i] = i < kFirstUserPcr;  // the hypervisor locks 0..15 at boot
  }
  // PCR4: SHA-384(0^48 || parent instance id), as on EC2 (nsm.md 4).
  core::Sha384Hasher pcr4;
  pcr4.Update(Bytes(48, 0));
  pcr4.Update(core::AsBytes(ca_.GetOptions().instance_id));
  const core::Sha384Digest instance = pcr4.Finish();
  pcrs_[4].assign(instance.begin(), instance.end());
  for (const auto& [index, value] : options.boot_pcrs) {
    pcrs_[index] = value;
  }
}

core::Result<Bytes> NsmSimulator::Exchange(ByteView request) {
  if (request.size() > kNsmRequestMaxSize) {
    return EncodeResponse(Error(NsmErrorCode::kInputTooLarge));
  }
  auto decoded = DecodeRequest(request);
  if (!decoded) {
    return EncodeResponse(Error(NsmErrorCode::kInvalidOperation));
  }
  return EncodeResponse(Handle(*decoded));
}

NsmResponse NsmSimulator::Handle(const NsmRequest& request) {
  std::lock_guard lock(mutex_);
  struct Handler {
    NsmSimulator& sim;
    NsmResponse operator()(const DescribePcrRequest& r) const {
      if (r.index >= kNsmMaxPcrs) {
        return Error(NsmErrorCode::kInvalidIndex);
      }
      return DescribePcrResponse{sim.locked_[r.index], sim.pcrs_[r.index]};
    }
    NsmResponse operator()(const ExtendPcrRequest& r) const {
      if (r.index >= kNsmMaxPcrs) {
        return Error(NsmErrorCode::kInvalidIndex);
      }
      if (sim.locked_[r.index]) {
        return Error(NsmErrorCode::kReadOnlyIndex);
      }
      core::Sha384Hasher hasher;  // new = SHA-384(old || data)
      hasher.Update(sim.pcrs_[r.index]);
      hasher.Update(r.data);
      const core::Sha384Digest value = hasher.Finish();
      sim.pcrs_[r.index].assign(value.begin(), value.end());
      return ExtendPcrResponse{sim.pcrs_[r.index]};
    }
    NsmResponse operator()(const LockPcrRequest& r) const {
      if (r.index >= kNsmMaxPcrs) {
        return Error(NsmErrorCode::kInvalidIndex);
      }
      if (sim.locked_[r.index]) {
        return Error(NsmErrorCode::kReadOnlyIndex);
      }
      sim.locked_[r.index] = true;
      return LockPcrResponse{};
    }
    NsmResponse operator()(const LockPcrsRequest& r) const {
      if (r.range > kNsmMaxPcrs) {
        return Error(NsmErrorCode::kInvalidIndex);
      }
      for (std::uint16_t i = 0; i < r.range; ++i) {
        sim.locked_[i] = true;
      }
      return LockPcrsResponse{};
    }
    NsmResponse operator()(const DescribeNsmRequest& /*r*/) const {
      DescribeNsmResponse out;
      out.module_id = sim.enclave_.module_id;
      for (std::uint16_t i = 0; i < kNsmMaxPcrs; ++i) {
        if (sim.locked_[i]) {
          out.locked_pcrs.push_back(i);
        }
      }
      return out;
    }
    NsmResponse operator()(const GetRandomRequest& /*r*/) const {
      Bytes random(kNsmRandomSize);
      if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
        return Error(NsmErrorCode::kInternalError);
      }
      return GetRandomResponse{std::move(random)};
    }
    NsmResponse operator()(const AttestationRequest& r) const { return sim.Attest(r); }
  };
  return std::visit(Handler{*this}, request);
}

NsmResponse NsmSimulator::Attest(const AttestationRequest& request) {
  if (options_.strict_field_sizes) {
    for (const auto* field : {&request.user_data, &request.nonce, &request.public_key}) {
      if (field->has_value() && (*field)->size() > kMaxFieldStrict) {
        return Error(NsmErrorCode::kInvalidArgument);
      }
    }
  }
  verifier::devca::DocumentSpec spec;
  spec.pcrs.emplace();
  // Only locked PCRs appear in a document (nsm.md 4).
  for (std::uint16_t i = 0; i < kNsmMaxPcrs; ++i) {
    if (locked_[i]) {
      (*spec.pcrs)[i] = pcrs_[i];
    }
  }
  spec.timestamp = clock_.Now();
  spec.user_data = request.user_data;
  spec.nonce = request.nonce;
  spec.public_key = request.public_key;
  spec.indefinite_map = options_.indefinite_payload;
  auto document = ca_.Attest(enclave_, spec);
  if (!document || document->size() > kNsmResponseMaxSize - 64) {
    return Error(NsmErrorCode::kInternalError);
  }
  return AttestationResponse{std::move(*document)};
}

}  // namespace enclavectl::app
