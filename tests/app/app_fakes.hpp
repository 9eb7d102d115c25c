// Test doubles for enclave-app's service layer: an in-process KMS that honours Recipient
// (it verifies the attestation document against the simulator's development root, applies a
// PCR0 condition, computes real P-256 ECDH and answers with real CMS), an in-memory sealed-key
// store, a log that keeps its lines, and simulated enclaves booted from one development CA.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "enclavectl/app/enclave_kms.hpp"
#include "enclavectl/app/nsm_simulator.hpp"
#include "enclavectl/app/sealed_store.hpp"
#include "enclavectl/app/service.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/kmspolicy/net/retry.hpp"
#include "enclavectl/verifier/trust.hpp"

namespace enclavectl::testing {

// The development CA of this test process (created once) and its root as a trust anchor.
const verifier::devca::DevCa& TestCa();
const verifier::TrustAnchor& TestRoot();
// The simulators' clock: 2025-01-01T00:01:00Z.
const core::io::Clock& TestClock();

// Bytes of a hex literal (the test fails on bad hex).
core::Bytes HexBytes(std::string_view hex);

// reproducible-key.md computed independently of enclave-app: OpenSSL ECDH between the KMS
// key's scalar and the NUMS point, the increment rule, then s*G on OpenSSL's secp256k1 (not
// libsecp256k1). Returns the 65-byte uncompressed public key.
core::Bytes IndependentReproducibleKey(std::string_view kms_scalar_hex,
                                       const std::optional<core::Sha256Digest>& blockhash);

// A retry sleeper that does not sleep.
class NoSleep final : public kmspolicy::net::Sleeper {
 public:
  void SleepMs(std::int64_t /*ms*/) override {}
};

// A simulated enclave booted with PCR0 = `pcr0` (48 bytes), PCR1/2 fixed.
struct SimulatedEnclave {
  explicit SimulatedEnclave(const core::Bytes& pcr0);
  std::unique_ptr<app::NsmSimulator> nsm;
  std::unique_ptr<app::NsmClient> client;
};

class FakeKms final : public app::EnclaveKms {
 public:
  FakeKms();
  // A KEY_AGREEMENT P-256 key with a fixed private scalar (32 bytes).
  void AddAgreementKey(const std::string& key_id, core::ByteView private_scalar);
  // A symmetric key for GenerateDataKey / Decrypt.
  void AddSymmetricKey(const std::string& key_id);
  // Like a locked key policy: requests whose verified document has another PCR0 are denied.
  void RequirePcr0(const std::string& key_id, const core::Bytes& pcr0);
  // The next call fails with `code`.
  void FailNext(core::ErrorCode code) { fail_next_ = code; }
  int Calls() const { return calls_; }

  core::Result<core::Bytes> DeriveSharedSecret(const std::string& key_id, core::ByteView peer_spki,
                                               core::ByteView attestation_document) override;
  core::Result<app::SealedDataKey> GenerateDataKey(const std::string& key_id,
                                                   std::uint32_t number_of_bytes,
                                                   const app::EncryptionContext& context,
                                                   core::ByteView attestation_document) override;
  core::Result<core::Bytes> Decrypt(const std::string& key_id, core::ByteView ciphertext_blob,
                                    const app::EncryptionContext& context,
                                    core::ByteView attestation_document) override;

 private:
  // Verifies the document and checks the key's PCR0 condition; returns the recipient's
  // public key (the document's public_key).
  core::Result<core::EvpPkeyPtr> Admit(const std::string& key_id, core::ByteView document);
  core::Result<core::Bytes> Wrap(core::ByteView plaintext, EVP_PKEY* recipient);

  std::mutex mutex_;
  std::map<std::string, core::EvpPkeyPtr> agreement_keys_;
  std::map<std::string, core::Bytes> symmetric_keys_;
  std::map<std::string, core::Bytes> required_pcr0_;
  std::optional<core::ErrorCode> fail_next_;
  int calls_ = 0;
};

class MemoryStore final : public app::SealedKeyStore {
 public:
  core::Result<std::optional<std::string>> Load() override;
  core::Status Create(std::string_view text) override;
  std::string Describe() const override { return "memory store"; }
  std::optional<std::string> text;
  // Simulates another instance sealing between our Load and Create.
  std::optional<std::string> inject_before_create;
};

class CaptureLog final : public app::LogSink {
 public:
  void Log(app::LogLevel level, std::string_view line) override;
  std::vector<std::string> Lines() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

}  // namespace enclavectl::testing
