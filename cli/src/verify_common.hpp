// What `verify` and `monitor` share: the sources of the expectation flags (PCR file, EIF,
// KMS key ARN grammar), the root to trust, and the --check-key-policy audit.
#pragma once

#include <string>

#include "enclavectl/core/check.hpp"
#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/verifier/expectations.hpp"
#include "enclavectl/verifier/live.hpp"
#include "enclavectl/verifier/trust.hpp"

namespace enclavectl::cli {

// What the verifier room cannot read itself: the PCR file, the EIF, the KMS key ARN grammar.
// The result borrows `flags`.
verifier::VerifyFlagSources Sources(const verifier::VerifyFlagValues& flags);

// The root to trust: the pinned AWS root (empty path), or the PEM/DER file at `root_path`.
[[nodiscard]] core::Result<verifier::TrustAnchor> LoadRoot(const std::string& root_path);

// --check-key-policy: the audit (kmspolicy/io/key_policy_audit.hpp) with a KMS client for the
// key's region, signed with the auditor's own credentials (--profile, the usual chain).
core::Check CheckKeyPolicy(const verifier::VerifyFlagValues& flags,
                           const verifier::LiveReport& report, const core::io::Clock& clock);

}  // namespace enclavectl::cli
