#include "enclavectl/core/cose.hpp"

#include <string>
#include <utility>

namespace enclavectl::core::cose {
namespace {

constexpr std::int64_t kHeaderAlg = 1;

std::optional<Curve> CurveForAlg(std::int64_t alg) noexcept {
  if (alg == kAlgEs256) {
    return Curve::kP256;
  }
  if (alg == kAlgEs384) {
    return Curve::kP384;
  }
  return std::nullopt;
}

}  // namespace

Result<Sign1> Decode(ByteView input, const cbor::DecodeLimits& limits) {
  auto decoded = cbor::Decode(input, limits);
  if (!decoded) {
    return Fail(decoded.error());
  }
  const cbor::Item* top = &*decoded;
  Sign1 out;
  // RFC 9052 section 4.2: COSE_Sign1_Tagged = #6.18(COSE_Sign1); untagged is also valid.
  if (top->type == cbor::Type::kTag) {
    if (top->uint_value != kTagSign1) {
      return Fail(ErrorCode::kCoseStructure,
                  "CBOR tag " + std::to_string(top->uint_value) + " is not COSE_Sign1 (18)");
    }
    out.tagged = true;
    top = &top->children.front();
  }
  if (top->type != cbor::Type::kArray || top->children.size() != 4) {
    return Fail(ErrorCode::kCoseStructure, "COSE_Sign1 must be an array of 4 elements");
  }
  const cbor::Item& protected_item = top->children[0];
  const cbor::Item& unprotected = top->children[1];
  const cbor::Item& payload = top->children[2];
  const cbor::Item& signature = top->children[3];
  if (protected_item.type != cbor::Type::kBytes) {
    return Fail(ErrorCode::kCoseStructure, "protected header is not a byte string", 0);
  }
  if (unprotected.type != cbor::Type::kMap) {
    return Fail(ErrorCode::kCoseStructure, "unprotected header is not a map", 1);
  }
  if (payload.type != cbor::Type::kBytes) {
    return Fail(ErrorCode::kCoseStructure,
                "payload is not a byte string (detached payloads are not supported)", 2);
  }
  if (signature.type != cbor::Type::kBytes) {
    return Fail(ErrorCode::kCoseStructure, "signature is not a byte string", 3);
  }
  auto header = cbor::Decode(protected_item.bytes, limits);
  if (!header) {
    return Fail(ErrorCode::kCoseHeader, "protected header: " + header.error().detail);
  }
  if (header->type != cbor::Type::kMap) {
    return Fail(ErrorCode::kCoseHeader, "protected header is not a map");
  }
  const cbor::Item* alg = header->Find(kHeaderAlg);
  if (alg == nullptr || !alg->AsInt64()) {
    return Fail(ErrorCode::kCoseHeader, "protected header has no integer algorithm (label 1)");
  }
  // A label also present in the unprotected header would be ambiguous (RFC 9052 3).
  for (std::size_t i = 0; i < header->MapSize(); ++i) {
    for (std::size_t j = 0; j < unprotected.MapSize(); ++j) {
      if (header->MapKey(i) == unprotected.MapKey(j)) {
        return Fail(ErrorCode::kCoseHeader, "a header label is both protected and unprotected");
      }
    }
  }
  out.protected_header = protected_item.bytes;
  out.alg = *alg->AsInt64();
  out.unprotected = unprotected;
  out.payload = payload.bytes;
  out.signature = signature.bytes;
  return out;
}

Bytes SigStructure(ByteView protected_header, ByteView external_aad, ByteView payload) {
  return cbor::Encode(cbor::Item::Array(
      {cbor::Item::TextString("Signature1"), cbor::Item::ByteString(protected_header),
       cbor::Item::ByteString(external_aad), cbor::Item::ByteString(payload)}));
}

Bytes Encode(const Sign1& sign1) {
  cbor::Item array = cbor::Item::Array({cbor::Item::ByteString(sign1.protected_header),
                                        sign1.unprotected, cbor::Item::ByteString(sign1.payload),
                                        cbor::Item::ByteString(sign1.signature)});
  if (sign1.tagged) {
    return cbor::Encode(cbor::Item::Tag(kTagSign1, std::move(array)));
  }
  return cbor::Encode(array);
}

Result<Sign1> SignEcdsa(EVP_PKEY* key, ByteView payload) {
  const std::optional<Curve> curve = CurveOf(key);
  if (!curve) {
    return Fail(ErrorCode::kInvalidArgument, "COSE signing key is not P-256 or P-384");
  }
  Sign1 out;
  out.alg = *curve == Curve::kP256 ? kAlgEs256 : kAlgEs384;
  cbor::Item header = cbor::Item::Map();
  header.Add(cbor::Item::Int(kHeaderAlg), cbor::Item::Int(out.alg));
  out.protected_header = cbor::Encode(header);
  out.payload.assign(payload.begin(), payload.end());
  auto signature = EcdsaSignRaw(key, SigStructure(out.protected_header, {}, out.payload));
  if (!signature) {
    return Fail(signature.error());
  }
  out.signature = std::move(*signature);
  return out;
}

Status VerifyEcdsa(const Sign1& sign1, EVP_PKEY* key) {
  const std::optional<Curve> alg_curve = CurveForAlg(sign1.alg);
  if (!alg_curve) {
    return Fail(ErrorCode::kCoseAlgorithm,
                "COSE algorithm " + std::to_string(sign1.alg) + " is not ES256 or ES384");
  }
  if (CurveOf(key) != alg_curve) {
    return Fail(ErrorCode::kCoseAlgorithm, "the key's curve does not match the COSE algorithm");
  }
  return EcdsaVerifyRaw(key, SigStructure(sign1.protected_header, {}, sign1.payload),
                        sign1.signature);
}

}  // namespace enclavectl::core::cose
