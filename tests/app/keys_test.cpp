// The key logic of enclave-app: the spec's NUMS vectors, the secret-to-secp256k1 conversion
// (including its edge cases), the BIP-340 official vectors (signing and verification), ECDSA
// secp256k1 low-S with an independent OpenSSL check, and the wallet P-256 key against an
// independent HKDF computed with HMAC.
#include "enclavectl/app/keys.hpp"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "enclavectl/core/ecdsa.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/verifier/signatures.hpp"
#include "test_paths.hpp"

namespace enclavectl::app {
namespace {

using core::ErrorCode;

Bytes Hex(std::string_view hex) {
  auto bytes = core::HexDecode(hex);
  EXPECT_TRUE(bytes) << hex;
  return bytes ? *bytes : Bytes{};
}

core::SecretBytes SecretHex(std::string_view hex) { return core::SecretBytes(Hex(hex)); }

core::Secp256k1ContextPtr& Ctx() {
  static core::Secp256k1ContextPtr ctx = core::MakeSecp256k1Context();
  return ctx;
}

constexpr std::string_view kOrderHex =
    "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";

TEST(NumsKey, SpecVectors) {
  const nlohmann::json vectors =
      testing::ReadJson(testing::TestsDir() / "vectors" / "app" / "nums.json");
  ASSERT_EQ(vectors["cases"].size(), 2U);
  for (const auto& c : vectors["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    std::optional<core::Sha256Digest> blockhash;
    if (!c["blockhash"].is_null()) {
      const Bytes bytes = Hex(c["blockhash"].get<std::string>());
      ASSERT_EQ(bytes.size(), 32U);
      blockhash.emplace();
      std::copy(bytes.begin(), bytes.end(), blockhash->begin());
    }
    auto nums = MakeNumsKey(blockhash);
    ASSERT_TRUE(nums) << nums.error().detail;
    EXPECT_EQ(nums->counter, c["counter"].get<std::uint32_t>());
    EXPECT_EQ(core::HexEncode(Bytes{nums->compressed[0]}), c["prefix"].get<std::string>());
    EXPECT_EQ(nums->spki_der.size(), 91U);
    EXPECT_EQ(core::Base64Encode(nums->spki_der), c["spki_der_base64"].get<std::string>());
    // The compressed point is 02/03 || SHA-256(seed || [blockhash] || BE32(counter)).
    core::Sha256Hasher hasher;
    hasher.Update(core::AsBytes(kNumsSeed));
    if (blockhash) {
      hasher.Update(*blockhash);
    }
    hasher.Update(Bytes{0, 0, 0, 0});
    const core::Sha256Digest h = hasher.Finish();
    EXPECT_TRUE(core::Equal(core::ByteView(nums->compressed).subspan(1), h));
  }
  // Another blockhash gives another key.
  core::Sha256Digest other{};
  other[31] = 1;
  auto a = MakeNumsKey(other);
  auto b = MakeNumsKey(std::nullopt);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->spki_der, b->spki_der);
}

TEST(SecretToSecp256k1Key, ValidSecretsAreKept) {
  for (const std::string hex :
       {"0000000000000000000000000000000000000000000000000000000000000001",
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140",
        "7e2d58d8b3bcdf1abadec7829054f90dda9805aab56c77333024b9d0a508b75c"}) {
    auto key = SecretToSecp256k1Key(SecretHex(hex));
    ASSERT_TRUE(key);
    EXPECT_EQ(core::HexEncode(key->View()), hex);
  }
}

TEST(SecretToSecp256k1Key, InvalidSecretsIncrementToOne) {
  // s = 0 -> 1; s >= n runs through 2^256 - 1, wraps to 0 and ends at 1.
  const std::string one = "0000000000000000000000000000000000000000000000000000000000000001";
  for (const std::string& hex : std::vector<std::string>{
           "0000000000000000000000000000000000000000000000000000000000000000",
           std::string(kOrderHex),
           "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364142",
           "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"}) {
    auto key = SecretToSecp256k1Key(SecretHex(hex));
    ASSERT_TRUE(key);
    EXPECT_EQ(core::HexEncode(key->View()), one) << hex;
  }
}

TEST(SecretToSecp256k1Key, RefusesOtherLengths) {
  for (std::size_t len : {0U, 31U, 33U, 48U}) {
    auto key = SecretToSecp256k1Key(core::SecretBytes(len));
    ASSERT_FALSE(key);
    EXPECT_EQ(key.error().code, ErrorCode::kInvalidArgument);
  }
}

struct Bip340Row {
  std::string index, secret, public_key, aux, message, signature, result, comment;
};

std::vector<Bip340Row> ReadBip340Vectors() {
  std::ifstream in(testing::TestsDir() / "vectors" / "bip340" / "test-vectors.csv");
  std::vector<Bip340Row> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream fields(line);
    std::string field;
    while (std::getline(fields, field, ',')) {
      f.push_back(field);
    }
    f.resize(8);
    rows.push_back({f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]});
  }
  return rows;
}

