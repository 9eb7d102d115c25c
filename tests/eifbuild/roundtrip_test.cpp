// Round trip: extract the sections and metadata of every fixture, rebuild the image with
// BuildImage, get the same bytes (unsigned) or the same bytes up to the randomised ECDSA
// signature and the same PCRs (signed). Also rebuilds from the fixtures' build_params.
#include <string>

#include <gtest/gtest.h>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/eif/build.hpp"
#include "test_paths.hpp"

namespace enclavectl::eif {
namespace {

std::filesystem::path Dir() { return testing::TestdataDir() / "eif"; }

SourceOpener Holder(core::Bytes bytes) {
  auto shared = std::make_shared<const core::Bytes>(std::move(bytes));
  return [shared]() -> core::Result<std::unique_ptr<ByteSource>> {
    return std::make_unique<MemorySource>(*shared);
  };
}

core::ByteView SectionData(const core::Bytes& image, const SectionInfo& section) {
  return core::ByteView(image).subspan(section.offset + kSectionHeaderSize, section.size);
}

// The spec that extracting `image` gives: kernel, cmdline and ramdisks verbatim, the
// decoded metadata.
ImageSpec Extract(const core::Bytes& image, const ImageReport& report) {
  ImageSpec spec;
  spec.arch = report.header.arch();
  for (const SectionInfo& section : report.sections) {
    const core::ByteView data = SectionData(image, section);
    switch (section.type) {
      case SectionType::kKernel:
        spec.kernel = Holder(core::ToBytes(data));
        break;
      case SectionType::kCmdline:
        spec.cmdline = std::string(core::AsChars(data));
        break;
      case SectionType::kRamdisk:
        spec.ramdisks.push_back(RamdiskInput{"ramdisk", Holder(core::ToBytes(data)), {}});
        break;
      default:
        break;
    }
  }
  spec.metadata = *report.metadata;
  return spec;
}

class RoundTripTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RoundTripTest, ExtractAndRebuild) {
  const core::Bytes image = testing::ReadBytes(Dir() / (GetParam() + ".eif"));
  const nlohmann::json fixture = testing::ReadJson(Dir() / (GetParam() + ".json"));
  auto report = InspectImage(MemorySource(image));
  ASSERT_TRUE(report.has_value());
  ASSERT_TRUE(report->metadata.has_value());
  // The metadata encoder reproduces the section byte for byte.
  for (const SectionInfo& section : report->sections) {
    if (section.type == SectionType::kMetadata) {
      EXPECT_EQ(core::ToBytes(SectionData(image, section)), EncodeMetadata(*report->metadata));
    }
  }
  ImageSpec spec = Extract(image, *report);
  std::optional<Signer> signer;
  if (report->is_signed) {
    const core::Bytes cert = testing::ReadBytes(Dir() / (GetParam() + ".cert.pem"));
    const core::Bytes key = testing::ReadBytes(Dir() / (GetParam() + ".TEST-ONLY-key.pem"));
    auto made = MakeSigner(cert, core::SecretBytes(key));
    ASSERT_TRUE(made.has_value()) << made.error().detail;
    signer = std::move(*made);
    spec.signer = &*signer;
  }
  MemorySink sink;
  auto built = BuildImage(spec, sink);
  ASSERT_TRUE(built.has_value()) << built.error().detail;
  const core::Bytes& rebuilt = sink.data();
  EXPECT_EQ(built->measurements, report->measurements);
  EXPECT_EQ(built->size, rebuilt.size());
  if (!report->is_signed) {
    EXPECT_EQ(core::HexEncode(core::Sha256(rebuilt)), fixture["sha256"]);
    EXPECT_EQ(rebuilt, image);
    return;
  }
  // Signed: the same layout; only the signature section (whose CBOR length depends on the
  // randomised r||s bytes), its size in the header table and the CRC differ.
  auto again = InspectImage(MemorySource(rebuilt));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->FirstFailure(), nullptr);
  EXPECT_EQ(again->measurements, report->measurements);
  const SectionInfo& signature = report->sections.back();
  ASSERT_EQ(signature.type, SectionType::kSignature);
  ASSERT_EQ(again->sections.back().offset, signature.offset);
  EXPECT_TRUE(std::equal(image.begin() + kHeaderSize,
                         image.begin() + static_cast<std::ptrdiff_t>(signature.offset),
                         rebuilt.begin() + kHeaderSize));
  Header expected_header = report->header;
  expected_header.section_sizes[report->sections.size() - 1] = again->sections.back().size;
  expected_header.crc32 = again->header.crc32;
  EXPECT_EQ(EncodeHeader(again->header), EncodeHeader(expected_header));
  EXPECT_EQ(again->signature->signing_certificate, report->signature->signing_certificate);
}

// eif-build.md section 7: rebuilding an unsigned fixture from its build_params reproduces
// its sha256.
TEST_P(RoundTripTest, RebuildFromBuildParams) {
  const nlohmann::json fixture = testing::ReadJson(Dir() / (GetParam() + ".json"));
  const nlohmann::json& params = fixture["build_params"];
  const core::Bytes image = testing::ReadBytes(Dir() / (GetParam() + ".eif"));
  auto report = InspectImage(MemorySource(image));
  ASSERT_TRUE(report.has_value());
  ImageSpec spec = Extract(image, *report);
  spec.arch = params["arch"] == "aarch64" ? Arch::kAarch64 : Arch::kX86_64;
  spec.cmdline = params["cmdline"];
  spec.metadata = Metadata{};
  spec.metadata.image_name = params["name"];
  spec.metadata.image_version = params["version"];
  spec.metadata.build =
      BuildMetadata{params["build_time"], params["build_tool"], params["build_tool_version"],
                    params["img_os"], params["img_kernel"]};
  spec.metadata.docker_info = params["docker_info"];
  spec.metadata.custom_metadata = params["custom_info"];
  ASSERT_EQ(spec.ramdisks.size(), params["ramdisk_count"].get<std::size_t>());
  MemorySink sink;
  auto built = BuildImage(spec, sink);
  ASSERT_TRUE(built.has_value()) << built.error().detail;
  EXPECT_EQ(core::HexEncode(built->measurements.pcr0), fixture["expected"]["PCR0"]);
  if (!params["signed"].get<bool>()) {
    EXPECT_EQ(core::HexEncode(core::Sha256(sink.data())), fixture["sha256"]);
  } else {
    // The unsigned prefix: everything before the signature section.
    const SectionInfo& signature = report->sections.back();
    ASSERT_EQ(sink.data().size(), signature.offset);
    EXPECT_TRUE(std::equal(sink.data().begin() + kHeaderSize, sink.data().end(),
                           image.begin() + kHeaderSize));
  }
}

INSTANTIATE_TEST_SUITE_P(Eif, RoundTripTest,
                         ::testing::Values("oracle_x86_64_unsigned_nitrocli-blobs",
                                           "oracle_aarch64_signed-p384"),
                         [](const auto& param_info) {
                           return testing::TestName(param_info.param);
                         });

}  // namespace
}  // namespace enclavectl::eif
