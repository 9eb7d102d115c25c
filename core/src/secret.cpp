#include "enclavectl/core/secret.hpp"

#include <openssl/crypto.h>

#include <utility>

namespace enclavectl::core {

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

void SecretBytes::Clear() noexcept {
  if (!data_.empty()) {
    OPENSSL_cleanse(data_.data(), data_.size());
  }
  data_.clear();
}

}  // namespace enclavectl::core
