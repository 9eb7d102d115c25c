// A development certificate authority in the shape of AWS's Nitro PKI (root -> regional ->
// zonal -> instance -> per-enclave leaf, P-384 / ECDSA-SHA384 everywhere, the same
// extensions and lifetimes; nsm.md section 5.4) that mints attestation documents.
//
// Used by the test "virtual Nitro" and by the NSM simulator. Its root is never a default
// trust anchor: a verifier accepts its documents only when given its root explicitly
// (`enclavectl verify --root DEV_ROOT.pem`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/time.hpp"
#include "enclavectl/verifier/document.hpp"

namespace enclavectl::verifier::devca {

// A certificate with its private key.
struct KeyedCertificate {
  core::X509Ptr cert;
  core::EvpPkeyPtr key;
  Bytes der;
};

// Everything that varies between the certificates of the hierarchy; tests use it to mint
// deliberately broken certificates.
struct CertificateSpec {
  std::vector<std::pair<std::string, std::string>> subject;  // RDNs in encoding order
  Bytes serial;                                              // big-endian, non-empty
  core::UnixMillis not_before{};
  core::UnixMillis not_after{};
  bool is_ca = false;
  std::optional<int> path_length;  // CA only
  std::string key_usage;           // OpenSSL syntax: "digitalSignature,keyCertSign"
  bool key_usage_critical = true;
  bool key_identifiers = true;  // SKI (and AKI when an issuer is given)
  bool p256_key = false;        // a P-256 key instead of P-384 (negative tests)
  // Further extensions as (NID, OpenSSL config value), e.g.
  // {NID_name_constraints, "critical,permitted;DNS:example.com"}.
  std::vector<std::pair<int, std::string>> extra_extensions;
};

// Issues a certificate for a fresh key (P-384 unless spec.p256_key). With `issuer` null it
// is self-signed. Signed with ECDSA-SHA384. Fails with kInternal.
[[nodiscard]] core::Result<KeyedCertificate> IssueCertificate(const CertificateSpec& spec,
                                                              const KeyedCertificate* issuer);

// An enclave: its module id and its leaf certificate and key.
struct Enclave {
  std::string module_id;  // i-<instance>-enc<16 hex>
  core::UnixMillis boot_time{};
  KeyedCertificate leaf;
};

// What to put in a document. Fields left unset get realistic defaults: PCR0..15, 48 bytes,
// with non-zero PCR0/1/2 (not debug mode) and PCR4 = SHA-384(0^48 || instance id).
struct DocumentSpec {
  std::optional<PcrMap> pcrs;
  std::optional<core::UnixMillis> timestamp;  // default: the enclave's boot time + 1 s
  std::optional<Bytes> public_key;
  std::optional<Bytes> user_data;
  std::optional<Bytes> nonce;
  bool indefinite_map = false;  // 0xbf ... 0xff payload like documents from mid-2025 on
  bool tagged = false;          // COSE tag 18 (real documents are untagged)
};

struct Options {
  std::string region = "us-east-1";
  std::string instance_id = "i-0e1d2c3b4a5968778";
  core::UnixMillis now{};  // issue time of the hierarchy
};

class DevCa {
 public:
  // Creates a fresh hierarchy whose certificates are valid around `options.now` with the
  // lifetimes AWS uses (root 30 years, regional 20 days, zonal 6 days, instance 1 day).
  [[nodiscard]] static core::Result<DevCa> Create(const Options& options);

  const KeyedCertificate& Root() const noexcept { return chain_[0]; }
  // root, regional, zonal, instance.
  const std::vector<KeyedCertificate>& Chain() const noexcept { return chain_; }
  std::vector<Bytes> Cabundle() const;
  std::string RootPem() const;
  const Options& GetOptions() const noexcept { return options_; }

  // Re-issues, below the root, every certificate that expires within an hour of `now`
  // (and those under it), so that a long-lived development CA keeps AWS's short
  // intermediate lifetimes. Fails with kCertExpired if the root itself has expired.
  [[nodiscard]] core::Status Renew(core::UnixMillis now);

  // The hierarchy with its private keys as JSON text (development use only: the keys are
  // not encrypted) and back. Deserialize checks every key against its certificate and the
  // chain's signatures. Fails with kCertParse / kCertSignature / kPolicyInvalid.
  std::string Serialize() const;
  [[nodiscard]] static core::Result<DevCa> Deserialize(std::string_view text);

  // Mints the leaf of an enclave started at `boot_time` (valid boot-3s .. boot+3h; serial =
  // enclave id || 0^4 || boot seconds, as AWS's).
  [[nodiscard]] core::Result<Enclave> StartEnclave(core::UnixMillis boot_time,
                                                   std::uint64_t enclave_id) const;

  // A signed document (COSE_Sign1, ES384, untagged unless spec.tagged).
  [[nodiscard]] core::Result<Bytes> Attest(const Enclave& enclave, const DocumentSpec& spec) const;

  // The document fields Attest would sign, for tests that alter them before signing.
  AttestationDocument DocumentFor(const Enclave& enclave, const DocumentSpec& spec) const;

 private:
  DevCa() = default;
  Options options_;
  std::vector<KeyedCertificate> chain_;
};

// Signs arbitrary payload bytes as a COSE_Sign1 (ES384 for a P-384 key, ES256 for P-256):
// for negative tests that need a validly signed but malformed payload.
[[nodiscard]] core::Result<Bytes> SignPayload(EVP_PKEY* key, ByteView payload, bool tagged = false);

// PEM text of a certificate.
std::string ToPem(X509* cert);

}  // namespace enclavectl::verifier::devca
