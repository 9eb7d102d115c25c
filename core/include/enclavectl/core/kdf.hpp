// HMAC-SHA256 (RFC 2104) and HKDF-SHA256 (RFC 5869) through OpenSSL's EVP_MAC / EVP_KDF: the one
// implementation for SigV4's signing keys, the migration state's MAC and every derived key.
#pragma once

#include <cstddef>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"

namespace enclavectl::core {

// HMAC-SHA256(key, data). OpenSSL failing here can only be an allocation failure: it throws
// std::bad_alloc.
Sha256Digest HmacSha256(ByteView key, ByteView data);

// HKDF-SHA256 (extract and expand) of `ikm` with `salt` (empty: no salt, i.e. HashLen zeros)
// and `info`, `length` bytes (1..8160). Fails with kInvalidArgument for a bad length, kInternal
// when OpenSSL fails.
[[nodiscard]] Result<SecretBytes> HkdfSha256(ByteView ikm, ByteView salt, ByteView info,
                                             std::size_t length);

}  // namespace enclavectl::core
