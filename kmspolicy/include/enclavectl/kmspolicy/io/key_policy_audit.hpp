// `verify --url --check-key-policy` (adapter: talks to KMS through the client it is given):
// can anyone but the attested image ever use the key a live service uses? The key's policy is
// fetched with the auditor's own credentials (GetKeyPolicy), linted for the PCR0 the service
// attested, and must be enclave-only and locked; the key's metadata (DescribeKey) must show
// material that is this key's alone (Origin AWS_KMS, single-Region), since no policy governs
// an importer's copy, an external key store or another Region's replica.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "enclavectl/aws/kms_client.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/verifier/live.hpp"

namespace enclavectl::kmspolicy::io {

// The key and image an audit is for.
struct KeyPolicyAudit {
  std::string key_arn;   // as given or as /v1/info reports it (a key ARN)
  std::string region;    // the ARN's region: where to send the requests
  std::string pcr0_hex;  // the attested PCR0 (lower-case hex)
};

// What to audit for `report` (untrusted claims, verified document): the key is
// `expected_key_arn` when not empty, else the kms_key_arn /v1/info reports; PCR0 only from a
// document that passed. Returns the audit, or the "key_policy" check that ends it: skipped
// without a verified document, failed (kKmsKeyMismatch) when no key or not a key ARN, failed
// (kInvalidArgument) when `region` is not empty and differs from the ARN's region.
std::variant<KeyPolicyAudit, verifier::Check> PlanKeyPolicyAudit(const verifier::LiveReport& report,
                                                                 std::string_view expected_key_arn,
                                                                 std::string_view region);

// Runs `audit` with `kms` (borrowed; already pointed at audit.region with the auditor's
// credentials): GetKeyPolicy, parse, lint for audit.pcr0_hex, DescribeKey, the key-material
// verdict. Returns the "key_policy" check: pass with the policy's SHA-256, or fail with
// KMS's error, the parser's (kPolicyInvalid...), kPolicyNotEnclaveOnly or kPolicyNotLocked.
verifier::Check RunKeyPolicyAudit(const KeyPolicyAudit& audit, aws::KmsClient& kms);

// The failed "key_policy" check for `error` (e.g. the credentials could not be resolved).
verifier::Check KeyPolicyAuditFailure(core::Error error);

}  // namespace enclavectl::kmspolicy::io
