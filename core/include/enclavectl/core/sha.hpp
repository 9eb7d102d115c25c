// SHA-256 and SHA-384 (OpenSSL EVP), one-shot and incremental.
#pragma once

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::core {

Sha256Digest Sha256(ByteView data);
Sha384Digest Sha384(ByteView data);

// Incremental hashing for data that arrives in pieces (EIF sections, Sig_structure parts).
// Not copyable; movable. Abort()s on an OpenSSL allocation failure at construction, which
// is treated like std::bad_alloc.
class Sha384Hasher {
 public:
  Sha384Hasher();
  void Update(ByteView data);
  // Returns the digest and resets the hasher for reuse.
  Sha384Digest Finish();

 private:
  EvpMdCtxPtr ctx_;
};

class Sha256Hasher {
 public:
  Sha256Hasher();
  void Update(ByteView data);
  Sha256Digest Finish();

 private:
  EvpMdCtxPtr ctx_;
};

}  // namespace enclavectl::core
