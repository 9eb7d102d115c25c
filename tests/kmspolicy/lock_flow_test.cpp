// The library flows behind `policy` and `lock-policy`, called directly: the policy sources
// (kmspolicy/io/policy_sources.hpp) and the lock (kmspolicy/io/lock.hpp) against an
// in-process local KMS on loopback, with confirmations that decline and accept.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "enclavectl/aws/curl_transport.hpp"
#include "enclavectl/aws/environment.hpp"
#include "enclavectl/aws/kms_client.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/kmspolicy/io/lock.hpp"
#include "enclavectl/kmspolicy/io/policy_sources.hpp"
#include "enclavectl/localkms/server.hpp"
#include "test_paths.hpp"

namespace enclavectl::kmspolicy::io {
namespace {

using core::ErrorCode;

constexpr const char* kAccount = "111122223333";
constexpr const char* kEnclaveRole = "arn:aws:iam::111122223333:role/enclave";
constexpr const char* kAdmin = "arn:aws:iam::111122223333:user/local-admin";

std::string Pcr0Assignment() { return "0=" + std::string(48, 'a') + std::string(48, '7'); }

// ---- policy sources ----

TEST(PolicySources, PcrIndexes) {
  EXPECT_FALSE(ParsePcrIndexes("")->has_value());
  EXPECT_EQ(**ParsePcrIndexes("0,1,2,8"), (std::vector<std::uint64_t>{0, 1, 2, 8}));
  EXPECT_EQ(**ParsePcrIndexes("PCR0,pcr8"), (std::vector<std::uint64_t>{0, 8}));
  for (const char* bad : {"32", "0,,1", "PCR", "1,x", "-1", "0,"}) {
    EXPECT_EQ(ParsePcrIndexes(bad).error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(PolicySources, ExactlyOneSource) {
  const core::io::FixedClock clock(core::UnixMillis{1'700'000'000'000});
  PcrSourceSpec none;
  EXPECT_EQ(LoadMeasurements(none, clock).error().code, ErrorCode::kInvalidArgument);
  PcrSourceSpec two;
  two.pcr = {Pcr0Assignment()};
  two.pcrs = "pcr.json";
  EXPECT_EQ(LoadMeasurements(two, clock).error().code, ErrorCode::kInvalidArgument);
  PcrSourceSpec one;
  one.pcr = {Pcr0Assignment()};
  auto measurements = LoadMeasurements(one, clock);
  ASSERT_TRUE(measurements) << measurements.error().detail;
  ASSERT_EQ(measurements->sets.size(), 1U);
  EXPECT_EQ(measurements->sets[0].count(0), 1U);
}

TEST(PolicySources, VerificationTimeAndRoot) {
  const core::io::FixedClock clock(core::UnixMillis{1'700'000'000'000});
  DocumentTrust trust;
  EXPECT_EQ(VerificationPolicyOf(trust, clock)->time, core::UnixMillis{1'700'000'000'000});
  trust.at = "doc";
  EXPECT_EQ(VerificationPolicyOf(trust, clock)->time_source, verifier::TimeSource::kDocument);
  trust.at = "yesterday";
  EXPECT_EQ(VerificationPolicyOf(trust, clock).error().code, ErrorCode::kInvalidArgument);
  trust.at = "1708930921439";  // milliseconds, not year 56123
  auto millis = VerificationPolicyOf(trust, clock);
  ASSERT_FALSE(millis);
  EXPECT_EQ(millis.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(millis.error().detail.find("looks like milliseconds"), std::string::npos);
  trust.at = "1708930921";
  EXPECT_EQ(VerificationPolicyOf(trust, clock)->time, core::UnixMillis{1'708'930'921'000});
  EXPECT_TRUE(LoadTrustAnchor(DocumentTrust{}));  // the pinned AWS root
  testing::ScopedTempDir dir;
  const std::string not_pem = dir.Write("root.pem", core::AsBytes("not a certificate"));
  EXPECT_FALSE(LoadTrustAnchor(DocumentTrust{not_pem, "now"}));
  EXPECT_EQ(
      LoadTrustAnchor(DocumentTrust{(dir.Path() / "absent.pem").string(), "now"}).error().code,
      ErrorCode::kIoRead);
}

TEST(PolicySources, GenerateFromSourceChecksInOrder) {
  const core::io::FixedClock clock(core::UnixMillis{1'700'000'000'000});
  GenerateOptions options;
  options.account_id = kAccount;
  options.enclave_role_arn = kEnclaveRole;
  options.locked = true;
  PcrSourceSpec source;
  // A bad action list is reported before the (also missing) source.
  EXPECT_EQ(GenerateFromSource(options, "fly", source, clock).error().code,
            ErrorCode::kInvalidArgument);
  source.pcr = {Pcr0Assignment()};
  auto generated = GenerateFromSource(options, "", source, clock);
  ASSERT_TRUE(generated) << generated.error().detail;
  EXPECT_EQ(generated->origin, "1 --pcr argument(s)");
  EXPECT_TRUE(CheckRequirements(LintPolicy(generated->policy), {true, true}));
  source.use_pcrs = "8";  // not among the given PCRs
  EXPECT_EQ(GenerateFromSource(options, "", source, clock).error().code,
            ErrorCode::kPolicyPcrValue);
}

TEST(PolicySources, PolicyFiles) {
  testing::ScopedTempDir dir;
  EXPECT_EQ(ReadPolicyFile((dir.Path() / "absent.json").string()).error().code, ErrorCode::kIoRead);
  const std::string broken = dir.Write("broken.json", core::AsBytes("{\"Statement\": ["));
  EXPECT_EQ(ReadPolicyFile(broken).error().code, ErrorCode::kPolicyJson);
}

TEST(PolicySources, SimulateChecksInOrder) {
  const core::io::FixedClock clock(core::UnixMillis{1'700'000'000'000});
  testing::ScopedTempDir dir;
  GenerateOptions options;
  options.account_id = kAccount;
  options.enclave_role_arn = kEnclaveRole;
  PcrSourceSpec source;
  source.pcr = {Pcr0Assignment()};
  auto generated = GenerateFromSource(options, "", source, clock);
  ASSERT_TRUE(generated);
  SimulationRequest input;
  input.policy_path = dir.Write("policy.json", core::AsBytes(EncodePolicy(generated->policy)));
  input.principal = "arn:aws:sts::111122223333:assumed-role/enclave/i-1";
  input.action = "kms:Decrypt";
  // The enclave role without attestation is denied (explicitly, by the generated policy).
  auto simulated = Simulate(input, clock);
  ASSERT_TRUE(simulated) << simulated.error().detail;
  EXPECT_EQ(simulated->evaluation.decision, Decision::kExplicitDeny);
  EXPECT_TRUE(simulated->attestation_note.empty());
  EXPECT_FALSE(simulated->request.context.Entries().empty());  // the caller's keys
  // Attestation keys never come from --context, and the request is checked before the file.
  SimulationRequest bad = input;
  bad.context = {"kms:RecipientAttestation:ImageSha384=" + std::string(96, 'a')};
  bad.policy_path = (dir.Path() / "absent.json").string();
  EXPECT_EQ(Simulate(bad, clock).error().code, ErrorCode::kInvalidArgument);
  bad.context = {"no-equals-sign"};
  EXPECT_EQ(Simulate(bad, clock).error().code, ErrorCode::kInvalidArgument);
  bad.context.clear();
  EXPECT_EQ(Simulate(bad, clock).error().code, ErrorCode::kIoRead);
  bad = input;
  bad.action = "Decrypt";
  EXPECT_EQ(Simulate(bad, clock).error().code, ErrorCode::kInvalidArgument);
  bad = input;
  bad.attestation = (dir.Path() / "absent.cbor").string();
  EXPECT_EQ(Simulate(bad, clock).error().code, ErrorCode::kIoRead);
}

// ---- the lock, against an in-process local KMS ----

class LockFlow : public ::testing::Test {
 protected:
  void SetUp() override {
    localkms::ServerOptions options;
    options.state_dir = (dir_.Path() / "kms").string();
    options.account_id = kAccount;
    options.region = "us-east-1";
    options.threads = 1;
    auto server = localkms::LocalKmsServer::Start(options, clock_);
    ASSERT_TRUE(server) << server.error().detail;
    server_ = std::move(*server);
    auto key = localkms::AccessKeyFor(options.state_dir, "");
    ASSERT_TRUE(key) << key.error().detail;
    credentials_.access_key_id = key->access_key_id;
    credentials_.secret_access_key = core::SecretBytes(key->secret_access_key.View());
    aws::KmsClientOptions client_options;
    client_options.endpoint = *aws::ResolveKmsEndpoint(server_->Endpoint(), "us-east-1", env_);
    client_options.retry = aws::RetryPolicy{1, 1, 1};
    client_ = std::make_unique<aws::KmsClient>(client_options, transport_, credentials_, clock_,
                                               sleeper_);
  }
  void TearDown() override {
    if (server_) {
      server_->Stop();
    }
  }

  std::string CreateKey(bool multi_region = false) {
    aws::CreateKeyRequest request;
    request.multi_region = multi_region;
    auto created = client_->CreateKey(request);
    EXPECT_TRUE(created) << created.error().detail;
    return created ? created->arn : std::string();
  }

  // The locked policy for PCR0, with the admin as auditor so that it can read the lock back.
  LockPlan Plan(const std::string& key_arn) {
    GenerateOptions options;
    options.account_id = kAccount;
    options.enclave_role_arn = kEnclaveRole;
    options.auditor_arns = {kAdmin};
    options.locked = true;
    PcrSourceSpec source;
    source.pcr = {Pcr0Assignment()};
    auto generated = GenerateFromSource(options, "", source, clock_);
    EXPECT_TRUE(generated) << generated.error().detail;
    return PlanLock(key_arn, generated ? generated->policy : Policy{});
  }

  std::string HeldPolicy(const std::string& key_arn) {
    auto fetched = client_->GetKeyPolicy(key_arn);
    EXPECT_TRUE(fetched) << fetched.error().detail;
    return fetched ? fetched->policy : std::string();
  }

  testing::ScopedTempDir dir_;
  core::io::SystemClock clock_;
  aws::MapEnvironment env_;
  aws::CurlTransport transport_{"enclavectl-test"};
  struct NoSleep final : aws::Sleeper {
    void SleepMs(std::int64_t /*ms*/) override {}
  } sleeper_;
  aws::AwsCredentials credentials_;
  std::unique_ptr<localkms::LocalKmsServer> server_;
  std::unique_ptr<aws::KmsClient> client_;
};

TEST_F(LockFlow, DeclinedConfirmationSendsNothing) {
  const std::string key = CreateKey();
  const std::string before = HeldPolicy(key);
  const LockPlan plan = Plan(key);
  ASSERT_TRUE(CheckLockable(plan));
  int asked = 0;
  bool applied = false;
  LockHooks hooks;
  hooks.confirm = [&asked] {
    ++asked;
    return false;
  };
  hooks.applied = [&applied] { applied = true; };
  EXPECT_EQ(ApplyLock(*client_, plan, hooks).error().code, ErrorCode::kLockNotConfirmed);
  EXPECT_EQ(asked, 1);
  EXPECT_FALSE(applied);
  EXPECT_EQ(HeldPolicy(key), before);
}

TEST_F(LockFlow, AcceptedConfirmationLocksAndReadsBack) {
  const std::string key = CreateKey();
  const LockPlan plan = Plan(key);
  int applied = 0;
  LockHooks hooks;
  hooks.confirm = [] { return true; };
  hooks.applied = [&applied] { ++applied; };
  auto read_back = ApplyLock(*client_, plan, hooks);
  ASSERT_TRUE(read_back) << read_back.error().detail;
  EXPECT_EQ(applied, 1);
  EXPECT_TRUE(read_back->identical);
  EXPECT_TRUE(CheckReadBack(*read_back));
  EXPECT_EQ(HeldPolicy(key), plan.policy_text);
  // Locked: the admin (now an auditor only) can no longer change the policy.
  auto again = ApplyLock(*client_, plan, LockHooks{});
  EXPECT_EQ(again.error().code, ErrorCode::kKmsAccessDenied) << again.error().detail;
  EXPECT_EQ(applied, 1);
}

TEST_F(LockFlow, RefusesKeysAndPoliciesItCannotMakePermanent) {
  // A multi-Region key: its replicas have policies of their own. Refused before PutKeyPolicy.
  const std::string multi = CreateKey(/*multi_region=*/true);
  const std::string before = HeldPolicy(multi);
  bool applied = false;
  LockHooks hooks;
  hooks.applied = [&applied] { applied = true; };
  EXPECT_EQ(ApplyLock(*client_, Plan(multi), hooks).error().code, ErrorCode::kPolicyNotEnclaveOnly);
  EXPECT_FALSE(applied);
  EXPECT_EQ(HeldPolicy(multi), before);
  // The key's default policy is neither enclave-only nor locked: CheckLockable refuses it.
  auto default_policy = ParsePolicy(before);
  ASSERT_TRUE(default_policy);
  EXPECT_FALSE(CheckLockable(PlanLock(multi, *default_policy)));
  // A read-back that differs from what was sent is not a lock.
  const LockPlan plan = Plan(multi);
  LockReadBack differs{plan.policy, plan.report, /*identical=*/false};
  EXPECT_EQ(CheckReadBack(differs).error().code, ErrorCode::kPolicyLintErrors);
  differs.identical = true;
  EXPECT_TRUE(CheckReadBack(differs));
}

TEST_F(LockFlow, ShownRequestHidesTheSignatureAndToken) {
  const std::string key = CreateKey();
  const LockPlan plan = Plan(key);
  const core::SecretBytes body = LockRequestBody(plan);
  EXPECT_NE(std::string(core::AsChars(body.View())).find("\"BypassPolicyLockoutSafetyCheck\":true"),
            std::string::npos);
  aws::AwsCredentials with_token;
  with_token.access_key_id = credentials_.access_key_id;
  with_token.secret_access_key = core::SecretBytes(credentials_.secret_access_key.View());
  with_token.session_token = core::SecretBytes(core::AsBytes("the-session-token"));
  aws::KmsClientOptions options;
  options.endpoint = *aws::ResolveKmsEndpoint(server_->Endpoint(), "us-east-1", env_);
  const aws::KmsClient client(options, transport_, with_token, clock_, sleeper_);
  auto prepared = client.Prepare(aws::KmsOperation::kPutKeyPolicy, body);
  ASSERT_TRUE(prepared) << prepared.error().detail;
  const ShownRequest shown = ShowSignedRequest(*prepared, body, "the-session-token");
  std::string all =
      shown.method + shown.url + shown.body + shown.canonical_request + shown.string_to_sign;
  for (const aws::HttpHeader& header : shown.headers) {
    all += header.name + ": " + header.value + "\n";
  }
  EXPECT_EQ(all.find(prepared->signature.signature), std::string::npos);
  EXPECT_EQ(all.find("the-session-token"), std::string::npos);
  EXPECT_NE(all.find("<redacted>"), std::string::npos);
  EXPECT_EQ(shown.body, std::string(core::AsChars(body.View())));
}

}  // namespace
}  // namespace enclavectl::kmspolicy::io
