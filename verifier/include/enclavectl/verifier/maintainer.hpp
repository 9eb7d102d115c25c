// The maintainer authorization of a migration (../shared/spec/migration.md 5.3), so that
// existing Introspector maintainer tooling works unchanged: a BIP-340 signature by the
// maintainer's x-only key (the image config's maintainer_pubkey) over
//   m = SHA-256(ASCII(target_pcr0_hex_lowercase ":" decimal(activation_time)))
// (decimal: Go's %d of an int64, no padding). Pure.
#pragma once

#include <cstdint>
#include <string_view>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::verifier {

// m above; `target_pcr0_hex` is lower-cased first (not otherwise checked).
core::Sha256Digest MaintainerMessage(std::string_view target_pcr0_hex,
                                     std::int64_t activation_time);

// Checks a maintainer authorization (all arguments untrusted): `maintainer_pubkey_hex` 64 hex
// digits (x-only), `signature_hex` 128 hex digits (r || s), over MaintainerMessage. Fails with
// kMaintainerSignatureInvalid for a malformed key or signature or one that does not verify.
// The activation time and cooldown rules are the migration protocol's, not checked here.
[[nodiscard]] core::Status VerifyMaintainerAuthorization(std::string_view maintainer_pubkey_hex,
                                                         std::string_view target_pcr0_hex,
                                                         std::int64_t activation_time,
                                                         std::string_view signature_hex);

}  // namespace enclavectl::verifier
