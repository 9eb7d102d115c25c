// Generator -> lint -> simulate round trips (with attestation-derived keys from documents the
// virtual Nitro mints and the verifier accepts), the generator's refusals, the PCR sources,
// and parser limits that vectors cannot express (sizes, invalid UTF-8, deep nesting).
#include "enclavectl/kmspolicy/policy.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "enclavectl/aws/arn.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/kmspolicy/actions.hpp"
#include "enclavectl/kmspolicy/evaluate.hpp"
#include "enclavectl/kmspolicy/generate.hpp"
#include "enclavectl/kmspolicy/io/pcr_sources.hpp"
#include "enclavectl/kmspolicy/lint.hpp"
#include "test_paths.hpp"
#include "virtual_nitro.hpp"

namespace enclavectl::kmspolicy {
namespace {

using core::ErrorCode;
using testing::VirtualNitro;

constexpr const char* kAccount = "111122223333";
constexpr const char* kRole = "arn:aws:iam::111122223333:role/enclave";
constexpr const char* kSession = "arn:aws:sts::111122223333:assumed-role/enclave/i-0abc";
constexpr const char* kAdminSession = "arn:aws:sts::111122223333:assumed-role/key-admin/alice";

// The PCRs the virtual Nitro puts in its documents by default.
verifier::PcrSet DefaultPcrs() {
  const verifier::AttestationDocument doc = VirtualNitro::Get().Fields();
  return verifier::PcrSet(doc.pcrs.begin(), doc.pcrs.end());
}

GenerateOptions Options(bool locked) {
  GenerateOptions options;
  options.account_id = kAccount;
  options.enclave_role_arn = kRole;
  options.measurements = Measurements{{DefaultPcrs()}, "virtual Nitro", false};
  options.locked = locked;
  return options;
}

verifier::devca::DocumentSpec WithPcrs(verifier::PcrMap pcrs) {
  verifier::devca::DocumentSpec spec;
  spec.pcrs = std::move(pcrs);
  return spec;
}

verifier::VerifiedDocument Verified(const verifier::devca::DocumentSpec& spec = {}) {
  const core::Bytes doc = VirtualNitro::Get().Mint(spec);
  auto verified =
      verifier::VerifyDocument(doc, verifier::VerifierConfig{&VirtualNitro::Get().Root(), nullptr},
                               VirtualNitro::PolicyNow());
  EXPECT_TRUE(verified) << verified.error().detail;
  return std::move(*verified);
}

Evaluation Simulate(const Policy& policy, const std::string& principal, const std::string& action,
                    const verifier::VerifiedDocument* doc = nullptr) {
  Request request{principal, action, "", {}};
  if (doc != nullptr) {
    AddAttestationKeys(*doc, request.context);
  }
  AddCallerKeys(request);
  auto evaluation = Evaluate(policy, request);
  EXPECT_TRUE(evaluation) << evaluation.error().detail;
  return evaluation ? *evaluation : Evaluation{};
}

TEST(Generate, StandardPolicyLintsAsEnclaveOnlyButNotLocked) {
  auto policy = GeneratePolicy(Options(false));
  ASSERT_TRUE(policy) << policy.error().detail;
  const LintReport report = LintPolicy(*policy);
  EXPECT_TRUE(report.enclave_only.holds) << report.enclave_only.reasons.front();
  EXPECT_FALSE(report.locked.holds);
  EXPECT_EQ(report.CountAtLeast(Severity::kError), 0U);
  // The admin statement manages but never touches secrets, and names no wildcard.
  const Statement* admin = nullptr;
  for (const Statement& s : policy->statements) {
    if (s.sid == "KeyAdministration") {
      admin = &s;
    }
  }
  ASSERT_NE(admin, nullptr);
  EXPECT_EQ(admin->principal->entries.front().value, "arn:aws:iam::111122223333:root");
  for (const std::string& action : admin->actions) {
    EXPECT_EQ(action.find('*'), std::string::npos) << action;
    for (std::string_view secret : SecretActions()) {
      EXPECT_NE(action, secret);
    }
    EXPECT_EQ(action.find("ReEncrypt"), std::string::npos);
    EXPECT_EQ(action.find("GenerateDataKey"), std::string::npos);
  }
}

TEST(Generate, LockedPolicyHasNoAdminAndLintsAsBoth) {
  auto policy = GeneratePolicy(Options(true));
  ASSERT_TRUE(policy) << policy.error().detail;
  for (const Statement& s : policy->statements) {
    EXPECT_NE(s.sid, "KeyAdministration");
    for (std::string_view lock : LockBreakingActions()) {
      if (s.effect == Effect::kAllow) {
        EXPECT_FALSE(StatementCoversAction(s, lock)) << *s.sid << " " << lock;
      }
    }
  }
  const LintReport report = LintPolicy(*policy);
  EXPECT_TRUE(report.enclave_only.holds);
  EXPECT_TRUE(report.locked.holds) << report.locked.reasons.front();
  EXPECT_EQ(report.CountAtLeast(Severity::kError), 0U);
  EXPECT_TRUE(CheckRequirements(report, LintRequirements{true, true}));
}

TEST(Generate, ConditionsAreLowerCaseStringEqualsIgnoreCaseOnTheSelectedPcrs) {
  auto policy = GeneratePolicy(Options(true));
  ASSERT_TRUE(policy);
  const Statement& attested = policy->statements.front();
  EXPECT_EQ(attested.sid, "EnclaveAttestedUse");
  EXPECT_EQ(attested.actions, (std::vector<std::string>{"kms:Decrypt", "kms:DeriveSharedSecret",
                                                        "kms:GenerateDataKey"}));
  const verifier::PcrSet pcrs = DefaultPcrs();
  // Documents carry PCR0..15; the default pins PCR0 (as ImageSha384), PCR1 and PCR2; PCR8 is
  // all zero in these documents (an unsigned image) and so left out.
  ASSERT_EQ(attested.conditions.size(), 3U);
  EXPECT_EQ(attested.conditions[0].key, "kms:RecipientAttestation:ImageSha384");
  EXPECT_EQ(attested.conditions[1].key, "kms:RecipientAttestation:PCR1");
  EXPECT_EQ(attested.conditions[2].key, "kms:RecipientAttestation:PCR2");
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(attested.conditions[i].operator_text, "StringEqualsIgnoreCase");
    EXPECT_EQ(attested.conditions[i].values, std::vector<std::string>{core::HexEncode(pcrs.at(i))});
    EXPECT_TRUE(IsValidPcrConditionValue(attested.conditions[i].values[0], true));
  }
}

TEST(Generate, EncodedPolicyParsesBackToTheSamePolicy) {
  for (bool locked : {false, true}) {
    auto policy = GeneratePolicy(Options(locked));
    ASSERT_TRUE(policy);
    auto parsed = ParsePolicy(EncodePolicy(*policy));
    ASSERT_TRUE(parsed) << parsed.error().detail;
    EXPECT_EQ(*parsed, *policy);
  }
}

TEST(Generate, SimulateWithVerifiedDocuments) {
  auto policy = GeneratePolicy(Options(false));
  ASSERT_TRUE(policy);
  const verifier::VerifiedDocument same = Verified();
  verifier::PcrMap other_pcrs = VirtualNitro::Get().Fields().pcrs;
  other_pcrs[2] = core::Bytes(48, 0x42);  // another application
  const verifier::VerifiedDocument other = Verified(WithPcrs(other_pcrs));

  Evaluation e = Simulate(*policy, kSession, "kms:Decrypt", &same);
  EXPECT_EQ(e.decision, Decision::kAllow);
  EXPECT_EQ(e.deciding_statement, 0U);
  e = Simulate(*policy, kSession, "kms:DeriveSharedSecret", &same);
  EXPECT_EQ(e.decision, Decision::kAllow);
  e = Simulate(*policy, kSession, "kms:Decrypt", &other);
  EXPECT_EQ(e.decision, Decision::kImplicitDeny);
  e = Simulate(*policy, kSession, "kms:Decrypt");
  EXPECT_EQ(e.decision, Decision::kExplicitDeny);
  EXPECT_EQ(policy->statements[*e.deciding_statement].sid, "DenyUnattestedSecretUse");
  // The admin manages, and cannot decrypt even with the enclave's document in hand.
  EXPECT_EQ(Simulate(*policy, kAdminSession, "kms:PutKeyPolicy").decision, Decision::kAllow);
  EXPECT_EQ(Simulate(*policy, kAdminSession, "kms:Decrypt").decision, Decision::kExplicitDeny);
  EXPECT_EQ(Simulate(*policy, kAdminSession, "kms:Decrypt", &same).decision,
            Decision::kImplicitDeny);
  EXPECT_EQ(Simulate(*policy, kAdminSession, "kms:CreateGrant").decision, Decision::kExplicitDeny);
  // A session of the role in another account gets nothing.
  EXPECT_EQ(
      Simulate(*policy, "arn:aws:sts::444455556666:assumed-role/enclave/x", "kms:Decrypt", &same)
          .decision,
      Decision::kImplicitDeny);
}

TEST(Generate, LockedPolicyRefusesEveryManagementCall) {
  auto policy = GeneratePolicy(Options(true));
  ASSERT_TRUE(policy);
  for (const char* caller : {kAdminSession, "111122223333", kSession}) {
    for (std::string_view action : LockBreakingActions()) {
      EXPECT_NE(Simulate(*policy, caller, std::string(action)).decision, Decision::kAllow)
          << caller << " " << action;
    }
  }
  // The lockout safety check (kms.md 8.3) would refuse it: nobody keeps PutKeyPolicy.
  EXPECT_EQ(Simulate(*policy, "111122223333", "kms:PutKeyPolicy").decision,
            Decision::kImplicitDeny);
}

TEST(Generate, RollingUpgradeGetsOneStatementPerImage) {
  GenerateOptions options = Options(true);
  verifier::PcrSet next = DefaultPcrs();
  next[0] = core::Bytes(48, 0x11);
  options.measurements.sets.push_back(next);
  auto policy = GeneratePolicy(options);
  ASSERT_TRUE(policy);
  EXPECT_EQ(policy->statements[0].sid, "EnclaveAttestedUse");
  EXPECT_EQ(policy->statements[1].sid, "EnclaveAttestedUse2");
  EXPECT_TRUE(LintPolicy(*policy).enclave_only.holds);
}

TEST(Generate, ActionsAdminsAndAuditors) {
  GenerateOptions options = Options(false);
  options.actions = *ParseEnclaveActions("decrypt,generate-random");
  options.admin_arns = {"arn:aws:iam::111122223333:role/key-admin"};
  options.auditor_arns = {"arn:aws:iam::111122223333:user/auditor"};
  auto policy = GeneratePolicy(options);
  ASSERT_TRUE(policy) << policy.error().detail;
  std::vector<std::string> sids;
  for (const Statement& s : policy->statements) {
    sids.push_back(*s.sid);
  }
  EXPECT_EQ(sids,
            (std::vector<std::string>{"EnclaveAttestedUse", "EnclaveKeyInfo", "KeyAdministration",
                                      "KeyAudit", "DenyUnattestedSecretUse"}));
  EXPECT_TRUE(LintPolicy(*policy).enclave_only.holds);
  EXPECT_EQ(
      Simulate(*policy, "arn:aws:iam::111122223333:user/auditor", "kms:GetKeyPolicy").decision,
      Decision::kAllow);
  EXPECT_EQ(
      Simulate(*policy, "arn:aws:iam::111122223333:user/auditor", "kms:PutKeyPolicy").decision,
      Decision::kImplicitDeny);
}

TEST(Generate, ParsesActionLists) {
  EXPECT_EQ(ParseEnclaveActions("decrypt,kms:DeriveSharedSecret")->size(), 2U);
  auto unknown = ParseEnclaveActions("decrypt,sign");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(ParseEnclaveActions("decrypt,decrypt"));
  EXPECT_FALSE(ParseEnclaveActions(""));
}

// kms:Encrypt takes no Recipient: nothing restricts it to the enclave, and whoever may call it
// can inject a secret of its choice. The generator no longer offers it, and says why.
TEST(Generate, RefusesEncryptAsKeyInjection) {
  for (const char* text : {"encrypt", "decrypt,encrypt", "kms:Encrypt", "decrypt,kms:encrypt"}) {
    auto actions = ParseEnclaveActions(text);
    ASSERT_FALSE(actions) << text;
    EXPECT_EQ(actions.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(actions.error().detail.find("key injection"), std::string::npos)
        << actions.error().detail;
  }
  // Nothing the generator writes lets anyone encrypt under the key or replicate it.
  for (bool locked : {false, true}) {
    GenerateOptions options = Options(locked);
    options.actions = *ParseEnclaveActions(
        "decrypt,derive,generate-data-key,generate-data-key-pair,generate-random");
    auto policy = GeneratePolicy(options);
    ASSERT_TRUE(policy) << policy.error().detail;
    for (const Statement& s : policy->statements) {
      for (const char* action :
           {"kms:Encrypt", "kms:ReEncryptTo", "kms:ReplicateKey", "kms:UpdatePrimaryRegion"}) {
        EXPECT_TRUE(s.effect == Effect::kDeny || !StatementCoversAction(s, action))
            << *s.sid << " " << action;
      }
    }
    EXPECT_TRUE(LintPolicy(*policy).enclave_only.holds);
  }
}

TEST(Generate, SelectsPcrs) {
  verifier::PcrSet set = DefaultPcrs();
  auto selected = SelectPolicyPcrs(set, false, std::nullopt);
  ASSERT_TRUE(selected);
  EXPECT_EQ(selected->size(), 3U);  // PCR8 is zero
  set[8] = core::Bytes(48, 0x08);
  EXPECT_EQ(SelectPolicyPcrs(set, false, std::nullopt)->count(8), 1U);
  EXPECT_EQ(SelectPolicyPcrs(set, true, std::nullopt)->size(), set.size());
  EXPECT_EQ(SelectPolicyPcrs(set, false, std::vector<std::uint64_t>{0, 3})->size(), 2U);
  auto absent =
      SelectPolicyPcrs({{0, core::Bytes(48, 1)}}, false, std::vector<std::uint64_t>{0, 4});
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().code, ErrorCode::kPolicyPcrValue);
  EXPECT_EQ(absent.error().index, 4);
}

TEST(Generate, RefusesWhatCannotProtectAKey) {
  auto expect = [](GenerateOptions options, ErrorCode code, int index = -1) {
    auto policy = GeneratePolicy(options);
    ASSERT_FALSE(policy);
    EXPECT_EQ(policy.error().code, code) << policy.error().detail;
    if (index >= 0) {
      EXPECT_EQ(policy.error().index, index);
    }
  };
  GenerateOptions o = Options(false);
  o.account_id = "12345";
  expect(o, ErrorCode::kInvalidArgument);
  o = Options(false);
  o.enclave_role_arn = "arn:aws:iam::111122223333:user/enclave";
  expect(o, ErrorCode::kInvalidArgument);
  o = Options(false);
  o.admin_arns = {"not-an-arn"};
  expect(o, ErrorCode::kInvalidArgument);
  o = Options(true);
  o.admin_arns = {"arn:aws:iam::111122223333:role/key-admin"};
  expect(o, ErrorCode::kInvalidArgument);
  o = Options(false);
  o.auditor_arns = {"arn:aws:s3:::bucket"};
  expect(o, ErrorCode::kInvalidArgument);
  o = Options(false);
  o.actions = {};  // no attested action
  expect(o, ErrorCode::kInvalidArgument);
  o = Options(false);
  o.measurements.sets.clear();
  expect(o, ErrorCode::kPolicyPcrValue);
  o = Options(false);
  o.measurements.sets[0].erase(0);
  expect(o, ErrorCode::kPolicyPcrValue, 0);
  o = Options(false);
  o.measurements.sets[0][1] = core::Bytes(32, 1);  // a SHA-256 bank value
  expect(o, ErrorCode::kPolicyPcrValue, 1);
  o = Options(false);
  o.measurements.sets[0][0] = core::Bytes(48, 0);  // debug mode
  expect(o, ErrorCode::kPolicyPcrValue, 0);
  o = Options(false);
  o.measurements.explicit_pcrs = true;  // pins PCR3..15 too, PCR3 is all zero
  expect(o, ErrorCode::kPolicyPcrValue, 3);
}

// --- PCR sources ---

std::filesystem::path TempFile(const std::string& name, const std::string& content) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("enclavectl-kmspolicy-" + std::to_string(::getpid()) + "-" + name);
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST(PcrSources, PcrFile) {
  const verifier::PcrSet pcrs = DefaultPcrs();
  const std::string json = "{\"HashAlgorithm\": \"Sha384 { ... }\", \"PCR0\": \"" +
                           core::HexEncode(pcrs.at(0)) + "\", \"PCR1\": \"" +
                           core::HexEncode(pcrs.at(1)) + "\", \"PCR2\": \"" +
                           core::HexEncode(pcrs.at(2)) + "\"}";
  const auto path = TempFile("pcr.json", json);
  auto source = io::MakePcrFileSource(path.string());
  auto measurements = source->Load();
  ASSERT_TRUE(measurements) << measurements.error().detail;
  EXPECT_EQ(measurements->sets.size(), 1U);
  EXPECT_EQ(measurements->sets[0].at(2), pcrs.at(2));
  EXPECT_FALSE(measurements->explicit_pcrs);
  std::filesystem::remove(path);
  auto missing = io::MakePcrFileSource(path.string())->Load();
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kIoRead);
  const auto bad = TempFile("bad.json", "{\"PCR0\": \"zz\"}");
  EXPECT_EQ(io::MakePcrFileSource(bad.string())->Load().error().code, ErrorCode::kPolicyInvalid);
  std::filesystem::remove(bad);
}

