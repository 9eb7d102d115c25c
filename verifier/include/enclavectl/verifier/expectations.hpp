// `verify` flag values (raw strings) turned into a mode, expectations and a policy: pure, no
// file reading. What needs files (--expect-pcrs, --verify-build) or another room (the KMS key
// ARN grammar) the caller supplies as VerifyFlagSources, called in flag order.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "enclavectl/core/result.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/core/time.hpp"
#include "enclavectl/verifier/live.hpp"
#include "enclavectl/verifier/policy.hpp"

namespace enclavectl::verifier {

// The flags of `enclavectl verify`, as given (empty: not given).
struct VerifyFlagValues {
  // Exactly one mode: a document, a live service, a fleet, or a bundle to re-verify.
  std::string doc_path;
  // Batch: several --doc paths, or a --docs-from list (one path a line, - for stdin).
  std::vector<std::string> doc_paths;
  std::string docs_from;
  std::string url;
  std::string targets_path;
  std::string bundle_path;  // with --url: written; alone: read and re-verified

  std::string root_path;
  std::string at = "now";
  std::vector<std::string> expect_pcr;
  std::string expect_pcr0_hex;
  std::string expect_pcrs_path;
  std::string verify_build_path;
  std::string expect_key_hex;
  std::string expect_app_key_hex;
  std::string expect_app_key_hash_hex;
  std::string expect_nonce_hex;
  std::string max_age;
  bool insecure_allow_debug = false;
  bool any_image = false;         // no image expectation, on purpose (reported)
  std::string expect_kms_key;     // --url/--targets/--bundle: /v1/info kms_key_arn
  std::string expect_blockhash;   // --url/--targets/--bundle: /v1/info blockhash
  bool check_key_policy = false;  // --url: GetKeyPolicy with the auditor's credentials
  std::string region;             // --check-key-policy: must equal the key ARN's region
  std::string endpoint_url;       // --check-key-policy: KMS endpoint
  std::string profile;            // --check-key-policy: AWS profile
  bool insecure_tls = false;
  // --url/--targets/--bundle: /v1/enclave-info previous_pcr0 ("genesis" or 96 hex); needs a
  // PCR0 expectation (the claim is only as good as the image that makes it).
  std::string expect_previous_pcr0;
  bool insecure_allow_unbound_tls = false;  // --url/--targets: zero tlsKeyHash over HTTPS
};

// What the flags name but this room cannot read or judge; called only when the flag is given.
struct VerifyFlagSources {
  std::function<core::Result<std::vector<PcrSet>>()> pcr_file;  // --expect-pcrs: the sets
  std::function<core::Result<std::vector<PcrSet>>()> build;     // --verify-build: its measures
  std::function<bool(const std::string&)> is_kms_key_arn;       // --expect-kms-key grammar
};

enum class VerifyMode : std::uint8_t { kDoc, kBatch, kLive, kFleet, kBundle };

// The bytes of hex flag `flag`, read as pasted (core::HexDecodeLenient: whitespace, line
// breaks, one leading 0x, either case). Fails with kInvalidArgument naming the flag.
[[nodiscard]] core::Result<core::Bytes> HexFlagValue(const std::string& flag,
                                                     std::string_view value);

// HexFlagValue of exactly 32 bytes (64 hex digits, e.g. a SHA-256 digest).
[[nodiscard]] core::Result<core::Sha256Digest> Hex32FlagValue(const std::string& flag,
                                                              std::string_view value);

// Which mode the flags select, or a usage error (kInvalidArgument), including the any-image
// rule: --doc/--url/--targets need an image expectation flag or --any-image, not both.
[[nodiscard]] core::Result<VerifyMode> SelectVerifyMode(const VerifyFlagValues& flags);

// The usage error for verifying without an image expectation (exit 64): names the flags.
[[nodiscard]] core::Error NoImageExpectationError();

// PCR, freshness, debug, KMS key and blockhash expectations. Flag values that are wrong are
// kInvalidArgument; errors of the sources pass through unchanged.
[[nodiscard]] core::Result<LiveExpectations> BuildExpectations(const VerifyFlagValues& flags,
                                                               const VerifyFlagSources& sources);

// --url/--targets: the expectations (max-age 5m unless given) and the options a bundle
// records of them ("expectations", "check_key_policy", "insecure_tls", "root", "verify_build",
// "expect_pcrs"): for information, never used to judge.
inline constexpr std::int64_t kDefaultLiveMaxAgeMs = std::int64_t{5} * 60 * 1000;
struct LiveFlagExpectations {
  LiveExpectations expectations;
  nlohmann::json recorded;
};
[[nodiscard]] core::Result<LiveFlagExpectations> BuildLiveExpectations(
    const VerifyFlagValues& flags, const VerifyFlagSources& sources,
    const core::Sha256Digest& root_fingerprint);

// The --doc policy: --at (now is `now`), the expectations, --expect-key, --expect-app-key(-hash)
// and --expect-nonce, checked by ValidatePolicy.
[[nodiscard]] core::Result<VerificationPolicy> BuildPolicy(const VerifyFlagValues& flags,
                                                           const VerifyFlagSources& sources,
                                                           core::UnixMillis now);

}  // namespace enclavectl::verifier
