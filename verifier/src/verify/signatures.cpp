#include "enclavectl/verifier/signatures.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include <cstdint>
#include <string>

#include "enclavectl/core/ecdsa.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/sha.hpp"

namespace enclavectl::verifier {
namespace {

using core::ErrorCode;
using core::Fail;

core::Status Invalid(const std::string& what) {
  return Fail(ErrorCode::kAppSignatureInvalid, what);
}

// Verification needs no secret, so one randomised context serves every thread (only read).
const secp256k1_context* VerifyContext() {
  static const core::Secp256k1ContextPtr ctx = core::MakeSecp256k1Context();
  return ctx.get();
}

// A P-256 public key from SEC1 octets (33 or 65 bytes) or a DER SubjectPublicKeyInfo.
core::EvpPkeyPtr ParseP256PublicKey(core::ByteView bytes) {
  if (bytes.size() == 33 || bytes.size() == 65) {
    auto key = core::MakeEcKey(core::Curve::kP256, bytes);
    return key ? std::move(*key) : nullptr;
  }
  const unsigned char* in = bytes.data();
  core::EvpPkeyPtr key(d2i_PUBKEY(nullptr, &in, static_cast<long>(bytes.size())));  // NOLINT
  if (!key || in != bytes.data() + bytes.size() ||                                  // NOLINT
      core::CurveOf(key.get()) != core::Curve::kP256) {
    return nullptr;
  }
  return key;
}

}  // namespace

core::Status VerifyBip340(core::ByteView public_key, core::ByteView message,
                          core::ByteView signature) {
  if (public_key.size() == 33 && (public_key[0] == 0x02 || public_key[0] == 0x03)) {
    public_key = public_key.subspan(1);
  }
  if (public_key.size() != 32 || signature.size() != 64) {
    return Invalid("a BIP-340 key is 32 bytes (x-only) and a signature 64 bytes");
  }
  const secp256k1_context* ctx = VerifyContext();
  secp256k1_xonly_pubkey key;
  if (ctx == nullptr || secp256k1_xonly_pubkey_parse(ctx, &key, public_key.data()) != 1) {
    ERR_clear_error();
    return Invalid("the BIP-340 public key is not an x coordinate on secp256k1");
  }
  if (secp256k1_schnorrsig_verify(ctx, signature.data(), message.data(), message.size(), &key) !=
      1) {
    return Invalid("the BIP-340 signature does not verify");
  }
  return core::Ok();
}

core::Status VerifyEcdsaSecp256k1(core::ByteView public_key, const core::Sha256Digest& digest,
                                  core::ByteView signature) {
  const secp256k1_context* ctx = VerifyContext();
  secp256k1_pubkey key;
  if (ctx == nullptr ||
      secp256k1_ec_pubkey_parse(ctx, &key, public_key.data(), public_key.size()) != 1) {
    return Invalid("the secp256k1 public key is not a valid SEC1 point");
  }
  secp256k1_ecdsa_signature sig;
  const bool parsed =
      signature.size() == 64
          ? secp256k1_ecdsa_signature_parse_compact(ctx, &sig, signature.data()) == 1
          : secp256k1_ecdsa_signature_parse_der(ctx, &sig, signature.data(), signature.size()) == 1;
  if (!parsed) {
    return Invalid("the ECDSA signature is neither strict DER nor 64-byte r||s");
  }
  // secp256k1_ecdsa_verify refuses high-S signatures: the service only produces low-S.
  if (secp256k1_ecdsa_verify(ctx, &sig, digest.data(), &key) != 1) {
    return Invalid("the ECDSA secp256k1 signature does not verify (or is not low-S)");
  }
  return core::Ok();
}

core::Status VerifyEcdsaP256(core::ByteView public_key, const core::Sha256Digest& digest,
                             core::ByteView signature) {
  core::EvpPkeyPtr key = ParseP256PublicKey(public_key);
  if (!key) {
    ERR_clear_error();
    return Invalid("the P-256 public key is not a valid point or SubjectPublicKeyInfo");
  }
  core::Bytes der;
  if (signature.size() == 64) {
    auto converted = core::RawSignatureToDer(signature, core::Curve::kP256);
    if (!converted) {
      return Invalid("the P-256 signature is not r||s");
    }
    der = std::move(*converted);
  } else {
    // Only canonical DER: re-encoding must give the same bytes.
    auto raw = core::DerSignatureToRaw(signature, core::Curve::kP256);
    auto again = raw ? core::RawSignatureToDer(*raw, core::Curve::kP256) : raw;
    if (!again || !core::Equal(*again, signature)) {
      ERR_clear_error();
      return Invalid("the P-256 signature is neither DER nor 64-byte r||s");
    }
    der = core::ToBytes(signature);
  }
  core::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1 ||
      EVP_PKEY_verify(ctx.get(), der.data(), der.size(), digest.data(), digest.size()) != 1) {
    ERR_clear_error();
    return Invalid("the ECDSA P-256 signature does not verify");
  }
  return core::Ok();
}

