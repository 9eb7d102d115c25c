// The room's shared libsecp256k1 context and helpers (internal).
#pragma once

#include <secp256k1.h>

#include "enclavectl/core/result.hpp"
#include "enclavectl/ethereum/address.hpp"

namespace enclavectl::ethereum::internal {

// One context for signing, recovery and key parsing, created and randomized (against side
// channels) once, then only used read-only, which libsecp256k1 allows from many threads.
// Fails with kInternal only when creation failed (memory exhausted or no randomness).
[[nodiscard]] core::Result<const secp256k1_context*> Context();

// The 64 bytes X||Y of a parsed key.
PublicKey64 Serialize64(const secp256k1_context* ctx, const secp256k1_pubkey& key);

}  // namespace enclavectl::ethereum::internal
