// Certificates and keys in PEM or DER, with errors in our words (never OpenSSL's text).
#include "enclavectl/core/pem.hpp"

#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <string>

#include "enclavectl/core/ecdsa.hpp"
#include "test_paths.hpp"

namespace enclavectl::core {
namespace {

Bytes Text(const std::string& text) { return ToBytes(AsBytes(text)); }

Bytes AwsRootPem() {
  return testing::ReadBytes(testing::TestdataDir() / "attestation" / "aws_nitro_root_g1.pem");
}

// Made by `openssl x509 -outform DER` from the PEM above (tests/vectors/der/README.md).
Bytes AwsRootDer() {
  return testing::ReadBytes(testing::TestsDir() / "vectors" / "der" / "aws_nitro_root_g1.der");
}

// OpenSSL's queue text looks like "error:0480006C:PEM routines::no start line".
void ExpectOwnWords(const Error& error, const char* prefix) {
  EXPECT_EQ(error.detail.rfind(prefix, 0), 0U) << error.detail;
  EXPECT_EQ(error.detail.find("error:"), std::string::npos) << error.detail;
  EXPECT_EQ(error.detail.find("routines"), std::string::npos) << error.detail;
}

TEST(Pem, CertificatesInPemOrDerAreTheSame) {
  auto from_pem = ReadCertificate(AwsRootPem());
  ASSERT_TRUE(from_pem) << from_pem.error().detail;
  auto from_der = ReadCertificate(AwsRootDer());
  ASSERT_TRUE(from_der) << from_der.error().detail;
  EXPECT_EQ(CertificateDer(from_pem->get()), AwsRootDer());
  EXPECT_EQ(CertificateDer(from_der->get()), AwsRootDer());
  EXPECT_TRUE(HasPemArmour(AsBytes(CertificatePem(from_der->get()))));
  EXPECT_FALSE(HasPemArmour(AwsRootDer()));
}

TEST(Pem, NonCertificatesFailInOwnWords) {
  const Bytes der = AwsRootDer();
  Bytes trailing = der;
  trailing.push_back(0);
  const Bytes truncated(der.begin(), der.begin() + 100);
  for (const Bytes& bad :
       {Text("hello"), truncated, trailing, Bytes{},
        Text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")}) {
    auto cert = ReadCertificate(bad);
    ASSERT_FALSE(cert);
    EXPECT_EQ(cert.error().code, ErrorCode::kCertParse);
    ExpectOwnWords(cert.error(), "not a certificate in PEM or DER: ");
  }
}

// A P-256 key written as PEM and DER (PKCS#8 private, SubjectPublicKeyInfo public).
struct KeyFiles {
  Bytes private_pem, private_der, public_pem, public_der;
};

KeyFiles MakeKeyFiles() {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  EXPECT_TRUE(key);
  KeyFiles out;
  const auto bio_bytes = [](const auto& write) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    EXPECT_EQ(write(bio.get()), 1);
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT
    return Bytes(data, data + len);                       // NOLINT
  };
  out.private_pem = bio_bytes([&](BIO* b) {
    return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  out.private_der = bio_bytes([&](BIO* b) {
    return i2d_PKCS8PrivateKey_bio(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  out.public_pem = bio_bytes([&](BIO* b) { return PEM_write_bio_PUBKEY(b, key.get()); });
  out.public_der = PublicKeyDer(key.get());
  return out;
}

TEST(Pem, KeysInPemOrDer) {
  const KeyFiles files = MakeKeyFiles();
  for (const Bytes& bytes : {files.private_pem, files.private_der}) {
    auto key = ReadPrivateKey(SecretBytes(bytes), ErrorCode::kEifSigningKey);
    ASSERT_TRUE(key) << key.error().detail;
    EXPECT_EQ(PublicKeyDer(key->get()), files.public_der);
  }
  for (const Bytes& bytes : {files.public_pem, files.public_der}) {
    auto key = ReadPublicKey(bytes, ErrorCode::kInvalidArgument);
    ASSERT_TRUE(key) << key.error().detail;
    EXPECT_EQ(PublicKeyDer(key->get()), files.public_der);
  }
  // A public key is not a private key and the other way round; garbage is neither.
  for (const Bytes& bad : {files.public_der, files.public_pem, Text("hello"), Bytes{}}) {
    auto key = ReadPrivateKey(SecretBytes(bad), ErrorCode::kEifSigningKey);
    ASSERT_FALSE(key);
    EXPECT_EQ(key.error().code, ErrorCode::kEifSigningKey);
    ExpectOwnWords(key.error(), "not a private key in PEM or DER: ");
  }
  for (const Bytes& bad : {files.private_pem, Text("hello"), Bytes{}}) {
    auto key = ReadPublicKey(bad, ErrorCode::kInvalidArgument);
    ASSERT_FALSE(key);
    EXPECT_EQ(key.error().code, ErrorCode::kInvalidArgument);
    ExpectOwnWords(key.error(), "not a public key in PEM or DER: ");
  }
}

}  // namespace
}  // namespace enclavectl::core