TEST(PcrSources, Assignments) {
  const std::string pcr0 = core::HexEncode(DefaultPcrs().at(0));
  auto measurements = io::MakePcrAssignmentSource({"0=" + pcr0, "PCR8=" + pcr0})->Load();
  ASSERT_TRUE(measurements);
  EXPECT_TRUE(measurements->explicit_pcrs);
  EXPECT_EQ(measurements->sets[0].size(), 2U);
  EXPECT_EQ(io::MakePcrAssignmentSource({"0=" + pcr0, "0=" + pcr0})->Load().error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(io::MakePcrAssignmentSource({"40=" + pcr0})->Load().error().code,
            ErrorCode::kInvalidArgument);
}

TEST(PcrSources, VerifiedAttestationDocument) {
  const core::Bytes doc = VirtualNitro::Get().Mint();
  const auto path = TempFile("doc.b64", core::Base64Encode(doc));
  auto measurements = io::MakeAttestationSource(path.string(), VirtualNitro::Get().Root(),
                                                VirtualNitro::PolicyNow())
                          ->Load();
  ASSERT_TRUE(measurements) << measurements.error().detail;
  EXPECT_EQ(measurements->sets[0], DefaultPcrs());
  EXPECT_NE(measurements->origin.find("verified at"), std::string::npos);
  // The same document against the AWS root: refused, never used.
  auto aws = verifier::TrustAnchor::AwsNitroRoot();
  ASSERT_TRUE(aws);
  auto refused = io::MakeAttestationSource(path.string(), *aws, VirtualNitro::PolicyNow())->Load();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kChainRootMismatch);
  std::filesystem::remove(path);
  // A debug-mode document is refused by the verifier.
  verifier::PcrMap zero = VirtualNitro::Get().Fields().pcrs;
  for (std::uint64_t i = 0; i < 3; ++i) {
    zero[i] = core::Bytes(48, 0);
  }
  const auto debug_path =
      TempFile("debug.cbor", std::string(core::AsChars(VirtualNitro::Get().Mint(WithPcrs(zero)))));
  auto debug = io::MakeAttestationSource(debug_path.string(), VirtualNitro::Get().Root(),
                                         VirtualNitro::PolicyNow())
                   ->Load();
  ASSERT_FALSE(debug);
  EXPECT_EQ(debug.error().code, ErrorCode::kDebugMode);
  std::filesystem::remove(debug_path);
}

