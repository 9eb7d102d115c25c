// SecretBytes: key material that wipes itself (STYLE.md section 4).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "enclavectl/core/bytes.hpp"

namespace enclavectl::core {

// Move-only owned bytes, wiped with OPENSSL_cleanse when destroyed or reassigned. It has
// no operator<<, no JSON serializer and no implicit conversion, so it cannot end up in a
// log line by accident. Reading it requires an explicit View().
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

  ByteView View() const noexcept { return data_; }
  std::uint8_t* MutableData() noexcept { return data_.data(); }
  std::size_t size() const noexcept { return data_.size(); }
  bool empty() const noexcept { return data_.empty(); }

  // Wipes and empties.
  void Clear() noexcept;

 private:
  std::vector<std::uint8_t> data_;
};

}  // namespace enclavectl::core
