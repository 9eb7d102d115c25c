// Conventions that bind keys to an attestation document (parse layer, pure):
// - PCR16 = SHA-384(48 zero bytes || SHA-256(compressed secp256k1 public key))
//   (introspector-enclave convention, ../shared/spec/enclave-http.md section 3);
// - nitriding's 68-byte user_data: 12 20 || tlsKeyHash || 12 20 || appKeyHash
//   (../shared/spec/enclave-http.md section 1.1), appKeyHash = SHA-256(compressed key).
#pragma once

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::verifier {

inline constexpr std::uint64_t kKeyBindingPcr = 16;
inline constexpr std::size_t kNitridingUserDataLen = 68;

// Validates a secp256k1 public key (33-byte compressed or 65-byte uncompressed SEC1) and
// returns its 33-byte compressed form. Fails with kPolicyInvalid.
[[nodiscard]] core::Result<core::Bytes> CompressSecp256k1PublicKey(core::ByteView public_key);

// The PCR value after extending a fresh PCR with SHA-256(compressed_key).
core::Sha384Digest KeyBindingPcrValue(core::ByteView compressed_key);

// The nitriding user_data fields.
struct NitridingUserData {
  core::Sha256Digest tls_key_hash{};
  core::Sha256Digest app_key_hash{};
};

// Splits a 68-byte nitriding user_data. Fails with kUserDataLayout when the length or
// either 12 20 multihash prefix is wrong.
[[nodiscard]] core::Result<NitridingUserData> ParseNitridingUserData(core::ByteView user_data);

// The 68-byte encoding of `fields`.
core::Bytes EncodeNitridingUserData(const NitridingUserData& fields);

}  // namespace enclavectl::verifier