TEST(Bip340, OfficialVectorsSignAndVerify) {
  const std::vector<Bip340Row> rows = ReadBip340Vectors();
  ASSERT_EQ(rows.size(), 19U);
  int signed_rows = 0;
  for (const Bip340Row& row : rows) {
    SCOPED_TRACE("vector " + row.index + " " + row.comment);
    const Bytes message = Hex(row.message);
    const Bytes signature = Hex(row.signature);
    const Bytes public_key = Hex(row.public_key);
    const core::Status verified = verifier::VerifyBip340(public_key, message, signature);
    EXPECT_EQ(verified.has_value(), row.result == "TRUE");
    if (!verified) {
      EXPECT_EQ(verified.error().code, ErrorCode::kAppSignatureInvalid);
    }
    if (row.secret.empty()) {
      continue;
    }
    auto key = Secp256k1Key::FromSecret(SecretHex(row.secret), Ctx().get());
    ASSERT_TRUE(key) << key.error().detail;
    EXPECT_EQ(key->XOnly(), public_key);
    AuxRand aux{};
    const Bytes aux_bytes = Hex(row.aux);
    ASSERT_EQ(aux_bytes.size(), 32U);
    std::copy(aux_bytes.begin(), aux_bytes.end(), aux.begin());
    auto sig = key->SignBip340(message, &aux);
    ASSERT_TRUE(sig);
    EXPECT_EQ(core::HexEncode(*sig), core::HexEncode(signature));
    ++signed_rows;
  }
  EXPECT_EQ(signed_rows, 8);
}

TEST(Bip340, FreshAuxRandStillVerifies) {
  auto key = Secp256k1Key::Generate(Ctx().get());
  ASSERT_TRUE(key);
  const core::Sha256Digest digest = core::Sha256(core::AsBytes("body"));
  auto a = key->SignBip340(digest);
  auto b = key->SignBip340(digest);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);  // fresh auxiliary randomness each time
  EXPECT_TRUE(verifier::VerifyBip340(key->XOnly(), digest, *a));
  EXPECT_TRUE(verifier::VerifyBip340(key->Compressed(), digest, *b));
  // A signature over another message fails.
  const core::Sha256Digest other = core::Sha256(core::AsBytes("bodY"));
  EXPECT_FALSE(verifier::VerifyBip340(key->XOnly(), other, *a));
}

// Verifies DER `sig` over `digest` with OpenSSL's own secp256k1 (independent of libsecp256k1).
bool OpensslVerifySecp256k1(ByteView public_key, const core::Sha256Digest& digest, ByteView der) {
  core::EcGroupPtr group(EC_GROUP_new_by_curve_name(NID_secp256k1));
  core::OsslParamBldPtr builder(OSSL_PARAM_BLD_new());
  OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "secp256k1", 0);
  OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, public_key.data(),
                                   public_key.size());
  core::OsslParamPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
  core::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return false;
  }
  core::EvpPkeyPtr key(raw);
  core::EvpPkeyCtxPtr vctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  return EVP_PKEY_verify_init(vctx.get()) == 1 &&
         EVP_PKEY_verify(vctx.get(), der.data(), der.size(), digest.data(), digest.size()) == 1;
}

