#include "enclavectl/core/sha.hpp"

#include <new>
#include <type_traits>

namespace enclavectl::core {
namespace {

template <typename Digest>
Digest OneShot(const EVP_MD* md, ByteView data) {
  Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1 ||
      len != out.size()) {
    throw std::bad_alloc();  // EVP_Digest fails only on allocation failure
  }
  return out;
}

EvpMdCtxPtr NewDigestCtx(const EVP_MD* md) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) {
    throw std::bad_alloc();
  }
  return ctx;
}

template <typename Digest>
Digest FinishAndReset(EVP_MD_CTX* ctx, const EVP_MD* md) {
  Digest out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx, out.data(), &len) != 1 || len != out.size() ||
      EVP_DigestInit_ex(ctx, md, nullptr) != 1) {
    throw std::bad_alloc();
  }
  return out;
}

// The digest implementation, fetched from the default provider once per process: passing
// OpenSSL 3's legacy EVP_sha256()/EVP_sha384() makes every EVP_Digest call look the
// algorithm up again under the provider store's lock. Never freed (process lifetime).
const EVP_MD* Fetched(const char* name) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) {
    throw std::bad_alloc();  // the default provider always has SHA-2
  }
  return md;
}

template <typename Digest>
const EVP_MD* MdFor() {
  static_assert(std::is_same_v<Digest, Sha256Digest> || std::is_same_v<Digest, Sha384Digest>);
  if constexpr (std::is_same_v<Digest, Sha256Digest>) {
    static const EVP_MD* const md = Fetched("SHA2-256");
    return md;
  } else {
    static const EVP_MD* const md = Fetched("SHA2-384");
    return md;
  }
}

}  // namespace

Sha256Digest Sha256(ByteView data) { return OneShot<Sha256Digest>(MdFor<Sha256Digest>(), data); }
Sha384Digest Sha384(ByteView data) { return OneShot<Sha384Digest>(MdFor<Sha384Digest>(), data); }

template <typename Digest>
ShaHasher<Digest>::ShaHasher() : ctx_(NewDigestCtx(MdFor<Digest>())) {}

template <typename Digest>
void ShaHasher<Digest>::Update(ByteView data) {
  if (EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1) {
    throw std::bad_alloc();
  }
}

template <typename Digest>
Digest ShaHasher<Digest>::Finish() {
  return FinishAndReset<Digest>(ctx_.get(), MdFor<Digest>());
}

template class ShaHasher<Sha256Digest>;
template class ShaHasher<Sha384Digest>;

}  // namespace enclavectl::core
