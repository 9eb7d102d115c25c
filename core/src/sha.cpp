#include "enclavectl/core/sha.hpp"

#include <new>

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

}  // namespace

Sha256Digest Sha256(ByteView data) { return OneShot<Sha256Digest>(EVP_sha256(), data); }
Sha384Digest Sha384(ByteView data) { return OneShot<Sha384Digest>(EVP_sha384(), data); }

Sha384Hasher::Sha384Hasher() : ctx_(NewDigestCtx(EVP_sha384())) {}
void Sha384Hasher::Update(ByteView data) {
  if (EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1) {
    throw std::bad_alloc();
  }
}
Sha384Digest Sha384Hasher::Finish() {
  return FinishAndReset<Sha384Digest>(ctx_.get(), EVP_sha384());
}

Sha256Hasher::Sha256Hasher() : ctx_(NewDigestCtx(EVP_sha256())) {}
void Sha256Hasher::Update(ByteView data) {
  if (EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1) {
    throw std::bad_alloc();
  }
}
Sha256Digest Sha256Hasher::Finish() {
  return FinishAndReset<Sha256Digest>(ctx_.get(), EVP_sha256());
}

}  // namespace enclavectl::core
