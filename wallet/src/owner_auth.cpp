#include "enclavectl/wallet/owner_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include <algorithm>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/sha.hpp"

namespace enclavectl::wallet {
namespace {

using core::ErrorCode;
using core::Fail;

// Verification and x-only parsing only: a context used read-only, shared between threads.
const secp256k1_context* VerifyContext() {
  static const core::Secp256k1ContextPtr ctx(secp256k1_context_create(SECP256K1_CONTEXT_NONE));
  return ctx.get();
}

// A keypair wiped on scope exit.
struct Keypair {
  secp256k1_keypair value{};
  ~Keypair() { OPENSSL_cleanse(&value, sizeof(value)); }
};

}  // namespace

core::Result<OwnerKey> ParseOwnerKey(std::string_view hex) {
  auto bytes = hex.size() == 2 * kOwnerKeyLen ? core::HexDecode(hex)
                                              : core::Result<core::Bytes>(core::Bytes{});
  if (!bytes || bytes->size() != kOwnerKeyLen) {
    return Fail(ErrorCode::kAccountOwnerKeyInvalid,
                "owner key: expected 64 hex digits (an x-only BIP-340 key)");
  }
  OwnerKey key{};
  std::copy(bytes->begin(), bytes->end(), key.begin());
  if (auto valid = ValidateOwnerKey(key); !valid) {
    return Fail(valid.error());
  }
  return key;
}

core::Status ValidateOwnerKey(const OwnerKey& key) {
  const secp256k1_context* ctx = VerifyContext();
  secp256k1_xonly_pubkey parsed;
  if (ctx == nullptr) {
    return Fail(ErrorCode::kInternal, "secp256k1: cannot create a context");
  }
  if (secp256k1_xonly_pubkey_parse(ctx, &parsed, key.data()) != 1) {
    return Fail(ErrorCode::kAccountOwnerKeyInvalid, "owner key: not an x-only secp256k1 key");
  }
  return core::Ok();
}

std::string OwnerKeyHex(const OwnerKey& key) { return core::HexEncode(key); }

core::Status ValidateOwnerNonce(core::ByteView nonce) {
  if (nonce.size() < kMinOwnerNonceLen || nonce.size() > kMaxOwnerNonceLen) {
    return Fail(ErrorCode::kAccountOwnerNonceInvalid, "owner nonce: expected 16 to 32 bytes");
  }
  return core::Ok();
}

ethereum::Hash256 OwnerAuthMessage(std::string_view name, const ethereum::Address& address,
                                   const ethereum::Hash256& digest, core::ByteView nonce) {
  const core::Sha256Digest tag = core::Sha256(core::AsBytes(kOwnerAuthTag));
  core::Sha256Hasher hasher;
  hasher.Update(tag);
  hasher.Update(tag);
  const auto name_len = static_cast<std::uint32_t>(name.size());
  const std::array<std::uint8_t, 4> len_be = {
      static_cast<std::uint8_t>(name_len >> 24), static_cast<std::uint8_t>(name_len >> 16),
      static_cast<std::uint8_t>(name_len >> 8), static_cast<std::uint8_t>(name_len)};
  hasher.Update(len_be);
  hasher.Update(core::AsBytes(name));
  hasher.Update(address);
  hasher.Update(digest);
  const std::array<std::uint8_t, 1> nonce_len = {static_cast<std::uint8_t>(nonce.size())};
  hasher.Update(nonce_len);
  hasher.Update(nonce);
  return hasher.Finish();
}

core::Status VerifyOwnerSignature(const OwnerKey& key, const ethereum::Hash256& message,
                                  const OwnerSignature& signature) {
  const secp256k1_context* ctx = VerifyContext();
  if (ctx == nullptr) {
    return Fail(ErrorCode::kInternal, "secp256k1: cannot create a context");
  }
  secp256k1_xonly_pubkey parsed;
  if (secp256k1_xonly_pubkey_parse(ctx, &parsed, key.data()) != 1) {
    return Fail(ErrorCode::kAccountOwnerKeyInvalid, "owner key: not an x-only secp256k1 key");
  }
  if (secp256k1_schnorrsig_verify(ctx, signature.data(), message.data(), message.size(), &parsed) !=
      1) {
    return Fail(ErrorCode::kAccountOwnerAuthInvalid,
                "owner signature does not verify for this account and request");
  }
  return core::Ok();
}

core::Result<OwnerKey> OwnerKeyOf(const core::SecretBytes& owner_secret) {
  const core::ByteView secret = owner_secret.View();
  const secp256k1_context* ctx = VerifyContext();
  if (ctx == nullptr) {
    return Fail(ErrorCode::kInternal, "secp256k1: cannot create a context");
  }
  Keypair keypair;
  if (secret.size() != 32 || secp256k1_keypair_create(ctx, &keypair.value, secret.data()) != 1) {
    return Fail(ErrorCode::kEthSecretKeyInvalid, "owner secret key: 32 bytes, 0 < key < n");
  }
  secp256k1_xonly_pubkey xonly;
  OwnerKey out{};
  if (secp256k1_keypair_xonly_pub(ctx, &xonly, nullptr, &keypair.value) != 1 ||
      secp256k1_xonly_pubkey_serialize(ctx, out.data(), &xonly) != 1) {
    return Fail(ErrorCode::kInternal, "secp256k1: cannot derive the owner key");
  }
  return out;
}

core::Result<OwnerSignature> SignOwnerAuth(const core::SecretBytes& owner_secret,
                                           const ethereum::Hash256& message) {
  const core::ByteView secret = owner_secret.View();
  const core::Secp256k1ContextPtr ctx = core::MakeSecp256k1Context();
  if (!ctx) {
    return Fail(ErrorCode::kInternal, "secp256k1: cannot create a signing context");
  }
  Keypair keypair;
  if (secret.size() != 32 ||
      secp256k1_keypair_create(ctx.get(), &keypair.value, secret.data()) != 1) {
    return Fail(ErrorCode::kEthSecretKeyInvalid, "owner secret key: 32 bytes, 0 < key < n");
  }
  std::array<std::uint8_t, 32> aux{};
  if (RAND_bytes(aux.data(), static_cast<int>(aux.size())) != 1) {
    return Fail(ErrorCode::kInternal, "RAND_bytes failed");
  }
  OwnerSignature out{};
  if (secp256k1_schnorrsig_sign32(ctx.get(), out.data(), message.data(), &keypair.value,
                                  aux.data()) != 1) {
    return Fail(ErrorCode::kInternal, "secp256k1: BIP-340 signing failed");
  }
  return out;
}

core::Status CheckOwnerAuthorization(const OwnerKey* account_owner, std::string_view name,
                                     const ethereum::Address& address,
                                     const ethereum::Hash256& digest, const core::Bytes* nonce,
                                     const OwnerSignature* signature) {
  if (account_owner == nullptr) {
    if (nonce != nullptr || signature != nullptr) {
      return Fail(ErrorCode::kAccountRequestInvalid,
                  "owner authorization given for an account without an owner");
    }
    return core::Ok();
  }
  if (nonce == nullptr || signature == nullptr) {
    return Fail(ErrorCode::kAccountOwnerAuthMissing,
                "this account is owned: the request needs the owner's signature");
  }
  if (auto valid = ValidateOwnerNonce(*nonce); !valid) {
    return valid;
  }
  return VerifyOwnerSignature(*account_owner, OwnerAuthMessage(name, address, digest, *nonce),
                              *signature);
}

core::Status OwnerReplayCache::Remember(const ethereum::Hash256& message) {
  const std::lock_guard lock(mutex_);
  if (seen_.count(message) != 0) {
    return Fail(ErrorCode::kAccountOwnerNonceReplayed, "this owner authorization was already used");
  }
  if (order_.size() >= capacity_) {
    seen_.erase(order_.front());
    order_.pop_front();
  }
  seen_.insert(message);
  order_.push_back(message);
  return core::Ok();
}

std::size_t OwnerReplayCache::Size() const {
  const std::lock_guard lock(mutex_);
  return seen_.size();
}

}  // namespace enclavectl::wallet
