#include "enclavectl/core/secret.hpp"

#include <openssl/crypto.h>

#include <new>
#include <utility>

namespace enclavectl::core {

namespace detail {

void* AllocateSecretMemory(std::size_t len) {
  void* p = nullptr;
  if (CRYPTO_secure_malloc_initialized() == 1) {
    // No file/line: a full secure heap must not leave an entry on OpenSSL's error queue.
    p = CRYPTO_secure_zalloc(len, nullptr, 0);
  }
  if (p == nullptr) {
    p = CRYPTO_zalloc(len, nullptr, 0);
  }
  if (p == nullptr) {
    throw std::bad_alloc();
  }
  return p;
}

void FreeSecretMemory(void* p, std::size_t len) noexcept {
  if (p == nullptr) {
    return;
  }
  if (CRYPTO_secure_allocated(p) == 1) {
    CRYPTO_secure_clear_free(p, len, nullptr, 0);
  } else {
    CRYPTO_clear_free(p, len, nullptr, 0);
  }
}

bool IsLockedSecretMemory(const void* p) noexcept {
  return p != nullptr && CRYPTO_secure_allocated(p) == 1;
}

}  // namespace detail

bool ConstantTimeEqual(ByteView a, ByteView b) noexcept {
  if (a.size() != b.size()) {
    return false;
  }
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

SecretBytes::~SecretBytes() { Clear(); }

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : data_(std::move(other.data_)) {
  other.data_.clear();
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Clear();
    data_ = std::move(other.data_);
    other.data_.clear();
  }
  return *this;
}

bool SecretBytes::IsLocked() const noexcept {
  return !data_.empty() && detail::IsLockedSecretMemory(data_.data());
}

void SecretBytes::Clear() noexcept {
  if (!data_.empty()) {
    OPENSSL_cleanse(data_.data(), data_.size());
  }
  data_.clear();
}

}  // namespace enclavectl::core
