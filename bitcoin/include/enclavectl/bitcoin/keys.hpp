// secp256k1 for Bitcoin: BIP-340 Schnorr signatures, x-only keys and Taproot tweaks, and ECDSA
// verification as Bitcoin Core's consensus does it (lax DER, low-S normalisation), all
// through libsecp256k1 (schnorrsig and extrakeys modules).
#pragma once

#include <array>
#include <cstdint>

#include "enclavectl/bitcoin/transaction.hpp"
#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"

namespace enclavectl::bitcoin {

using XOnlyKey = std::array<std::uint8_t, 32>;
using SchnorrSignature = std::array<std::uint8_t, 64>;

// BIP-340 verification of a 64-byte signature over a message of any length under a 32-byte
// x-only key. Returns false for any malformed input (wrong sizes, a key not on the curve,
// r or s out of range) as well as for a wrong signature. All arguments untrusted.
bool VerifySchnorr(ByteView sig, ByteView msg, ByteView xonly_key);

// BIP-340 signing of `msg` with the 32-byte secret `secret` (negated internally when its
// point has odd y) and 32 bytes of `aux_rand`. The signature is verified before it is
// returned. Fails with kBtcKeyInvalid when the secret is zero or not below the group order,
// or a size is wrong.
[[nodiscard]] core::Result<SchnorrSignature> SignSchnorr(ByteView secret, ByteView msg,
                                                         ByteView aux_rand);

// The x-only public key of a 32-byte secret (kBtcKeyInvalid as SignSchnorr).
[[nodiscard]] core::Result<XOnlyKey> XOnlyFromSecret(ByteView secret);

// True when the 32 bytes are the x coordinate of a curve point.
bool IsValidXOnly(ByteView xonly_key);

// The tweaked output key Q = lift_x(P) + t*G of BIP-341 and its y parity (true: odd).
// Fails with kBtcKeyInvalid when P is not on the curve or t is not below the group order (or
// Q is infinity).
struct TweakedKey {
  XOnlyKey key{};
  bool odd_y = false;
};
[[nodiscard]] core::Result<TweakedKey> TweakXOnly(ByteView internal_key, const Hash256& tweak);

// BIP-341's check that `output_key` (with y parity `odd_y`) is `internal_key` tweaked by
// `tweak`. False for any invalid input.
bool CheckTapTweak(ByteView internal_key, ByteView output_key, bool odd_y, const Hash256& tweak);

// The secret key that signs for TweakXOnly(x(secret*G), tweak): negates the secret first when
// its point has odd y, then adds the tweak (BIP-341 taproot_tweak_seckey). kBtcKeyInvalid when
// the secret is invalid or the result is zero.
[[nodiscard]] core::Result<core::SecretBytes> TweakSecret(ByteView secret, const Hash256& tweak);

// ECDSA verification as Bitcoin Core's CPubKey::Verify: the public key must be 33 bytes
// (0x02/0x03) or 65 bytes (0x04/0x06/0x07) and on the curve; the signature is parsed with the
// lax DER rules (BER lengths, leading zero bytes; values that overflow become an invalid
// signature) and normalised to low S before verification. False for any invalid input.
bool VerifyEcdsaLax(ByteView der_sig, ByteView pubkey, const Hash256& msg);

// Parses `der_sig` with the lax DER rules into 64 bytes r || s (big-endian, r and s below the
// order or both zero). False when the DER framing itself cannot be read.
bool ParseDerLax(ByteView der_sig, std::array<std::uint8_t, 64>& out_compact);

// True when `der_sig` (without hash type) parses laxly and its S is already low (Core's
// CPubKey::CheckLowS).
bool IsLowS(ByteView der_sig);

}  // namespace enclavectl::bitcoin
