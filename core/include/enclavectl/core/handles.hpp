// RAII owners for every C resource enclavectl uses (STYLE.md section 4). `new`, `delete`,
// `free` and `*_free` appear nowhere else. Borrowed pointers (OpenSSL get0, items inside a
// libcbor container) are never wrapped.
#pragma once

#include <cbor.h>
#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <secp256k1.h>
#include <unistd.h>
#include <zip.h>

#include <memory>
#include <utility>

namespace enclavectl::core {

// A stateless deleter calling `Fn(p)`, so the unique_ptr stays one word.
template <auto Fn>
struct CDeleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    Fn(p);
  }
};

template <typename T, auto Fn>
using CHandle = std::unique_ptr<T, CDeleter<Fn>>;

// OpenSSL
using EvpPkeyPtr = CHandle<EVP_PKEY, EVP_PKEY_free>;
using EvpPkeyCtxPtr = CHandle<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using EvpMdCtxPtr = CHandle<EVP_MD_CTX, EVP_MD_CTX_free>;
using EvpCipherCtxPtr = CHandle<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using EvpEncodeCtxPtr = CHandle<EVP_ENCODE_CTX, EVP_ENCODE_CTX_free>;
using X509Ptr = CHandle<X509, X509_free>;
using X509StorePtr = CHandle<X509_STORE, X509_STORE_free>;
using X509StoreCtxPtr = CHandle<X509_STORE_CTX, X509_STORE_CTX_free>;
using X509NamePtr = CHandle<X509_NAME, X509_NAME_free>;
using X509ExtensionPtr = CHandle<X509_EXTENSION, X509_EXTENSION_free>;
using Asn1IntegerPtr = CHandle<ASN1_INTEGER, ASN1_INTEGER_free>;
using Asn1TimePtr = CHandle<ASN1_TIME, ASN1_TIME_free>;
using BioPtr = CHandle<BIO, BIO_free_all>;
using BignumPtr = CHandle<BIGNUM, BN_free>;
using BnCtxPtr = CHandle<BN_CTX, BN_CTX_free>;
using EcdsaSigPtr = CHandle<ECDSA_SIG, ECDSA_SIG_free>;
using EcPointPtr = CHandle<EC_POINT, EC_POINT_free>;
using EcGroupPtr = CHandle<EC_GROUP, EC_GROUP_free>;
using OsslParamBldPtr = CHandle<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using OsslParamPtr = CHandle<OSSL_PARAM, OSSL_PARAM_free>;
using EvpMacPtr = CHandle<EVP_MAC, EVP_MAC_free>;
using EvpMacCtxPtr = CHandle<EVP_MAC_CTX, EVP_MAC_CTX_free>;
using EvpKdfPtr = CHandle<EVP_KDF, EVP_KDF_free>;
using EvpKdfCtxPtr = CHandle<EVP_KDF_CTX, EVP_KDF_CTX_free>;
using CmsContentInfoPtr = CHandle<CMS_ContentInfo, CMS_ContentInfo_free>;
using X509AlgorPtr = CHandle<X509_ALGOR, X509_ALGOR_free>;
using RsaOaepParamsPtr = CHandle<RSA_OAEP_PARAMS, RSA_OAEP_PARAMS_free>;

namespace detail {
inline void FreeX509Stack(STACK_OF(X509) * stack) noexcept { sk_X509_free(stack); }
inline void FreeX509StackAndCerts(STACK_OF(X509) * stack) noexcept {
  sk_X509_pop_free(stack, X509_free);
}
inline void FreeOpensslString(char* p) noexcept { OPENSSL_free(p); }
inline void FreeOpensslBytes(unsigned char* p) noexcept { OPENSSL_free(p); }
inline void DecrefCbor(cbor_item_t* item) noexcept { cbor_decref(&item); }
inline void FreeCborBuffer(unsigned char* p) noexcept { free(p); }  // NOLINT: libcbor malloc
}  // namespace detail

// A stack whose certificates are borrowed (pop-free: only the stack is freed).
using X509StackPtr = CHandle<STACK_OF(X509), detail::FreeX509Stack>;
// A stack that owns its certificates.
using X509OwningStackPtr = CHandle<STACK_OF(X509), detail::FreeX509StackAndCerts>;
using OpensslStringPtr = CHandle<char, detail::FreeOpensslString>;
using OpensslBytesPtr = CHandle<unsigned char, detail::FreeOpensslBytes>;

// libcbor: cbor_decref takes cbor_item_t**, hence the wrapper.
using CborItemPtr = CHandle<cbor_item_t, detail::DecrefCbor>;
// Buffers allocated by cbor_serialize_alloc.
using CborBufferPtr = CHandle<unsigned char, detail::FreeCborBuffer>;

// libcurl (easy handles and header lists)
using CurlPtr = CHandle<CURL, curl_easy_cleanup>;
using CurlSlistPtr = CHandle<curl_slist, curl_slist_free_all>;

// libzip: an archive opened for reading is discarded (never written back).
using ZipPtr = CHandle<zip_t, zip_discard>;
using ZipFilePtr = CHandle<zip_file_t, zip_fclose>;
using ZipSourcePtr = CHandle<zip_source_t, zip_source_free>;

// libsecp256k1
using Secp256k1ContextPtr = CHandle<secp256k1_context, secp256k1_context_destroy>;

// A POSIX file descriptor, closed on destruction. -1 means none.
class UniqueFd {
 public:
  UniqueFd() noexcept = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  // Gives up ownership without closing.
  int release() noexcept { return std::exchange(fd_, -1); }
  // Closes now; returns close()'s result (0 when there was nothing to close).
  int Reset() noexcept { return fd_ >= 0 ? ::close(std::exchange(fd_, -1)) : 0; }

 private:
  int fd_ = -1;
};

// A secp256k1 context for signing and verification, randomized against side channels with
// 32 bytes from OpenSSL's CSPRNG. Returns null only if allocation or the RNG fails.
Secp256k1ContextPtr MakeSecp256k1Context();

// Drains OpenSSL's thread-local error queue into one line ("what: reason; reason") and
// clears it. Never branch on its content.
std::string DrainOpensslErrors(const char* what);

}  // namespace enclavectl::core
