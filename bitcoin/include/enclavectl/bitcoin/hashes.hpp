// The hash functions of Bitcoin script and Taproot (OpenSSL EVP underneath).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "enclavectl/bitcoin/transaction.hpp"
#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/sha.hpp"

namespace enclavectl::bitcoin {

using Hash160Digest = std::array<std::uint8_t, 20>;

Hash256 Sha256(ByteView data);
// SHA-256(SHA-256(data)), Bitcoin's HASH256.
Hash256 DoubleSha256(ByteView data);
Hash160Digest Ripemd160(ByteView data);
Hash160Digest Sha1(ByteView data);
// RIPEMD-160(SHA-256(data)), Bitcoin's HASH160.
Hash160Digest Hash160(ByteView data);

// BIP-340 tagged hash: SHA-256(SHA-256(tag) || SHA-256(tag) || msg).
Hash256 TaggedHash(std::string_view tag, ByteView msg);

// An incremental tagged hash (the prefix is fed on construction).
class TaggedHasher {
 public:
  explicit TaggedHasher(std::string_view tag);
  void Update(ByteView data) { hasher_.Update(data); }
  Hash256 Finish() { return hasher_.Finish(); }

 private:
  core::Sha256Hasher hasher_;
};

}  // namespace enclavectl::bitcoin
