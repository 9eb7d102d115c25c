#include "enclavectl/core/error_help.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace enclavectl::core {
namespace {

// Every explained code is a code of the table, explained once, with a cause and a remedy.
TEST(ErrorHelp, EveryExplanationIsOfAKnownCodeAndSaysSomething) {
  std::set<ErrorCode> seen;
  for (const ErrorExplanation& explanation : AllErrorExplanations()) {
    EXPECT_EQ(InfoFor(explanation.code).code, explanation.code)
        << static_cast<unsigned>(explanation.code) << " is not in the code table";
    EXPECT_TRUE(seen.insert(explanation.code).second) << ErrorCodeName(explanation.code);
    EXPECT_GE(explanation.cause.size(), 10U) << ErrorCodeName(explanation.code);
    EXPECT_GE(explanation.remedy.size(), 10U) << ErrorCodeName(explanation.code);
    EXPECT_EQ(ExplanationFor(explanation.code), &explanation);
  }
}

// The codes people commonly meet all have an explanation.
TEST(ErrorHelp, CommonCodesAreExplained) {
  for (const ErrorCodeInfo& info : AllErrorCodes()) {
    const unsigned value = static_cast<unsigned>(info.code);
    if (value < 100) {  // every 0xx usage code
      EXPECT_NE(ExplanationFor(info.code), nullptr) << info.name;
    }
  }
  for (ErrorCode code : {ErrorCode::kCertExpired,
                         ErrorCode::kCertNotYetValid,
                         ErrorCode::kCertSignature,
                         ErrorCode::kChainIssuer,
                         ErrorCode::kChainRootMismatch,
                         ErrorCode::kRootFingerprint,
                         ErrorCode::kSignatureInvalid,
                         ErrorCode::kDocumentTooOld,
                         ErrorCode::kDocumentFromFuture,
                         ErrorCode::kPcrMismatch,
                         ErrorCode::kPcrMissing,
                         ErrorCode::kPcrSetNoMatch,
                         ErrorCode::kIoRead,
                         ErrorCode::kIoWrite,
                         ErrorCode::kNetwork,
                         ErrorCode::kListenFailed,
                         ErrorCode::kPolicyNotEnclaveOnly,
                         ErrorCode::kPolicyNotLocked,
                         ErrorCode::kLockNotConfirmed,
                         ErrorCode::kPolicyLintErrors,
                         ErrorCode::kKmsAccessDenied,
                         ErrorCode::kLocalKmsNotOurs,
                         ErrorCode::kLocalStackNotFound,
                         ErrorCode::kInputEncoding}) {
    EXPECT_NE(ExplanationFor(code), nullptr) << ErrorCodeName(code);
  }
  EXPECT_EQ(ExplanationFor(ErrorCode::kBtcTxTooLarge), nullptr);
}

TEST(ErrorHelp, CertExpiredPointsAtTheDocumentsOwnTime) {
  const ErrorExplanation* expired = ExplanationFor(ErrorCode::kCertExpired);
  ASSERT_NE(expired, nullptr);
  EXPECT_NE(expired->remedy.find("--at doc"), std::string_view::npos);
  const std::string text = ExplainErrorCode(InfoFor(ErrorCode::kCertExpired));
  EXPECT_EQ(text.rfind("CERT_EXPIRED (301)\n", 0), 0U) << text;
  EXPECT_NE(text.find("  exit     1 (rejected)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  remedy   a stored document?"), std::string::npos) << text;
  // Without an explanation: meaning and exit only.
  const std::string bare = ExplainErrorCode(InfoFor(ErrorCode::kBtcTxTooLarge));
  EXPECT_EQ(bare.find("cause"), std::string::npos);
  EXPECT_NE(bare.find("exit     2 (malformed)"), std::string::npos);
}

TEST(ErrorHelp, FindsCodesByNameOrNumber) {
  EXPECT_EQ(FindErrorCode("CERT_EXPIRED"), &InfoFor(ErrorCode::kCertExpired));
  EXPECT_EQ(FindErrorCode("301"), &InfoFor(ErrorCode::kCertExpired));
  EXPECT_EQ(FindErrorCode("11"), &InfoFor(ErrorCode::kUnknownCommand));
  EXPECT_EQ(FindErrorCode("cert_expired"), nullptr);
  EXPECT_EQ(FindErrorCode("301x"), nullptr);
  EXPECT_EQ(FindErrorCode("999"), nullptr);
  EXPECT_EQ(FindErrorCode(""), nullptr);
  EXPECT_EQ(FindErrorCode("NOPE"), nullptr);
}

TEST(ErrorHelp, JsonRowsAndAnswers) {
  const nlohmann::json row = ErrorCodeJson(InfoFor(ErrorCode::kCertExpired));
  EXPECT_EQ(row["code"], "CERT_EXPIRED");
  EXPECT_EQ(row["value"], 301);
  EXPECT_EQ(row["exit"], 1);
  EXPECT_EQ(row["class"], "rejected");
  EXPECT_TRUE(row["cause"].is_string());
  EXPECT_TRUE(row["remedy"].is_string());
  EXPECT_TRUE(ErrorCodeJson(InfoFor(ErrorCode::kBtcTxTooLarge))["remedy"].is_null());
  EXPECT_EQ(ErrorCodeLine(InfoFor(ErrorCode::kCertExpired)),
            " 301  CERT_EXPIRED             exit  1  " +
                std::string(InfoFor(ErrorCode::kCertExpired).meaning));

  const nlohmann::json usage =
      ErrorAnswerJson("m", Error{ErrorCode::kUnknownFlag, "unknown flag '--x'", -1});
  EXPECT_EQ(usage["media_type"], "m");
  EXPECT_EQ(usage["verdict"], "error");
  EXPECT_EQ(usage["error"]["code"], "UNKNOWN_FLAG");
  EXPECT_EQ(usage["error"]["value"], 12);
  EXPECT_EQ(usage["error"]["message"], "unknown flag '--x'");
  EXPECT_TRUE(usage["error"]["index"].is_null());
  // The verdict follows the exit class (docs/cli-conventions.md).
  EXPECT_EQ(ErrorAnswerJson("m", Error{ErrorCode::kCertParse, "x", 2})["verdict"], "malformed");
  EXPECT_EQ(ErrorAnswerJson("m", Error{ErrorCode::kCertParse, "x", 2})["error"]["index"], 2);
  EXPECT_EQ(ErrorAnswerJson("m", Error{ErrorCode::kPcrMismatch, "x", 0})["verdict"], "rejected");
  EXPECT_EQ(ErrorAnswerJson("m", Error{ErrorCode::kIoRead, "x", -1})["verdict"], "error");
}

TEST(ErrorHelp, DescribeFailureIsOneLineOnStderrOrOneDocumentOnStdout) {
  const Error error{ErrorCode::kCertExpired, "certificate 2 expired", 2};
  FailureOutput text = DescribeFailure("enclavectl", error, false, "m");
  EXPECT_EQ(text.out, "");
  EXPECT_EQ(text.err, "enclavectl: CERT_EXPIRED: certificate 2 expired\n");
  EXPECT_EQ(text.exit_code, 1);
  UsageProblem usage;
  usage.code = ErrorCode::kUnknownCommand;
  usage.message = "unknown command 'verfy' for 'enclavectl'";
  usage.suggestions = {"verify"};
  usage.hint = "did you mean 'verify'?";
  text = DescribeFailure("enclavectl", {usage.code, usage.message, -1}, false, "m", &usage);
  EXPECT_EQ(text.err,
            "enclavectl: UNKNOWN_COMMAND: unknown command 'verfy' for 'enclavectl'\n"
            "hint: did you mean 'verify'?\n");
  EXPECT_EQ(text.exit_code, 64);
  const FailureOutput json =
      DescribeFailure("enclavectl", {usage.code, usage.message, -1}, true, "m", &usage);
  EXPECT_EQ(json.err, "");
  const nlohmann::json doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc["suggestions"], nlohmann::json::array({"verify"}));
  EXPECT_EQ(doc["hint"], "did you mean 'verify'?");
  EXPECT_EQ(doc["error"]["code"], "UNKNOWN_COMMAND");
  EXPECT_FALSE(
      nlohmann::json::parse(DescribeFailure("p", error, true, "m").out).contains("suggestions"));
}

