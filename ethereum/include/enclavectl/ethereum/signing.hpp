// secp256k1 ECDSA as Ethereum uses it (libsecp256k1 with its recovery module): signatures
// r||s||v over 32-byte digests with deterministic nonces (RFC 6979) and low s (EIP-2),
// EIP-191 personal_sign, and public-key recovery for verification.
#pragma once

#include <array>
#include <cstdint>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/ethereum/address.hpp"
#include "enclavectl/ethereum/keccak.hpp"

namespace enclavectl::ethereum {

// A recoverable signature: r and s big-endian, s in the lower half of the group order, and the
// recovery id (0 or 1: the parity of R's y; ids 2 and 3 are never produced).
struct Signature {
  std::array<std::uint8_t, 32> r{};
  std::array<std::uint8_t, 32> s{};
  std::uint8_t recovery_id = 0;

  friend bool operator==(const Signature&, const Signature&) = default;
};

// 65 bytes r || s || v.
using Signature65 = std::array<std::uint8_t, 65>;

// The v of eth_sign / personal_sign signatures: 27 + recovery id.
inline constexpr std::uint8_t kLegacyVBase = 27;

// r || s || (v_base + recovery id): v_base 27 for eth_sign/personal_sign, 0 for the raw form
// (wallet.md 2.8).
Signature65 EncodeSignature(const Signature& signature, std::uint8_t v_base) noexcept;

// Signs the 32-byte `digest` with the 32-byte `secret`: RFC 6979 nonce, low s. The signature
// is checked by recovering the key from it before it is returned. Fails with
// kEthSecretKeyInvalid (wrong length, zero, not below the order) or kInternal.
[[nodiscard]] core::Result<Signature> SignDigest(ByteView secret, const Hash256& digest);

// EIP-191 version 0x45: Keccak-256("\x19Ethereum Signed Message:\n" || decimal length ||
// message). Fails with kEthMessageTooLarge above limits::kMaxEthPersonalMessageBytes.
[[nodiscard]] core::Result<Hash256> PersonalMessageHash(ByteView message);

// personal_sign: SignDigest of PersonalMessageHash(message), as r || s || (27 + recovery id).
// Failures as the two functions.
[[nodiscard]] core::Result<Signature65> SignPersonalMessage(ByteView secret, ByteView message);

// Reads 65 bytes r || s || v (untrusted) with v in {0, 1, 27, 28}. Fails with
// kEthSignatureMalformed for another length or v, r or s zero or not below the group order, or
// s in the upper half (EIP-2: a malleated signature is refused, not normalised).
[[nodiscard]] core::Result<Signature> ParseSignature(ByteView signature65);

// The public key that made `signature` over `digest`. Fails with kEthSignatureMalformed as
// ParseSignature for r, s or the recovery id out of range, and kEthSignatureInvalid when no
// key can be recovered.
[[nodiscard]] core::Result<PublicKey64> RecoverPublicKey(const Hash256& digest,
                                                         const Signature& signature);

// The address that signed `digest` with 65 bytes r || s || v (untrusted; ParseSignature and
// RecoverPublicKey failures).
[[nodiscard]] core::Result<Address> RecoverAddress(const Hash256& digest, ByteView signature65);

}  // namespace enclavectl::ethereum
