#include "enclavectl/aws/recipient.hpp"

#include <openssl/asn1.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <array>
#include <initializer_list>

#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/sha.hpp"

namespace enclavectl::aws {
namespace {

using core::ErrorCode;
using core::Fail;

struct Parsed {
  core::CmsContentInfoPtr cms;
  CMS_RecipientInfo* recipient = nullptr;  // borrowed from cms
  RecipientEnvelope envelope;
};

core::Bytes OctetBytes(const ASN1_OCTET_STRING* octets) {
  const unsigned char* data = ASN1_STRING_get0_data(octets);
  return core::Bytes(data, data + ASN1_STRING_length(octets));  // NOLINT: OpenSSL's span
}

int Nid(const X509_ALGOR* alg) {
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, alg);
  return OBJ_obj2nid(oid);
}

// AlgorithmIdentifier parameters absent or NULL (as for SHA-256 in RFC 4055).
bool NoParameters(const X509_ALGOR* alg) {
  int type = V_ASN1_UNDEF;
  X509_ALGOR_get0(nullptr, &type, nullptr, alg);
  return type == V_ASN1_UNDEF || type == V_ASN1_NULL;
}

// kms.md 5.2: RSAES-OAEP with hashFunc SHA-256, maskGenFunc MGF1(SHA-256), no pSourceFunc
// (an empty label). An absent hashFunc would mean SHA-1 (RFC 4055 defaults): refused.
core::Status CheckOaep(const X509_ALGOR* alg) {
  if (Nid(alg) != NID_rsaesOaep) {
    return Fail(ErrorCode::kCmsUnsupported, "the key-encryption algorithm is not RSAES-OAEP");
  }
  if (alg->parameter == nullptr || alg->parameter->type != V_ASN1_SEQUENCE) {
    return Fail(ErrorCode::kCmsUnsupported, "RSAES-OAEP parameters are missing");
  }
  core::RsaOaepParamsPtr params(static_cast<RSA_OAEP_PARAMS*>(
      ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_OAEP_PARAMS), alg->parameter)));
  if (!params) {
    core::DrainOpensslErrors("");
    return Fail(ErrorCode::kCmsMalformed, "RSAES-OAEP parameters are not valid DER");
  }
  if (params->hashFunc == nullptr || Nid(params->hashFunc) != NID_sha256 ||
      !NoParameters(params->hashFunc)) {
    return Fail(ErrorCode::kCmsUnsupported, "the OAEP hash is not SHA-256");
  }
  if (params->maskGenFunc == nullptr || Nid(params->maskGenFunc) != NID_mgf1 ||
      params->maskGenFunc->parameter == nullptr ||
      params->maskGenFunc->parameter->type != V_ASN1_SEQUENCE) {
    return Fail(ErrorCode::kCmsUnsupported, "the OAEP mask generation is not MGF1");
  }
  core::X509AlgorPtr mgf_hash(static_cast<X509_ALGOR*>(
      ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(X509_ALGOR), params->maskGenFunc->parameter)));
  if (!mgf_hash) {
    core::DrainOpensslErrors("");
    return Fail(ErrorCode::kCmsMalformed, "MGF1 parameters are not valid DER");
  }
  if (Nid(mgf_hash.get()) != NID_sha256 || !NoParameters(mgf_hash.get())) {
    return Fail(ErrorCode::kCmsUnsupported, "the MGF1 hash is not SHA-256");
  }
  if (params->pSourceFunc != nullptr) {
    return Fail(ErrorCode::kCmsUnsupported, "the OAEP label is not the empty default");
  }
  return core::Ok();
}