TEST(EcdsaSecp256k1, LowSBothEncodingsAndIndependentCheck) {
  auto key = Secp256k1Key::FromSecret(
      SecretHex("b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfef"), Ctx().get());
  ASSERT_TRUE(key);
  const Bytes half = Hex("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0");
  for (int i = 0; i < 64; ++i) {
    const core::Sha256Digest digest = core::Sha256(core::AsBytes("message " + std::to_string(i)));
    auto sig = key->SignEcdsa(digest);
    ASSERT_TRUE(sig);
    ASSERT_EQ(sig->compact.size(), 64U);
    const ByteView s = ByteView(sig->compact).subspan(32);
    EXPECT_FALSE(std::lexicographical_compare(half.begin(), half.end(), s.begin(), s.end()))
        << "high S";
    EXPECT_TRUE(verifier::VerifyEcdsaSecp256k1(key->Compressed(), digest, sig->der));
    EXPECT_TRUE(verifier::VerifyEcdsaSecp256k1(key->Uncompressed(), digest, sig->compact));
    EXPECT_TRUE(OpensslVerifySecp256k1(key->Uncompressed(), digest, sig->der));
    // RFC 6979: deterministic.
    auto again = key->SignEcdsa(digest);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->der, sig->der);
  }
  const core::Sha256Digest digest = core::Sha256(core::AsBytes("x"));
  auto sig = key->SignEcdsa(digest);
  ASSERT_TRUE(sig);
  // The high-S twin verifies with OpenSSL but is refused by the service's verifier.
  Bytes high = sig->compact;
  const Bytes order = Hex(kOrderHex);
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    const int diff = order[static_cast<std::size_t>(i)] -
                     sig->compact[static_cast<std::size_t>(32 + i)] - borrow;
    borrow = diff < 0 ? 1 : 0;
    high[static_cast<std::size_t>(32 + i)] = static_cast<std::uint8_t>(diff + (borrow * 256));
  }
  auto high_der = core::RawSignatureToDer(high, core::Curve::kP256);  // same DER shape
  ASSERT_TRUE(high_der);
  EXPECT_TRUE(OpensslVerifySecp256k1(key->Uncompressed(), digest, *high_der));
  const core::Status refused = verifier::VerifyEcdsaSecp256k1(key->Compressed(), digest, high);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kAppSignatureInvalid);
}

// RFC 5869 HKDF-SHA256 with an empty salt and one output block, from HMAC.
Bytes IndependentHkdf(ByteView ikm, ByteView info) {
  auto hmac = [](ByteView key, ByteView data) {
    core::EvpMacPtr mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    core::EvpMacCtxPtr ctx(EVP_MAC_CTX_new(mac.get()));
    OSSL_PARAM params[] = {
        // NOLINT(modernize-avoid-c-arrays)
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
        OSSL_PARAM_construct_end()};
    Bytes out(32);
    std::size_t len = 0;
    EXPECT_EQ(EVP_MAC_init(ctx.get(), key.data(), key.size(), params), 1);
    EXPECT_EQ(EVP_MAC_update(ctx.get(), data.data(), data.size()), 1);
    EXPECT_EQ(EVP_MAC_final(ctx.get(), out.data(), &len, out.size()), 1);
    return out;
  };
  const Bytes prk = hmac(Bytes(32, 0), ikm);
  Bytes t(info.begin(), info.end());
  t.push_back(0x01);
  return hmac(prk, t);
}

