// The EIF flows on files (eif/image_files.hpp) and the measure judgement (JudgeMeasurements,
// MeasureJson), called directly as `enclavectl eif` calls them: build from input files, inspect,
// sign, PCR of a file or certificate, and the verdicts of a measurement.
#include "enclavectl/eif/image_files.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>

#include "eif_test_util.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/eif/report_json.hpp"
#include "test_paths.hpp"

namespace enclavectl::eif::io {
namespace {

using core::ErrorCode;
using testutil::Text;

class ImageFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    request_.kernel = dir_.Write("bzImage", Text(std::string(5000, 'k')));
    request_.cmdline = "console=ttyS0";
    request_.init = dir_.Write("init", Text("#!/bin/sh\n"));
    request_.build_time = "2024-06-01T00:00:00Z";
    request_.build_tool_version = "0.0.0";
  }
  std::string Out(const std::string& name) const { return (dir_.Path() / name).string(); }

  testing::ScopedTempDir dir_;
  BuildRequest request_;
};

TEST_F(ImageFiles, BuildInspectMeasureAndSign) {
  const std::string image = Out("app.eif");
  auto built = BuildImageFile(request_, image);
  ASSERT_TRUE(built) << built.error().detail;
  EXPECT_EQ(built->size, std::filesystem::file_size(image));
  auto report = InspectImageFile(image);
  ASSERT_TRUE(report) << report.error().detail;
  EXPECT_EQ(report->FirstFailure(), nullptr);
  EXPECT_EQ(report->measurements.pcr0, built->measurements.pcr0);
  ASSERT_TRUE(report->metadata);
  EXPECT_EQ(report->metadata->image_name, "bzImage");
  EXPECT_EQ(report->metadata->build.build_time, "2024-06-01T00:00:00Z");
  // Same request, same bytes; SOURCE_DATE_EPOCH yields to --build-time.
  BuildRequest again = request_;
  again.source_date_epoch = "1700000000";
  auto rebuilt = BuildImageFile(again, Out("again.eif"));
  ASSERT_TRUE(rebuilt);
  EXPECT_EQ(testing::ReadBytes(image), testing::ReadBytes(Out("again.eif")));
  // Without --build-time, SOURCE_DATE_EPOCH sets the build time.
  again.build_time.clear();
  ASSERT_TRUE(BuildImageFile(again, Out("epoch.eif")));
  EXPECT_EQ(InspectImageFile(Out("epoch.eif"))->metadata->build.build_time,
            "2023-11-14T22:13:20+00:00");

  // Signed with the fixture's P-384 key: PCR0/1/2 unchanged, PCR8 added.
  const std::string cert = (testutil::FixtureDir() / testutil::kSignedCert).string();
  const std::string key = (testutil::FixtureDir() / testutil::kSignedKey).string();
  auto signed_image = SignImageFile(image, cert, key, Out("signed.eif"));
  ASSERT_TRUE(signed_image) << signed_image.error().detail;
  EXPECT_EQ(signed_image->measurements.pcr0, built->measurements.pcr0);
  auto pcr8 = Pcr8OfCertificateFile(cert);
  ASSERT_TRUE(pcr8) << pcr8.error().detail;
  EXPECT_EQ(signed_image->measurements.pcr8, *pcr8);
  auto signed_report = InspectImageFile(Out("signed.eif"));
  ASSERT_TRUE(signed_report);
  EXPECT_EQ(signed_report->FirstFailure(), nullptr);
  EXPECT_TRUE(signed_report->is_signed);
  // A key that is not the certificate's: refused, named by its path only.
  const std::string other = dir_.Write("other.pem", Text("not a key"));
  auto mismatched = SignImageFile(image, cert, other, Out("x.eif"));
  EXPECT_EQ(mismatched.error().code, ErrorCode::kEifSigningKey);
  EXPECT_EQ(mismatched.error().detail.rfind(other + ": ", 0), 0U);
  EXPECT_FALSE(std::filesystem::exists(Out("x.eif")));
}

