#include "enclavectl/verifier/chain.hpp"

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "enclavectl/core/ecdsa.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/p384.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/core/time.hpp"

namespace enclavectl::verifier {
namespace {

using core::ErrorCode;
using core::Fail;

// Domain separation for the prefix keys of ChainCache.
constexpr std::string_view kCacheKeyDomain = "enclavectl chain-prefix v1";

std::int64_t Asn1TimeToUnix(const ASN1_TIME* t) {
  struct tm tm = {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    return 0;
  }
  return core::UnixSecondsFromUtc(
      tm.tm_year + 1900, static_cast<unsigned>(tm.tm_mon + 1), static_cast<unsigned>(tm.tm_mday),
      static_cast<unsigned>(tm.tm_hour), static_cast<unsigned>(tm.tm_min),
      static_cast<unsigned>(tm.tm_sec));
}

std::string NameToString(const X509_NAME* name) {
  core::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) {
    throw std::bad_alloc();
  }
  // RFC 2253 escapes control and non-ASCII characters, so untrusted names print safely.
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

// The certificate's DER as parsed (the TBS part is OpenSSL's cached original encoding, the
// bytes its signature covers).
core::Bytes CertificateDer(X509* cert) {
  const int size = i2d_X509(cert, nullptr);
  if (size <= 0) {
    throw std::bad_alloc();  // a parsed certificate always encodes
  }
  core::Bytes der(static_cast<std::size_t>(size));
  unsigned char* out = der.data();
  if (i2d_X509(cert, &out) != size) {
    throw std::bad_alloc();
  }
  return der;
}

core::Sha256Digest CertificateSha256(X509* cert) { return core::Sha256(CertificateDer(cert)); }

// The tbsCertificate element (tag, length and contents) of a certificate's DER, or empty.
core::ByteView TbsOf(core::ByteView der) {
  const unsigned char* p = der.data();
  long length = 0;  // NOLINT(google-runtime-int): OpenSSL's type
  int tag = 0;
  int tag_class = 0;
  const long total = static_cast<long>(der.size());  // NOLINT(google-runtime-int)
  if ((ASN1_get_object(&p, &length, &tag, &tag_class, total) & 0x80) != 0 ||
      tag != V_ASN1_SEQUENCE) {
    return {};
  }
  const unsigned char* const tbs_start = p;
  const long remaining = total - (p - der.data());  // NOLINT(google-runtime-int)
  if ((ASN1_get_object(&p, &length, &tag, &tag_class, remaining) & 0x80) != 0 ||
      tag != V_ASN1_SEQUENCE || length > remaining - (p - tbs_start)) {
    return {};
  }
  return {tbs_start, static_cast<std::size_t>(p - tbs_start) + static_cast<std::size_t>(length)};
}

// X509_verify(cert, issuer_key), with the shape every Nitro chain uses (ecdsa-with-SHA384
// under a P-384 issuer key, no algorithm parameters) verified on Nettle's P-384 (core/p384.hpp)
// in about half the time. The checks are OpenSSL's (crypto/asn1/a_verify.c, ec/ecdsa_ossl.c):
// the outer and TBS signature algorithms are the same, the BIT STRING has no unused bits, the
// signature is a DER ECDSA-Sig-Value exactly as DER re-encodes it, r and s lie in [1, n-1],
// the issuer's point is on the curve. Any other shape goes to X509_verify itself.
bool VerifyCertificateSignature(X509* cert, core::ByteView der, EVP_PKEY* issuer_key) {
  const ASN1_BIT_STRING* signature = nullptr;
  const X509_ALGOR* outer = nullptr;
  X509_get0_signature(&signature, &outer, cert);
  const ASN1_OBJECT* oid = nullptr;
  int parameter_type = 0;
  const void* parameter = nullptr;
  X509_ALGOR_get0(&oid, &parameter_type, &parameter, outer);
  if (X509_get_signature_nid(cert) != NID_ecdsa_with_SHA384 || parameter_type != V_ASN1_UNDEF ||
      core::CurveOf(issuer_key) != core::Curve::kP384) {
    return X509_verify(cert, issuer_key) == 1;
  }
  if (X509_ALGOR_cmp(outer, X509_get0_tbs_sigalg(cert)) != 0 || signature == nullptr ||
      (signature->flags & 0x07) != 0) {
    return false;
  }
  const core::ByteView tbs = TbsOf(der);
  const core::ByteView signature_der(signature->data,
                                     static_cast<std::size_t>(std::max(signature->length, 0)));
  auto raw = core::DerSignatureToRaw(signature_der, core::Curve::kP384);
  if (tbs.empty() || !raw) {
    return false;
  }
  auto canonical = core::RawSignatureToDer(*raw, core::Curve::kP384);
  if (!canonical || !std::ranges::equal(*canonical, signature_der)) {
    return false;
  }
  auto point = core::p384::PublicPoint(issuer_key);
  return point && core::p384::VerifyDigest(*point, core::Sha384(tbs), *raw).has_value();
}

// State shared with the verification hook through the X509_STORE_CTX app data.
struct HookState {
  ChainCache* cache = nullptr;
  std::time_t time = 0;
  int verified = 0;
  int cached = 0;
};

int HookError(X509_STORE_CTX* ctx, X509* cert, int depth, int error) {
  X509_STORE_CTX_set_current_cert(ctx, cert);
  X509_STORE_CTX_set_error_depth(ctx, depth);
  X509_STORE_CTX_set_error(ctx, error);
  X509_STORE_CTX_verify_cb callback = X509_STORE_CTX_get_verify_cb(ctx);
  return callback != nullptr ? callback(0, ctx) : 0;
}

// Replaces OpenSSL's internal signature-and-validity pass (X509_STORE_CTX_set_verify): the
// same checks, from the trust anchor down, except that a signature whose chain prefix is
// in the cache (and valid at this time) is not recomputed. Everything else OpenSSL checks
// (issuer names, basicConstraints, path length, key usage, critical extensions) still runs
// in X509_verify_cert around this hook.
int VerifySignaturesAndTimes(X509_STORE_CTX* ctx) {
  auto* state = static_cast<HookState*>(X509_STORE_CTX_get_app_data(ctx));
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx);
  const int n = sk_X509_num(chain);
  if (state == nullptr || n <= 0) {
    return 0;
  }
  core::Sha256Digest prefix = core::Sha256(core::AsBytes(kCacheKeyDomain));
  std::int64_t window_start = std::numeric_limits<std::int64_t>::min();
  std::int64_t window_end = std::numeric_limits<std::int64_t>::max();
  for (int depth = n - 1; depth >= 0; --depth) {
    X509* cert = sk_X509_value(chain, depth);
    // Validity at the chosen time (RFC 5280 6.1.3 (a)(2)); as OpenSSL, notAfter == t is
    // expired.
    const int not_before = X509_cmp_time(X509_get0_notBefore(cert), &state->time);
    if (not_before == 0) {
      return HookError(ctx, cert, depth, X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD);
    }
    if (not_before > 0) {
      return HookError(ctx, cert, depth, X509_V_ERR_CERT_NOT_YET_VALID);
    }
    const int not_after = X509_cmp_time(X509_get0_notAfter(cert), &state->time);
    if (not_after == 0) {
      return HookError(ctx, cert, depth, X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD);
    }
    if (not_after < 0) {
      return HookError(ctx, cert, depth, X509_V_ERR_CERT_HAS_EXPIRED);
    }
    const core::Bytes der = CertificateDer(cert);
    const core::Sha256Digest cert_hash = core::Sha256(der);
    core::Sha256Hasher hasher;
    hasher.Update(prefix);
    hasher.Update(cert_hash);
    prefix = hasher.Finish();
    window_start = std::max(window_start, Asn1TimeToUnix(X509_get0_notBefore(cert)));
    window_end = std::min(window_end, Asn1TimeToUnix(X509_get0_notAfter(cert)));
    if (depth == n - 1) {
      // The trust anchor is pinned by its DER; like OpenSSL, its self-signature is not
      // re-verified here (TrustAnchor checked it once when it was loaded).
      continue;
    }
    if (state->cache != nullptr && state->cache->Contains(prefix, state->time)) {
      ++state->cached;
      continue;
    }
    X509* issuer = sk_X509_value(chain, depth + 1);
    EVP_PKEY* issuer_key = X509_get0_pubkey(issuer);
    if (issuer_key == nullptr) {
      return HookError(ctx, cert, depth, X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY);
    }
    if (!VerifyCertificateSignature(cert, der, issuer_key)) {
      return HookError(ctx, cert, depth, X509_V_ERR_CERT_SIGNATURE_FAILURE);
    }
    ++state->verified;
    if (state->cache != nullptr) {
      state->cache->Insert(prefix, window_start, window_end);
    }
  }
  return 1;
}

ErrorCode MapVerifyError(int error) {
  switch (error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return ErrorCode::kCertExpired;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return ErrorCode::kCertNotYetValid;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
      return ErrorCode::kCertSignature;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_CERT_CHAIN_TOO_LONG:
      return ErrorCode::kChainIssuer;
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
    case X509_V_ERR_INVALID_PURPOSE:
    case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
    case X509_V_ERR_INVALID_EXTENSION:
    case X509_V_ERR_INVALID_NON_CA:
      return ErrorCode::kCertConstraints;
    default:
      return ErrorCode::kChainInvalid;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------
// ChainCache

std::size_t ChainCache::KeyHash::operator()(const core::Sha256Digest& d) const noexcept {
  std::size_t out = 0;
  std::memcpy(&out, d.data(), sizeof(out));
  return out;
}

bool ChainCache::Contains(const core::Sha256Digest& key, std::int64_t unix_seconds) {
  std::shared_lock lock(mutex_);
  auto it = entries_.find(key);
  const bool hit = it != entries_.end() && it->second.not_before <= unix_seconds &&
                   unix_seconds < it->second.not_after;
  (hit ? hits_ : misses_).fetch_add(1, std::memory_order_relaxed);
  return hit;
}

void ChainCache::Insert(const core::Sha256Digest& key, std::int64_t not_before,
                        std::int64_t not_after) {
  std::lock_guard lock(mutex_);
  if (entries_.size() >= max_entries_ && entries_.find(key) == entries_.end()) {
    // Evict the entry that expires first: the least useful one.
    auto victim = std::min_element(
        entries_.begin(), entries_.end(),
        [](const auto& a, const auto& b) { return a.second.not_after < b.second.not_after; });
    if (victim != entries_.end()) {
      entries_.erase(victim);
    }
  }
  if (max_entries_ > 0) {
    entries_[key] = Window{not_before, not_after};
  }
}

core::X509Ptr ChainCache::FindCertificate(const core::Sha256Digest& der_sha256) {
  std::shared_lock lock(mutex_);
  auto it = certificates_.find(der_sha256);
  if (it == certificates_.end() || X509_up_ref(it->second.get()) != 1) {
    return nullptr;
  }
  return core::X509Ptr(it->second.get());
}

void ChainCache::InsertCertificate(const core::Sha256Digest& der_sha256, X509* cert) {
  std::lock_guard lock(mutex_);
  if (max_entries_ == 0 || certificates_.contains(der_sha256) || X509_up_ref(cert) != 1) {
    return;
  }
  core::X509Ptr owned(cert);
  if (certificates_.size() >= max_entries_) {
    certificates_.erase(certificates_.begin());
  }
  certificates_.emplace(der_sha256, std::move(owned));
}

ChainCache::Stats ChainCache::GetStats() const {
  std::shared_lock lock(mutex_);
  return Stats{hits_.load(), misses_.load(), entries_.size()};
}

void ChainCache::Clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
  certificates_.clear();
  hits_ = 0;
  misses_ = 0;
}

// ---------------------------------------------------------------------------------------
// Chain parsing and description

core::Result<std::vector<core::X509Ptr>> ParseChainCertificates(const AttestationDocument& doc,
                                                                const TrustAnchor& root,
                                                                ChainCache* cache) {
  std::vector<core::X509Ptr> out;
  out.reserve(doc.cabundle.size() + 1);
  for (std::size_t position = 0; position <= doc.cabundle.size(); ++position) {
    const Bytes& der = position < doc.cabundle.size() ? doc.cabundle[position] : doc.certificate;
    if (core::Equal(der, root.Der()) && X509_up_ref(root.Certificate()) == 1) {
      out.emplace_back(root.Certificate());
      continue;
    }
    const core::Sha256Digest der_sha256 =
        cache != nullptr ? core::Sha256(der) : core::Sha256Digest{};
    if (cache != nullptr) {
      if (core::X509Ptr cached = cache->FindCertificate(der_sha256)) {
        out.push_back(std::move(cached));
        continue;
      }
    }
    const unsigned char* in = der.data();
    core::X509Ptr cert(d2i_X509(nullptr, &in, static_cast<long>(der.size())));  // NOLINT
    if (!cert || in != der.data() + der.size()) {                               // NOLINT
      core::DrainOpensslErrors("");
      return Fail(ErrorCode::kCertParse,
                  (position < doc.cabundle.size() ? "cabundle[" + std::to_string(position) + "]"
                                                  : std::string("the leaf certificate")) +
                      " is not one valid DER certificate",
                  static_cast<int>(position));
    }
    if (cache != nullptr) {
      cache->InsertCertificate(der_sha256, cert.get());
    }
    out.push_back(std::move(cert));
  }
  return out;
}

CertificateInfo DescribeCertificate(X509* cert) {
  CertificateInfo info;
  info.subject = NameToString(X509_get_subject_name(cert));
  info.issuer = NameToString(X509_get_issuer_name(cert));
  info.not_before = Asn1TimeToUnix(X509_get0_notBefore(cert));
  info.not_after = Asn1TimeToUnix(X509_get0_notAfter(cert));
  info.sha256 = CertificateSha256(cert);
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  if (serial != nullptr) {
    info.serial_hex = core::HexEncode(core::ByteView(
        ASN1_STRING_get0_data(serial), static_cast<std::size_t>(ASN1_STRING_length(serial))));
  }
  return info;
}

// ---------------------------------------------------------------------------------------
// Chain validation

core::Result<VerifiedChain> VerifyChain(const AttestationDocument& doc,
                                        const std::vector<core::X509Ptr>& certs,
                                        const TrustAnchor& root, std::int64_t unix_seconds,
                                        ChainCache* cache) {
  const int num_certs = static_cast<int>(certs.size());
  if (num_certs != static_cast<int>(doc.cabundle.size()) + 1) {
    return Fail(ErrorCode::kInternal, "certificates do not match the document");
  }
  // 3.2.3: the bundle starts with the root, which must be the pinned one.
  if (!core::Equal(doc.cabundle.front(), root.Der())) {
    return Fail(ErrorCode::kChainRootMismatch,
                "cabundle[0] is not the pinned root (" + root.Describe() + ")", 0);
  }
  // 3.2.3: every certificate is ECDSA P-384 with SHA-384.
  for (int position = 0; position < num_certs; ++position) {
    X509* cert = certs[static_cast<std::size_t>(position)].get();
    if (core::CurveOf(X509_get0_pubkey(cert)) != core::Curve::kP384 ||
        X509_get_signature_nid(cert) != NID_ecdsa_with_SHA384) {
      return Fail(ErrorCode::kCertKeyType,
                  "certificate " + std::to_string(position) + " is not P-384 / ECDSA-SHA384",
                  position);
    }
  }
  core::X509StackPtr untrusted(sk_X509_new_null());
  if (!untrusted) {
    throw std::bad_alloc();
  }
  for (int position = 1; position < num_certs - 1; ++position) {
    if (sk_X509_push(untrusted.get(), certs[static_cast<std::size_t>(position)].get()) <= 0) {
      throw std::bad_alloc();
    }
  }
  X509* leaf = certs.back().get();
  core::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), root.Store(), leaf, untrusted.get()) != 1) {
    throw std::bad_alloc();
  }
  HookState state;
  state.cache = cache;
  state.time = static_cast<std::time_t>(unix_seconds);
  X509_STORE_CTX_set_time(ctx.get(), 0, state.time);
  X509_STORE_CTX_set_app_data(ctx.get(), &state);
  X509_STORE_CTX_set_verify(ctx.get(), VerifySignaturesAndTimes);
  if (X509_verify_cert(ctx.get()) != 1) {
    const int error = X509_STORE_CTX_get_error(ctx.get());
    const int depth = X509_STORE_CTX_get_error_depth(ctx.get());
    core::DrainOpensslErrors("");
    const int position = num_certs - 1 - depth;
    return Fail(
        MapVerifyError(error),
        "certificate " + std::to_string(position) + ": " + X509_verify_cert_error_string(error),
        position >= 0 && position < num_certs ? position : -1);
  }
  // The path OpenSSL built must be exactly root, cabundle[1..], leaf: no certificate of
  // the bundle skipped, none out of order.
  STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(ctx.get());
  if (sk_X509_num(built) != num_certs) {
    return Fail(ErrorCode::kChainIssuer,
                "the certificate path has " + std::to_string(sk_X509_num(built)) +
                    " certificates but the document carries " + std::to_string(num_certs));
  }
  for (int depth = 0; depth < num_certs; ++depth) {
    const int position = num_certs - 1 - depth;
    if (X509_cmp(sk_X509_value(built, depth), certs[static_cast<std::size_t>(position)].get()) !=
        0) {
      return Fail(ErrorCode::kChainIssuer,
                  "cabundle is not in root-to-leaf order at position " + std::to_string(position),
                  position);
    }
  }
  // The leaf is an end-entity certificate allowed to sign (nsm.md 5.3: CA:FALSE,
  // digitalSignature).
  if ((X509_get_extension_flags(leaf) & EXFLAG_CA) != 0) {
    return Fail(ErrorCode::kCertConstraints, "the leaf certificate has CA:TRUE", num_certs - 1);
  }
  if ((X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) != 0 &&
      (X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE) == 0) {
    return Fail(ErrorCode::kCertConstraints, "the leaf key usage does not allow signing",
                num_certs - 1);
  }
  VerifiedChain out;
  out.signatures_verified = state.verified;
  out.signatures_cached = state.cached;
  return out;
}

}  // namespace enclavectl::verifier
