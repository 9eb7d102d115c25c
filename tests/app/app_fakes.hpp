// Test doubles for enclave-app's service layer: an in-process KMS that honours Recipient
// (it verifies the attestation document against the simulator's development root, applies a
// PCR0 condition, computes real P-256 ECDH and answers with real CMS), an in-memory sealed-key
// store, a log that keeps its lines, and simulated enclaves booted from one development CA.
#pragma once

#include <condition_variable>
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
#include "enclavectl/aws/retry.hpp"
#include "enclavectl/core/handles.hpp"
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
class NoSleep final : public aws::Sleeper {
 public:
  void SleepMs(std::int64_t /*ms*/) override {}
};

// A simulated enclave booted with PCR0 = `pcr0` (48 bytes), PCR1/2 fixed.
struct SimulatedEnclave {
  explicit SimulatedEnclave(const core::Bytes& pcr0);
  std::unique_ptr<app::NsmSimulator> nsm;
  std::unique_ptr<app::NsmClient> client;
};

// Key policy texts for the fakes (kms.md 7), for the enclave role
// arn:aws:iam::111122223333:role/enclave:
//   kEnclaveOnly:    attested Decrypt/GenerateDataKey/DeriveSharedSecret pinned to `pcr0_hex`
//                    (96 hex), DescribeKey/GetKeyPolicy unattested, nobody can change it
//                    (enclave-only and locked);
//   kAllowsEncrypt:  the same plus kms:Encrypt for the role without attestation (the parent,
//                    holding the role's credentials, can seal a secret of its choice);
//   kUnattested:     Decrypt and DeriveSharedSecret for the role without attestation;
//   kAdminCanChange: enclave-only, but the account root may PutKeyPolicy (not locked).
enum class PolicyKind : std::uint8_t { kEnclaveOnly, kAllowsEncrypt, kUnattested, kAdminCanChange };
std::string MakeKeyPolicy(PolicyKind kind, const std::string& pcr0_hex);
inline constexpr const char* kEnclaveRoleArn = "arn:aws:iam::111122223333:role/enclave";

class FakeKms final : public app::EnclaveKms {
 public:
  FakeKms();
  // A KEY_AGREEMENT P-256 key with a fixed private scalar (32 bytes).
  void AddAgreementKey(const std::string& key_id, core::ByteView private_scalar);
  // A symmetric key for GenerateDataKey / Decrypt.
  void AddSymmetricKey(const std::string& key_id);
  // Like a locked key policy: requests whose verified document has another PCR0 are denied.
  void RequirePcr0(const std::string& key_id, const core::Bytes& pcr0);
  // The next call fails with `code` (and `message`, as KMS's error text would read).
  void FailNext(core::ErrorCode code, std::string message = "injected failure") {
    fail_next_ = code;
    fail_message_ = std::move(message);
  }
  int Calls() const { return calls_; }
  // An alias (alias/name) DescribeKey resolves to `arn`.
  void AddAlias(const std::string& alias, const std::string& arn);
  // The policy GetKeyPolicy returns for `key_arn`; without one, MakeKeyPolicy(kEnclaveOnly)
  // for the key's required PCR0 (or 48 bytes of 0xa0).
  void SetKeyPolicy(const std::string& key_arn, std::string text);
  // What DescribeKey reports as the key's Origin (default AWS_KMS) and MultiRegion.
  void SetKeyMaterial(const std::string& key_arn, std::string origin, bool multi_region);
  // While blocked, DescribeKey waits until Unblock (a KMS that takes its time).
  void Block();
  void Unblock();
  // Number of DescribeKey calls that are waiting in Block.
  int Waiting();

  core::Result<core::Bytes> DeriveSharedSecret(const std::string& key_id, core::ByteView peer_spki,
                                               core::ByteView attestation_document) override;
  core::Result<app::SealedDataKey> GenerateDataKey(const std::string& key_id,
                                                   std::uint32_t number_of_bytes,
                                                   const app::EncryptionContext& context,
                                                   core::ByteView attestation_document) override;
  core::Result<core::Bytes> Decrypt(const std::string& key_id, core::ByteView ciphertext_blob,
                                    const app::EncryptionContext& context,
                                    core::ByteView attestation_document) override;
  core::Result<aws::KeyMetadata> DescribeKey(const std::string& key_id) override;
  core::Result<std::string> GetKeyPolicy(const std::string& key_id) override;
  // What the parent can do with kms:Encrypt (no attestation): a blob of `plaintext` (32
  // bytes) that Decrypt accepts, under `key_id` with `context`.
  core::Bytes EncryptUnattested(const std::string& key_id, core::ByteView plaintext,
                                const app::EncryptionContext& context);

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
  std::string fail_message_;
  std::map<std::string, std::string> aliases_;
  std::map<std::string, std::string> policies_;
  std::map<std::string, std::pair<std::string, bool>> key_material_;
  std::condition_variable blocked_cv_;
  bool blocked_ = false;
  int waiting_ = 0;
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
