// Certificate chain failures: genuine chains rearranged, and development chains minted with
// deliberate defects.
#include "enclavectl/verifier/chain.hpp"

#include <gtest/gtest.h>
#include <openssl/x509v3.h>

#include "test_paths.hpp"
#include "virtual_nitro.hpp"

namespace enclavectl::verifier {
namespace {

using core::ErrorCode;
using testing::kVirtualNow;
using testing::VirtualNitro;

constexpr const char* kGenuine = "evervault_2022-10-13_valid";
constexpr std::int64_t kGenuineTime = 1665651482;

AttestationDocument GenuineDoc() {
  auto parsed = DecodeAttestation(testing::ReadBytes(testing::TestdataDir() / "attestation" /
                                                     (std::string(kGenuine) + ".cbor")));
  EXPECT_TRUE(parsed);
  return parsed->doc;
}

const TrustAnchor& AwsRoot() {
  static const TrustAnchor root = std::move(*TrustAnchor::AwsNitroRoot());
  return root;
}

core::Result<VerifiedChain> ParseAndVerify(const AttestationDocument& doc, const TrustAnchor& root,
                                           std::int64_t t, ChainCache* cache = nullptr) {
  auto certs = ParseChainCertificates(doc, root, cache);
  if (!certs) {
    return core::Fail(certs.error());
  }
  return VerifyChain(doc, *certs, root, t, cache);
}

core::Error ChainError(const AttestationDocument& doc, const TrustAnchor& root, std::int64_t t) {
  auto chain = ParseAndVerify(doc, root, t);
  EXPECT_FALSE(chain) << "chain accepted";
  return chain ? core::Error{} : chain.error();
}

TEST(GenuineChain, VerifiesAndCountsSignatures) {
  auto chain = ParseAndVerify(GenuineDoc(), AwsRoot(), kGenuineTime);
  ASSERT_TRUE(chain) << chain.error().detail;
  EXPECT_EQ(chain->signatures_verified, 4);
  EXPECT_EQ(chain->signatures_cached, 0);
}

TEST(GenuineChain, ParsedCertificatesAreSharedThroughTheCache) {
  ChainCache cache;
  const AttestationDocument doc = GenuineDoc();
  auto first = ParseChainCertificates(doc, AwsRoot(), &cache);
  auto second = ParseChainCertificates(doc, AwsRoot(), &cache);
  ASSERT_TRUE(first && second);
  ASSERT_EQ(first->size(), 5U);
  EXPECT_EQ((*first)[0].get(), AwsRoot().Certificate());  // the pinned root's own object
  for (std::size_t i = 1; i < first->size(); ++i) {
    EXPECT_EQ((*first)[i].get(), (*second)[i].get()) << i;
  }
  auto uncached = ParseChainCertificates(doc, AwsRoot(), nullptr);
  ASSERT_TRUE(uncached);
  EXPECT_NE((*uncached)[1].get(), (*first)[1].get());
  EXPECT_TRUE(VerifyChain(doc, *second, AwsRoot(), kGenuineTime, &cache));
}

TEST(GenuineChain, RemovedIntermediateIsAMissingIssuer) {
  AttestationDocument doc = GenuineDoc();
  doc.cabundle.erase(doc.cabundle.begin() + 2);  // the zonal certificate
  const core::Error error = ChainError(doc, AwsRoot(), kGenuineTime);
  EXPECT_EQ(error.code, ErrorCode::kChainIssuer);
  EXPECT_EQ(error.index, 2);  // the instance certificate, now at position 2, lacks its issuer
}

TEST(GenuineChain, MisorderedOrExtraCertificatesAreRejected) {
  AttestationDocument swapped = GenuineDoc();
  std::swap(swapped.cabundle[1], swapped.cabundle[2]);
  EXPECT_EQ(ChainError(swapped, AwsRoot(), kGenuineTime).code, ErrorCode::kChainIssuer);
  AttestationDocument extra = GenuineDoc();
  extra.cabundle.push_back(extra.cabundle[1]);
  EXPECT_EQ(ChainError(extra, AwsRoot(), kGenuineTime).code, ErrorCode::kChainIssuer);
}

TEST(GenuineChain, ForeignLeafHasNoIssuer) {
  AttestationDocument doc = GenuineDoc();
  auto other = DecodeAttestation(
      testing::ReadBytes(testing::TestdataDir() / "attestation" / "marlin_2024-02-26.cbor"));
  doc.certificate = other->doc.certificate;
  EXPECT_EQ(ChainError(doc, AwsRoot(), kGenuineTime).code, ErrorCode::kChainIssuer);
}

TEST(GenuineChain, ReplacedOrWrongRoot) {
  AttestationDocument doc = GenuineDoc();
  doc.cabundle[0] = VirtualNitro::Get().Ca().Root().der;
  const core::Error replaced = ChainError(doc, AwsRoot(), kGenuineTime);
  EXPECT_EQ(replaced.code, ErrorCode::kChainRootMismatch);
  EXPECT_EQ(replaced.index, 0);
  // Trusting another root rejects the genuine chain.
  EXPECT_EQ(ChainError(GenuineDoc(), VirtualNitro::Get().Root(), kGenuineTime).code,
            ErrorCode::kChainRootMismatch);
}

TEST(GenuineChain, UndecodableCertificate) {
  AttestationDocument doc = GenuineDoc();
  doc.cabundle[2].resize(doc.cabundle[2].size() - 1);
  const core::Error error = ChainError(doc, AwsRoot(), kGenuineTime);
  EXPECT_EQ(error.code, ErrorCode::kCertParse);
  EXPECT_EQ(error.index, 2);
  AttestationDocument trailing = GenuineDoc();
  trailing.certificate.push_back(0);
  EXPECT_EQ(ChainError(trailing, AwsRoot(), kGenuineTime).index, 4);
}

TEST(TrustAnchors, AwsRootIsPinnedAndCustomRootsAreChecked) {
  EXPECT_TRUE(AwsRoot().IsAwsNitroRoot());
  EXPECT_EQ(AwsRoot().Fingerprint(), kAwsNitroRootG1Sha256);
  EXPECT_EQ(AwsRoot().Subject(), "CN=aws.nitro-enclaves,OU=AWS,O=Amazon,C=US");
  // The same root given as a file is recognised as the AWS root.
  auto from_file = TrustAnchor::FromPem(
      testing::ReadBytes(testing::TestdataDir() / "attestation" / "aws_nitro_root_g1.pem"));
  ASSERT_TRUE(from_file);
  EXPECT_TRUE(from_file->IsAwsNitroRoot());
  EXPECT_FALSE(VirtualNitro::Get().Root().IsAwsNitroRoot());
  EXPECT_NE(VirtualNitro::Get().Root().Describe().find("custom root"), std::string::npos);
  // Not a certificate; two certificates; not a CA; not P-384.
  EXPECT_EQ(TrustAnchor::FromPem(core::AsBytes("hello")).error().code, ErrorCode::kCertParse);
  const std::string pem = VirtualNitro::Get().Ca().RootPem();
  EXPECT_EQ(TrustAnchor::FromPem(core::AsBytes(pem + pem)).error().code, ErrorCode::kCertParse);
  EXPECT_EQ(TrustAnchor::FromDer(VirtualNitro::Get().Enclave().leaf.der).error().code,
            ErrorCode::kCertConstraints);
  EXPECT_EQ(TrustAnchor::FromDer(VirtualNitro::Get().Ca().Chain()[1].der).error().code,
            ErrorCode::kCertConstraints);
  devca::CertificateSpec spec;
  spec.subject = {{"CN", "p256 root"}};
  spec.serial = {1};
  spec.not_before = kVirtualNow;
  spec.not_after = core::UnixMillis{kVirtualNow.value + 1000000};
  spec.is_ca = true;
  spec.key_usage = "keyCertSign";
  spec.p256_key = true;
  auto p256 = devca::IssueCertificate(spec, nullptr);
  ASSERT_TRUE(p256);
  EXPECT_EQ(TrustAnchor::FromDer(p256->der).error().code, ErrorCode::kCertKeyType);
  EXPECT_EQ(TrustAnchor::FromDer(core::Bytes{0x30, 0x00}).error().code, ErrorCode::kCertParse);
}

TEST(TrustAnchors, PinnedFingerprintIsEnforced) {
  const core::Bytes aws_pem =
      testing::ReadBytes(testing::TestdataDir() / "attestation" / "aws_nitro_root_g1.pem");
  EXPECT_TRUE(TrustAnchor::FromPinnedPem(aws_pem, kAwsNitroRootG1Sha256));
  // Another root where the AWS one is pinned: refused with ROOT_FINGERPRINT.
  auto other = TrustAnchor::FromPinnedPem(core::AsBytes(VirtualNitro::Get().Ca().RootPem()),
                                          kAwsNitroRootG1Sha256);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kRootFingerprint);
  core::Sha256Digest wrong = kAwsNitroRootG1Sha256;
  wrong[0] ^= 1;
  EXPECT_EQ(TrustAnchor::FromPinnedPem(aws_pem, wrong).error().code, ErrorCode::kRootFingerprint);
}

// A development chain where the certificate at `position` (1..4) is reissued by its
// issuer from `spec` (subject kept), followed by the certificates below re-issued under it.
class DefectiveChain {
 public:
  DefectiveChain() {
    const auto& ca = VirtualNitro::Get().Ca();
    for (const auto& cert : ca.Chain()) {
      specs_.push_back(SpecOf(cert.cert.get()));
    }
    specs_.push_back(SpecOf(VirtualNitro::Get().Enclave().leaf.cert.get()));
    specs_.back().is_ca = false;
    specs_.back().key_usage = "digitalSignature,nonRepudiation";
    specs_.back().key_usage_critical = false;
    specs_.back().key_identifiers = false;
  }