TEST(ErrorHelp, DiagnoseUsageFallsBackToTheParsersMessage) {
  const CommandNode root{
      "enclavectl", {}, 0, false, {{"policy", {}, 0, false, {{"lint", {}, 1, false, {}}}}}};
  const std::vector<std::string> policy = {"policy"};
  UsageProblem problem =
      DiagnoseUsage(root, policy, ParseFailure::kMissingCommand, "A subcommand is required");
  EXPECT_EQ(problem.code, ErrorCode::kMissingArgument);
  EXPECT_EQ(problem.message, "'enclavectl policy' needs a command");
  EXPECT_EQ(problem.hint, "'enclavectl policy --help' shows its usage");
  const std::vector<std::string> extra = {"policy", "lint", "a", "b"};
  problem = DiagnoseUsage(root, extra, ParseFailure::kInvalid,
                          "The following argument was not expected: b");
  EXPECT_EQ(problem.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(problem.message, "The following argument was not expected: b");
  EXPECT_EQ(problem.hint, "'enclavectl policy lint --help' shows its usage");
  problem = DiagnoseUsage(root, extra, ParseFailure::kMissingValue, "--x is required");
  EXPECT_EQ(problem.code, ErrorCode::kMissingArgument);
  // An unknown name wins over the parser's own message.
  const std::vector<std::string> typo = {"polcy"};
  problem = DiagnoseUsage(root, typo, ParseFailure::kMissingCommand, "A subcommand is required");
  EXPECT_EQ(problem.code, ErrorCode::kUnknownCommand);
  EXPECT_EQ(problem.suggestions, std::vector<std::string>{"policy"});
}

}  // namespace
}  // namespace enclavectl::core
