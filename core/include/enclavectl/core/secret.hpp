// SecretBytes: key material that wipes itself (STYLE.md section 4).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "enclavectl/core/bytes.hpp"

namespace enclavectl::core {

namespace detail {
// Secret memory: from OpenSSL's secure heap when the process has initialised it
// (CRYPTO_secure_malloc_init: mlock'ed, excluded from core dumps), else (not initialised, or
// full) from the ordinary heap. Always zeroed when allocated and wiped before it is freed.
// Throws std::bad_alloc when no memory is left.
void* AllocateSecretMemory(std::size_t len);
void FreeSecretMemory(void* p, std::size_t len) noexcept;
// True when `p` (from AllocateSecretMemory) lies in the locked secure heap.
bool IsLockedSecretMemory(const void* p) noexcept;
}  // namespace detail

// The allocator of SecretBytes (see detail::AllocateSecretMemory).
template <typename T>
struct SecretAllocator {
  using value_type = T;
  SecretAllocator() noexcept = default;
  template <typename U>
  SecretAllocator(const SecretAllocator<U>& /*other*/) noexcept {}  // NOLINT: rebinding
  T* allocate(std::size_t n) {
    return static_cast<T*>(detail::AllocateSecretMemory(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept { detail::FreeSecretMemory(p, n * sizeof(T)); }
  template <typename U>
  friend bool operator==(const SecretAllocator& /*a*/, const SecretAllocator<U>& /*b*/) noexcept {
    return true;
  }
};

// Move-only owned bytes, wiped with OPENSSL_cleanse when destroyed or reassigned. It has
// no operator<<, no JSON serializer and no implicit conversion, so it cannot end up in a
// log line by accident. Reading it requires an explicit View(). The bytes live in locked
// memory (SecretAllocator) in processes that initialised OpenSSL's secure heap (enclave-app).
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t len) : data_(len, 0) {}
  // Copies `bytes`; the caller wipes its own copy.
  explicit SecretBytes(ByteView bytes) : data_(bytes.begin(), bytes.end()) {}
  ~SecretBytes();

  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;

  ByteView View() const noexcept { return {data_.data(), data_.size()}; }
  std::uint8_t* MutableData() noexcept { return data_.data(); }
  std::size_t size() const noexcept { return data_.size(); }
  bool empty() const noexcept { return data_.empty(); }

  // Wipes and empties.
  void Clear() noexcept;
  // True when the bytes lie in OpenSSL's locked secure heap (false when empty).
  bool IsLocked() const noexcept;

 private:
  std::vector<std::uint8_t, SecretAllocator<std::uint8_t>> data_;
};

}  // namespace enclavectl::core
