#include "enclavectl/core/kdf.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <array>
#include <new>

#include "enclavectl/core/handles.hpp"

namespace enclavectl::core {

Sha256Digest HmacSha256(ByteView key, ByteView data) {
  EvpMacPtr mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) {
    throw std::bad_alloc();
  }
  EvpMacCtxPtr ctx(EVP_MAC_CTX_new(mac.get()));
  char digest[] = "SHA256";
  const std::array<OSSL_PARAM, 2> params = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_END};
  Sha256Digest out{};
  std::size_t out_len = 0;
  if (!ctx || EVP_MAC_init(ctx.get(), key.data(), key.size(), params.data()) != 1 ||
      EVP_MAC_update(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_MAC_final(ctx.get(), out.data(), &out_len, out.size()) != 1 || out_len != out.size()) {
    throw std::bad_alloc();
  }
  return out;
}

Result<SecretBytes> HkdfSha256(ByteView ikm, ByteView salt, ByteView info, std::size_t length) {
  if (length == 0 || length > 255 * 32) {
    return Fail(ErrorCode::kInvalidArgument, "HKDF-SHA256 output is 1..8160 bytes");
  }
  EvpKdfPtr kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (!kdf) {
    return Fail(ErrorCode::kInternal, "HKDF unavailable");
  }
  EvpKdfCtxPtr ctx(EVP_KDF_CTX_new(kdf.get()));
  char digest[] = "SHA256";
  // OpenSSL's OSSL_PARAM takes non-const buffers; it only reads these.
  auto* key =
      const_cast<std::uint8_t*>(ikm.data());  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  auto* salt_data =
      const_cast<std::uint8_t*>(salt.data());  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  auto* info_data =
      const_cast<std::uint8_t*>(info.data());  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  std::array<OSSL_PARAM, 5> params{};
  std::size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, key, ikm.size());
  if (!salt.empty()) {
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt_data, salt.size());
  }
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info_data, info.size());
  params[n] = OSSL_PARAM_construct_end();
  SecretBytes out(length);
  if (!ctx || EVP_KDF_derive(ctx.get(), out.MutableData(), out.size(), params.data()) != 1) {
    return Fail(ErrorCode::kInternal, "HKDF-SHA256 failed");
  }
  return out;
}

}  // namespace enclavectl::core
