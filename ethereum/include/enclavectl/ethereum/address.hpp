// Ethereum addresses (wallet.md 2.6): the last 20 bytes of Keccak-256 over a secp256k1 public
// key's 64 bytes X||Y, written with the EIP-55 mixed-case checksum.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::ethereum {

using core::ByteView;

// 20 address bytes.
using Address = std::array<std::uint8_t, 20>;

// The 64 bytes X||Y of a secp256k1 public key (the uncompressed SEC1 point without its 0x04).
using PublicKey64 = std::array<std::uint8_t, 64>;

// Parses and checks a secp256k1 public key (untrusted): 64 bytes X||Y, or SEC1 with 65 bytes
// (0x04||X||Y) or 33 bytes (0x02/0x03||X). Fails with kEthPublicKeyInvalid for any other
// length or a point not on the curve.
[[nodiscard]] core::Result<PublicKey64> ParsePublicKey(ByteView public_key);

// The address of a public key as ParsePublicKey reads it (same failures).
[[nodiscard]] core::Result<Address> AddressFromPublicKey(ByteView public_key);

// The address of an already checked 64-byte public key (no failure).
Address AddressOf(const PublicKey64& public_key) noexcept;

// The public key of a 32-byte secret key. Fails with kEthSecretKeyInvalid for a wrong length,
// zero or a value not below the group order. The secret is not copied beyond the call.
[[nodiscard]] core::Result<PublicKey64> PublicKeyFromSecret(ByteView secret);

// The address of a 32-byte secret key (failures as PublicKeyFromSecret).
[[nodiscard]] core::Result<Address> AddressFromSecret(ByteView secret);

// EIP-55 text: "0x" and 40 hex digits, a letter uppercase when the matching hex digit of
// Keccak-256(lowercase hex) is 8 or more.
std::string ChecksumAddress(const Address& address);

// "0x" and 40 lowercase hex digits (seed (a) v2's form, wallet.md 1.3).
std::string LowercaseAddress(const Address& address);

// Parses an address (untrusted text): "0x" (or "0X") and 40 hex digits. All-lowercase and
// all-uppercase digits carry no checksum and are accepted; mixed case must equal the EIP-55
// form exactly. Fails with kEthAddressInvalid for the wrong shape and kEthAddressChecksum for
// a mixed-case address whose checksum does not match.
[[nodiscard]] core::Result<Address> ParseAddress(std::string_view text);

}  // namespace enclavectl::ethereum