TEST(WalletKey, DerivationMatchesAnIndependentHkdf) {
  for (const std::string hex :
       {"0000000000000000000000000000000000000000000000000000000000000001",
        "b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfef"}) {
    const core::SecretBytes secret = SecretHex(hex);
    auto scalar = DeriveWalletScalar(secret);
    ASSERT_TRUE(scalar);
    Bytes info(kWalletKeyInfo.begin(), kWalletKeyInfo.end());
    info.insert(info.end(), {0, 0, 0, 0});
    EXPECT_EQ(core::HexEncode(scalar->View()),
              core::HexEncode(IndependentHkdf(secret.View(), info)));
    auto wallet = P256Key::FromScalar(*scalar);
    ASSERT_TRUE(wallet);
    // The public key is scalar * G, computed here with OpenSSL's EC_POINT_mul.
    core::EcGroupPtr group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
    core::BignumPtr k(BN_bin2bn(scalar->View().data(), 32, nullptr));
    core::EcPointPtr point(EC_POINT_new(group.get()));
    ASSERT_EQ(EC_POINT_mul(group.get(), point.get(), k.get(), nullptr, nullptr, nullptr), 1);
    Bytes expected(65);
    EC_POINT_point2oct(group.get(), point.get(), POINT_CONVERSION_UNCOMPRESSED, expected.data(),
                       expected.size(), nullptr);
    EXPECT_EQ(wallet->Uncompressed(), expected);
    // The SubjectPublicKeyInfo carries the same point.
    const unsigned char* in = wallet->SpkiDer().data();
    core::EvpPkeyPtr parsed(d2i_PUBKEY(nullptr, &in, static_cast<long>(wallet->SpkiDer().size())));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(core::CurveOf(parsed.get()), core::Curve::kP256);
  }
  // Another signing key, another wallet key; the wallet scalar is never the signing secret.
  auto a = DeriveWalletScalar(SecretHex(std::string(63, '0') + "1"));
  auto b = DeriveWalletScalar(SecretHex(std::string(63, '0') + "2"));
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(core::Equal(a->View(), b->View()));
  auto bad = DeriveWalletScalar(core::SecretBytes(31));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
}

TEST(WalletKey, SignsLowSAndVerifies) {
  auto pair = MakeKeyPair(
      SecretHex("7e2d58d8b3bcdf1abadec7829054f90dda9805aab56c77333024b9d0a508b75c"), Ctx().get());
  ASSERT_TRUE(pair) << pair.error().detail;
  const Bytes half = Hex("7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8");
  for (int i = 0; i < 64; ++i) {
    const core::Sha256Digest digest = core::Sha256(core::AsBytes("wallet " + std::to_string(i)));
    auto sig = pair->wallet.SignDigest(digest);
    ASSERT_TRUE(sig);
    const ByteView s = ByteView(sig->compact).subspan(32);
    EXPECT_FALSE(std::lexicographical_compare(half.begin(), half.end(), s.begin(), s.end()));
    EXPECT_TRUE(verifier::VerifyEcdsaP256(pair->wallet.Uncompressed(), digest, sig->der));
    EXPECT_TRUE(verifier::VerifyEcdsaP256(pair->wallet.SpkiDer(), digest, sig->compact));
    const core::Sha256Digest other = core::Sha256(core::AsBytes("other"));
    EXPECT_FALSE(verifier::VerifyEcdsaP256(pair->wallet.Uncompressed(), other, sig->der));
  }
  EXPECT_FALSE(P256Key::FromScalar(core::SecretBytes(32)));  // zero
  auto over = P256Key::FromScalar(
      SecretHex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::kInvalidArgument);
}

TEST(Secp256k1Key, RefusesInvalidSecrets) {
  auto zero = Secp256k1Key::FromSecret(core::SecretBytes(32), Ctx().get());
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(Secp256k1Key::FromSecret(SecretHex(kOrderHex), Ctx().get()));
  EXPECT_FALSE(Secp256k1Key::FromSecret(core::SecretBytes(16), Ctx().get()));
}

