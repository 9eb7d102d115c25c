// Owner authorization of wallet accounts (pure; docs/wallet.md "Owner authorization"). An
// account created with an owner key (a 32-byte x-only BIP-340 secp256k1 public key) signs only
// sign requests that carry the owner's BIP-340 signature over OwnerAuthMessage(name, address,
// digest, nonce), so the parent, which holds the rows and the AWS credentials, cannot use the
// account alone. The owner key is bound into the account's hardened envelope (AccountAad) and
// its KMS EncryptionContext, so a parent that strips it from a request cannot decrypt.
//
// The enclave remembers every accepted authorization in a bounded replay cache. Since the
// account signature is deterministic (RFC 6979), a replay past the cache's horizon would only
// give the parent a signature it already received; the cache makes that refusal explicit.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"
#include "enclavectl/ethereum/address.hpp"
#include "enclavectl/ethereum/keccak.hpp"

namespace enclavectl::wallet {

inline constexpr std::size_t kOwnerKeyLen = 32;  // x-only (BIP-340)
using OwnerKey = std::array<std::uint8_t, kOwnerKeyLen>;
using OwnerSignature = std::array<std::uint8_t, 64>;
inline constexpr std::size_t kMinOwnerNonceLen = 16;
inline constexpr std::size_t kMaxOwnerNonceLen = 32;
// The BIP-340 tag of OwnerAuthMessage.
inline constexpr std::string_view kOwnerAuthTag = "enclavectl/wallet/owner-auth/v1";

// Parses an owner key (untrusted): exactly 64 hex digits (either case, no 0x) of an x-only key
// that lies on the curve. Fails with kAccountOwnerKeyInvalid.
[[nodiscard]] core::Result<OwnerKey> ParseOwnerKey(std::string_view hex);
// Checks that 32 bytes are a valid x-only key. Fails with kAccountOwnerKeyInvalid.
[[nodiscard]] core::Status ValidateOwnerKey(const OwnerKey& key);
// Lowercase hex, 64 digits.
std::string OwnerKeyHex(const OwnerKey& key);

// Checks a nonce's length (16..32 bytes). Fails with kAccountOwnerNonceInvalid.
[[nodiscard]] core::Status ValidateOwnerNonce(core::ByteView nonce);

// The 32 bytes the owner signs: the BIP-340 tagged hash with tag kOwnerAuthTag, i.e.
// SHA-256(SHA-256(tag) || SHA-256(tag) || data), where data = len(name) as 4 bytes big-endian
// || name || the 20 address bytes || the 32-byte digest || len(nonce) as 1 byte || nonce.
ethereum::Hash256 OwnerAuthMessage(std::string_view name, const ethereum::Address& address,
                                   const ethereum::Hash256& digest, core::ByteView nonce);

// Verifies a BIP-340 signature (untrusted) over `message` under `key`. Fails with
// kAccountOwnerKeyInvalid (the key is not on the curve) or kAccountOwnerAuthInvalid.
[[nodiscard]] core::Status VerifyOwnerSignature(const OwnerKey& key,
                                                const ethereum::Hash256& message,
                                                const OwnerSignature& signature);

// The owner's side (the parent's CLI, tests). The x-only key of a 32-byte secret key; a
// BIP-340 signature with fresh auxiliary randomness. Fail with kEthSecretKeyInvalid or
// kInternal.
[[nodiscard]] core::Result<OwnerKey> OwnerKeyOf(const core::SecretBytes& owner_secret);
[[nodiscard]] core::Result<OwnerSignature> SignOwnerAuth(const core::SecretBytes& owner_secret,
                                                         const ethereum::Hash256& message);

// The whole enclave-side check for one sign request. `account_owner` is the owner key the
// request claims for the account (the envelope's binding has already proven it, or the
// decryption failed); `nonce`/`signature` are the request's owner fields (both absent, or
// both present). An unowned account accepts a request without owner fields and refuses one
// with them (kAccountRequestInvalid: nothing to check them against). Fails with
// kAccountOwnerAuthMissing, kAccountOwnerNonceInvalid, kAccountOwnerAuthInvalid,
// kAccountOwnerKeyInvalid.
[[nodiscard]] core::Status CheckOwnerAuthorization(
    const OwnerKey* account_owner, std::string_view name, const ethereum::Address& address,
    const ethereum::Hash256& digest, const core::Bytes* nonce, const OwnerSignature* signature);

// A bounded, thread-safe set of accepted authorizations (their OwnerAuthMessage). When full,
// the oldest entry is forgotten.
class OwnerReplayCache {
 public:
  static constexpr std::size_t kDefaultCapacity = 65536;
  explicit OwnerReplayCache(std::size_t capacity = kDefaultCapacity)
      : capacity_(capacity == 0 ? 1 : capacity) {}

  // Records `message`. Fails with kAccountOwnerNonceReplayed when it is already present.
  [[nodiscard]] core::Status Remember(const ethereum::Hash256& message);
  std::size_t Size() const;

 private:
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::set<ethereum::Hash256> seen_;
  std::deque<ethereum::Hash256> order_;
};

}  // namespace enclavectl::wallet
