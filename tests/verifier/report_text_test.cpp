// The text reports (report_text.hpp) and the fleet flow (fleet.hpp) called directly: what a
// person reads for a document (headline, input, checks, PCRs, chain, the error), and a fleet
// whose visits failed to arrive or to decode.
#include "enclavectl/verifier/report_text.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/verifier/fleet.hpp"
#include "virtual_nitro.hpp"

namespace enclavectl::verifier {
namespace {

using core::ErrorCode;
using testing::VirtualNitro;

std::string Text(const VerificationReport& report, bool any_image) {
  std::ostringstream out;
  RenderReportText(out, "doc.cbor", InputEncoding::kBase64, report, any_image);
  return out.str();
}

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(ReportText, AnAcceptedDocumentShowsItsChecksPcrsAndChain) {
  const core::Bytes doc = VirtualNitro::Get().Mint();
  const VerificationReport report = VirtualNitro::Get().Verify(doc);
  ASSERT_EQ(report.verdict, Verdict::kAccepted);
  const std::string text = Text(report, false);
  EXPECT_EQ(text.rfind("ACCEPTED  doc.cbor\n  input        " + std::to_string(doc.size()) +
                           " bytes of base64 text, sha256 ",
                       0),
            0U)
      << text;
  EXPECT_TRUE(Has(text, "\n  module_id    " + report.document->module_id + "\n"));
  EXPECT_TRUE(Has(text, "\nchecks\n  pass     cose         "));
  EXPECT_TRUE(Has(text, "\npcrs\n  PCR0  " + core::HexEncode(report.document->pcrs.at(0))));
  EXPECT_TRUE(Has(text, "\nchain\n  0  "));
  EXPECT_FALSE(Has(text, "error: "));
  EXPECT_FALSE(Has(text, "ANY IMAGE"));
  const std::string any = Text(report, true);
  EXPECT_EQ(any.rfind("ACCEPTED (any image: no PCR was checked; genuine Nitro Enclaves "
                      "document)  doc.cbor\n",
                      0),
            0U);
  EXPECT_TRUE(Has(any, "\n  ANY IMAGE    --any-image: "));
}

TEST(ReportText, AFailedDocumentMarksItsPcrsUnverifiedAndLeavesTheErrorToStandardError) {
  core::Bytes doc = VirtualNitro::Get().Mint();
  doc.back() ^= 1;  // the COSE signature
  const VerificationReport rejected = VirtualNitro::Get().Verify(doc);
  ASSERT_NE(rejected.verdict, Verdict::kAccepted);
  const std::string text = Text(rejected, false);
  const std::string name(core::ErrorCodeName(rejected.error->code));
  EXPECT_EQ(text.rfind("REJECTED (" + name + ")  doc.cbor\n", 0), 0U) << text;
  EXPECT_FALSE(Has(text, "error: ")) << text;
  // The tampered document only claims its PCRs.
  EXPECT_TRUE(Has(text, "\npcrs (unverified: ")) << text;
  EXPECT_TRUE(
      Has(text, "  PCR0  " + core::HexEncode(rejected.document->pcrs.at(0)) + " (unverified)\n"))
      << text;
  std::ostringstream err;
  RenderFailure(err, *rejected.error, rejected.hint);
  EXPECT_EQ(err.str(), "enclavectl: " + name + ": " + rejected.error->detail + "\n");
  std::ostringstream hinted;
  RenderFailure(hinted, *rejected.error, "do this");
  EXPECT_EQ(hinted.str(), err.str() + "hint: do this\n");
  const VerificationReport malformed = VirtualNitro::Get().Verify(core::Bytes{0x01, 0x02, 0x03});
  const std::string malformed_text = Text(malformed, false);
  EXPECT_EQ(malformed_text.rfind("MALFORMED (", 0), 0U);
  EXPECT_TRUE(Has(malformed_text, "verified at  (not verified: ")) << malformed_text;
  EXPECT_FALSE(Has(malformed_text, "1970")) << malformed_text;
}

TEST(Fleet, VisitsThatFailToArriveOrDecodeAreCountedInTargetOrder) {
  std::vector<core::Result<Evidence>> visits;
  visits.emplace_back(core::Fail(ErrorCode::kNetwork, "refused"));
  Evidence garbage;
  garbage.url = "http://b";
  garbage.attestation = {"/enclave/attestation?nonce=00", 200, {}, core::Bytes{0x41}, {}};
  visits.emplace_back(garbage);
  const FleetReport report = VerifyFleet({"http://a", "http://b"}, std::move(visits),
                                         VirtualNitro::Get().Root(), LiveExpectations{}, {});
  EXPECT_EQ(report.accepted, 0U);
  EXPECT_EQ(report.unreachable, 1U);
  EXPECT_EQ(report.rejected + report.malformed, 1U);
  ASSERT_TRUE(report.first_failure);
  EXPECT_EQ(report.first_failure->code, ErrorCode::kNetwork);
  std::ostringstream text;
  RenderFleetText(text, report, true, true);
  EXPECT_EQ(text.str().rfind("FAIL  http://a  NETWORK (802): refused\nFAIL  http://b  ", 0), 0U)
      << text.str();
  EXPECT_TRUE(Has(text.str(), "\n2 services: 0 accepted, 2 failed ("));
  EXPECT_TRUE(Has(text.str(), "\nINSECURE: --insecure-tls (TLS certificates not checked)\n"));
  EXPECT_TRUE(Has(text.str(), "\nANY IMAGE: --any-image (no service's image was checked"));
  const nlohmann::json out = FleetReportToJson(report);
  EXPECT_EQ(out["summary"]["unreachable"], 1);
  EXPECT_EQ(out["targets"][0]["error"]["code"], "NETWORK");
}

}  // namespace
}  // namespace enclavectl::verifier