TEST_F(ImageFiles, BuildRequestsThatCannotBeBuilt) {
  const auto code = [this](const BuildRequest& request) {
    auto assembled = AssembleBuild(request);
    return assembled ? std::nullopt : std::optional<ErrorCode>(assembled.error().code);
  };
  BuildRequest r = request_;
  r.arch = "mips";
  EXPECT_EQ(code(r), ErrorCode::kInvalidArgument);
  r = request_;
  r.init.clear();
  EXPECT_EQ(code(r), ErrorCode::kInvalidArgument);  // no ramdisk
  r.nsm_ko = request_.init;
  EXPECT_EQ(code(r), ErrorCode::kInvalidArgument);  // --nsm-ko needs --init
  r = request_;
  r.cmd = {"/bin/app"};
  EXPECT_EQ(code(r), ErrorCode::kInvalidArgument);  // --cmd needs --rootfs
  r = request_;
  r.certificate = (testutil::FixtureDir() / testutil::kSignedCert).string();
  EXPECT_EQ(code(r), ErrorCode::kInvalidArgument);  // half a signer
  r = request_;
  r.metadata = dir_.Write("meta.json", Text("{\"a\": "));
  EXPECT_EQ(code(r), ErrorCode::kEifMetadata);
  r.metadata = Out("absent.json");
  EXPECT_EQ(code(r), ErrorCode::kIoRead);
  r = request_;
  r.build_time = "yesterday";
  EXPECT_EQ(code(r), ErrorCode::kInvalidArgument);
  // Nothing is written for a request that fails.
  EXPECT_FALSE(BuildImageFile(r, Out("never.eif")));
  EXPECT_FALSE(std::filesystem::exists(Out("never.eif")));
}

// Issue 14 item 3: --config places the image config in the rootfs, so PCR0 covers it.
TEST_F(ImageFiles, ImageConfigIsPlacedInTheRootfsAndMeasured) {
  const std::filesystem::path rootfs = dir_.Path() / "rootfs";
  std::filesystem::create_directories(rootfs / "bin");
  dir_.Write("rootfs/bin/app", Text("#!/bin/sh\n"));
  BuildRequest r = request_;
  r.rootfs = rootfs.string();
  r.cmd = {"/bin/app"};
  auto plain = BuildImageFile(r, Out("plain.eif"));
  ASSERT_TRUE(plain) << plain.error().detail;
  const std::string v1_config = R"({"previous_pcr0":"genesis"})";
  r.image_config = dir_.Write("v1.json", Text(v1_config));
  auto v1 = BuildImageFile(r, Out("v1.eif"));
  ASSERT_TRUE(v1) << v1.error().detail;
  EXPECT_NE(v1->measurements.pcr0, plain->measurements.pcr0);
  // The file's exact bytes at rootfs/etc/enclavectl/image-config.json (cpio newc: stored).
  const core::Bytes image = testing::ReadBytes(Out("v1.eif"));
  const std::string text(image.begin(), image.end());
  EXPECT_NE(text.find("rootfs/etc/enclavectl/image-config.json"), std::string::npos);
  EXPECT_NE(text.find(v1_config), std::string::npos);
  // The successor names v1's PCR0: another PCR0 again.
  const std::string v2_config = R"({"previous_pcr0":")" + core::HexEncode(v1->measurements.pcr0) +
                                R"(","maintainer_pubkey":")" + std::string(64, 'f') + "\"}";
  r.image_config = dir_.Write("v2.json", Text(v2_config));
  auto v2 = BuildImageFile(r, Out("v2.eif"));
  ASSERT_TRUE(v2) << v2.error().detail;
  EXPECT_NE(v2->measurements.pcr0, v1->measurements.pcr0);

  for (const std::string bad :
       {R"({"previous_pcr0":"genesis","extra":1})", R"({})", R"({"previous_pcr0":"GENESIS"})",
        R"({"previous_pcr0":"ab"})", R"({"previous_pcr0":"genesis","maintainer_pubkey":"zz"})",
        R"({"previous_pcr0":7})", R"(not json)"}) {
    r.image_config = dir_.Write("bad.json", Text(bad));
    auto assembled = AssembleBuild(r);
    ASSERT_FALSE(assembled) << bad;
    EXPECT_EQ(assembled.error().code, ErrorCode::kImageConfigInvalid) << bad;
  }
  // The rootfs may not bring its own (it would be two files at one path).
  std::filesystem::create_directories(rootfs / "etc" / "enclavectl");
  dir_.Write("rootfs/etc/enclavectl/image-config.json", Text(v1_config));
  r.image_config = dir_.Write("v1.json", Text(v1_config));
  EXPECT_EQ(AssembleBuild(r).error().code, ErrorCode::kInvalidArgument);
  // --config needs --rootfs.
  BuildRequest no_rootfs = request_;
  no_rootfs.image_config = r.image_config;
  EXPECT_EQ(AssembleBuild(no_rootfs).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(ImageFiles, PcrOfFilesAndInspectErrors) {
  const std::string kernel = request_.kernel;
  auto pcr = PcrOfFile(kernel);
  ASSERT_TRUE(pcr);
  PcrHasher hasher;
  hasher.Update(testing::ReadBytes(kernel));
  EXPECT_EQ(*pcr, hasher.Finish());
  EXPECT_EQ(PcrOfFile(Out("absent")).error().code, ErrorCode::kIoRead);
  EXPECT_EQ(Pcr8OfCertificateFile(kernel).error().code, ErrorCode::kCertParse);
  auto truncated = InspectImageFile(kernel);  // 5000 bytes of 'k': no EIF magic
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().detail.rfind(kernel + ": ", 0), 0U);
}

