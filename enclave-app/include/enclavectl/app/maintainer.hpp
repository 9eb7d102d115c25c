// The maintainer's side of a migration authorization (keys layer: pure apart from the CSPRNG
// of BIP-340's auxiliary randomness): `enclavectl migration sign` (docs/migration.md).
#pragma once

#include <cstdint>
#include <string_view>

#include "enclavectl/app/keys.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"

namespace enclavectl::app {

// BIP-340 by the maintainer key `secret` (32 bytes) over verifier::MaintainerMessage(
// target_pcr0_hex, activation_time) (migration.md 5.3). `target_pcr0_hex` must be 96 hex
// digits (either case; signed lower-cased), `activation_time` positive Unix seconds. Fails with
// kInvalidArgument (a bad secret, PCR0 or time) or kInternal.
[[nodiscard]] core::Result<Bip340Signature> SignMaintainerAuthorization(
    const core::SecretBytes& secret, std::string_view target_pcr0_hex,
    std::int64_t activation_time);

// The maintainer key's x-only public key (32 bytes; BIP-340), which an image config names as
// `maintainer_pubkey` (64 hex digits). Fails with kInvalidArgument (not a valid secret: zero or
// not below the group order) or kInternal.
[[nodiscard]] core::Result<core::Bytes> MaintainerPublicKey(const core::SecretBytes& secret);

}  // namespace enclavectl::app