  devca::CertificateSpec& Spec(std::size_t position) { return specs_.at(position); }

  // Issues the chain below the (real) root and a document signed by the new leaf.
  core::Bytes Mint() {
    const auto& ca = VirtualNitro::Get().Ca();
    std::vector<devca::KeyedCertificate> certs;
    const devca::KeyedCertificate* issuer = &ca.Root();
    for (std::size_t i = 1; i < specs_.size(); ++i) {
      auto cert = devca::IssueCertificate(specs_[i], issuer);
      EXPECT_TRUE(cert) << cert.error().detail;
      certs.push_back(std::move(*cert));
      issuer = &certs.back();
    }
    AttestationDocument doc = VirtualNitro::Get().Fields();
    doc.cabundle = {ca.Root().der};
    for (std::size_t i = 0; i + 1 < certs.size(); ++i) {
      doc.cabundle.push_back(certs[i].der);
    }
    doc.certificate = certs.back().der;
    auto signed_doc = devca::SignPayload(certs.back().key.get(), EncodePayload(doc));
    return *signed_doc;
  }

 private:
  static devca::CertificateSpec SpecOf(X509* cert) {
    devca::CertificateSpec spec;
    const CertificateInfo info = DescribeCertificate(cert);
    char cn[256] = {};  // NOLINT(modernize-avoid-c-arrays): OpenSSL out-buffer
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
    spec.subject = {{"CN", cn}};
    spec.serial = {0x01, 0x02};
    spec.not_before = core::UnixMillis{info.not_before * 1000};
    spec.not_after = core::UnixMillis{info.not_after * 1000};
    spec.is_ca = X509_check_ca(cert) != 0;
    const long pathlen = X509_get_pathlen(cert);  // NOLINT(google-runtime-int)
    if (pathlen >= 0) {
      spec.path_length = static_cast<int>(pathlen);
    }
    spec.key_usage = spec.is_ca ? "digitalSignature,keyCertSign,cRLSign" : "";
    return spec;
  }

