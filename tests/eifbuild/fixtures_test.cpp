// Every fixture in ../shared/testdata/eif gives exactly the PCRs, CRC verdict, signature
// verdict, header fields and sections its JSON expects (values computed by AWS's own
// EifReader, the describe-eif code path).
#include <gtest/gtest.h>

#include <string>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/eif/measure.hpp"
#include "enclavectl/eif/report_json.hpp"
#include "test_paths.hpp"

namespace enclavectl::eif {
namespace {

using testing::ReadBytes;
using testing::ReadJson;

class FixtureTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::filesystem::path Dir() const { return testing::TestdataDir() / "eif"; }
};

std::string AllFixturesName(const ::testing::TestParamInfo<std::string>& info) {
  return testing::TestName(info.param);
}

std::vector<std::string> Fixtures() {
  std::vector<std::string> names;
  for (const auto& path : testing::FilesWithSuffix(testing::TestdataDir() / "eif", ".eif")) {
    names.push_back(path.stem().string());
  }
  return names;
}

void ExpectReportMatches(const ImageReport& report, const nlohmann::json& fixture) {
  const nlohmann::json& expected = fixture["expected"];
  EXPECT_EQ(report.file_size, fixture["size"].get<std::uint64_t>());
  EXPECT_EQ(report.header.version, expected["EifVersion"].get<int>());
  EXPECT_EQ(core::HexEncode(report.measurements.pcr0), expected["PCR0"]);
  EXPECT_EQ(core::HexEncode(report.measurements.pcr1), expected["PCR1"]);
  EXPECT_EQ(core::HexEncode(report.measurements.pcr2), expected["PCR2"]);
  if (expected.contains("PCR8")) {
    ASSERT_TRUE(report.measurements.pcr8.has_value());
    EXPECT_EQ(core::HexEncode(*report.measurements.pcr8), expected["PCR8"]);
  } else {
    EXPECT_FALSE(report.measurements.pcr8.has_value());
  }
  EXPECT_EQ(report.is_signed, expected["IsSigned"].get<bool>());
  EXPECT_EQ(report.CrcOk(), expected["CheckCRC"].get<bool>());
  char crc_hex[9];
  std::snprintf(crc_hex, sizeof(crc_hex), "%08x", report.computed_crc);
  EXPECT_EQ(std::string(crc_hex), expected["computed_crc32"]);
  std::snprintf(crc_hex, sizeof(crc_hex), "%08x", report.header.crc32);
  EXPECT_EQ(std::string(crc_hex), expected["header_crc32"]);
  EXPECT_EQ(report.header.flags, expected["flags"].get<int>());
  EXPECT_EQ(ArchName(report.header.arch()), expected["arch"]);
  EXPECT_EQ(report.header.default_mem, expected["default_mem"].get<std::uint64_t>());
  EXPECT_EQ(report.header.default_cpus, expected["default_cpus"].get<std::uint64_t>());
  EXPECT_EQ(report.header.num_sections, expected["num_sections"].get<int>());
  ASSERT_TRUE(report.metadata.has_value());
  EXPECT_EQ(report.metadata->image_name, expected["ImageName"]);
  EXPECT_EQ(report.metadata->image_version, expected["ImageVersion"]);
  if (expected.contains("SignaturePayloadMatchesPCR0")) {
    const Check* signature = report.FindCheck("signature");
    ASSERT_NE(signature, nullptr);
    EXPECT_EQ(signature->status == CheckStatus::kPass,
              expected["SignaturePayloadMatchesPCR0"].get<bool>());
  }
  const nlohmann::json& sections = fixture["sections"];
  ASSERT_EQ(report.sections.size(), sections.size());
  for (std::size_t i = 0; i < sections.size(); ++i) {
    EXPECT_EQ(SectionTypeName(report.sections[i].type), sections[i]["type"]) << i;
    EXPECT_EQ(report.sections[i].offset, sections[i]["offset"].get<std::uint64_t>()) << i;
    EXPECT_EQ(report.sections[i].size, sections[i]["size"].get<std::uint64_t>()) << i;
  }
  EXPECT_EQ(report.FirstFailure(), nullptr)
      << (report.FirstFailure() != nullptr ? report.FirstFailure()->detail : "");
}

TEST_P(FixtureTest, MeasuresExactlyAsExpected) {
  const core::Bytes image = ReadBytes(Dir() / (GetParam() + ".eif"));
  const nlohmann::json fixture = ReadJson(Dir() / (GetParam() + ".json"));
  ASSERT_EQ(core::HexEncode(core::Sha256(image)), fixture["sha256"]);
  const MemorySource source(image);
  for (const bool parallel : {true, false}) {
    SCOPED_TRACE(parallel ? "parallel" : "inline");
    // Small chunks exercise the pipeline's slot recycling on a small file.
    for (const std::size_t chunk : {std::size_t{4096}, PcrPipeline::kDefaultChunkBytes}) {
      InspectOptions options;
      options.parallel = parallel;
      options.chunk_bytes = chunk;
      auto report = InspectImage(source, options);
      ASSERT_TRUE(report.has_value()) << report.error().detail;
      ExpectReportMatches(*report, fixture);
    }
  }
}

TEST_P(FixtureTest, SectionDigestsMatch) {
  const core::Bytes image = ReadBytes(Dir() / (GetParam() + ".eif"));
  const nlohmann::json fixture = ReadJson(Dir() / (GetParam() + ".json"));
  for (const nlohmann::json& section : fixture["sections"]) {
    const auto data_offset = section["offset"].get<std::size_t>() + kSectionHeaderSize;
    const auto size = section["size"].get<std::size_t>();
    ASSERT_LE(data_offset + size, image.size());
    EXPECT_EQ(core::HexEncode(core::Sha256(core::ByteView(image).subspan(data_offset, size))),
              section["sha256"]);
  }
}

TEST_P(FixtureTest, DescribeJsonHasNitroCliFields) {
  const core::Bytes image = ReadBytes(Dir() / (GetParam() + ".eif"));
  const nlohmann::json fixture = ReadJson(Dir() / (GetParam() + ".json"));
  const nlohmann::json& expected = fixture["expected"];
  auto report = InspectImage(MemorySource(image));
  ASSERT_TRUE(report.has_value());
  const nlohmann::ordered_json json = DescribeJson(*report);
  // nitro-cli's keys first, in its order.
  std::vector<std::string> keys;
  for (const auto& [key, value] : json.items()) {
    keys.push_back(key);
  }
  std::vector<std::string> nitro_keys = {"EifVersion", "Measurements", "IsSigned"};
  if (expected["IsSigned"].get<bool>()) {
    nitro_keys.push_back("SigningCertificate");
  }
  nitro_keys.push_back("CheckCRC");
  if (expected["IsSigned"].get<bool>()) {
    nitro_keys.push_back("SignatureCheck");
  }
  for (const char* key : {"ImageName", "ImageVersion", "Metadata"}) {
    nitro_keys.emplace_back(key);
  }
  ASSERT_GE(keys.size(), nitro_keys.size());
  EXPECT_EQ(std::vector<std::string>(keys.begin(),
                                     keys.begin() + static_cast<std::ptrdiff_t>(nitro_keys.size())),
            nitro_keys);
  EXPECT_EQ(json["EifVersion"], expected["EifVersion"]);
  EXPECT_EQ(json["Measurements"]["HashAlgorithm"], expected["HashAlgorithm"]);
  for (const char* pcr : {"PCR0", "PCR1", "PCR2", "PCR8"}) {
    EXPECT_EQ(json["Measurements"].contains(pcr), expected.contains(pcr)) << pcr;
    if (expected.contains(pcr)) {
      EXPECT_EQ(json["Measurements"][pcr], expected[pcr]) << pcr;
    }
  }
  EXPECT_EQ(json["IsSigned"], expected["IsSigned"]);
  EXPECT_EQ(json["CheckCRC"], expected["CheckCRC"]);
  EXPECT_EQ(json["ImageName"], expected["ImageName"]);
  EXPECT_EQ(json["ImageVersion"], expected["ImageVersion"]);
  const nlohmann::json& params = fixture["build_params"];
  EXPECT_EQ(json["Metadata"]["BuildTime"], params["build_time"]);
  EXPECT_EQ(json["Metadata"]["BuildTool"], params["build_tool"]);
  EXPECT_EQ(json["Metadata"]["BuildToolVersion"], params["build_tool_version"]);
  EXPECT_EQ(json["Metadata"]["OperatingSystem"], params["img_os"]);
  EXPECT_EQ(json["Metadata"]["KernelVersion"], params["img_kernel"]);
  EXPECT_TRUE(json["Metadata"]["DockerInfo"].is_null());
  if (params["custom_info"].is_object()) {
    for (const auto& [key, value] : params["custom_info"].items()) {
      EXPECT_EQ(json["Metadata"][key], value) << key;
    }
  }
  EXPECT_EQ(json["verdict"], "accepted");
}

INSTANTIATE_TEST_SUITE_P(Eif, FixtureTest, ::testing::ValuesIn(Fixtures()), AllFixturesName);

// eif.md 13: the signed fixture's certificate as describe-eif prints it.
TEST(SignedFixture, SigningCertificateAsDescribeEifPrintsIt) {
  const core::Bytes image =
      ReadBytes(testing::TestdataDir() / "eif" / "oracle_aarch64_signed-p384.eif");
  auto report = InspectImage(MemorySource(image));
  ASSERT_TRUE(report.has_value());
  ASSERT_TRUE(report->certificate.has_value());
  const CertificateInfo& cert = *report->certificate;
  EXPECT_EQ(cert.issuer.at("commonName"), "p384-signer");
  EXPECT_EQ(cert.issuer.at("countryName"), "US");
  EXPECT_EQ(cert.issuer.at("organizationName"), "eifbuild-fixture");
  EXPECT_EQ(cert.algorithm, "ecdsa-with-SHA384");
  EXPECT_EQ(cert.not_before, "Nov 21 16:37:10 2026 GMT");
  EXPECT_EQ(cert.not_after, "Oct 28 16:37:10 2126 GMT");
  EXPECT_EQ(cert.signature.substr(0, 17), "30:64:02:30:1E:DB");
  EXPECT_EQ(cert.signature.substr(cert.signature.size() - 2), "C0");
}

}  // namespace
}  // namespace enclavectl::eif