core::Result<Parsed> ParseAndValidate(core::ByteView ber) {
  if (ber.size() > core::limits::kMaxCiphertextForRecipientBytes) {
    return Fail(ErrorCode::kInputTooLarge,
                "CiphertextForRecipient is " + std::to_string(ber.size()) +
                    " bytes, more than KMS's limit of " +
                    std::to_string(core::limits::kMaxCiphertextForRecipientBytes));
  }
  if (ber.empty()) {
    return Fail(ErrorCode::kCmsMalformed, "CiphertextForRecipient is empty");
  }
  Parsed out;
  const unsigned char* in = ber.data();
  out.cms.reset(d2i_CMS_ContentInfo(nullptr, &in, static_cast<long>(ber.size())));
  if (!out.cms) {
    return Fail(ErrorCode::kCmsMalformed,
                core::DrainOpensslErrors("CiphertextForRecipient is not a BER CMS ContentInfo"));
  }
  if (in != ber.data() + ber.size()) {  // NOLINT: OpenSSL's cursor
    return Fail(ErrorCode::kCmsMalformed, "bytes follow the CMS ContentInfo");
  }
  // kms.md 5.2: contentType id-envelopedData.
  if (OBJ_obj2nid(CMS_get0_type(out.cms.get())) != NID_pkcs7_enveloped) {
    return Fail(ErrorCode::kCmsUnsupported, "the CMS content is not EnvelopedData");
  }
  // Exactly one recipient, key transport, identified by subjectKeyIdentifier (version 2).
  STACK_OF(CMS_RecipientInfo)* recipients = CMS_get0_RecipientInfos(out.cms.get());
  if (recipients == nullptr || sk_CMS_RecipientInfo_num(recipients) != 1) {
    return Fail(ErrorCode::kCmsUnsupported, "EnvelopedData must have exactly one recipient");
  }
  out.recipient = sk_CMS_RecipientInfo_value(recipients, 0);
  if (CMS_RecipientInfo_type(out.recipient) != CMS_RECIPINFO_TRANS) {
    return Fail(ErrorCode::kCmsUnsupported, "the recipient is not a key-transport recipient");
  }
  ASN1_OCTET_STRING* key_id = nullptr;
  X509_NAME* issuer = nullptr;
  ASN1_INTEGER* serial = nullptr;
  if (CMS_RecipientInfo_ktri_get0_signer_id(out.recipient, &key_id, &issuer, &serial) != 1 ||
      key_id == nullptr) {
    core::DrainOpensslErrors("");
    return Fail(ErrorCode::kCmsUnsupported,
                "the recipient is not identified by a subjectKeyIdentifier (version 2)");
  }
  X509_ALGOR* key_encryption = nullptr;
  CMS_RecipientInfo_ktri_get0_algs(out.recipient, nullptr, nullptr, &key_encryption);
  if (key_encryption == nullptr) {
    return Fail(ErrorCode::kCmsMalformed, "the recipient has no key-encryption algorithm");
  }
  ENCLAVECTL_RETURN_IF_ERROR(CheckOaep(key_encryption));
  // EncryptedContentInfo: id-data with the content present.
  if (OBJ_obj2nid(CMS_get0_eContentType(out.cms.get())) != NID_pkcs7_data) {
    return Fail(ErrorCode::kCmsUnsupported, "the encrypted content type is not id-data");
  }
  ASN1_OCTET_STRING** content = CMS_get0_content(out.cms.get());
  if (content == nullptr || *content == nullptr || ASN1_STRING_length(*content) <= 0) {
    return Fail(ErrorCode::kCmsUnsupported, "the encrypted content is absent (detached)");
  }
  out.envelope.subject_key_identifier = OctetBytes(key_id);
  out.envelope.encrypted_content = OctetBytes(*content);
  return out;
}

}  // namespace

core::Result<RecipientEnvelope> DecodeCiphertextForRecipient(core::ByteView ber) {
  auto parsed = ParseAndValidate(ber);
  if (!parsed) {
    return Fail(parsed.error());
  }
  return std::move(parsed->envelope);
}

core::Result<core::SecretBytes> DecryptCiphertextForRecipient(core::ByteView ber,
                                                              EVP_PKEY* recipient_private_key) {
  auto parsed = ParseAndValidate(ber);
  if (!parsed) {
    return Fail(parsed.error());
  }
  CMS_ContentInfo* cms = parsed->cms.get();
  if (recipient_private_key == nullptr || EVP_PKEY_is_a(recipient_private_key, "RSA") != 1) {
    return Fail(ErrorCode::kCmsDecrypt, "the recipient key is not an RSA private key");
  }
  // With every argument null, CMS_decrypt only sets its flags: CMS_DEBUG_DECRYPT makes a
  // content key of the wrong length an error instead of a silent random key (that protection
  // against million-message attacks is for servers; a client wants the error).
  CMS_decrypt(cms, nullptr, nullptr, nullptr, nullptr, CMS_DEBUG_DECRYPT);
  // set0 takes a reference that the ContentInfo releases.
  EVP_PKEY_up_ref(recipient_private_key);
  CMS_RecipientInfo_set0_pkey(parsed->recipient, recipient_private_key);
  if (CMS_RecipientInfo_decrypt(cms, parsed->recipient) != 1) {
    return Fail(ErrorCode::kCmsDecrypt,
                core::DrainOpensslErrors("the recipient key does not unwrap the content key"));
  }
  const core::BioPtr content(CMS_dataInit(cms, nullptr));
  if (!content) {
    return Fail(ErrorCode::kCmsDecrypt,
                core::DrainOpensslErrors("the content cannot be decrypted with the unwrapped key"));
  }
  EVP_CIPHER_CTX* cipher = nullptr;
  BIO_get_cipher_ctx(content.get(), &cipher);
  // kms.md 5.2: AES-256-CBC (sdk-c and enclaver accept nothing else).
  if (cipher == nullptr || EVP_CIPHER_CTX_get_nid(cipher) != NID_aes_256_cbc) {
    return Fail(ErrorCode::kCmsUnsupported, "the content-encryption algorithm is not AES-256-CBC");
  }
  const std::size_t max_len = parsed->envelope.encrypted_content.size();
  core::SecretBytes buffer(max_len + 1);
  std::size_t total = 0;
  while (total < buffer.size()) {
    const int n = BIO_read(content.get(), buffer.MutableData() + total,  // NOLINT: within buffer
                           static_cast<int>(buffer.size() - total));
    if (n <= 0) {
      break;
    }
    total += static_cast<std::size_t>(n);
  }
  if (BIO_get_cipher_status(content.get()) != 1 || total > max_len) {
    core::DrainOpensslErrors("");
    return Fail(ErrorCode::kCmsDecrypt, "the decrypted content has invalid padding");
  }
  core::DrainOpensslErrors("");
  return core::SecretBytes(buffer.View().first(total));
}

