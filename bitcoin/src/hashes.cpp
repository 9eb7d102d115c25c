#include "enclavectl/bitcoin/hashes.hpp"

#include <openssl/evp.h>

#include <new>

#include "enclavectl/core/sha.hpp"

namespace enclavectl::bitcoin {
namespace {

// EVP_MD_fetch finds RIPEMD-160 in OpenSSL 3.0.7+'s default provider; SHA-1 is always there.
// The fetched methods live for the process (one each, fetched once, thread-safe).
const EVP_MD* Ripemd160Md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "RIPEMD160", nullptr);
  return md;
}

Hash160Digest Digest160(const EVP_MD* md, ByteView data) {
  Hash160Digest out{};
  unsigned int len = 0;
  if (md == nullptr || EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1 ||
      len != out.size()) {
    throw std::bad_alloc();  // only on allocation failure or a provider without the digest
  }
  return out;
}

}  // namespace

Hash256 Sha256(ByteView data) { return core::Sha256(data); }

Hash256 DoubleSha256(ByteView data) {
  const Hash256 first = core::Sha256(data);
  return core::Sha256(first);
}

Hash160Digest Ripemd160(ByteView data) { return Digest160(Ripemd160Md(), data); }

Hash160Digest Sha1(ByteView data) { return Digest160(EVP_sha1(), data); }

Hash160Digest Hash160(ByteView data) { return Ripemd160(core::Sha256(data)); }

TaggedHasher::TaggedHasher(std::string_view tag) {
  const Hash256 tag_hash = core::Sha256(core::AsBytes(tag));
  hasher_.Update(tag_hash);
  hasher_.Update(tag_hash);
}

Hash256 TaggedHash(std::string_view tag, ByteView msg) {
  TaggedHasher hasher(tag);
  hasher.Update(msg);
  return hasher.Finish();
}

}  // namespace enclavectl::bitcoin