TEST(PcrSources, EifImageGivesItsMeasurements) {
  for (const char* name : {"oracle_aarch64_signed-p384", "oracle_x86_64_unsigned_nitrocli-blobs"}) {
    const std::filesystem::path base = testing::TestdataDir() / "eif" / name;
    const nlohmann::json expected = testing::ReadJson(base.string() + ".json")["expected"];
    auto eif = io::MakeEifSource(base.string() + ".eif")->Load();
    ASSERT_TRUE(eif) << eif.error().detail;
    ASSERT_EQ(eif->sets.size(), 1U);
    const verifier::PcrSet& set = eif->sets[0];
    EXPECT_TRUE(eif->explicit_pcrs);
    EXPECT_EQ(core::HexEncode(set.at(0)), expected["PCR0"]);
    EXPECT_EQ(core::HexEncode(set.at(1)), expected["PCR1"]);
    EXPECT_EQ(core::HexEncode(set.at(2)), expected["PCR2"]);
    EXPECT_EQ(set.count(8), expected.contains("PCR8") ? 1U : 0U) << name;
  }
  auto missing = io::MakeEifSource("/nonexistent/image.eif")->Load();
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kIoRead);
}

// --- parser limits ---

// lint names where a syntax error is, as an editor counts.
TEST(PolicyParse, SyntaxErrorsNameLineAndColumn) {
  auto bad = DecodePolicy("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [,]\n}\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kPolicyJson);
  EXPECT_NE(bad.error().detail.find("syntax error at line 3, column 17"), std::string::npos)
      << bad.error().detail;
}

TEST(PolicyParse, RefusesOversizedDeepAndInvalidText) {
  std::string big =
      "{\"Statement\": [], \"Id\": \"" + std::string(core::limits::kMaxKeyPolicyBytes, 'x') + "\"}";
  EXPECT_EQ(DecodePolicy(big).error().code, ErrorCode::kInputTooLarge);
  EXPECT_EQ(DecodePolicy("{\"Id\": \"\xff\xfe\", \"Statement\": []}").error().code,
            ErrorCode::kPolicyJson);
  std::string deep = std::string(core::limits::kMaxJsonDepth + 1, '[') +
                     std::string(core::limits::kMaxJsonDepth + 1, ']');
  EXPECT_EQ(DecodePolicy(deep).error().code, ErrorCode::kPolicyJson);
  // Brackets inside strings do not count as nesting.
  auto in_string = DecodePolicy("{\"Id\": \"" + std::string(100, '[') + "\", \"Statement\": []}");
  ASSERT_TRUE(in_string) << in_string.error().detail;
  EXPECT_EQ(ParsePolicy("[]").error().code, ErrorCode::kPolicyStructure);
  std::string many = "{\"Statement\": [";
  for (std::size_t i = 0; i <= core::limits::kMaxPolicyStatements; ++i) {
    many += (i ? "," : "") + std::string("{\"Effect\":\"Deny\",\"Principal\":\"*\"}");
  }
  EXPECT_EQ(DecodePolicy(many + "]}").error().code, ErrorCode::kPolicyStructure);
}

TEST(PolicyParse, ErrorDetailsNeverEchoControlCharacters) {
  auto policy = DecodePolicy("{\"Statement\": {\"Effect\": \"Allow\", \"Ev\\u0001il\": 1}}");
  ASSERT_FALSE(policy);
  EXPECT_EQ(policy.error().detail.find('\x01'), std::string::npos);
  EXPECT_NE(policy.error().detail.find("Ev?il"), std::string::npos);
}

// The element a failure concerns is typed, so that a caller (the local KMS) never has to read
// the error's text: principal problems are kPrincipal, everything else kOther, even when the
// offending text mentions "Principal" (a condition key, an unknown element's name).
TEST(PolicyParse, FailuresNameTheElementTheyConcern) {
  const auto element_of = [](const std::string& statement) {
    PolicyElement element = PolicyElement::kOther;
    auto policy =
        ParsePolicy(R"({"Version":"2012-10-17","Statement":[)" + statement + "]}", element);
    EXPECT_FALSE(policy) << statement;
    if (policy) {
      return std::optional<PolicyElement>();
    }
    EXPECT_EQ(policy.error().code, ErrorCode::kPolicyStructure) << policy.error().detail;
    return std::optional<PolicyElement>(element);
  };
  const std::string rest = R"("Action":"kms:*","Resource":"*")";
  for (const std::string& principal : {
           std::string(R"({"Effect":"Allow",)") + rest + "}",  // none
           R"({"Effect":"Allow","Principal":{"AWS":"not-an-arn"},)" + rest + "}",
           R"({"Effect":"Allow","Principal":{"AWS":""},)" + rest + "}",
           R"({"Effect":"Allow","Principal":"me",)" + rest + "}",
           R"({"Effect":"Allow","Principal":{"Someone":"x"},)" + rest + "}",
           R"({"Effect":"Allow","Principal":{"AWS":[]},)" + rest + "}",
           R"({"Effect":"Allow","Principal":"*","NotPrincipal":"*",)" + rest + "}",
       }) {
    EXPECT_EQ(element_of(principal), PolicyElement::kPrincipal) << principal;
  }
  for (const std::string& other : {
           R"({"Effect":"Allow","Principal":"*",)" + rest +
               R"(,"Condition":{"StringEquals":{"aws:PrincipalArn":[]}}})",
           R"({"Effect":"Allow","Principal":"*","Principals":"*",)" + rest + "}",
           std::string(
               R"({"Effect":"Allow","Principal":"*","Action":"kms:Principal!","Resource":"*"})"),
           R"({"Effect":"allow","Principal":"*",)" + rest + "}",
       }) {
    EXPECT_EQ(element_of(other), PolicyElement::kOther) << other;
  }
  // Success leaves the element untouched.
  PolicyElement untouched = PolicyElement::kPrincipal;
  EXPECT_TRUE(
      ParsePolicy(R"({"Statement":[{"Effect":"Allow","Principal":"*",)" + rest + "}]}", untouched));
  EXPECT_EQ(untouched, PolicyElement::kPrincipal);
}

TEST(Arn, ParsesTheFormsPoliciesUse) {
  auto role = aws::ParseArn("arn:aws:iam::111122223333:role/path/name");
  ASSERT_TRUE(role);
  EXPECT_EQ(aws::RoleName(*role), "name");
  EXPECT_EQ(aws::FormatArn(*role), "arn:aws:iam::111122223333:role/path/name");
  EXPECT_EQ(aws::AssumedRoleName(*aws::ParseArn(kSession)), "enclave");
  EXPECT_EQ(aws::AccountPrincipal("arn:aws:iam::111122223333:root"), "111122223333");
  EXPECT_EQ(aws::AccountPrincipal("111122223333"), "111122223333");
  EXPECT_FALSE(aws::AccountPrincipal("arn:aws:iam::111122223333:user/root"));
  EXPECT_TRUE(aws::ParseKmsKeyArn("arn:aws:kms:us-east-1:111122223333:key/1234"));
  EXPECT_FALSE(aws::ParseKmsKeyArn("arn:aws:kms:us-east-1:111122223333:alias/x"));
  EXPECT_FALSE(aws::ParseArn("arn:aws:iam"));
  EXPECT_FALSE(aws::ParseArn("arn:aws:iam::1 1:root"));
}

TEST(Wildcards, MatchLikeIam) {
  EXPECT_TRUE(WildcardMatch("kms:Get*", "kms:GetKeyPolicy", false));
  EXPECT_TRUE(WildcardMatch("*", "", false));
  EXPECT_TRUE(WildcardMatch("a?c", "abc", false));
  EXPECT_FALSE(WildcardMatch("a?c", "ac", false));
  EXPECT_TRUE(WildcardMatch("*a*b*c*", "xxaxxbxxcxx", false));
  EXPECT_FALSE(WildcardMatch("*a*b*c*d", "xxaxxbxxcxx", false));
  EXPECT_TRUE(ActionMatches("KMS:decrypt", "kms:Decrypt"));
  EXPECT_FALSE(WildcardMatch("ABC", "abc", false));
  // Quadratic at worst, never exponential.
  const std::string text(4000, 'a');
  EXPECT_FALSE(WildcardMatch(std::string(2000, '*') + "b", text, false));
}

TEST(Lint, RequirementsParse) {
  auto both = ParseLintRequirements("enclave-only,locked");
  ASSERT_TRUE(both);
  EXPECT_TRUE(both->enclave_only && both->locked);
  EXPECT_FALSE(ParseLintRequirements("none")->enclave_only);
  EXPECT_EQ(ParseLintRequirements("locked,secure").error().code, ErrorCode::kInvalidArgument);
  auto standard = GeneratePolicy(Options(false));
  ASSERT_TRUE(standard);
  const LintReport report = LintPolicy(*standard);
  EXPECT_TRUE(CheckRequirements(report, {true, false}));
  EXPECT_EQ(CheckRequirements(report, {true, true}).error().code, ErrorCode::kPolicyNotLocked);
  auto open = ParsePolicy(
      R"({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}]})");
  ASSERT_TRUE(open);
  EXPECT_EQ(CheckRequirements(LintPolicy(*open), {true, true}).error().code,
            ErrorCode::kPolicyNotEnclaveOnly);
}

}  // namespace
}  // namespace enclavectl::kmspolicy
