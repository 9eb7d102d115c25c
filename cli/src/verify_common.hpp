// `enclavectl verify`: the options of its four modes (--doc, --url, --targets, --bundle) and
// the helpers they share.
#pragma once

#include <string>
#include <vector>

#include "context.hpp"
#include "enclavectl/verifier/live.hpp"
#include "enclavectl/verifier/trust.hpp"

namespace enclavectl::cli {

struct VerifyOptions {
  // Exactly one mode: a document, a live service, a fleet, or a bundle to re-verify.
  std::string doc_path;
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
  double timeout_seconds = 10;
  std::size_t concurrency = 32;
  bool json = false;
};

// The root to trust: the pinned AWS root, or --root.
[[nodiscard]] core::Result<verifier::TrustAnchor> LoadRoot(const VerifyOptions& options);

// PCR expectations from --expect-pcr, --expect-pcr0, --expect-pcrs and --verify-build.
[[nodiscard]] core::Result<verifier::LiveExpectations> BuildExpectations(
    const VerifyOptions& options);

// True when a flag that sets an expectation about the image was given (--expect-pcr,
// --expect-pcr0, --expect-pcrs, --verify-build).
bool HasImageExpectationFlags(const VerifyOptions& options);

// The usage error for verifying without an image expectation (exit 64): names the flags.
core::Error NoImageExpectationError();

// The live modes (verify_live.cpp).
int RunVerifyLive(Context& ctx, const VerifyOptions& options);
int RunVerifyFleet(Context& ctx, const VerifyOptions& options);
int RunVerifyBundle(Context& ctx, const VerifyOptions& options);

}  // namespace enclavectl::cli
