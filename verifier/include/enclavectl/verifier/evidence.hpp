// Evidence of a live verification, and the evidence bundle (a zip file) that keeps it so that
// anyone can verify it again offline and reach the same verdict.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/time.hpp"

namespace enclavectl::verifier {

inline constexpr const char* kEvidenceMediaType =
    "application/vnd.enclavectl.evidence+json;version=1";

// One HTTP exchange as the verifier saw it.
struct HttpExchange {
  std::string path;  // "/enclave/attestation?nonce=..."
  long status = 0;   // NOLINT(google-runtime-int): libcurl's type
  std::vector<std::pair<std::string, std::string>> headers;  // as received
  core::Bytes body;
  // HTTPS: the server's TLS leaf certificate (DER) on this exchange's connection; empty for
  // plain HTTP.
  core::Bytes tls_certificate;
  // The request's method (bundles written before it was recorded: GET).
  std::string method = "GET";

  // The first header called `name` (ASCII case-insensitive), or empty.
  std::string_view Header(std::string_view name) const noexcept;
};

// What a live verification collected; everything a later offline verification needs.
struct Evidence {
  std::string url;                 // the enclave's base URL
  core::UnixMillis captured_at{};  // when the verifier checked it (the verification time)
  core::Bytes nonce;               // the nonce the verifier sent
  nlohmann::json options = nlohmann::json::object();  // the verification options used
  HttpExchange attestation;                           // GET /enclave/attestation?nonce=
  HttpExchange info;                                  // GET /v1/info
  HttpExchange enclave_info;                          // GET /v1/enclave-info
  // GET /v1/migration-status, when asked for (verify --check-migration, migration status,
  // verify lineage); not kept in bundles.
  std::optional<HttpExchange> migration_status;
  nlohmann::json report;  // the report at capture time (informational)
};

// Derived members written for people and other tools: the decoded document and its chain.
struct EvidenceExtras {
  core::Bytes document;   // the COSE_Sign1 bytes of the attestation
  std::string chain_pem;  // root .. leaf
};

// The zip archive of `evidence` (deterministic: fixed member order and timestamps), with a
// manifest listing every member's SHA-256. Members: manifest.json, document.cbor, chain.pem,
// report.json, and per exchange <name>.json (path, status, headers) and <name>.body.
[[nodiscard]] core::Result<core::Bytes> WriteBundle(const Evidence& evidence,
                                                    const EvidenceExtras& extras);

// Reads a bundle (untrusted): at most kMaxBundleBytes, kMaxBundleMembers members, each
// decompressed to at most kMaxBundleMemberBytes whatever its header declares, exactly the
// known member names (no directories, paths, duplicates or encryption), every member's hash
// equal to the manifest's. document.cbor and chain.pem are returned for the caller to check
// against the attestation body. Fails with kBundleMalformed, kBundleMemberMissing,
// kBundleMemberUnexpected, kBundleTooLarge, kBundleInconsistent.
[[nodiscard]] core::Result<std::pair<Evidence, EvidenceExtras>> ReadBundle(core::ByteView zip);

}  // namespace enclavectl::verifier
