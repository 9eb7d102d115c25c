// Hostile images: every malformation gives its specific error code (as a walk error or a
// failed check), never a crash, a hang or a silent accept.
#include <gtest/gtest.h>

#include "eif_test_util.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/eif/build.hpp"
#include "enclavectl/eif/measure.hpp"

namespace enclavectl::eif {
namespace {

using core::ErrorCode;
using testutil::Assemble;
using testutil::FixCrc;
using testutil::Fixture;
using testutil::RawSection;
using testutil::Text;

// The error InspectImage returns, or the first failed check's.
std::optional<core::Error> Verdict(const core::Bytes& image) {
  auto report = InspectImage(MemorySource(image));
  if (!report) {
    return report.error();
  }
  if (const core::Error* failure = report->FirstFailure()) {
    return *failure;
  }
  return std::nullopt;
}

void ExpectCode(const core::Bytes& image, ErrorCode code, int index = -2) {
  const std::optional<core::Error> verdict = Verdict(image);
  ASSERT_TRUE(verdict.has_value()) << "accepted";
  EXPECT_EQ(verdict->code, code) << core::ErrorCodeName(verdict->code) << ": " << verdict->detail;
  if (index != -2) {
    EXPECT_EQ(verdict->index, index);
  }
}

std::vector<RawSection> Basic() {
  return {{SectionType::kKernel, Text("kernel")},
          {SectionType::kCmdline, Text("console=ttyS0")},
          {SectionType::kMetadata, testutil::MinimalMetadata()},
          {SectionType::kRamdisk, Text("ramdisk0")}};
}

TEST(Hostile, CraftedBasicImageIsAccepted) {
  core::Bytes image = Assemble(Basic());
  FixCrc(image);
  EXPECT_FALSE(Verdict(image).has_value());
}

TEST(Hostile, BadMagic) {
  core::Bytes image = Fixture(testutil::kUnsigned);
  image[0] = 'E';
  ExpectCode(image, ErrorCode::kEifBadMagic);
}

TEST(Hostile, TruncatedHeader) {
  const core::Bytes image = Fixture(testutil::kUnsigned);
  for (const std::size_t len : {std::size_t{0}, std::size_t{4}, std::size_t{547}}) {
    ExpectCode(core::Bytes(image.begin(), image.begin() + static_cast<std::ptrdiff_t>(len)),
               ErrorCode::kEifHeaderTruncated);
  }
}

TEST(Hostile, TruncatedSection) {
  const core::Bytes image = Fixture(testutil::kUnsigned);
  // Cut inside the last ramdisk's data: that section's size now runs past EOF.
  ExpectCode(core::Bytes(image.begin(), image.end() - 10), ErrorCode::kEifSectionTruncated, 4);
  // Cut inside the first section's data.
  ExpectCode(core::Bytes(image.begin(), image.begin() + 1000), ErrorCode::kEifSectionTruncated, 0);
}

TEST(Hostile, TruncatedSectionHeaderIsTrailingBytes) {
  // Fewer than 12 bytes after the last section: nitro-cli ignores them; the table check
  // reports them because the CRC does not cover them.
  core::Bytes image = Assemble(Basic());
  FixCrc(image);
  image.insert(image.end(), {0x00, 0x03, 0x00});
  ExpectCode(image, ErrorCode::kEifSectionTable);
}

TEST(Hostile, SectionSizePastEndOfFile) {
  core::Bytes image = Fixture(testutil::kUnsigned);
  // Kernel section header at 548: size field at 552.
  testutil::PutBe64(image, kHeaderSize + 4, image.size());
  ExpectCode(image, ErrorCode::kEifSectionTruncated, 0);
}

TEST(Hostile, SectionSizeOverflowing64Bits) {
  core::Bytes image = Fixture(testutil::kUnsigned);
  testutil::PutBe64(image, kHeaderSize + 4, 0xfffffffffffffff0ULL);
  ExpectCode(image, ErrorCode::kEifOffsetOverflow, 0);
}

TEST(Hostile, TableOffsetOverflowing64Bits) {
  core::Bytes image = Assemble(Basic());
  // section_offsets[2] near 2^64: offset + 12 + size overflows.
  testutil::PutBe64(image, 28 + (8 * 2), 0xfffffffffffffff8ULL);
  FixCrc(image);
  ExpectCode(image, ErrorCode::kEifOffsetOverflow, 2);
}

TEST(Hostile, MoreThan32SectionsDeclared) {
  core::Bytes image = Assemble(Basic());
  image[26] = 0;
  image[27] = 33;
  FixCrc(image);
  ExpectCode(image, ErrorCode::kEifTooManySections);
}

TEST(Hostile, MoreThan32SectionsPresent) {
  std::vector<RawSection> sections = Basic();
  while (sections.size() < 33) {
    sections.push_back({SectionType::kRamdisk, Text("r")});
  }
  core::Bytes image = Assemble(sections);
  image[27] = 32;  // the header claims 32; the walk finds a 33rd
  FixCrc(image);
  ExpectCode(image, ErrorCode::kEifTooManySections, 32);
}

TEST(Hostile, CrcMismatch) {
  core::Bytes image = Fixture(testutil::kUnsigned);
  const auto before = InspectImage(MemorySource(image));
  image[image.size() - 1] ^= 0x01;  // last byte of the last ramdisk
  ExpectCode(image, ErrorCode::kEifCrcMismatch);
  // The PCRs are still computed (describe-eif shows CheckCRC false, not an error)...
  auto report = InspectImage(MemorySource(image));
  ASSERT_TRUE(report.has_value());
  EXPECT_FALSE(report->CrcOk());
  EXPECT_NE(report->measurements.pcr2, before->measurements.pcr2);
  // ...and a flip in the header's unused field or the CRC itself is caught too.
  core::Bytes header_flip = Fixture(testutil::kUnsigned);
  header_flip[541] ^= 0x80;
  ExpectCode(header_flip, ErrorCode::kEifCrcMismatch);
  core::Bytes crc_flip = Fixture(testutil::kUnsigned);
  crc_flip[kCrcOffset] ^= 0x01;
  ExpectCode(crc_flip, ErrorCode::kEifCrcMismatch);
}

TEST(Hostile, UnsupportedVersion) {
  for (const std::uint16_t version : std::initializer_list<std::uint16_t>{0, 1, 5, 0xffff}) {
    core::Bytes image = Assemble(Basic(), version);
    FixCrc(image);
    ExpectCode(image, ErrorCode::kEifUnsupportedVersion);
  }
}

TEST(Hostile, InvalidAndUnknownSectionTypes) {
  for (const std::uint16_t type : std::initializer_list<std::uint16_t>{0, 6, 0xffff}) {
    std::vector<RawSection> sections = Basic();
    sections[1].raw_type = type == 0 ? 0 : type;
    if (type == 0) {
      sections[1].type = SectionType::kInvalid;
    }
    core::Bytes image = Assemble(sections);
    FixCrc(image);
    ExpectCode(image, ErrorCode::kEifSectionType, 1);
  }
}

TEST(Hostile, SectionTableDisagreesWithFile) {
  core::Bytes image = Assemble(Basic());
  testutil::PutBe64(image, 284 + (8 * 3), 7);  // ramdisk size in the table
  FixCrc(image);
  ExpectCode(image, ErrorCode::kEifSectionTable, 3);

  image = Assemble(Basic());
  testutil::PutBe64(image, 28 + (8 * 1), 549);  // cmdline offset in the table
  FixCrc(image);
  ExpectCode(image, ErrorCode::kEifSectionTable, 1);

  image = Assemble(Basic());
  testutil::PutBe64(image, 28 + (8 * 9), 548);  // an unused slot that is not zero
  FixCrc(image);
  ExpectCode(image, ErrorCode::kEifSectionTable, 9);

  image = Assemble(Basic());
  image[27] = 3;  // num_sections says 3, the file has 4
  FixCrc(image);
  ExpectCode(image, ErrorCode::kEifSectionTable);
}

TEST(Hostile, SectionLayout) {
  // A ramdisk before the kernel.
  core::Bytes image = Assemble({{SectionType::kRamdisk, Text("r")},
                                {SectionType::kKernel, Text("k")},
                                {SectionType::kMetadata, testutil::MinimalMetadata()}});
  FixCrc(image);
  ExpectCode(image, ErrorCode::kEifSectionLayout, 0);
  // No kernel; two kernels.
  image = Assemble(
      {{SectionType::kCmdline, Text("c")}, {SectionType::kMetadata, testutil::MinimalMetadata()}});
  FixCrc(image);
  ExpectCode(image, ErrorCode::kEifSectionLayout);
  std::vector<RawSection> two = Basic();
  two.push_back({SectionType::kKernel, Text("k2")});
  image = Assemble(two);
  FixCrc(image);
  ExpectCode(image, ErrorCode::kEifSectionLayout);
  // v4 without metadata; v3 without metadata is fine.
  const std::vector<RawSection> no_metadata = {{SectionType::kKernel, Text("k")},
                                               {SectionType::kCmdline, Text("c")},
                                               {SectionType::kRamdisk, Text("r")}};
  image = Assemble(no_metadata, 4);
  FixCrc(image);
  ExpectCode(image, ErrorCode::kEifSectionLayout);
  image = Assemble(no_metadata, 3);
  FixCrc(image);
  EXPECT_FALSE(Verdict(image).has_value());
  // Two metadata sections.
  std::vector<RawSection> meta2 = Basic();
  meta2.push_back({SectionType::kMetadata, testutil::MinimalMetadata()});
  image = Assemble(meta2);
  FixCrc(image);
  ExpectCode(image, ErrorCode::kEifSectionLayout);
}

TEST(Hostile, MetadataMalformed) {
  const std::vector<std::string> bad = {
      "",
      "{",
      "[]",
      "{\"ImageName\":\"t\"}",
      // CustomMetadata missing (nitro-cli: "missing field `CustomMetadata`").
      "{\"ImageName\":\"t\",\"ImageVersion\":\"1\",\"BuildMetadata\":{\"BuildTime\":\"0\","
      "\"BuildTool\":\"t\",\"BuildToolVersion\":\"0\",\"OperatingSystem\":\"L\","
      "\"KernelVersion\":\"6\"},\"DockerInfo\":null}",
      // A BuildMetadata member that is not a string.
      "{\"ImageName\":\"t\",\"ImageVersion\":\"1\",\"BuildMetadata\":{\"BuildTime\":0,"
      "\"BuildTool\":\"t\",\"BuildToolVersion\":\"0\",\"OperatingSystem\":\"L\","
      "\"KernelVersion\":\"6\"},\"DockerInfo\":null,\"CustomMetadata\":null}",
      // Invalid UTF-8.
      "{\"ImageName\":\"\xff\"}",
      // Nested deeper than the limit.
      std::string(100, '[') + std::string(100, ']'),
  };
  for (const std::string& text : bad) {
    std::vector<RawSection> sections = Basic();
    sections[2].data = Text(text);
    core::Bytes image = Assemble(sections);
    FixCrc(image);
    ExpectCode(image, ErrorCode::kEifMetadata, 2);
  }
}

TEST(Hostile, MetadataNullIsAccepted) {
  std::vector<RawSection> sections = Basic();
  sections[2].data = Text("null");
  core::Bytes image = Assemble(sections);
  FixCrc(image);
  auto report = InspectImage(MemorySource(image));
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->FirstFailure(), nullptr);
  EXPECT_FALSE(report->metadata.has_value());
}

TEST(Hostile, MetadataTooLarge) {
  std::vector<RawSection> sections = Basic();
  sections[2].data = core::Bytes(core::limits::kMaxEifMetadataBytes + 1, ' ');
  core::Bytes image = Assemble(sections);
  FixCrc(image);
  ExpectCode(image, ErrorCode::kEifSectionTooLarge, 2);
}

TEST(Hostile, UnknownFlagBitsAreReportedNotRejected) {
  core::Bytes image = Assemble(Basic(), 4, 0x0241);
  FixCrc(image);
  auto report = InspectImage(MemorySource(image));
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->FirstFailure(), nullptr);
  EXPECT_EQ(report->header.unknown_flags(), 0x0240);
  EXPECT_EQ(report->header.arch(), Arch::kAarch64);
  ASSERT_FALSE(report->notes.empty());
  EXPECT_NE(report->notes[0].find("0x240"), std::string::npos);
}

