// Test helpers for the local KMS: EC keys, the peer's side of ECDH computed with OpenSSL
// alone (the independent check of DeriveSharedSecret), and requests signed as botocore signs
// them.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <string>
#include <vector>

#include "enclavectl/aws/sigv4.hpp"
#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/handles.hpp"

namespace enclavectl::testing {

// A fresh EC key on `curve` ("P-256", "P-384", "secp256k1", "P-521").
inline core::EvpPkeyPtr GenerateEcKey(const char* curve) {
  return core::EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
}

// ECDH(peer's private key, the DER SubjectPublicKeyInfo `other_spki`): the x coordinate.
inline core::Bytes PeerEcdh(EVP_PKEY* peer, core::ByteView other_spki) {
  const unsigned char* in = other_spki.data();
  core::EvpPkeyPtr other(d2i_PUBKEY(nullptr, &in, static_cast<long>(other_spki.size())));
  core::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, peer, nullptr));
  std::size_t len = 0;
  if (!other || !ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), other.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1) {
    return {};
  }
  core::Bytes out(len);
  if (EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1) {
    return {};
  }
  return out;
}

// The headers of a KMS JSON request signed at `time` the way botocore signs it
// (content-type;host;x-amz-date;x-amz-target), the added X-Amz-Date and Authorization last.
inline std::vector<aws::HttpHeader> SignedKmsHeaders(const std::string& host,
                                                     const std::string& operation,
                                                     const std::string& body,
                                                     const aws::AwsCredentials& credentials,
                                                     core::UnixMillis time) {
  aws::SigningRequest request;
  request.method = "POST";
  request.path = "/";
  request.headers = {{"Host", host},
                     {"Content-Type", "application/x-amz-json-1.1"},
                     {"X-Amz-Target", "TrentService." + operation}};
  request.payload = core::AsBytes(body);
  aws::SigningParams params;
  params.region = "us-east-1";
  params.service = "kms";
  params.time = time;
  auto parts = aws::SignHeaders(request, credentials, params);
  std::vector<aws::HttpHeader> out = request.headers;
  if (parts) {
    out.insert(out.end(), parts->added_headers.begin(), parts->added_headers.end());
  }
  return out;
}

}  // namespace enclavectl::testing
