// verify --check-key-policy, called directly (kmspolicy/io/key_policy_audit.hpp): which key and
// PCR0 an audit is for, then GetKeyPolicy + DescribeKey through a real aws::KmsClient whose
// transport is a fake KMS answering by X-Amz-Target. A policy passes only when it is
// enclave-only for the attested PCR0 and locked, and the key's material is its own.
#include "enclavectl/kmspolicy/io/key_policy_audit.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "enclavectl/aws/environment.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/kmspolicy/generate.hpp"
#include "enclavectl/kmspolicy/policy.hpp"

namespace enclavectl::kmspolicy::io {
namespace {

using core::Bytes;
using core::ErrorCode;
using verifier::Check;
using verifier::CheckStatus;

constexpr const char* kKeyArn = "arn:aws:kms:us-east-1:111122223333:key/audit-1";
constexpr const char* kOtherKeyArn = "arn:aws:kms:eu-west-1:111122223333:key/audit-2";

Bytes Pcr0(std::uint8_t fill) { return Bytes(48, fill); }

// A report whose document passed with `pcr0`, the service claiming `kms_key_arn`.
verifier::LiveReport AcceptedReport(const Bytes& pcr0, std::optional<std::string> kms_key_arn) {
  verifier::LiveReport report;
  report.document.verdict = verifier::Verdict::kAccepted;
  report.document.document.emplace();
  report.document.document->pcrs[0] = pcr0;
  report.claims.kms_key_arn = std::move(kms_key_arn);
  return report;
}

// A policy (as KMS stores it) for the image `pcr0`: locked or standard.
std::string PolicyFor(const Bytes& pcr0, bool locked) {
  GenerateOptions options;
  options.account_id = "111122223333";
  options.enclave_role_arn = "arn:aws:iam::111122223333:role/enclave";
  options.measurements = Measurements{{verifier::PcrSet{{0, pcr0}}}, "test", true};
  options.locked = locked;
  auto policy = GeneratePolicy(options);
  EXPECT_TRUE(policy) << policy.error().detail;
  return policy ? EncodePolicy(*policy) : std::string();
}

// A fake KMS: GetKeyPolicy answers `policy`, DescribeKey a key with `origin` and
// `multi_region`; `deny` answers every call with AccessDeniedException.
class FakeKms final : public aws::HttpTransport {
 public:
  core::Result<aws::HttpResponse> Send(const aws::HttpRequest& request,
                                       const aws::HttpOptions& /*options*/) override {
    std::string target;
    for (const auto& header : request.headers) {
      if (header.name == "X-Amz-Target") {
        target = header.value;
      }
    }
    const auto body = nlohmann::json::parse(core::AsChars(request.body.View()));
    calls.push_back(target + " " + body.value("KeyId", ""));
    nlohmann::json answer;
    aws::HttpResponse response;
    response.status = 200;
    if (deny) {
      response.status = 400;
      answer = {{"__type", "AccessDeniedException"}, {"message", "not allowed"}};
    } else if (target == "TrentService.GetKeyPolicy") {
      answer = {{"Policy", policy}, {"PolicyName", "default"}};
    } else if (target == "TrentService.DescribeKey") {
      answer = {{"KeyMetadata",
                 {{"AWSAccountId", "111122223333"},
                  {"Arn", kKeyArn},
                  {"KeyId", "audit-1"},
                  {"KeyState", "Enabled"},
                  {"KeyUsage", "KEY_AGREEMENT"},
                  {"KeySpec", "ECC_NIST_P256"},
                  {"KeyManager", "CUSTOMER"},
                  {"Enabled", true},
                  {"Origin", origin},
                  {"MultiRegion", multi_region}}}};
    } else {
      response.status = 400;
      answer = {{"__type", "UnsupportedOperationException"}, {"message", target}};
    }
    response.body = core::SecretBytes(core::AsBytes(answer.dump()));
    return response;
  }

  std::string policy;
  std::string origin = "AWS_KMS";
  bool multi_region = false;
  bool deny = false;
  std::vector<std::string> calls;
};

class NoSleep final : public aws::Sleeper {
 public:
  void SleepMs(std::int64_t /*ms*/) override {}
};

class KeyPolicyAuditTest : public ::testing::Test {
 protected:
  KeyPolicyAuditTest() {
    credentials_.access_key_id = "AKIDAUDITOR";
    credentials_.secret_access_key = core::SecretBytes(core::AsBytes(std::string("secret")));
  }

  // Plans for `report` and runs the audit against the fake KMS.
  Check Audit(const verifier::LiveReport& report, std::string_view expected_key_arn = "") {
    auto plan = PlanKeyPolicyAudit(report, expected_key_arn, "");
    if (const auto* done = std::get_if<Check>(&plan)) {
      return *done;
    }
    const auto& audit = std::get<KeyPolicyAudit>(plan);
    const aws::MapEnvironment env;
    aws::KmsClientOptions options;
    options.endpoint = *aws::ResolveKmsEndpoint("http://127.0.0.1:9", audit.region, env);
    options.retry = aws::RetryPolicy{1, 1, 1};
    aws::KmsClient client(options, kms_, credentials_, clock_, sleeper_);
    return RunKeyPolicyAudit(audit, client);
  }

  static ErrorCode CodeOf(const Check& check) {
    EXPECT_EQ(check.status, CheckStatus::kFail) << check.reason;
    return check.error ? check.error->code : ErrorCode::kInternal;
  }