core::Status VerifyResponseSignature(std::string_view body, std::string_view signature_hex,
                                     std::string_view public_key_hex) {
  if (signature_hex.size() != 128 || public_key_hex.size() != 66) {
    return Invalid("X-Attestation-Signature must be 128 and X-Attestation-Pubkey 66 hex digits");
  }
  auto signature = core::HexDecode(signature_hex);
  auto public_key = core::HexDecode(public_key_hex);
  if (!signature || !public_key) {
    return Invalid("X-Attestation-Signature or X-Attestation-Pubkey is not hex");
  }
  if ((*public_key)[0] != 0x02 && (*public_key)[0] != 0x03) {
    return Invalid("X-Attestation-Pubkey is not a compressed secp256k1 key");
  }
  const core::Sha256Digest digest = core::Sha256(core::AsBytes(body));
  return VerifyBip340(*public_key, digest, *signature);
}

core::Sha256Digest ExchangeSignatureDigest(std::string_view method, std::string_view path,
                                           unsigned status, std::string_view nonce,
                                           std::string_view body) {
  const core::Sha256Digest body_digest = core::Sha256(core::AsBytes(body));
  const std::string status_text = std::to_string(status);
  core::Bytes message(kExchangeSignatureDomain.begin(), kExchangeSignatureDomain.end());
  const auto append = [&message](core::ByteView field) {
    const auto length = static_cast<std::uint32_t>(field.size());
    for (const unsigned shift : {24U, 16U, 8U, 0U}) {
      message.push_back(static_cast<std::uint8_t>((length >> shift) & 0xffU));
    }
    message.insert(message.end(), field.begin(), field.end());
  };
  append(core::AsBytes(method));
  append(core::AsBytes(path));
  append(core::AsBytes(status_text));
  append(core::AsBytes(nonce));
  append(body_digest);
  return core::Sha256(message);
}

core::Status VerifyExchangeSignature(std::string_view method, std::string_view path,
                                     unsigned status, std::string_view nonce,
                                     std::string_view body, std::string_view signature_hex,
                                     std::string_view public_key_hex) {
  if (signature_hex.size() != 128 || public_key_hex.size() != 66) {
    return Invalid(
        "X-Enclavectl-Exchange-Signature must be 128 and X-Attestation-Pubkey 66 hex digits");
  }
  auto signature = core::HexDecode(signature_hex);
  auto public_key = core::HexDecode(public_key_hex);
  if (!signature || !public_key) {
    return Invalid("X-Enclavectl-Exchange-Signature or X-Attestation-Pubkey is not hex");
  }
  if ((*public_key)[0] != 0x02 && (*public_key)[0] != 0x03) {
    return Invalid("X-Attestation-Pubkey is not a compressed secp256k1 key");
  }
  const core::Sha256Digest digest = ExchangeSignatureDigest(method, path, status, nonce, body);
  return VerifyBip340(*public_key, digest, *signature);
}

}  // namespace enclavectl::verifier