TEST_F(ImageFiles, MeasureVerdicts) {
  ASSERT_TRUE(BuildImageFile(request_, Out("app.eif")));
  auto report = InspectImageFile(Out("app.eif"));
  ASSERT_TRUE(report);
  const PcrSet actual = MeasurementsAsSet(report->measurements);
  // Nothing expected: measured.
  auto measured = JudgeMeasurements(*report, {}, {});
  ASSERT_TRUE(measured);
  EXPECT_EQ(measured->VerdictName(), "measured");
  EXPECT_EQ(measured->Verdict(), nullptr);
  EXPECT_EQ(MeasureJson("app.eif", *measured)["error"], nullptr);
  // The right PCR0: match.
  auto match = JudgeMeasurements(*report, {{0, actual.at(0)}}, {});
  ASSERT_TRUE(match);
  EXPECT_EQ(match->VerdictName(), "match");
  // Another PCR1: mismatch, indexed at PCR1.
  auto mismatch = JudgeMeasurements(*report, {{1, core::Bytes(48, 0xee)}}, {});
  ASSERT_TRUE(mismatch);
  EXPECT_EQ(mismatch->VerdictName(), "mismatch");
  ASSERT_NE(mismatch->Verdict(), nullptr);
  EXPECT_EQ(mismatch->Verdict()->code, ErrorCode::kPcrMismatch);
  EXPECT_EQ(mismatch->Verdict()->index, 1);
  // Allowed sets: none matches -> kPcrSetNoMatch, the closest set reported.
  auto sets = JudgeMeasurements(*report, {},
                                {PcrSet{{0, core::Bytes(48, 1)}, {2, core::Bytes(48, 2)}},
                                 PcrSet{{0, actual.at(0)}, {2, core::Bytes(48, 2)}}});
  ASSERT_TRUE(sets);
  EXPECT_EQ(sets->Verdict()->code, ErrorCode::kPcrSetNoMatch);
  EXPECT_EQ(sets->comparison->set_index, 1U);
  const nlohmann::ordered_json json = MeasureJson("app.eif", *sets);
  EXPECT_EQ(json["media_type"], kMeasureMediaType);
  EXPECT_EQ(json["verdict"], "rejected");
  EXPECT_EQ(json["allowed_set"], 1);
  EXPECT_EQ(json["error"]["code"], "PCR_SET_NO_MATCH");
  EXPECT_EQ(json["expected"].size(), 2U);

  // A damaged image: malformed outranks any mismatch.
  core::Bytes bytes = testing::ReadBytes(Out("app.eif"));
  bytes[bytes.size() - 1] ^= 0xff;
  const std::string damaged = dir_.Write("damaged.eif", bytes);
  auto damaged_report = InspectImageFile(damaged);
  ASSERT_TRUE(damaged_report);
  auto judged = JudgeMeasurements(*damaged_report, {{1, core::Bytes(48, 0xee)}}, {});
  ASSERT_TRUE(judged);
  EXPECT_EQ(judged->VerdictName(), "malformed");
  EXPECT_EQ(judged->Verdict()->code, ErrorCode::kEifCrcMismatch);
  EXPECT_TRUE(judged->mismatch);
}

}  // namespace
}  // namespace enclavectl::eif::io