// ---- signatures ----

struct SignedImage {
  core::Bytes image;
  std::size_t sig_offset;  // of the signature section's data
  std::size_t sig_size;
};

SignedImage SignedFixture() {
  SignedImage out{Fixture(testutil::kSigned), 0, 0};
  auto report = InspectImage(MemorySource(out.image));
  const SectionInfo& sig = report->sections.back();
  out.sig_offset = sig.offset + kSectionHeaderSize;
  out.sig_size = sig.size;
  return out;
}

TEST(Hostile, CorruptedSignatureBytes) {
  SignedImage s = SignedFixture();
  // The last CBOR item of the section is the last byte of the COSE signature's s value.
  s.image[s.sig_offset + s.sig_size - 1] ^= 0x01;
  FixCrc(s.image);
  ExpectCode(s.image, ErrorCode::kEifSignatureInvalid, 5);
  auto report = InspectImage(MemorySource(s.image));
  ASSERT_TRUE(report.has_value());
  // PCR8 depends only on the certificate; still computed.
  EXPECT_TRUE(report->measurements.pcr8.has_value());
}

TEST(Hostile, CorruptedSignatureStructure) {
  SignedImage s = SignedFixture();
  s.image[s.sig_offset] = 0x82;  // the array claims two elements
  FixCrc(s.image);
  ExpectCode(s.image, ErrorCode::kEifSignatureMalformed, 5);

  s = SignedFixture();
  s.image[s.sig_offset + 1] = 0xa1;  // the map loses an entry: trailing bytes
  FixCrc(s.image);
  ExpectCode(s.image, ErrorCode::kEifSignatureMalformed, 5);
}

