// Certificate chain validation from the pinned root through the cabundle to the leaf, at a
// chosen time, with a cache of verified chain prefixes (verify layer, pure: the time is a
// parameter).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/verifier/document.hpp"
#include "enclavectl/verifier/trust.hpp"

namespace enclavectl::verifier {

// Remembers which certificate-chain prefixes (root, then each certificate below it, in
// order) already had every signature verified, so that documents from the same fleet skip
// the P-384 verifications already done. An entry is keyed by a running hash over the
// SHA-256 of each certificate's DER from the root down, and is used only at times inside
// the intersection of the validity windows of the certificates in its prefix. Validity
// times, names, constraints and extensions are still checked on every verification; only
// signature checks are skipped. Thread-safe.
class ChainCache {
 public:
  explicit ChainCache(std::size_t max_entries = 4096) : max_entries_(max_entries) {}

  // True when `key` was inserted with a window containing `unix_seconds`.
  bool Contains(const core::Sha256Digest& key, std::int64_t unix_seconds);
  // Records a verified prefix valid for not_before <= t < not_after (Unix seconds).
  void Insert(const core::Sha256Digest& key, std::int64_t not_before, std::int64_t not_after);

  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::size_t entries = 0;
  };
  Stats GetStats() const;
  void Clear();

  // Parsed certificates by SHA-256 of their DER, so that the same intermediates are not
  // decoded again (OpenSSL 3.0 spends about a sixth of a P-384 verification decoding one
  // certificate's public key). Returns a new reference, or null.
  core::X509Ptr FindCertificate(const core::Sha256Digest& der_sha256);
  void InsertCertificate(const core::Sha256Digest& der_sha256, X509* cert);

 private:
  struct Window {
    std::int64_t not_before;
    std::int64_t not_after;
  };
  struct KeyHash {
    std::size_t operator()(const core::Sha256Digest& d) const noexcept;
  };

  // Lookups (every document, every thread) share it; inserts (once per new chain) own it.
  mutable std::shared_mutex mutex_;
  std::unordered_map<core::Sha256Digest, Window, KeyHash> entries_;
  std::unordered_map<core::Sha256Digest, core::X509Ptr, KeyHash> certificates_;
  std::size_t max_entries_;
  std::atomic<std::uint64_t> hits_{0};
  std::atomic<std::uint64_t> misses_{0};
};

// What a report shows of one certificate.
struct CertificateInfo {
  std::string subject;  // RFC 2253
  std::string issuer;
  std::int64_t not_before = 0;  // Unix seconds
  std::int64_t not_after = 0;
  core::Sha256Digest sha256{};
  std::string serial_hex;
};

// Decodes the document's certificates (cabundle root first, then the leaf); position i of
// the result is chain position i. A certificate byte-identical to `root` reuses the root's
// object; others come from `cache` when it has them (`cache` may be null).
// Fails with kCertParse (index = chain position) when one is not exactly one valid DER
// certificate.
[[nodiscard]] core::Result<std::vector<core::X509Ptr>> ParseChainCertificates(
    const AttestationDocument& doc, const TrustAnchor& root, ChainCache* cache);
CertificateInfo DescribeCertificate(X509* cert);

// The outcome of a successful chain validation.
struct VerifiedChain {
  int signatures_verified = 0;  // P-384 verifications actually performed
  int signatures_cached = 0;    // skipped thanks to the cache
};

// Validates the document's chain at `unix_seconds` (nsm-api attestation_process.md 3.2.3):
// cabundle[0] is the pinned root byte for byte; every certificate is P-384 / ECDSA-SHA384;
// the chain built by OpenSSL (names, basicConstraints, path length, key usage, critical
// extensions; no x509_strict: genuine leaves lack SKI/AKI) is exactly
// root, cabundle[1..], leaf in that order; every certificate is valid at the time and
// signed by the one above (signatures of cached prefixes are not recomputed); the leaf is
// not a CA and may sign. `cache` may be null.
// Fails with kCertParse, kChainRootMismatch, kCertKeyType, kCertExpired, kCertNotYetValid,
// kCertSignature, kChainIssuer, kCertConstraints, kChainInvalid; Error::index is the chain
// position (0 = root, cabundle.size() = leaf).
// `certs` are the document's certificates from ParseChainCertificates.
[[nodiscard]] core::Result<VerifiedChain> VerifyChain(const AttestationDocument& doc,
                                                      const std::vector<core::X509Ptr>& certs,
                                                      const TrustAnchor& root,
                                                      std::int64_t unix_seconds, ChainCache* cache);

}  // namespace enclavectl::verifier