core::Result<core::EvpPkeyPtr> MakeRecipientKey() {
  core::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 2048) != 1 ||
      EVP_PKEY_keygen(ctx.get(), &key) != 1) {
    return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("RSA-2048 key generation failed"));
  }
  return core::EvpPkeyPtr(key);
}

core::Result<core::Bytes> PublicKeyDer(EVP_PKEY* key) {
  const int len = key == nullptr ? -1 : i2d_PUBKEY(key, nullptr);
  if (len <= 0) {
    return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("cannot encode the public key"));
  }
  core::Bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  if (i2d_PUBKEY(key, &p) != len) {
    return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("cannot encode the public key"));
  }
  return out;
}

namespace {

// DER/BER writing for EncryptForRecipient: a definite length, or a tag with an indefinite one.
void PutLength(core::Bytes& out, std::size_t len) {
  if (len < 0x80) {
    out.push_back(static_cast<std::uint8_t>(len));
    return;
  }
  std::uint8_t digits[sizeof(std::size_t)] = {};  // NOLINT(modernize-avoid-c-arrays)
  std::size_t n = 0;
  for (std::size_t rest = len; rest > 0; rest >>= 8) {
    digits[n++] = static_cast<std::uint8_t>(rest & 0xff);
  }
  out.push_back(static_cast<std::uint8_t>(0x80 | n));
  while (n > 0) {
    out.push_back(digits[--n]);
  }
}

void PutDefinite(core::Bytes& out, std::uint8_t tag, core::ByteView content) {
  out.push_back(tag);
  PutLength(out, content.size());
  out.insert(out.end(), content.begin(), content.end());
}

void PutRaw(core::Bytes& out, std::initializer_list<std::uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

// The DER of the OIDs and AlgorithmIdentifiers of kms.md 5.2 (offsets as in input_ber.bin).
constexpr std::uint8_t kOidEnvelopedData[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,  // NOLINT
                                              0x0d, 0x01, 0x07, 0x03};
constexpr std::uint8_t kOidData[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,  // NOLINT
                                     0xf7, 0x0d, 0x01, 0x07, 0x01};
// SEQUENCE { id-RSAES-OAEP, RSAES-OAEP-params { [0] sha256 NULL, [1] mgf1(sha256 NULL) } }
constexpr std::uint8_t kOaepSha256[] = {  // NOLINT(modernize-avoid-c-arrays)
    0x30, 0x3c, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x07, 0x30, 0x2f, 0xa0,
    0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
    0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30,
    0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00};
// OID aes256-CBC (2.16.840.1.101.3.4.1.42)
constexpr std::uint8_t kOidAes256Cbc[] = {0x06, 0x09, 0x60, 0x86, 0x48, 0x01,  // NOLINT
                                          0x65, 0x03, 0x04, 0x01, 0x2a};

constexpr std::size_t kMaxRecipientPlaintext = 4096;

}  // namespace

core::Result<core::EvpPkeyPtr> ParseRecipientPublicKey(core::ByteView spki_der) {
  const unsigned char* in = spki_der.data();
  core::EvpPkeyPtr key(d2i_PUBKEY(nullptr, &in, static_cast<long>(spki_der.size())));
  if (!key || in != spki_der.data() + spki_der.size()) {  // NOLINT: OpenSSL's cursor
    core::DrainOpensslErrors("");
    return Fail(ErrorCode::kCmsUnsupported,
                "the attestation document's public_key is not a DER SubjectPublicKeyInfo");
  }
  const int bits = EVP_PKEY_get_bits(key.get());
  if (EVP_PKEY_is_a(key.get(), "RSA") != 1 || bits < 2048 || bits > 4096) {
    return Fail(ErrorCode::kCmsUnsupported,
                "the attestation document's public_key is not an RSA key of 2048 to 4096 bits");
  }
  return key;
}

core::Result<core::Bytes> EncryptForRecipient(core::ByteView plaintext, EVP_PKEY* recipient,
                                              core::ByteView recipient_spki_der) {
  if (plaintext.empty() || plaintext.size() > kMaxRecipientPlaintext || recipient == nullptr) {
    return Fail(ErrorCode::kInvalidArgument, "a recipient's plaintext must be 1 to 4096 bytes");
  }
  // A fresh content key and IV from the CSPRNG (kms.md 5.2).
  core::SecretBytes cek(32);
  std::array<std::uint8_t, 16> iv{};
  if (RAND_bytes(cek.MutableData(), static_cast<int>(cek.size())) != 1 ||
      RAND_bytes(iv.data(), static_cast<int>(iv.size())) != 1) {
    return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("the CSPRNG failed"));
  }
  // encryptedKey = RSAES-OAEP(SHA-256, MGF1-SHA-256, empty label)(CEK).
  core::EvpPkeyCtxPtr rsa(EVP_PKEY_CTX_new_from_pkey(nullptr, recipient, nullptr));
  std::size_t wrapped_len = 0;
  if (!rsa || EVP_PKEY_encrypt_init(rsa.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(rsa.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(rsa.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(rsa.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_encrypt(rsa.get(), nullptr, &wrapped_len, cek.View().data(), cek.size()) != 1) {
    return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("RSA-OAEP setup failed"));
  }
  core::Bytes wrapped(wrapped_len);
  if (EVP_PKEY_encrypt(rsa.get(), wrapped.data(), &wrapped_len, cek.View().data(), cek.size()) !=
      1) {
    return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("RSA-OAEP encryption failed"));
  }
  wrapped.resize(wrapped_len);
  // AES-256-CBC with PKCS#7 padding.
  core::EvpCipherCtxPtr aes(EVP_CIPHER_CTX_new());
  core::Bytes content(plaintext.size() + 16);
  int len1 = 0;
  int len2 = 0;
  if (!aes ||
      EVP_EncryptInit_ex(aes.get(), EVP_aes_256_cbc(), nullptr, cek.View().data(), iv.data()) !=
          1 ||
      EVP_EncryptUpdate(aes.get(), content.data(), &len1, plaintext.data(),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(aes.get(), content.data() + len1, &len2) != 1) {  // NOLINT
    return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("AES-256-CBC failed"));
  }
  content.resize(static_cast<std::size_t>(len1) + static_cast<std::size_t>(len2));

  // KeyTransRecipientInfo (definite): version 2, rid [0] SKI, OAEP, encryptedKey.
  const core::Sha256Digest ski = core::Sha256(recipient_spki_der);
  core::Bytes ktri_body;
  PutRaw(ktri_body, {0x02, 0x01, 0x02});
  PutDefinite(ktri_body, 0x80, ski);
  ktri_body.insert(ktri_body.end(), std::begin(kOaepSha256), std::end(kOaepSha256));
  PutDefinite(ktri_body, 0x04, wrapped);
  core::Bytes ktri;
  PutDefinite(ktri, 0x30, ktri_body);

  core::Bytes out;
  PutRaw(out, {0x30, 0x80});  // ContentInfo
  out.insert(out.end(), std::begin(kOidEnvelopedData), std::end(kOidEnvelopedData));
  PutRaw(out, {0xa0, 0x80, 0x30, 0x80, 0x02, 0x01, 0x02});  // [0] EnvelopedData, version 2
  PutDefinite(out, 0x31, ktri);                             // recipientInfos SET OF one
  PutRaw(out, {0x30, 0x80});                                // EncryptedContentInfo
  out.insert(out.end(), std::begin(kOidData), std::end(kOidData));
  core::Bytes algorithm(std::begin(kOidAes256Cbc), std::end(kOidAes256Cbc));
  PutDefinite(algorithm, 0x04, iv);
  PutDefinite(out, 0x30, algorithm);
  PutRaw(out, {0xa0, 0x80});  // encryptedContent [0] constructed, one OCTET STRING
  PutDefinite(out, 0x04, content);
  PutRaw(out, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00});
  return out;
}

}  // namespace enclavectl::aws