TEST(ResponseSignature, VerifiesTheHeadersAndRefusesATamperedBody) {
  auto key = Secp256k1Key::Generate(Ctx().get());
  ASSERT_TRUE(key);
  const std::string body = R"({"status":"ok"})";
  auto sig = key->SignBip340(core::Sha256(core::AsBytes(body)));
  ASSERT_TRUE(sig);
  const std::string sig_hex = core::HexEncode(*sig);
  const std::string key_hex = core::HexEncode(key->Compressed());
  EXPECT_TRUE(verifier::VerifyResponseSignature(body, sig_hex, key_hex));
  std::string tampered = body;
  tampered[3] = 'S';
  EXPECT_FALSE(verifier::VerifyResponseSignature(tampered, sig_hex, key_hex));
  EXPECT_FALSE(verifier::VerifyResponseSignature(body, sig_hex.substr(2), key_hex));
  EXPECT_FALSE(verifier::VerifyResponseSignature(body, sig_hex, "04" + key_hex.substr(2)));
  EXPECT_FALSE(verifier::VerifyResponseSignature(body, std::string(128, 'z'), key_hex));
}

TEST(ExchangeSignature, DigestMatchesTheDocumentedLayout) {
  // Computed independently (Python: hashlib + struct.pack(">I", len)) from the layout in
  // signatures.hpp: domain, then method, path, status, nonce, SHA-256(body) length-prefixed.
  EXPECT_EQ(
      core::HexEncode(verifier::ExchangeSignatureDigest(
          "GET", "/enclave/attestation", 200, "00112233445566778899aabbccddeeff00112233", "hello")),
      "b647261181b9cd8646c0262302b304950a97417634134676224918fa5a143ea7");
  EXPECT_EQ(core::HexEncode(verifier::ExchangeSignatureDigest("GET", "/v1/info", 200, "", "{}")),
            "dff26d655a8eb3fe509a36918f42da6db91b83f7900b2bdefc2173a99c1d1413");
}

TEST(ExchangeSignature, BindsMethodPathStatusNonceAndBody) {
  auto key = Secp256k1Key::Generate(Ctx().get());
  ASSERT_TRUE(key);
  const std::string body = R"({"status":"ok"})";
  const std::string nonce = "00112233445566778899aabbccddeeff00112233";
  auto sig =
      key->SignBip340(verifier::ExchangeSignatureDigest("GET", "/v1/info", 200, nonce, body));
  ASSERT_TRUE(sig);
  const std::string sig_hex = core::HexEncode(*sig);
  const std::string key_hex = core::HexEncode(key->Compressed());
  EXPECT_TRUE(
      verifier::VerifyExchangeSignature("GET", "/v1/info", 200, nonce, body, sig_hex, key_hex));
  EXPECT_FALSE(
      verifier::VerifyExchangeSignature("POST", "/v1/info", 200, nonce, body, sig_hex, key_hex));
  EXPECT_FALSE(verifier::VerifyExchangeSignature("GET", "/v1/enclave-info", 200, nonce, body,
                                                 sig_hex, key_hex));
  EXPECT_FALSE(
      verifier::VerifyExchangeSignature("GET", "/v1/info", 500, nonce, body, sig_hex, key_hex));
  EXPECT_FALSE(
      verifier::VerifyExchangeSignature("GET", "/v1/info", 200, "", body, sig_hex, key_hex));
  EXPECT_FALSE(verifier::VerifyExchangeSignature("GET", "/v1/info", 200, nonce, body + " ", sig_hex,
                                                 key_hex));
  // Field boundaries are length-prefixed: moving bytes between method and path changes it.
  EXPECT_NE(verifier::ExchangeSignatureDigest("GE", "T/v1/info", 200, nonce, body),
            verifier::ExchangeSignatureDigest("GET", "/v1/info", 200, nonce, body));
  EXPECT_FALSE(verifier::VerifyExchangeSignature("GET", "/v1/info", 200, nonce, body,
                                                 sig_hex.substr(2), key_hex));
}

}  // namespace
}  // namespace enclavectl::app
