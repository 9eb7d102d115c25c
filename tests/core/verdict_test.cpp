#include "enclavectl/core/verdict.hpp"

#include <gtest/gtest.h>

#include "enclavectl/core/report_json.hpp"

namespace enclavectl::core {
namespace {

TEST(Verdict, NamesAreTheDocumentedVocabulary) {
  EXPECT_EQ(VerdictName(Verdict::kAccepted), "accepted");
  EXPECT_EQ(VerdictName(Verdict::kRejected), "rejected");
  EXPECT_EQ(VerdictName(Verdict::kMalformed), "malformed");
  EXPECT_EQ(VerdictName(Verdict::kNotJudged), "not_judged");
  EXPECT_EQ(VerdictName(Verdict::kError), "error");
  EXPECT_EQ(std::string_view(CheckStatusName(CheckStatus::kPass)), "pass");
  EXPECT_EQ(std::string_view(CheckStatusName(CheckStatus::kFail)), "fail");
  EXPECT_EQ(std::string_view(CheckStatusName(CheckStatus::kSkipped)), "skipped");
}

TEST(Verdict, AnErrorsVerdictFollowsItsExitClass) {
  EXPECT_EQ(VerdictForErrorClass(ExitClass::kRejected), Verdict::kRejected);
  EXPECT_EQ(VerdictForErrorClass(ExitClass::kMalformed), Verdict::kMalformed);
  EXPECT_EQ(VerdictForErrorClass(ExitClass::kUsage), Verdict::kError);
  EXPECT_EQ(VerdictForErrorClass(ExitClass::kIo), Verdict::kError);
  EXPECT_EQ(VerdictForErrorClass(ExitClass::kInternal), Verdict::kError);
  // A certificate that expired is a rejection, a truncated document is malformed.
  EXPECT_EQ(VerdictForErrorClass(InfoFor(ErrorCode::kCertExpired).exit_class), Verdict::kRejected);
  EXPECT_EQ(VerdictForErrorClass(InfoFor(ErrorCode::kTruncated).exit_class), Verdict::kMalformed);
}

// The envelope of every --json answer (core/report_json.hpp): media_type and a verdict that
// follows the exit code, one shape for an error.
TEST(ReportJson, HeaderOutcomeAndErrorReport) {
  const char* media = "application/vnd.enclavectl.test+json;version=1";
  nlohmann::json report = ReportHeader(media, Verdict::kAccepted);
  EXPECT_EQ(report, nlohmann::json::parse(
                        R"({"media_type": "application/vnd.enclavectl.test+json;version=1",
                                              "verdict": "accepted"})"));
  EXPECT_EQ(SetOutcome(report, Ok()), 0);
  EXPECT_EQ(report["verdict"], "accepted");
  EXPECT_FALSE(report.contains("error"));
  EXPECT_EQ(SetOutcome(report, Fail(ErrorCode::kPolicyNotLocked, "not locked")), 1);
  EXPECT_EQ(report["verdict"], "rejected");
  EXPECT_EQ(report["error"], nlohmann::json::parse(R"({"code": "POLICY_NOT_LOCKED", "value": 705,
                                                       "message": "not locked", "index": null})"));
  const nlohmann::json malformed = ErrorReport(media, Error{ErrorCode::kPolicyStructure, "x", 3});
  EXPECT_EQ(malformed["media_type"], media);
  EXPECT_EQ(malformed["verdict"], "malformed");
  EXPECT_EQ(malformed["error"]["index"], 3);
  for (ErrorCode code : {ErrorCode::kInvalidArgument, ErrorCode::kIoWrite, ErrorCode::kInternal}) {
    EXPECT_EQ(ErrorReport(media, Error{code, "", -1})["verdict"], "error");
  }
  EXPECT_EQ(VerdictOf(Fail(ErrorCode::kNsmPublicKey, "garbage")), Verdict::kMalformed);
}

}  // namespace
}  // namespace enclavectl::core
