#include "enclavectl/ethereum/address.hpp"

#include <secp256k1.h>

#include <algorithm>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/ethereum/keccak.hpp"
#include "secp256k1_context.hpp"

namespace enclavectl::ethereum {
namespace {

using core::ErrorCode;
using core::Fail;

bool IsHexDigit(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

}  // namespace

core::Result<PublicKey64> ParsePublicKey(ByteView public_key) {
  auto ctx = internal::Context();
  if (!ctx) {
    return Fail(ctx.error());
  }
  std::array<std::uint8_t, 65> sec1{};
  ByteView input = public_key;
  if (public_key.size() == 64) {
    sec1[0] = 0x04;
    std::copy(public_key.begin(), public_key.end(), sec1.begin() + 1);
    input = sec1;
  } else if (public_key.size() != 33 && public_key.size() != 65) {
    return Fail(ErrorCode::kEthPublicKeyInvalid,
                "a public key has 64 bytes X||Y or 33/65 bytes SEC1, not " +
                    std::to_string(public_key.size()));
  }
  // secp256k1_ec_pubkey_parse would also take the hybrid forms 0x06/0x07; Ethereum never does.
  if (input[0] != 0x02 && input[0] != 0x03 && input[0] != 0x04) {
    return Fail(ErrorCode::kEthPublicKeyInvalid, "a SEC1 public key starts with 02, 03 or 04");
  }
  secp256k1_pubkey key;
  if (secp256k1_ec_pubkey_parse(*ctx, &key, input.data(), input.size()) != 1) {
    return Fail(ErrorCode::kEthPublicKeyInvalid, "the public key is not a point on secp256k1");
  }
  return internal::Serialize64(*ctx, key);
}

core::Result<Address> AddressFromPublicKey(ByteView public_key) {
  auto parsed = ParsePublicKey(public_key);
  if (!parsed) {
    return Fail(parsed.error());
  }
  return AddressOf(*parsed);
}

Address AddressOf(const PublicKey64& public_key) noexcept {
  const Hash256 hash = Keccak256Of(public_key);
  Address out{};
  std::copy(hash.end() - static_cast<std::ptrdiff_t>(out.size()), hash.end(), out.begin());
  return out;
}

core::Result<PublicKey64> PublicKeyFromSecret(ByteView secret) {
  auto ctx = internal::Context();
  if (!ctx) {
    return Fail(ctx.error());
  }
  secp256k1_pubkey key;
  if (secret.size() != 32 || secp256k1_ec_pubkey_create(*ctx, &key, secret.data()) != 1) {
    return Fail(ErrorCode::kEthSecretKeyInvalid,
                "a secret key is 32 bytes, not zero and below the group order");
  }
  return internal::Serialize64(*ctx, key);
}

core::Result<Address> AddressFromSecret(ByteView secret) {
  auto key = PublicKeyFromSecret(secret);
  if (!key) {
    return Fail(key.error());
  }
  return AddressOf(*key);
}

std::string LowercaseAddress(const Address& address) { return "0x" + core::HexEncode(address); }

std::string ChecksumAddress(const Address& address) {
  std::string hex = core::HexEncode(address);
  // EIP-55: the checksum hashes the ASCII of the lowercase hex digits.
  const Hash256 hash = Keccak256Of(core::AsBytes(hex));
  for (std::size_t i = 0; i < hex.size(); ++i) {
    const unsigned nibble = (i % 2 == 0) ? (hash[i / 2] >> 4U) : (hash[i / 2] & 0x0fU);
    if (hex[i] >= 'a' && hex[i] <= 'f' && nibble >= 8) {
      hex[i] = static_cast<char>(hex[i] - 'a' + 'A');
    }
  }
  return "0x" + hex;
}

core::Result<Address> ParseAddress(std::string_view text) {
  if (text.size() != 42 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X') ||
      !std::all_of(text.begin() + 2, text.end(), IsHexDigit)) {
    return Fail(ErrorCode::kEthAddressInvalid, "an address is 0x and 40 hex digits");
  }
  const std::string_view digits = text.substr(2);
  auto decoded = core::HexDecode(digits);
  if (!decoded) {
    return Fail(ErrorCode::kEthAddressInvalid, "an address is 0x and 40 hex digits");
  }
  Address out{};
  std::copy(decoded->begin(), decoded->end(), out.begin());
  const bool has_lower =
      std::any_of(digits.begin(), digits.end(), [](char c) { return c >= 'a' && c <= 'f'; });
  const bool has_upper =
      std::any_of(digits.begin(), digits.end(), [](char c) { return c >= 'A' && c <= 'F'; });
  if (has_lower && has_upper && ChecksumAddress(out).substr(2) != digits) {
    return Fail(ErrorCode::kEthAddressChecksum,
                "the mixed-case address does not match its EIP-55 checksum");
  }
  return out;
}

}  // namespace enclavectl::ethereum
