// CiphertextForRecipient (kms.md 5.2) with the vectors in ../shared/testdata/kms-cms: the real
// KMS structures decode to the parts sdk-c extracts, the KMS-shaped derived vectors decrypt
// to their plaintexts, every layout KMS may use is accepted, and hostile CMS is refused.
#include "enclavectl/aws/recipient.hpp"

#include <gtest/gtest.h>
#include <openssl/cms.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <string>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/sha.hpp"
#include "test_paths.hpp"

namespace enclavectl::aws {
namespace {

using core::ErrorCode;
using testing::ReadBytes;
using testing::TestdataDir;

std::filesystem::path CmsDir() { return TestdataDir() / "kms-cms"; }

core::EvpPkeyPtr LoadPrivateKey() {
  const core::Bytes pem = ReadBytes(CmsDir() / "derived" / "recipient-rsa2048-private.pem");
  core::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return core::EvpPkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

const nlohmann::json& DerivedVectors() {
  static const nlohmann::json vectors =
      testing::ReadJson(CmsDir() / "derived" / "kms-shaped-vectors.json");
  return vectors;
}

core::Bytes Hex(const nlohmann::json& value) { return *core::HexDecode(value.get<std::string>()); }

// Replaces the `occurrence`-th match of `from` (same length as `to`).
core::Bytes Patch(core::Bytes bytes, const core::Bytes& from, const core::Bytes& to,
                  int occurrence = 0) {
  auto it = bytes.begin();
  for (int i = 0; i <= occurrence; ++i) {
    it = std::search(i == 0 ? bytes.begin() : it + 1, bytes.end(), from.begin(), from.end());
    EXPECT_NE(it, bytes.end()) << "pattern not found";
    if (it == bytes.end()) {
      return bytes;
    }
  }
  std::copy(to.begin(), to.end(), it);
  return bytes;
}

const core::Bytes kSha256Oid = {0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
const core::Bytes kSha384Oid = {0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02};
const core::Bytes kAes256CbcOid = {0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                   0x65, 0x03, 0x04, 0x01, 0x2a};
const core::Bytes kAes256OfbOid = {0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                   0x65, 0x03, 0x04, 0x01, 0x2b};
const core::Bytes kAes128CbcOid = {0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                   0x65, 0x03, 0x04, 0x01, 0x02};
const core::Bytes kOaepOid = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x07};
const core::Bytes kRsaOid = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
const core::Bytes kDataOid = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01};
const core::Bytes kSignedDataOid = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                    0xf7, 0x0d, 0x01, 0x07, 0x02};

TEST(RecipientCms, RealKmsOutputsDecodeToTheirParts) {
  for (const std::string suffix : {"", "_w_ctx"}) {
    SCOPED_TRACE(suffix);
    const core::Bytes input = ReadBytes(CmsDir() / ("input_ber" + suffix + ".bin"));
    auto envelope = DecodeCiphertextForRecipient(input);
    ASSERT_TRUE(envelope) << envelope.error().detail;
    EXPECT_EQ(envelope->encrypted_content,
              ReadBytes(CmsDir() / ("ciphertext_out" + suffix + ".bin")));
    EXPECT_EQ(envelope->subject_key_identifier.size(), 32U);
    // No private key exists for these: any other key is refused, never "decrypts".
    const core::EvpPkeyPtr wrong = LoadPrivateKey();
    auto plaintext = DecryptCiphertextForRecipient(input, wrong.get());
    ASSERT_FALSE(plaintext);
    EXPECT_EQ(plaintext.error().code, ErrorCode::kCmsDecrypt);
  }
}

TEST(RecipientCms, DerivedVectorsDecrypt) {
  const core::EvpPkeyPtr key = LoadPrivateKey();
  ASSERT_TRUE(key);
  const core::Bytes spki = ReadBytes(CmsDir() / "derived" / "recipient-rsa2048-spki.der");
  EXPECT_EQ(*PublicKeyDer(key.get()), spki);
  for (const char* name : {"kms-shaped-indefinite", "kms-shaped-primitive"}) {
    SCOPED_TRACE(name);
    const nlohmann::json& v = DerivedVectors()[name];
    const core::Bytes input = ReadBytes(CmsDir() / "derived" / (std::string(name) + ".ber"));
    auto envelope = DecodeCiphertextForRecipient(input);
    ASSERT_TRUE(envelope) << envelope.error().detail;
    EXPECT_EQ(envelope->encrypted_content, Hex(v["ciphertext_hex"]));
    EXPECT_EQ(envelope->subject_key_identifier, Hex(v["rid_ski_hex"]));
    // This project's rid convention: SHA-256 of the recipient SPKI.
    const core::Sha256Digest rid = core::Sha256(spki);
    EXPECT_TRUE(core::Equal(envelope->subject_key_identifier, rid));
    auto plaintext = DecryptCiphertextForRecipient(input, key.get());
    ASSERT_TRUE(plaintext) << plaintext.error().detail;
    EXPECT_EQ(core::HexEncode(plaintext->View()), v["plaintext_hex"].get<std::string>());
  }
}

// kms.md 5.2: constructed [0] with one or more OCTET STRING chunks must be accepted.
TEST(RecipientCms, ChunkedContentIsJoined) {
  const core::EvpPkeyPtr key = LoadPrivateKey();
  const nlohmann::json& v = DerivedVectors()["kms-shaped-indefinite"];
  core::Bytes input = ReadBytes(CmsDir() / "derived" / "kms-shaped-indefinite.ber");
  const core::Bytes ciphertext = Hex(v["ciphertext_hex"]);
  core::Bytes single = {0xa0, 0x80, 0x04, 0x30};
  single.insert(single.end(), ciphertext.begin(), ciphertext.end());
  core::Bytes chunked = {0xa0, 0x80, 0x04, 0x10};
  chunked.insert(chunked.end(), ciphertext.begin(), ciphertext.begin() + 16);
  chunked.insert(chunked.end(), {0x04, 0x20});
  chunked.insert(chunked.end(), ciphertext.begin() + 16, ciphertext.end());
  auto at = std::search(input.begin(), input.end(), single.begin(), single.end());
  ASSERT_NE(at, input.end());
  const auto offset = at - input.begin();
  input.erase(input.begin() + offset,
              input.begin() + offset + static_cast<std::ptrdiff_t>(single.size()));
  input.insert(input.begin() + offset, chunked.begin(), chunked.end());
  auto envelope = DecodeCiphertextForRecipient(input);
  ASSERT_TRUE(envelope) << envelope.error().detail;
  EXPECT_EQ(envelope->encrypted_content, ciphertext);
  auto plaintext = DecryptCiphertextForRecipient(input, key.get());
  ASSERT_TRUE(plaintext) << plaintext.error().detail;
  EXPECT_EQ(core::HexEncode(plaintext->View()), v["plaintext_hex"].get<std::string>());
}

// --- hostile input ---

core::Bytes Indefinite() { return ReadBytes(CmsDir() / "derived" / "kms-shaped-indefinite.ber"); }

void ExpectDecryptError(const core::Bytes& input, ErrorCode code) {
  const core::EvpPkeyPtr key = LoadPrivateKey();
  auto plaintext = DecryptCiphertextForRecipient(input, key.get());
  ASSERT_FALSE(plaintext);
  EXPECT_EQ(plaintext.error().code, code) << plaintext.error().detail;
}

TEST(RecipientCms, RefusesOtherAlgorithms) {
  const core::Bytes input = Indefinite();
  // OAEP hash SHA-384, MGF1 hash SHA-384 (the first and second SHA-256 OIDs).
  ExpectDecryptError(Patch(input, kSha256Oid, kSha384Oid, 0), ErrorCode::kCmsUnsupported);
  ExpectDecryptError(Patch(input, kSha256Oid, kSha384Oid, 1), ErrorCode::kCmsUnsupported);
  // PKCS#1 v1.5 key transport instead of OAEP.
  ExpectDecryptError(Patch(input, kOaepOid, kRsaOid), ErrorCode::kCmsUnsupported);
  // AES-256-OFB: same key and IV sizes, not the cipher KMS uses.
  ExpectDecryptError(Patch(input, kAes256CbcOid, kAes256OfbOid), ErrorCode::kCmsUnsupported);
  // AES-128-CBC: the 32-byte content key does not fit; an error, not a random key.
  ExpectDecryptError(Patch(input, kAes256CbcOid, kAes128CbcOid), ErrorCode::kCmsDecrypt);
  // Encrypted content type other than id-data.
  ExpectDecryptError(Patch(input, kDataOid, kSignedDataOid), ErrorCode::kCmsUnsupported);
  EXPECT_EQ(DecodeCiphertextForRecipient(Patch(input, kOaepOid, kRsaOid)).error().code,
            ErrorCode::kCmsUnsupported);
}

TEST(RecipientCms, RefusesWrongKeysAndBadPadding) {
  const core::Bytes input = Indefinite();
  auto other = MakeRecipientKey();
  ASSERT_TRUE(other);
  auto plaintext = DecryptCiphertextForRecipient(input, other->get());
  ASSERT_FALSE(plaintext);
  EXPECT_EQ(plaintext.error().code, ErrorCode::kCmsDecrypt);
  EXPECT_EQ(DecryptCiphertextForRecipient(input, nullptr).error().code, ErrorCode::kCmsDecrypt);
  core::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* ec = nullptr;
  ASSERT_EQ(EVP_PKEY_keygen_init(ctx.get()), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256"), 1);
  ASSERT_EQ(EVP_PKEY_keygen(ctx.get(), &ec), 1);
  const core::EvpPkeyPtr ec_key(ec);
  EXPECT_EQ(DecryptCiphertextForRecipient(input, ec_key.get()).error().code,
            ErrorCode::kCmsDecrypt);
  // The plaintext is 32 bytes, so the last block is all padding (0x10 x 16); flipping the
  // last byte of the block before flips the last padding byte: invalid padding.
  const core::Bytes ciphertext = Hex(DerivedVectors()["kms-shaped-indefinite"]["ciphertext_hex"]);
  core::Bytes flipped_ct = ciphertext;
  flipped_ct[31] ^= 0x01;
  ExpectDecryptError(Patch(input, ciphertext, flipped_ct), ErrorCode::kCmsDecrypt);
  // A flipped byte of the wrapped key: OAEP refuses it.
  const core::Bytes wrapped = Hex(DerivedVectors()["kms-shaped-indefinite"]["encrypted_key_hex"]);
  core::Bytes flipped_key = wrapped;
  flipped_key[100] ^= 0x80;
  ExpectDecryptError(Patch(input, wrapped, flipped_key), ErrorCode::kCmsDecrypt);
}

TEST(RecipientCms, RefusesMalformedEnvelopes) {
  const core::Bytes input = Indefinite();
  EXPECT_EQ(DecodeCiphertextForRecipient({}).error().code, ErrorCode::kCmsMalformed);
  EXPECT_EQ(DecodeCiphertextForRecipient(
                core::Bytes(core::limits::kMaxCiphertextForRecipientBytes + 1, 0x30))
                .error()
                .code,
            ErrorCode::kInputTooLarge);
  core::Bytes trailing = input;
  trailing.push_back(0);
  EXPECT_EQ(DecodeCiphertextForRecipient(trailing).error().code, ErrorCode::kCmsMalformed);
  // Every truncation fails cleanly.
  for (std::size_t len = 0; len < input.size(); ++len) {
    auto envelope = DecodeCiphertextForRecipient(core::ByteView(input).first(len));
    ASSERT_FALSE(envelope) << len;
    EXPECT_EQ(envelope.error().code, ErrorCode::kCmsMalformed) << len;
  }
  // Every single-bit flip either still decodes or fails with a CMS code: never a crash.
  const core::EvpPkeyPtr key = LoadPrivateKey();
  for (std::size_t i = 0; i < input.size(); ++i) {
    core::Bytes mutated = input;
    mutated[i] ^= 0x01;
    auto plaintext = DecryptCiphertextForRecipient(mutated, key.get());
    if (!plaintext) {
      const ErrorCode code = plaintext.error().code;
      EXPECT_TRUE(code == ErrorCode::kCmsMalformed || code == ErrorCode::kCmsUnsupported ||
                  code == ErrorCode::kCmsDecrypt)
          << i << ": " << plaintext.error().detail;
    }
  }
}

// EnvelopedData built by OpenSSL with recipients KMS never uses.
core::Bytes BuildWithKekRecipients(int count) {
  core::CmsContentInfoPtr cms(CMS_EnvelopedData_create(EVP_aes_256_cbc()));
  EXPECT_TRUE(cms);
  for (int i = 0; i < count; ++i) {
    // CMS_add0_recipient_key takes ownership of the key and id buffers.
    auto* kek = static_cast<unsigned char*>(OPENSSL_zalloc(16));
    auto* id = static_cast<unsigned char*>(OPENSSL_zalloc(4));
    id[0] = static_cast<unsigned char>(i);
    EXPECT_NE(CMS_add0_recipient_key(cms.get(), NID_id_aes128_wrap, kek, 16, id, 4, nullptr,
                                     nullptr, nullptr),
              nullptr);
  }
  const char data[] = "secret";
  core::BioPtr in(BIO_new_mem_buf(data, static_cast<int>(sizeof(data) - 1)));
  EXPECT_EQ(CMS_final(cms.get(), in.get(), nullptr, CMS_BINARY), 1);
  const int len = i2d_CMS_ContentInfo(cms.get(), nullptr);
  core::Bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  i2d_CMS_ContentInfo(cms.get(), &p);
  return out;
}

TEST(RecipientCms, RefusesOtherRecipientsAndContentTypes) {
  EXPECT_EQ(DecodeCiphertextForRecipient(BuildWithKekRecipients(1)).error().code,
            ErrorCode::kCmsUnsupported);
  EXPECT_EQ(DecodeCiphertextForRecipient(BuildWithKekRecipients(2)).error().code,
            ErrorCode::kCmsUnsupported);
  // id-data ContentInfo, not EnvelopedData.
  const char data[] = "hello";
  core::BioPtr in(BIO_new_mem_buf(data, 5));
  core::CmsContentInfoPtr plain(CMS_data_create(in.get(), CMS_BINARY));
  ASSERT_TRUE(plain);
  const int len = i2d_CMS_ContentInfo(plain.get(), nullptr);
  core::Bytes der(static_cast<std::size_t>(len));
  unsigned char* p = der.data();
  i2d_CMS_ContentInfo(plain.get(), &p);
  EXPECT_EQ(DecodeCiphertextForRecipient(der).error().code, ErrorCode::kCmsUnsupported);
}

// A recipient key made here: OpenSSL encrypts to it the way KMS does (RSAES-OAEP SHA-256,
// subjectKeyIdentifier rid, AES-256-CBC) and we decrypt, for every plaintext size KMS returns.
TEST(RecipientCms, RoundTripWithAFreshRecipientKey) {
  auto key = MakeRecipientKey();
  ASSERT_TRUE(key);
  auto spki = PublicKeyDer(key->get());
  ASSERT_TRUE(spki);
  EXPECT_EQ(spki->size(), 294U);  // as real KMS-bound documents carry (kms.md section 5)
  // A certificate only to name the recipient by its subjectKeyIdentifier.
  core::X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key->get());
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("recipient"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  X509V3_CTX v3;
  X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
  core::X509ExtensionPtr ski(X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_key_identifier, "hash"));
  ASSERT_TRUE(ski);
  X509_add_ext(cert.get(), ski.get(), -1);
  ASSERT_GT(X509_sign(cert.get(), key->get(), EVP_sha256()), 0);
  for (std::size_t size : {1U, 16U, 32U, 1024U, 4096U}) {
    SCOPED_TRACE(size);
    core::Bytes data(size);
    for (std::size_t i = 0; i < size; ++i) {
      data[i] = static_cast<std::uint8_t>(i * 7);
    }
    core::BioPtr in(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
    core::CmsContentInfoPtr cms(
        CMS_encrypt(nullptr, in.get(), EVP_aes_256_cbc(), CMS_BINARY | CMS_PARTIAL));
    ASSERT_TRUE(cms);
    CMS_RecipientInfo* ri =
        CMS_add1_recipient_cert(cms.get(), cert.get(), CMS_KEY_PARAM | CMS_USE_KEYID);
    ASSERT_NE(ri, nullptr);
    EVP_PKEY_CTX* pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
    ASSERT_EQ(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING), 1);
    ASSERT_EQ(EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()), 1);
    ASSERT_EQ(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()), 1);
    ASSERT_EQ(CMS_final(cms.get(), in.get(), nullptr, CMS_BINARY), 1);
    const int len = i2d_CMS_ContentInfo(cms.get(), nullptr);
    core::Bytes der(static_cast<std::size_t>(len));
    unsigned char* p = der.data();
    i2d_CMS_ContentInfo(cms.get(), &p);
    auto envelope = DecodeCiphertextForRecipient(der);
    ASSERT_TRUE(envelope) << envelope.error().detail;
    auto plaintext = DecryptCiphertextForRecipient(der, key->get());
    ASSERT_TRUE(plaintext) << plaintext.error().detail;
    EXPECT_TRUE(core::Equal(plaintext->View(), data));
  }
}

}  // namespace
}  // namespace enclavectl::aws
