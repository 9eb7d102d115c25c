// Visiting live key services (adapter layer: network, randomness, the clock): for each base
// URL a fresh random nonce and three GETs -- /enclave/attestation?nonce=, /v1/info,
// /v1/enclave-info -- all sent concurrently on one libcurl multi handle, recorded as
// Evidence for VerifyEvidence (live.hpp) and for bundles.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/net/http_client.hpp"
#include "enclavectl/verifier/evidence.hpp"
#include "enclavectl/verifier/lineage_walk.hpp"

namespace enclavectl::verifier {

inline constexpr std::size_t kMaxTargets = 4096;

// "https://host[:port][/]" -> "https://host[:port]". Only http and https, no query, fragment,
// user info or path other than "/". Fails with kInvalidArgument.
[[nodiscard]] core::Result<std::string> NormalizeServiceUrl(std::string_view url);

// A targets file: one URL a line; blank lines and lines starting with '#' ignored; at most
// kMaxTargets. Fails with kTargetsInvalid (index = the 1-based line number).
[[nodiscard]] core::Result<std::vector<std::string>> ParseTargets(std::string_view text);

// A lineage targets file (`verify lineage --targets`): one version a line, oldest first,
// `URL pcr0=HEX` (URL as for ParseTargets, HEX 96 hex digits, either case, stored lower case);
// blank lines and lines starting with '#' ignored; at most kMaxTargets. Fails with
// kLineageInvalid (index = the 1-based line number).
[[nodiscard]] core::Result<std::vector<LineageTarget>> ParseLineageTargets(std::string_view text);

// The HTTP options of `verify --url/--targets`: `timeout_seconds` for each service's answers
// (connecting: at most 5 s of it), answers of at most 256 KiB, `max_concurrency` requests in
// flight, TLS certificates unchecked when `insecure_tls` (the caller reports it).
net::HttpClientOptions LiveHttpOptions(double timeout_seconds, bool insecure_tls,
                                       std::size_t max_concurrency);

// Visits every service in `base_urls` (normalised) concurrently. Result i belongs to URL i;
// a service that cannot be reached gives kNetwork (or kInputTooLarge for an oversize answer).
// captured_at is the time the answers were in. `with_migration_status`: also GET
// /v1/migration-status (Evidence::migration_status).
std::vector<core::Result<Evidence>> CollectEvidence(const std::vector<std::string>& base_urls,
                                                    const net::HttpClientOptions& options,
                                                    const core::io::Clock& clock,
                                                    bool with_migration_status = false);

}  // namespace enclavectl::verifier
