#include "enclavectl/core/verdict.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace enclavectl::core