  std::vector<devca::CertificateSpec> specs_;
};

void ExpectChainFailure(const core::Bytes& doc, ErrorCode code, int index) {
  const VerificationReport report = VirtualNitro::Get().Verify(doc);
  ASSERT_TRUE(report.error) << "accepted";
  EXPECT_EQ(report.error->code, code) << report.error->detail;
  EXPECT_EQ(report.error->index, index) << report.error->detail;
}

TEST(DevelopmentChain, SoundRebuildIsAccepted) {
  DefectiveChain chain;
  const VerificationReport report = VirtualNitro::Get().Verify(chain.Mint());
  EXPECT_EQ(report.verdict, Verdict::kAccepted) << report.error->detail;
}

TEST(DevelopmentChain, IntermediateThatIsNotACa) {
  DefectiveChain chain;
  chain.Spec(3).is_ca = false;
  chain.Spec(3).path_length.reset();
  ExpectChainFailure(chain.Mint(), ErrorCode::kCertConstraints, 3);
}

TEST(DevelopmentChain, PathLengthExceeded) {
  DefectiveChain chain;
  chain.Spec(1).path_length = 0;  // regional allows no CA below it, but zonal and instance follow
  const VerificationReport report = VirtualNitro::Get().Verify(chain.Mint());
  ASSERT_TRUE(report.error);
  EXPECT_EQ(report.error->code, ErrorCode::kCertConstraints) << report.error->detail;
}

TEST(DevelopmentChain, IntermediateWithoutKeyCertSign) {
  DefectiveChain chain;
  chain.Spec(2).key_usage = "digitalSignature";
  ExpectChainFailure(chain.Mint(), ErrorCode::kCertConstraints, 2);
}

TEST(DevelopmentChain, LeafThatIsACaOrCannotSign) {
  DefectiveChain ca_leaf;
  ca_leaf.Spec(4).is_ca = true;
  ExpectChainFailure(ca_leaf.Mint(), ErrorCode::kCertConstraints, 4);
  DefectiveChain no_sign;
  no_sign.Spec(4).key_usage = "keyEncipherment";
  ExpectChainFailure(no_sign.Mint(), ErrorCode::kCertConstraints, 4);
}

TEST(DevelopmentChain, P256KeyIsTheWrongKeyType) {
  DefectiveChain chain;
  chain.Spec(3).p256_key = true;
  ExpectChainFailure(chain.Mint(), ErrorCode::kCertKeyType, 3);
}

TEST(DevelopmentChain, ExpiredAndNotYetValidIntermediates) {
  DefectiveChain expired;
  expired.Spec(2).not_after = core::UnixMillis{kVirtualNow.value + 1000};
  ExpectChainFailure(expired.Mint(), ErrorCode::kCertExpired, 2);
  DefectiveChain future;
  future.Spec(1).not_before = core::UnixMillis{kVirtualNow.value + 10000};
  ExpectChainFailure(future.Mint(), ErrorCode::kCertNotYetValid, 1);
}

TEST(DevelopmentChain, NameConstraintViolation) {
  DefectiveChain chain;
  chain.Spec(3).extra_extensions = {{NID_name_constraints, "critical,permitted;DNS:example.com"}};
  chain.Spec(4).subject = {{"CN", "enclave.sim.nitro-enclaves"}};
  ExpectChainFailure(chain.Mint(), ErrorCode::kChainInvalid, 4);
}

TEST(DevelopmentChain, TamperedIntermediateSignature) {
  AttestationDocument doc = VirtualNitro::Get().Fields();
  doc.cabundle[2].back() ^= 1;  // the last byte of the zonal certificate's signature
  const core::Bytes signed_doc = VirtualNitro::Get().SignPayload(EncodePayload(doc));
  ExpectChainFailure(signed_doc, ErrorCode::kCertSignature, 2);
}

}  // namespace
}  // namespace enclavectl::verifier
