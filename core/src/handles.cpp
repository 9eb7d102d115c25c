#include "enclavectl/core/handles.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include <array>
#include <string>

namespace enclavectl::core {

Secp256k1ContextPtr MakeSecp256k1Context() {
  Secp256k1ContextPtr ctx(
      secp256k1_context_create(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY));
  if (!ctx) {
    return nullptr;
  }
  std::array<unsigned char, 32> seed{};
  const bool seeded = RAND_bytes(seed.data(), static_cast<int>(seed.size())) == 1 &&
                      secp256k1_context_randomize(ctx.get(), seed.data()) == 1;
  OPENSSL_cleanse(seed.data(), seed.size());
  if (!seeded) {
    return nullptr;
  }
  return ctx;
}

std::string DrainOpensslErrors(const char* what) {
  std::string out(what);
  bool first = true;
  unsigned long err = 0;  // NOLINT(google-runtime-int): OpenSSL's type
  while ((err = ERR_get_error()) != 0) {
    std::array<char, 256> buf{};
    ERR_error_string_n(err, buf.data(), buf.size());
    out += first ? ": " : "; ";
    out += buf.data();
    first = false;
  }
  return out;
}

}  // namespace enclavectl::core