TEST(Hostile, CorruptedSigningCertificate) {
  SignedImage s = SignedFixture();
  // "-----BEGIN" -> "-----BEGIX": the PEM no longer parses. The certificate array starts
  // after 0x81 0xa2, a 0x73-headed 19-byte key and a 0x99 nnnn array header.
  const std::size_t pem = s.sig_offset + 2 + 20 + 3;
  ASSERT_EQ(s.image[pem], 0x18);
  ASSERT_EQ(s.image[pem + 1], '-');
  s.image[pem + (2 * 9) + 1] = 'X';
  FixCrc(s.image);
  ExpectCode(s.image, ErrorCode::kEifSignatureMalformed, 5);
  auto report = InspectImage(MemorySource(s.image));
  ASSERT_TRUE(report.has_value());
  EXPECT_FALSE(report->measurements.pcr8.has_value());
}

TEST(Hostile, SignatureOverAnotherPcr0) {
  // A valid signature by the fixture's key over a different PCR0: the image was changed
  // after signing (here: its kernel), or the signature was copied from another image.
  core::Bytes image = Fixture(testutil::kSigned);
  image[kHeaderSize + kSectionHeaderSize] ^= 0x01;  // first kernel byte
  FixCrc(image);
  ExpectCode(image, ErrorCode::kEifSignaturePcr0Mismatch, 5);
}

TEST(Hostile, SignatureSectionTooLarge) {
  std::vector<RawSection> sections = Basic();
  sections.push_back(
      {SectionType::kSignature, core::Bytes(core::limits::kMaxEifSignatureBytes + 1, 0)});
  core::Bytes image = Assemble(sections);
  FixCrc(image);
  ExpectCode(image, ErrorCode::kEifSectionTooLarge, 4);
}

TEST(Hostile, SignatureSectionInV2) {
  SignedImage s = SignedFixture();
  s.image[5] = 2;  // version 2
  FixCrc(s.image);
  // v2 has no metadata rule but no signature either.
  ExpectCode(s.image, ErrorCode::kEifSectionLayout);
}

TEST(Hostile, EveryTruncationOfTheSignedFixtureFailsCleanly) {
  const core::Bytes image = Fixture(testutil::kSigned);
  for (std::size_t len = 0; len < image.size(); len += 97) {
    const core::Bytes cut(image.begin(), image.begin() + static_cast<std::ptrdiff_t>(len));
    EXPECT_TRUE(Verdict(cut).has_value()) << len;
  }
}

}  // namespace
}  // namespace enclavectl::eif
