// SHA-256 and SHA-384 (OpenSSL EVP), one-shot and incremental.
#pragma once

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::core {

Sha256Digest Sha256(ByteView data);
Sha384Digest Sha384(ByteView data);

// Incremental hashing for data that arrives in pieces (EIF sections, Sig_structure parts).
// Movable, not copyable. Throws std::bad_alloc if OpenSSL cannot allocate.
template <typename Digest>
class ShaHasher {
 public:
  ShaHasher();
  void Update(ByteView data);
  // Returns the digest and resets the hasher for reuse.
  Digest Finish();

 private:
  EvpMdCtxPtr ctx_;
};

using Sha256Hasher = ShaHasher<Sha256Digest>;
using Sha384Hasher = ShaHasher<Sha384Digest>;
extern template class ShaHasher<Sha256Digest>;
extern template class ShaHasher<Sha384Digest>;

}  // namespace enclavectl::core
