// Unit tests of the parse layer: CRC-32, header records, the upstream CBOR vectors, the PCR
// function, metadata encoding, certificates and signing keys; and CompareMeasurements.
#include <gtest/gtest.h>
#include <openssl/pem.h>

#include "eif_test_util.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/pem.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/eif/build.hpp"
#include "enclavectl/eif/crc32.hpp"
#include "enclavectl/eif/measure.hpp"
#include "enclavectl/eif/metadata.hpp"
#include "enclavectl/eif/signature.hpp"
#include "enclavectl/verifier/devca.hpp"

namespace enclavectl::eif {
namespace {

using core::ErrorCode;
using testutil::Text;

TEST(Crc32, CheckValueAndCombine) {
  Crc32 crc;
  crc.Update(core::AsBytes("123456789"));
  EXPECT_EQ(crc.Value(), 0xCBF43926U);  // CRC-32/ISO-HDLC check value (eif.md section 6)
  Crc32 a;
  a.Update(core::AsBytes("12345"));
  Crc32 b;
  b.Update(core::AsBytes("6789"));
  EXPECT_EQ(Crc32Combine(a.Value(), b.Value(), 4), 0xCBF43926U);
  EXPECT_EQ(Crc32().Value(), 0U);
}

TEST(Crc32, FoldedEqualsTableOnEveryLengthAndAlignment) {
  core::Bytes data(5000);
  std::uint32_t seed = 12345;
  for (std::uint8_t& b : data) {
    seed = (seed * 1103515245U) + 12345U;
    b = static_cast<std::uint8_t>(seed >> 16);
  }
  for (std::size_t offset = 0; offset < 16; ++offset) {
    for (std::size_t len = 0; len + offset <= data.size(); len += (len < 600 ? 1 : 97)) {
      const core::ByteView piece = core::ByteView(data).subspan(offset, len);
      for (const std::uint32_t start : {0U, 0xCBF43926U}) {
        ASSERT_EQ(Crc32Update(start, piece, true), Crc32Update(start, piece, false))
            << offset << " " << len;
      }
    }
  }
  Crc32 split;
  split.Update(core::ByteView(data).first(1234));
  split.Update(core::ByteView(data).subspan(1234));
  EXPECT_EQ(split.Value(), Crc32Update(0, data, false));
}

TEST(Header, EncodeDecodeRoundTrip) {
  Header header;
  header.flags = 0x0201;
  header.num_sections = 2;
  header.section_offsets[0] = 548;
  header.section_sizes[0] = 10;
  header.section_offsets[1] = 570;
  header.section_sizes[1] = 3;
  header.crc32 = 0xdeadbeef;
  const auto bytes = EncodeHeader(header);
  auto decoded = DecodeHeader(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(EncodeHeader(*decoded), bytes);
  EXPECT_EQ(decoded->arch(), Arch::kAarch64);
  EXPECT_EQ(decoded->unknown_flags(), 0x0200);
  EXPECT_EQ(bytes[0], 0x2e);
  EXPECT_EQ(bytes[5], 4);  // version 4, big-endian
  EXPECT_EQ(bytes[547], 0xef);
}

TEST(Header, DecodeErrors) {
  EXPECT_EQ(DecodeHeader(core::Bytes(547, 0)).error().code, ErrorCode::kEifHeaderTruncated);
  EXPECT_EQ(DecodeHeader(core::Bytes(548, 0)).error().code, ErrorCode::kEifBadMagic);
  EXPECT_EQ(DecodeSectionHeader(core::Bytes(11, 0), 3).error().code, ErrorCode::kTruncated);
  EXPECT_EQ(DecodeSectionHeader(core::Bytes(11, 0), 3).error().index, 3);
  const auto section = EncodeSectionHeader(SectionHeader{SectionType::kMetadata, 0, 77});
  auto decoded = DecodeSectionHeader(section, 0);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->type, SectionType::kMetadata);
  EXPECT_EQ(decoded->size, 77U);
  EXPECT_EQ(SectionTypeName(SectionType::kInvalid), "Invalid");
}

// eif.md 9.2: PCR2 of an image with one ramdisk is PCR(empty), published for real images.
TEST(Pcr, OfEmptyInputIsThePublishedConstant) {
  PcrHasher hasher;
  EXPECT_EQ(core::HexEncode(hasher.Finish()),
            "21b9efbc184807662e966d34f390821309eeac6802309798826296bf3e8bec7c10edb30948c90ba673"
            "10f7b964fc500a");
  const core::Bytes data = Text("abc");
  EXPECT_EQ(PcrFromDigest(core::Sha384(data)), [&] {
    PcrHasher h;
    h.Update(data);
    return h.Finish();
  }());
  auto of_source = PcrOfSource(MemorySource(data));
  ASSERT_TRUE(of_source.has_value());
  EXPECT_EQ(*of_source, PcrFromDigest(core::Sha384(data)));
}

TEST(Pcr, PipelineAgreesWithInlineHashingOnManyChunks) {
  core::Bytes data(100000);
  for (std::size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<std::uint8_t>((i * 131) ^ (i >> 7));
  }
  std::optional<Measurements> first;
  for (const bool parallel : {true, false}) {
    PcrPipeline pipeline(parallel, 1000);
    pipeline.Feed(core::ByteView(data).first(30000), Route::kBoot);
    pipeline.Feed(core::ByteView(data).subspan(30000), Route::kApplication);
    auto pcrs = pipeline.Finish();
    ASSERT_TRUE(pcrs.has_value());
    PcrHasher all;
    all.Update(data);
    EXPECT_EQ(pcrs->pcr0, all.Finish());
    PcrHasher boot;
    boot.Update(core::ByteView(data).first(30000));
    EXPECT_EQ(pcrs->pcr1, boot.Finish());
    if (first) {
      EXPECT_EQ(*first, *pcrs);
    }
    first = *pcrs;
    EXPECT_EQ(pipeline.Finish().error().code, ErrorCode::kInternal);  // only once
  }
}

// shared/testdata/eif/cbor_vectors_upstream.json (upstream src/utils/cbor.rs).
TEST(SignatureCbor, UpstreamVectors) {
  const nlohmann::json vectors =
      testing::ReadJson(testutil::FixtureDir() / "cbor_vectors_upstream.json");
  const nlohmann::json& payload = vectors["vectors"][0];
  auto value = core::HexDecode(payload["register_value_hex"].get<std::string>());
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(
      core::HexEncode(EncodePcrPayload(payload["register_index"].get<std::uint32_t>(), *value)),
      payload["cbor_hex"]);
  const nlohmann::json& section = vectors["vectors"][1];
  auto signature = core::HexDecode(section["signature_hex"].get<std::string>());
  ASSERT_TRUE(signature.has_value());
  const SignatureEntry entry{Text(section["signing_certificate_utf8"].get<std::string>()),
                             *signature};
  const core::Bytes encoded = EncodeSignatureSection({entry});
  EXPECT_EQ(core::HexEncode(encoded), section["cbor_hex"]);
  auto decoded = DecodeSignatureSection(encoded);
  ASSERT_TRUE(decoded.has_value());
  ASSERT_EQ(decoded->size(), 1U);
  EXPECT_EQ(decoded->front(), entry);
}

TEST(SignatureCbor, DecodeErrors) {
  const auto code = [](std::string_view hex) {
    auto bytes = core::HexDecode(hex);
    return DecodeSignatureSection(*bytes).error().code;
  };
  EXPECT_EQ(code("80"), ErrorCode::kEifSignatureMalformed);    // empty array
  EXPECT_EQ(code("a0"), ErrorCode::kEifSignatureMalformed);    // not an array
  EXPECT_EQ(code("8101"), ErrorCode::kEifSignatureMalformed);  // element not a map
  EXPECT_EQ(code("81a0"), ErrorCode::kEifSignatureMalformed);  // keys missing
  // signing_certificate as a byte string, not an array of uints.
  EXPECT_EQ(code("81a2737369676e696e675f63657274696669636174654100697369676e61747572658100"),
            ErrorCode::kEifSignatureMalformed);
  // A "byte" of 256.
  EXPECT_EQ(code("81a2737369676e696e675f6365727469666963617465811901006973"
                 "69676e61747572658100"),
            ErrorCode::kEifSignatureMalformed);
  EXPECT_EQ(code("8180ff"), ErrorCode::kEifSignatureMalformed);  // trailing byte
  EXPECT_EQ(DecodeSignatureSection(core::Bytes(32769, 0)).error().code,
            ErrorCode::kEifSectionTooLarge);
}

TEST(Metadata, EncodesLikeSerdeJson) {
  Metadata m;
  m.image_name = "a\"b\\c/d\x01\n\t\xc3\xa9";
  m.image_version = "1";
  m.build = BuildMetadata{"t", "tool", "0.1", "Linux", "6.1"};
  m.docker_info = nullptr;
  m.custom_metadata = nlohmann::json::parse(R"({"z": 1, "a": {"y": [1.0, 2], "b": true}})");
  const std::string text(core::AsChars(EncodeMetadata(m)));
  EXPECT_EQ(text,
            "{\"ImageName\":\"a\\\"b\\\\c/d\\u0001\\n\\t\xc3\xa9\",\"ImageVersion\":\"1\","
            "\"BuildMetadata\":{\"BuildTime\":\"t\",\"BuildTool\":\"tool\","
            "\"BuildToolVersion\":\"0.1\",\"OperatingSystem\":\"Linux\",\"KernelVersion\":\"6.1\"},"
            "\"DockerInfo\":null,\"CustomMetadata\":{\"a\":{\"b\":true,\"y\":[1.0,2]},\"z\":1}}");
  auto decoded = DecodeMetadata(core::AsBytes(text));
  ASSERT_TRUE(decoded.has_value());
  ASSERT_TRUE(decoded->has_value());
  EXPECT_EQ(**decoded, m);
}

TEST(Metadata, DepthAndSizeLimits) {
  EXPECT_TRUE(CheckJsonDepth("[[[]]]", 3, ErrorCode::kEifMetadata).has_value());
  EXPECT_FALSE(CheckJsonDepth("[[[[]]]]", 3, ErrorCode::kEifMetadata).has_value());
  // Brackets inside strings do not count, escaped quotes do not end strings.
  EXPECT_TRUE(CheckJsonDepth(R"(["[[[[\"[[[["])", 1, ErrorCode::kEifMetadata).has_value());
  EXPECT_EQ(ParseBoundedJson("{}", 1, ErrorCode::kInvalidArgument).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(DecodeMetadata(core::Bytes(core::limits::kMaxEifMetadataBytes + 1, ' ')).error().code,
            ErrorCode::kEifSectionTooLarge);
}

std::string KeyPem(EVP_PKEY* key) {
  core::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
  return std::string(data, static_cast<std::size_t>(len));
}

verifier::devca::KeyedCertificate SelfSigned(bool p256) {
  verifier::devca::CertificateSpec spec;
  spec.subject = {{"CN", p256 ? "p256-signer" : "p384-signer"}};
  spec.serial = {1};
  spec.not_before = core::UnixMillis{0};
  spec.not_after = core::UnixMillis{4102444800000};
  spec.p256_key = p256;
  auto cert = verifier::devca::IssueCertificate(spec, nullptr);
  EXPECT_TRUE(cert.has_value());
  return std::move(*cert);
}

TEST(Signing, Es256AndEs384SignAndVerify) {
  for (const bool p256 : {true, false}) {
    const auto keyed = SelfSigned(p256);
    auto signer = MakeSigner(Text(verifier::devca::ToPem(keyed.cert.get())),
                             core::SecretBytes(core::AsBytes(KeyPem(keyed.key.get()))));
    ASSERT_TRUE(signer.has_value()) << signer.error().detail;
    const core::Sha384Digest pcr0 = core::Sha384(Text("image"));
    auto entry = SignPcr0(*signer, pcr0);
    ASSERT_TRUE(entry.has_value());
    EXPECT_TRUE(VerifySignatureEntry(*entry, pcr0).has_value());
    // The protected header names the algorithm of the key's curve.
    auto sign1 = core::cose::Decode(entry->signature);
    ASSERT_TRUE(sign1.has_value());
    EXPECT_EQ(sign1->alg, p256 ? core::cose::kAlgEs256 : core::cose::kAlgEs384);
    EXPECT_FALSE(sign1->tagged);
    const core::Sha384Digest other = core::Sha384(Text("other"));
    EXPECT_EQ(VerifySignatureEntry(*entry, other).error().code,
              ErrorCode::kEifSignaturePcr0Mismatch);
  }
}

TEST(Signing, KeyAndCertificateErrors) {
  const auto p384 = SelfSigned(false);
  const auto other = SelfSigned(false);
  const core::Bytes cert = Text(verifier::devca::ToPem(p384.cert.get()));
  // The key of another certificate.
  EXPECT_EQ(
      MakeSigner(cert, core::SecretBytes(core::AsBytes(KeyPem(other.key.get())))).error().code,
      ErrorCode::kEifSigningKey);
  // Not a PEM key.
  EXPECT_EQ(MakeSigner(cert, core::SecretBytes(Text("not a key"))).error().code,
            ErrorCode::kEifSigningKey);
  // An Ed25519 key: not P-256/P-384.
  core::EvpPkeyPtr ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  ASSERT_TRUE(ed);
  EXPECT_EQ(ParseSigningKeyPem(core::SecretBytes(core::AsBytes(KeyPem(ed.get())))).error().code,
            ErrorCode::kEifSigningKey);
  // Not a certificate.
  EXPECT_EQ(MakeSigner(Text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
                       core::SecretBytes(core::AsBytes(KeyPem(p384.key.get()))))
                .error()
                .code,
            ErrorCode::kCertParse);
}

// A certificate and key in DER (as `openssl x509/pkey -outform DER` write them) sign like
// their PEM; the DER certificate is embedded as its PEM.
TEST(Signing, DerCertificateAndKeyAreAccepted) {
  const core::Bytes cert_pem = testutil::Fixture(testutil::kSignedCert);
  const core::SecretBytes key_pem(testutil::Fixture(testutil::kSignedKey));
  auto cert = core::ReadCertificate(cert_pem);
  ASSERT_TRUE(cert);
  auto key = core::ReadPrivateKey(key_pem, ErrorCode::kEifSigningKey);
  ASSERT_TRUE(key);
  const core::Bytes cert_der = core::CertificateDer(cert->get());
  core::BioPtr bio(BIO_new(BIO_s_mem()));
  ASSERT_EQ(i2d_PKCS8PrivateKey_bio(bio.get(), key->get(), nullptr, nullptr, 0, nullptr, nullptr),
            1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
  const core::SecretBytes key_der(
      core::ByteView(reinterpret_cast<const std::uint8_t*>(data),  // NOLINT
                     static_cast<std::size_t>(len)));
  auto signer = MakeSigner(cert_der, key_der);
  ASSERT_TRUE(signer.has_value()) << signer.error().detail;
  EXPECT_EQ(signer->certificate.der, cert_der);
  EXPECT_TRUE(core::HasPemArmour(signer->certificate_pem));
  const core::Sha384Digest pcr0 = core::Sha384(Text("image"));
  auto entry = SignPcr0(*signer, pcr0);
  ASSERT_TRUE(entry.has_value());
  EXPECT_TRUE(VerifySignatureEntry(*entry, pcr0).has_value());
  // A signature section's embedded certificate stays PEM only.
  EXPECT_EQ(ParseCertificatePem(cert_der).error().code, ErrorCode::kCertParse);
  // Errors are in our words, never OpenSSL's queue text.
  auto bad = MakeSigner(Text("not a certificate"), key_der);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kCertParse);
  EXPECT_EQ(bad.error().detail.rfind("not a certificate in PEM or DER: ", 0), 0U)
      << bad.error().detail;
  EXPECT_EQ(bad.error().detail.find("error:"), std::string::npos) << bad.error().detail;
}

TEST(Signing, FixtureKeyMatchesFixtureCertificate) {
  const core::Bytes cert = testutil::Fixture(testutil::kSignedCert);
  auto signer = MakeSigner(cert, core::SecretBytes(testutil::Fixture(testutil::kSignedKey)));
  ASSERT_TRUE(signer.has_value());
  // PCR8 = PCR(DER) (eif.md 9.2), the fixture's expected value.
  PcrHasher pcr8;
  pcr8.Update(signer->certificate.der);
  const nlohmann::json fixture =
      testing::ReadJson(testutil::FixtureDir() / "oracle_aarch64_signed-p384.json");
  EXPECT_EQ(core::HexEncode(pcr8.Finish()), fixture["expected"]["PCR8"]);
}

TEST(Compare, RequiredAndAllowedSets) {
  Measurements m;
  m.pcr0 = core::Sha384(Text("0"));
  m.pcr1 = core::Sha384(Text("1"));
  m.pcr2 = core::Sha384(Text("2"));
  const PcrSet actual = MeasurementsAsSet(m);
  EXPECT_EQ(actual.size(), 3U);
  auto match = CompareMeasurements(m, {{0, actual.at(0)}}, {});
  ASSERT_TRUE(match.has_value());
  EXPECT_TRUE(match->matched);
  auto mismatch = CompareMeasurements(m, {{0, actual.at(1)}}, {});
  ASSERT_TRUE(mismatch.has_value());
  EXPECT_FALSE(mismatch->matched);
  ASSERT_EQ(mismatch->pcrs.size(), 1U);
  EXPECT_EQ(*mismatch->pcrs[0].actual, actual.at(0));
  // PCR8 expected from an unsigned image: absent, a mismatch.
  auto pcr8 = CompareMeasurements(m, {{8, actual.at(0)}}, {});
  ASSERT_TRUE(pcr8.has_value());
  EXPECT_FALSE(pcr8->matched);
  EXPECT_FALSE(pcr8->pcrs[0].actual.has_value());
  // One of several allowed sets matches: the second.
  auto sets =
      CompareMeasurements(m, {}, {{{0, actual.at(2)}}, {{0, actual.at(0)}, {1, actual.at(1)}}});
  ASSERT_TRUE(sets.has_value());
  EXPECT_TRUE(sets->matched);
  EXPECT_EQ(sets->set_index, 1U);
  EXPECT_EQ(CompareMeasurements(m, {}, {}).error().code, ErrorCode::kInvalidArgument);
}

TEST(BuildTime, FlagThenSourceDateEpochThenEpoch) {
  auto flag = ResolveBuildTime("2024-06-21T12:34:56.789012345+00:00", "5");
  ASSERT_TRUE(flag.has_value());
  EXPECT_EQ(flag->text, "2024-06-21T12:34:56.789012345+00:00");  // verbatim
  EXPECT_EQ(flag->seconds, 1718973296U);
  auto seconds = ResolveBuildTime("1700000000", std::nullopt);
  ASSERT_TRUE(seconds.has_value());
  EXPECT_EQ(seconds->text, "2023-11-14T22:13:20+00:00");
  auto epoch = ResolveBuildTime(std::nullopt, "86400");
  ASSERT_TRUE(epoch.has_value());
  EXPECT_EQ(epoch->text, "1970-01-02T00:00:00+00:00");
  EXPECT_EQ(epoch->seconds, 86400U);
  auto none = ResolveBuildTime(std::nullopt, std::nullopt);
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->text, "1970-01-01T00:00:00+00:00");
  EXPECT_EQ(none->seconds, 0U);
  for (const char* bad : {"soon", "-1", "4294967296", "1960-01-01T00:00:00Z", ""}) {
    EXPECT_EQ(ResolveBuildTime(bad, std::nullopt).error().code, ErrorCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(ResolveBuildTime(std::nullopt, "x").error().code, ErrorCode::kInvalidArgument);
}

TEST(KernelConfig, ThirdLineLikeNitroCli) {
  const KernelConfigInfo info = ParseKernelConfig(
      "#\n# Automatically generated file; DO NOT EDIT.\n"
      "# Linux/arm64 6.1.0-13-cloud-arm64 Kernel Configuration\n#\n");
  EXPECT_EQ(info.operating_system, "Linux");
  EXPECT_EQ(info.kernel_version, "6.1.0");
  const KernelConfigInfo short_file = ParseKernelConfig("#\n#\n");
  EXPECT_EQ(short_file.operating_system, "Unknown");
  EXPECT_EQ(ParseKernelConfig("").kernel_version, "Unknown");
}

TEST(Builder, RejectsImpossibleSpecs) {
  ImageSpec spec;
  spec.kernel = testutil::Holder(Text("k"));
  spec.cmdline = std::string("a\0b", 3);
  spec.ramdisks.push_back(RamdiskInput{"r", testutil::Holder(Text("r")), {}});
  MemorySink sink;
  EXPECT_EQ(BuildImage(spec, sink).error().code, ErrorCode::kInvalidArgument);
  spec.cmdline = "ok";
  while (spec.ramdisks.size() < 30) {
    spec.ramdisks.push_back(spec.ramdisks.front());
  }
  EXPECT_EQ(BuildImage(spec, sink).error().code, ErrorCode::kEifTooManySections);
  EXPECT_EQ(ApplicationRamdisk({}, {}, {}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ApplicationRamdisk({}, {"a\nb"}, {}).error().code, ErrorCode::kInvalidArgument);
}

// A source whose kernel bytes differ the second time they are read.
class ChangingSource final : public ByteSource {
 public:
  explicit ChangingSource(core::Bytes data) : data_(std::move(data)) {}
  std::uint64_t Size() const noexcept override { return data_.size(); }
  core::Status ReadAt(std::uint64_t offset, std::span<std::uint8_t> out) const override {
    auto status = MemorySource(data_).ReadAt(offset, out);
    if (offset == kHeaderSize + kSectionHeaderSize && !out.empty() && reads_++ > 0) {
      out[0] ^= 0x55;
    }
    return status;
  }

 private:
  core::Bytes data_;
  mutable int reads_ = 0;
};

TEST(Builder, SigningAnImageThatChangesIsRefused) {
  const ChangingSource image(testutil::Fixture(testutil::kUnsigned));
  auto signer = MakeSigner(testutil::Fixture(testutil::kSignedCert),
                           core::SecretBytes(testutil::Fixture(testutil::kSignedKey)));
  ASSERT_TRUE(signer.has_value());
  MemorySink sink;
  auto signed_image = SignImage(image, *signer, sink);
  ASSERT_FALSE(signed_image.has_value());
  EXPECT_EQ(signed_image.error().code, ErrorCode::kIoRead);
}

}  // namespace
}  // namespace enclavectl::eif