  FakeKms kms_;
  aws::AwsCredentials credentials_;
  core::io::SystemClock clock_;
  NoSleep sleeper_;
};

TEST_F(KeyPolicyAuditTest, ALockedEnclaveOnlyPolicyForTheAttestedImagePasses) {
  kms_.policy = PolicyFor(Pcr0(0xa0), true);
  const Check check = Audit(AcceptedReport(Pcr0(0xa0), kKeyArn));
  EXPECT_EQ(check.name, "key_policy");
  ASSERT_EQ(check.status, CheckStatus::kPass) << check.reason;
  EXPECT_FALSE(check.error.has_value());
  EXPECT_NE(check.reason.find("is enclave-only for the attested PCR0 a0a0a0"), std::string::npos)
      << check.reason;
  // Both reads are of the key the service named, policy first.
  EXPECT_EQ(kms_.calls,
            (std::vector<std::string>{"TrentService.GetKeyPolicy " + std::string(kKeyArn),
                                      "TrentService.DescribeKey " + std::string(kKeyArn)}));
}

TEST_F(KeyPolicyAuditTest, AnUnlockedAnotherImagesOrAnEscapingKeysPolicyFails) {
  kms_.policy = PolicyFor(Pcr0(0xa0), false);
  EXPECT_EQ(CodeOf(Audit(AcceptedReport(Pcr0(0xa0), kKeyArn))), ErrorCode::kPolicyNotLocked);
  // Locked, but for another image than the one the service attested.
  kms_.policy = PolicyFor(Pcr0(0xb0), true);
  EXPECT_EQ(CodeOf(Audit(AcceptedReport(Pcr0(0xa0), kKeyArn))), ErrorCode::kPolicyNotEnclaveOnly);
  // The right policy, but key material that exists outside this key.
  kms_.policy = PolicyFor(Pcr0(0xa0), true);
  kms_.origin = "EXTERNAL";
  EXPECT_EQ(CodeOf(Audit(AcceptedReport(Pcr0(0xa0), kKeyArn))), ErrorCode::kPolicyNotEnclaveOnly);
  kms_.origin = "AWS_KMS";
  kms_.multi_region = true;
  EXPECT_EQ(CodeOf(Audit(AcceptedReport(Pcr0(0xa0), kKeyArn))), ErrorCode::kPolicyNotEnclaveOnly);
}

TEST_F(KeyPolicyAuditTest, KmsErrorsAndUnparsablePoliciesFailWithTheirCodes) {
  kms_.policy = "{\"Version\": ";
  const Check unparsable = Audit(AcceptedReport(Pcr0(0xa0), kKeyArn));
  EXPECT_NE(CodeOf(unparsable), ErrorCode::kInternal);
  EXPECT_EQ(unparsable.reason.rfind("the policy of " + std::string(kKeyArn) + ": ", 0), 0U);
  kms_.deny = true;
  const Check denied = Audit(AcceptedReport(Pcr0(0xa0), kKeyArn));
  EXPECT_EQ(CodeOf(denied), ErrorCode::kKmsAccessDenied);
  EXPECT_EQ(denied.reason.rfind("GetKeyPolicy " + std::string(kKeyArn) + ": ", 0), 0U);
}

TEST_F(KeyPolicyAuditTest, ThePlanNeedsAVerifiedDocumentAndAKeyArn) {
  // No verified document: nothing attested to check the policy for; KMS is not asked.
  verifier::LiveReport rejected = AcceptedReport(Pcr0(0xa0), kKeyArn);
  rejected.document.verdict = verifier::Verdict::kRejected;
  const Check skipped = Audit(rejected);
  EXPECT_EQ(skipped.status, CheckStatus::kSkipped);
  EXPECT_FALSE(skipped.error.has_value());
  EXPECT_TRUE(kms_.calls.empty());
  // No key named, or not a key ARN.
  EXPECT_EQ(CodeOf(Audit(AcceptedReport(Pcr0(0xa0), std::nullopt))), ErrorCode::kKmsKeyMismatch);
  EXPECT_EQ(CodeOf(Audit(AcceptedReport(Pcr0(0xa0), "alias/signer"))), ErrorCode::kKmsKeyMismatch);
  EXPECT_TRUE(kms_.calls.empty());
  // --region must be the key's.
  auto plan = PlanKeyPolicyAudit(AcceptedReport(Pcr0(0xa0), kKeyArn), "", "eu-west-1");
  ASSERT_TRUE(std::holds_alternative<Check>(plan));
  EXPECT_EQ(CodeOf(std::get<Check>(plan)), ErrorCode::kInvalidArgument);
  // The expected key wins over the service's claim; the region is the key ARN's.
  plan = PlanKeyPolicyAudit(AcceptedReport(Pcr0(0xa0), kKeyArn), kOtherKeyArn, "");
  ASSERT_TRUE(std::holds_alternative<KeyPolicyAudit>(plan));
  EXPECT_EQ(std::get<KeyPolicyAudit>(plan).key_arn, kOtherKeyArn);
  EXPECT_EQ(std::get<KeyPolicyAudit>(plan).region, "eu-west-1");
  EXPECT_EQ(std::get<KeyPolicyAudit>(plan).pcr0_hex, core::HexEncode(Pcr0(0xa0)));
}

}  // namespace
}  // namespace enclavectl::kmspolicy::io
