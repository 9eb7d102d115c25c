#include "enclavectl/ethereum/signing.hpp"

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <algorithm>
#include <string>

#include "enclavectl/core/limits.hpp"
#include "secp256k1_context.hpp"

namespace enclavectl::ethereum {
namespace {

using core::ErrorCode;
using core::Fail;

constexpr std::string_view kPersonalPrefix =
    "\x19"
    "Ethereum Signed Message:\n";

bool IsZero(const std::array<std::uint8_t, 32>& value) noexcept {
  return std::all_of(value.begin(), value.end(), [](std::uint8_t b) { return b == 0; });
}

// The recoverable signature of `signature`, range- and low-s-checked (EIP-2).
core::Result<secp256k1_ecdsa_recoverable_signature> ToLibrary(const secp256k1_context* ctx,
                                                              const Signature& signature) {
  if (signature.recovery_id > 1) {
    return Fail(ErrorCode::kEthSignatureMalformed, "the recovery id is not 0 or 1");
  }
  if (IsZero(signature.r) || IsZero(signature.s)) {
    return Fail(ErrorCode::kEthSignatureMalformed, "r or s is zero");
  }
  std::array<std::uint8_t, 64> compact{};
  std::copy(signature.r.begin(), signature.r.end(), compact.begin());
  std::copy(signature.s.begin(), signature.s.end(), compact.begin() + 32);
  secp256k1_ecdsa_signature plain;
  if (secp256k1_ecdsa_signature_parse_compact(ctx, &plain, compact.data()) != 1) {
    return Fail(ErrorCode::kEthSignatureMalformed, "r or s is not below the group order");
  }
  // normalize returns 1 when s was in the upper half.
  if (secp256k1_ecdsa_signature_normalize(ctx, nullptr, &plain) == 1) {
    return Fail(ErrorCode::kEthSignatureMalformed, "s is in the upper half of the order (EIP-2)");
  }
  secp256k1_ecdsa_recoverable_signature out;
  if (secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &out, compact.data(),
                                                          signature.recovery_id) != 1) {
    return Fail(ErrorCode::kEthSignatureMalformed, "r or s is not below the group order");
  }
  return out;
}

}  // namespace

Signature65 EncodeSignature(const Signature& signature, std::uint8_t v_base) noexcept {
  Signature65 out{};
  std::copy(signature.r.begin(), signature.r.end(), out.begin());
  std::copy(signature.s.begin(), signature.s.end(), out.begin() + 32);
  out[64] = static_cast<std::uint8_t>(v_base + signature.recovery_id);
  return out;
}

core::Result<Signature> SignDigest(ByteView secret, const Hash256& digest) {
  auto ctx = internal::Context();
  if (!ctx) {
    return Fail(ctx.error());
  }
  auto expected_key = PublicKeyFromSecret(secret);  // also checks the secret
  if (!expected_key) {
    return Fail(expected_key.error());
  }
  secp256k1_ecdsa_recoverable_signature sig;
  // nullptr nonce function: libsecp256k1's RFC 6979 (HMAC-SHA256); its signatures have low s.
  if (secp256k1_ecdsa_sign_recoverable(*ctx, &sig, digest.data(), secret.data(), nullptr,
                                       nullptr) != 1) {
    return Fail(ErrorCode::kInternal, "secp256k1: signing failed");
  }
  std::array<std::uint8_t, 64> compact{};
  int recovery_id = 0;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(*ctx, compact.data(), &recovery_id, &sig);
  Signature out;
  std::copy(compact.begin(), compact.begin() + 32, out.r.begin());
  std::copy(compact.begin() + 32, compact.end(), out.s.begin());
  out.recovery_id = static_cast<std::uint8_t>(recovery_id);
  // Never hand out a signature that does not verify (a fault would leak the key).
  auto recovered = RecoverPublicKey(digest, out);
  if (!recovered || *recovered != *expected_key) {
    return Fail(ErrorCode::kInternal, "secp256k1: a fresh signature does not recover its key");
  }
  return out;
}

core::Result<Hash256> PersonalMessageHash(ByteView message) {
  if (message.size() > core::limits::kMaxEthPersonalMessageBytes) {
    return Fail(ErrorCode::kEthMessageTooLarge,
                "a personal_sign message has at most " +
                    std::to_string(core::limits::kMaxEthPersonalMessageBytes) + " bytes");
  }
  Keccak256 hasher;
  hasher.Update(core::AsBytes(kPersonalPrefix));
  hasher.Update(core::AsBytes(std::to_string(message.size())));
  hasher.Update(message);
  return hasher.Finish();
}

core::Result<Signature65> SignPersonalMessage(ByteView secret, ByteView message) {
  auto digest = PersonalMessageHash(message);
  if (!digest) {
    return Fail(digest.error());
  }
  auto signature = SignDigest(secret, *digest);
  if (!signature) {
    return Fail(signature.error());
  }
  return EncodeSignature(*signature, kLegacyVBase);
}

core::Result<Signature> ParseSignature(ByteView signature65) {
  if (signature65.size() != 65) {
    return Fail(ErrorCode::kEthSignatureMalformed,
                "a signature has 65 bytes r||s||v, not " + std::to_string(signature65.size()));
  }
  const std::uint8_t v = signature65[64];
  if (v != 0 && v != 1 && v != kLegacyVBase && v != kLegacyVBase + 1) {
    return Fail(ErrorCode::kEthSignatureMalformed, "v is not 0, 1, 27 or 28");
  }
  Signature out;
  std::copy(signature65.begin(), signature65.begin() + 32, out.r.begin());
  std::copy(signature65.begin() + 32, signature65.begin() + 64, out.s.begin());
  out.recovery_id = static_cast<std::uint8_t>(v >= kLegacyVBase ? v - kLegacyVBase : v);
  auto ctx = internal::Context();
  if (!ctx) {
    return Fail(ctx.error());
  }
  auto checked = ToLibrary(*ctx, out);
  if (!checked) {
    return Fail(checked.error());
  }
  return out;
}

core::Result<PublicKey64> RecoverPublicKey(const Hash256& digest, const Signature& signature) {
  auto ctx = internal::Context();
  if (!ctx) {
    return Fail(ctx.error());
  }
  auto sig = ToLibrary(*ctx, signature);
  if (!sig) {
    return Fail(sig.error());
  }
  secp256k1_pubkey key;
  if (secp256k1_ecdsa_recover(*ctx, &key, &*sig, digest.data()) != 1) {
    return Fail(ErrorCode::kEthSignatureInvalid, "no public key recovers from this signature");
  }
  return internal::Serialize64(*ctx, key);
}

core::Result<Address> RecoverAddress(const Hash256& digest, ByteView signature65) {
  auto signature = ParseSignature(signature65);
  if (!signature) {
    return Fail(signature.error());
  }
  auto key = RecoverPublicKey(digest, *signature);
  if (!key) {
    return Fail(key.error());
  }
  return AddressOf(*key);
}

}  // namespace enclavectl::ethereum
