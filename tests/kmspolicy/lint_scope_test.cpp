// Lint and the evaluator read a policy the same way (issue 12 items 1 and 2): a Deny counts only
// when its Resource certainly covers the key, an Allow whenever it might; Encrypt/ReEncryptTo
// (key injection) and ReplicateKey/UpdatePrimaryRegion (replica escape) break enclave-only; a
// LintTarget::pcr0_hex narrows enclave-only to one image. The property test generates many
// random policies (seeded, deterministic) and checks that whenever lint says enclave-only, the
// evaluator allows no decrypt-class action to any caller without a valid attestation.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "enclavectl/core/json.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/kmspolicy/actions.hpp"
#include "enclavectl/kmspolicy/evaluate.hpp"
#include "enclavectl/kmspolicy/lint.hpp"
#include "enclavectl/kmspolicy/policy.hpp"

namespace enclavectl::kmspolicy {
namespace {

using Json = nlohmann::json;

constexpr const char* kKeyArn =
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
constexpr const char* kOtherKeyArn = "arn:aws:kms:eu-west-1:111122223333:key/other";
constexpr const char* kRole = "arn:aws:iam::111122223333:role/enclave";
constexpr const char* kOutsider = "arn:aws:sts::444455556666:assumed-role/outsider/x";
constexpr const char* kImage = "kms:RecipientAttestation:ImageSha384";

// A SHA-384 digest as 96 lower-case hex digits: a valid image measurement.
std::string Pcr(std::string_view label) {
  const core::Sha384Digest digest = core::Sha384(core::AsBytes(label));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

const std::string& ImageA() {
  static const std::string value = Pcr("image a");
  return value;
}
const std::string& ImageB() {
  static const std::string value = Pcr("image b");
  return value;
}

Policy Parse(const Json& json) {
  auto policy = ParsePolicy(core::DumpJson(json, 2));
  EXPECT_TRUE(policy) << policy.error().detail << "\n" << core::DumpJson(json, 2);
  return policy ? *policy : Policy{};
}

Json PolicyOf(Json statements) {
  return {{"Version", "2012-10-17"}, {"Statement", std::move(statements)}};
}

Json AllowEverythingToEveryone() {
  return {
      {"Sid", "Open"}, {"Effect", "Allow"}, {"Principal", "*"}, {"Action", "*"}, {"Resource", "*"}};
}

// The repro of issue 12 item 1: Allow "*" to everyone, and Denies for every principal that
// would make it enclave-only and locked if they covered this key: no attestation at all
// (Null), or another image (StringNotEqualsIgnoreCase).
Json ScopedDenies(const std::string& resource) {
  return PolicyOf(
      Json::array({AllowEverythingToEveryone(),
                   {{"Sid", "DenyUnattested"},
                    {"Effect", "Deny"},
                    {"Principal", "*"},
                    {"Action", "*"},
                    {"Resource", resource},
                    {"Condition", {{"Null", {{kImage, "true"}}}}}},
                   {{"Sid", "DenyOtherImages"},
                    {"Effect", "Deny"},
                    {"Principal", "*"},
                    {"Action", {"kms:Decrypt", "kms:DeriveSharedSecret", "kms:GenerateDataKey*"}},
                    {"Resource", resource},
                    {"Condition", {{"StringNotEqualsIgnoreCase", {{kImage, ImageA()}}}}}}}));
}

Decision Simulate(const Policy& policy, const std::string& principal, const std::string& action,
                  const std::string& resource) {
  Request request{principal, action, resource, {}};
  AddCallerKeys(request);
  auto evaluation = Evaluate(policy, request);
  EXPECT_TRUE(evaluation) << evaluation.error().detail;
  return evaluation ? evaluation->decision : Decision::kImplicitDeny;
}

bool HasFinding(const LintReport& report, std::string_view rule) {
  for (const Finding& f : report.findings) {
    if (f.rule == rule) {
      return true;
    }
  }
  return false;
}

// --- item 1: resource scoping ---

TEST(LintScope, DeniesScopedToAnotherKeyProtectNothing) {
  const Policy policy = Parse(ScopedDenies(kOtherKeyArn));
  for (const LintTarget& target : {LintTarget{}, LintTarget{kKeyArn, std::nullopt}}) {
    SCOPED_TRACE(target.key_arn);
    const LintReport report = LintPolicy(policy, target);
    EXPECT_FALSE(report.enclave_only.holds);
    EXPECT_FALSE(report.locked.holds);
    EXPECT_FALSE(CheckRequirements(report, {true, false}));
  }
  // ... and simulate agrees: an outsider without attestation decrypts this key, whether its
  // ARN is given or unknown.
  for (const char* resource : {kKeyArn, ""}) {
    EXPECT_EQ(Simulate(policy, kOutsider, "kms:Decrypt", resource), Decision::kAllow) << resource;
    EXPECT_EQ(Simulate(policy, kOutsider, "kms:PutKeyPolicy", resource), Decision::kAllow);
  }
  // The Deny does apply to the key it names.
  EXPECT_EQ(Simulate(policy, kOutsider, "kms:Decrypt", kOtherKeyArn), Decision::kExplicitDeny);
}

TEST(LintScope, DeniesCoveringTheKeyCount) {
  const Policy star = Parse(ScopedDenies("*"));
  for (const LintTarget& target : {LintTarget{}, LintTarget{kKeyArn, std::nullopt}}) {
    const LintReport report = LintPolicy(star, target);
    EXPECT_TRUE(report.enclave_only.holds) << report.enclave_only.reasons.front();
    EXPECT_TRUE(report.locked.holds) << report.locked.reasons.front();
  }
  // The key's own ARN (or a pattern matching it) counts when lint knows the ARN, and only then.
  for (const char* resource : {kKeyArn, "arn:aws:kms:us-east-1:111122223333:key/1234abcd-*"}) {
    SCOPED_TRACE(resource);
    const Policy named = Parse(ScopedDenies(resource));
    const LintReport known = LintPolicy(named, {kKeyArn, std::nullopt});
    EXPECT_TRUE(known.enclave_only.holds) << known.enclave_only.reasons.front();
    EXPECT_TRUE(known.locked.holds) << known.locked.reasons.front();
    const LintReport unknown = LintPolicy(named);
    EXPECT_FALSE(unknown.enclave_only.holds);
    EXPECT_FALSE(unknown.locked.holds);
    // The evaluator: denied for this key; for an unknown ARN the Deny might not apply.
    EXPECT_EQ(Simulate(named, kOutsider, "kms:Decrypt", kKeyArn), Decision::kExplicitDeny);
    EXPECT_EQ(Simulate(named, kOutsider, "kms:Decrypt", ""), Decision::kAllow);
  }
}

TEST(LintScope, NotResourceInADeny) {
  auto with_not_resource = [](const std::string& not_resource) {
    Json policy = ScopedDenies("*");
    for (std::size_t i = 1; i < 3; ++i) {
      policy["Statement"][i].erase("Resource");
      policy["Statement"][i]["NotResource"] = not_resource;
    }
    return Parse(policy);
  };
  // Excludes another key: covers this one when its ARN is known, might not when unknown.
  const Policy other = with_not_resource(kOtherKeyArn);
  EXPECT_TRUE(LintPolicy(other, {kKeyArn, std::nullopt}).enclave_only.holds);
  EXPECT_FALSE(LintPolicy(other).enclave_only.holds);
  // Excludes this key: protects nothing.
  EXPECT_FALSE(LintPolicy(with_not_resource(kKeyArn), {kKeyArn, std::nullopt}).enclave_only.holds);
  // Excludes no KMS key at all: covers every key.
  const Policy bucket = with_not_resource("arn:aws:s3:::bucket");
  EXPECT_TRUE(LintPolicy(bucket).enclave_only.holds);
  EXPECT_TRUE(LintPolicy(bucket).locked.holds);
  // Excludes everything.
  EXPECT_FALSE(LintPolicy(with_not_resource("*"), {kKeyArn, std::nullopt}).locked.holds);
}

TEST(LintScope, ResourceCoverageModel) {
  auto statement = [](std::vector<std::string> resources, bool not_resource) {
    Statement s;
    s.has_resource = true;
    s.resources = std::move(resources);
    s.not_resource = not_resource;
    return s;
  };
  using RC = ResourceCoverage;
  EXPECT_EQ(StatementResourceCoverage(statement({"*"}, false), ""), RC::kCertain);
  EXPECT_EQ(StatementResourceCoverage(statement({"*"}, false), kKeyArn), RC::kCertain);
  EXPECT_EQ(StatementResourceCoverage(statement({kOtherKeyArn}, false), ""), RC::kMaybe);
  EXPECT_EQ(StatementResourceCoverage(statement({kOtherKeyArn}, false), kKeyArn), RC::kNo);
  EXPECT_EQ(StatementResourceCoverage(statement({kKeyArn}, false), kKeyArn), RC::kCertain);
  EXPECT_EQ(StatementResourceCoverage(statement({"arn:aws:kms:*"}, false), ""), RC::kMaybe);
  EXPECT_EQ(StatementResourceCoverage(statement({"*"}, true), ""), RC::kNo);
  EXPECT_EQ(StatementResourceCoverage(statement({kOtherKeyArn}, true), ""), RC::kMaybe);
  EXPECT_EQ(StatementResourceCoverage(statement({kOtherKeyArn}, true), kKeyArn), RC::kCertain);
  EXPECT_EQ(StatementResourceCoverage(statement({"arn:aws:s3:::b"}, true), ""), RC::kCertain);
  EXPECT_EQ(StatementResourceCoverage(statement({"arn:aws:s3:::b*"}, true), ""), RC::kMaybe);
  Statement none;
  EXPECT_EQ(StatementResourceCoverage(none, ""), RC::kNo);
  EXPECT_TRUE(StatementCoversResource(statement({kOtherKeyArn}, false), ""));
  EXPECT_FALSE(StatementCertainlyCoversResource(statement({kOtherKeyArn}, false), ""));
}

TEST(LintScope, AllowsScopedToAnotherKeyGrantNothingHere) {
  const Policy policy = Parse(
      PolicyOf(Json::array({{{"Sid", "Elsewhere"},
                             {"Effect", "Allow"},
                             {"Principal", "*"},
                             {"Action", "kms:Decrypt"},
                             {"Resource", kOtherKeyArn}},
                            {{"Sid", "EnclaveAttestedUse"},
                             {"Effect", "Allow"},
                             {"Principal", {{"AWS", kRole}}},
                             {"Action", "kms:Decrypt"},
                             {"Resource", "*"},
                             {"Condition", {{"StringEqualsIgnoreCase", {{kImage, ImageA()}}}}}}})));
  EXPECT_TRUE(LintPolicy(policy, {kKeyArn, std::nullopt}).enclave_only.holds);
  EXPECT_FALSE(LintPolicy(policy).enclave_only.holds);  // it might be this key
  EXPECT_EQ(Simulate(policy, kOutsider, "kms:Decrypt", kKeyArn), Decision::kImplicitDeny);
  EXPECT_EQ(Simulate(policy, kOutsider, "kms:Decrypt", ""), Decision::kAllow);
}

// --- item 2: actions lint ignored ---

Json EnclaveGate() {
  return {{"Sid", "EnclaveAttestedUse"},
          {"Effect", "Allow"},
          {"Principal", {{"AWS", kRole}}},
          {"Action", {"kms:Decrypt", "kms:GenerateDataKey"}},
          {"Resource", "*"},
          {"Condition", {{"StringEqualsIgnoreCase", {{kImage, ImageA()}}}}}};
}

Json AllowTo(const char* principal, const Json& actions, Json condition = nullptr) {
  Json s = {{"Sid", "Extra"},
            {"Effect", "Allow"},
            {"Principal", {{"AWS", principal}}},
            {"Action", actions},
            {"Resource", "*"}};
  if (!condition.is_null()) {
    s["Condition"] = std::move(condition);
  }
  return s;
}

TEST(LintActions, ReplicaActionsAreEscapes) {
  for (const char* action : {"kms:ReplicateKey", "kms:UpdatePrimaryRegion", "kms:Replicate*"}) {
    SCOPED_TRACE(action);
    const Policy policy = Parse(PolicyOf(Json::array({EnclaveGate(), AllowTo(kRole, action)})));
    const LintReport report = LintPolicy(policy);
    EXPECT_FALSE(report.enclave_only.holds);
    EXPECT_FALSE(report.locked.holds);
    EXPECT_TRUE(HasFinding(report, rules::kReplicaEscape));
    EXPECT_EQ(report.CountAtLeast(Severity::kError) > 0, true);
  }
  // Neither carries a Recipient: requiring an attestation makes the Allow unreachable.
  const Policy gated = Parse(PolicyOf(
      Json::array({EnclaveGate(), AllowTo(kRole, "kms:ReplicateKey",
                                          {{"StringEqualsIgnoreCase", {{kImage, ImageA()}}}})})));
  EXPECT_TRUE(LintPolicy(gated).enclave_only.holds);
  EXPECT_TRUE(LintPolicy(gated).locked.holds);
}

TEST(LintActions, EncryptAndReEncryptToAreKeyInjection) {
  // (the Action entry, a concrete action it grants)
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"kms:Encrypt", "kms:Encrypt"},
      {"kms:ReEncryptTo", "kms:ReEncryptTo"},
      {"kms:ReEncrypt*", "kms:ReEncryptTo"},
      {"kms:Encrypt*", "kms:Encrypt"}};
  for (const auto& [entry, action] : cases) {
    SCOPED_TRACE(entry);
    const Policy policy = Parse(PolicyOf(Json::array({EnclaveGate(), AllowTo(kRole, entry)})));
    const LintReport report = LintPolicy(policy);
    EXPECT_FALSE(report.enclave_only.holds);
    EXPECT_TRUE(HasFinding(report, rules::kKeyInjection));
    // The enclave role (not only outsiders): the parent instance holds its credentials.
    EXPECT_EQ(
        Simulate(policy, "arn:aws:sts::111122223333:assumed-role/enclave/i-0abc", action, kKeyArn),
        Decision::kAllow);
  }
  // An Encrypt no request can reach (it needs an attestation Encrypt never carries, or a Deny
  // of unattested requests blocks it) is harmless.
  const Policy unreachable = Parse(PolicyOf(Json::array(
      {EnclaveGate(), AllowTo(kRole, "kms:Encrypt", {{"Null", {{kImage, "false"}}}})})));
  EXPECT_TRUE(LintPolicy(unreachable).enclave_only.holds);
  const Policy blocked =
      Parse(PolicyOf(Json::array({EnclaveGate(),
                                  AllowTo(kRole, "kms:Encrypt"),
                                  {{"Sid", "DenyUnattested"},
                                   {"Effect", "Deny"},
                                   {"Principal", "*"},
                                   {"Action", {"kms:Encrypt", "kms:ReEncrypt*"}},
                                   {"Resource", "*"},
                                   {"Condition", {{"Null", {{kImage, "true"}}}}}}})));
  EXPECT_TRUE(LintPolicy(blocked).enclave_only.holds);
  // ReEncryptFrom stays a decrypt-class action (missing-attestation-condition), not injection.
  const Policy from =
      Parse(PolicyOf(Json::array({EnclaveGate(), AllowTo(kRole, "kms:ReEncryptFrom")})));
  const LintReport from_report = LintPolicy(from);
  EXPECT_FALSE(from_report.enclave_only.holds);
  EXPECT_FALSE(HasFinding(from_report, rules::kKeyInjection));
  EXPECT_TRUE(HasFinding(from_report, rules::kMissingAttestationCondition));
}

// --- LintTarget::pcr0_hex ---

TEST(LintImage, TwoImagesAreEnclaveOnlyButNotForEitherOne) {
  const Json two_values = PolicyOf(Json::array(
      {{{"Sid", "EnclaveAttestedUse"},
        {"Effect", "Allow"},
        {"Principal", {{"AWS", kRole}}},
        {"Action", "kms:Decrypt"},
        {"Resource", "*"},
        {"Condition", {{"StringEqualsIgnoreCase", {{kImage, {ImageA(), ImageB()}}}}}}}}));
  Json two_statements = PolicyOf(Json::array({EnclaveGate(), EnclaveGate()}));
  two_statements["Statement"][1]["Sid"] = "EnclaveAttestedUse2";
  two_statements["Statement"][1]["Condition"]["StringEqualsIgnoreCase"][kImage] = ImageB();
  for (const Json& json : {two_values, two_statements}) {
    const Policy policy = Parse(json);
    EXPECT_TRUE(LintPolicy(policy).enclave_only.holds);
    for (const std::string& image : {ImageA(), ImageB()}) {
      const LintReport report = LintPolicy(policy, {kKeyArn, image});
      EXPECT_FALSE(report.enclave_only.holds);
      EXPECT_TRUE(HasFinding(report, rules::kUnexpectedImage));
    }
  }
  // One image: enclave-only for that image only.
  const Policy one = Parse(PolicyOf(Json::array({EnclaveGate()})));
  EXPECT_TRUE(LintPolicy(one, {"", ImageA()}).enclave_only.holds);
  EXPECT_FALSE(LintPolicy(one, {"", ImageB()}).enclave_only.holds);
  // Upper-case value with StringEqualsIgnoreCase still names the image; with StringEquals it
  // never matches a (lower-case) measurement, so it admits nothing.
  Json upper = PolicyOf(Json::array({EnclaveGate()}));
  std::string upper_a = ImageA();
  for (char& c : upper_a) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  upper["Statement"][0]["Condition"]["StringEqualsIgnoreCase"][kImage] = upper_a;
  EXPECT_TRUE(LintPolicy(Parse(upper), {"", ImageA()}).enclave_only.holds);
  // A value that is no measurement fails closed.
  EXPECT_FALSE(LintPolicy(one, {"", "not hex"}).enclave_only.holds);
}

TEST(LintImage, DenyOfOtherImagesCountsOnlyForItsImage) {
  // Any attested request may decrypt; a Deny for every principal keeps all but image A out.
  const Policy policy = Parse(PolicyOf(
      Json::array({AllowTo(kRole, "kms:Decrypt", {{"Null", {{kImage, "false"}}}}),
                   {{"Sid", "DenyOtherImages"},
                    {"Effect", "Deny"},
                    {"Principal", "*"},
                    {"Action", "kms:Decrypt"},
                    {"Resource", "*"},
                    {"Condition", {{"StringNotEqualsIgnoreCase", {{kImage, ImageA()}}}}}}})));
  EXPECT_TRUE(LintPolicy(policy).enclave_only.holds);
  EXPECT_TRUE(LintPolicy(policy, {"", ImageA()}).enclave_only.holds);
  EXPECT_FALSE(LintPolicy(policy, {"", ImageB()}).enclave_only.holds);
}

// --- property: lint's enclave-only is never contradicted by the evaluator ---

constexpr const char* kPropertyKey = "arn:aws:kms:us-east-1:111122223333:key/k1";

class PolicyGenerator {
 public:
  explicit PolicyGenerator(std::uint32_t seed) : rng_(seed) {}

  Json Next() {
    Json statements = Json::array();
    if (Chance(35)) {
      // Everything allowed to everyone: then only the Denies decide, the case where a Deny
      // that does not cover the key must not count.
      statements.push_back({{"Sid", "Open"},
                            {"Effect", "Allow"},
                            {"Principal", "*"},
                            {"Action", Chance(50) ? "*" : "kms:*"},
                            {"Resource", "*"}});
    }
    const std::size_t count = Pick(1, 4);
    for (std::size_t i = 0; i < count; ++i) {
      statements.push_back(Statement(i));
    }
    return PolicyOf(std::move(statements));
  }

 private:
  std::size_t Pick(std::size_t lo, std::size_t hi) {
    return std::uniform_int_distribution<std::size_t>(lo, hi)(rng_);
  }
  bool Chance(unsigned percent) { return Pick(1, 100) <= percent; }
  template <typename T>
  const T& OneOf(const std::vector<T>& list) {
    return list[Pick(0, list.size() - 1)];
  }

  Json Principal() {
    static const std::vector<Json> kPrincipals = {
        "*",
        {{"AWS", "*"}},
        {{"AWS", "111122223333"}},
        {{"AWS", "arn:aws:iam::111122223333:root"}},
        {{"AWS", kRole}},
        {{"AWS", "arn:aws:iam::111122223333:user/alice"}},
        {{"AWS", "arn:aws:iam::444455556666:root"}},
        {{"Service", "ec2.amazonaws.com"}},
        {{"AWS", {kRole, "arn:aws:iam::111122223333:role/admin"}}},
    };
    return OneOf(kPrincipals);
  }

  Json Actions() {
    static const std::vector<std::string> kActions = {
        "*",
        "kms:*",
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:Encrypt*",
        "kms:ReEncrypt*",
        "kms:ReEncryptTo",
        "kms:ReEncryptFrom",
        "kms:GenerateDataKey*",
        "kms:GenerateDataKeyPair",
        "kms:DeriveSharedSecret",
        "kms:CreateGrant",
        "kms:Create*",
        "kms:ReplicateKey",
        "kms:UpdatePrimaryRegion",
        "kms:Describe*",
        "kms:PutKeyPolicy",
        "kms:*Key*",
        "kms:De*",
        "kms:?ecrypt",
    };
    Json out = Json::array();
    const std::size_t count = Pick(1, 3);
    for (std::size_t i = 0; i < count; ++i) {
      out.push_back(OneOf(kActions));
    }
    return out;
  }

  Json Resources() {
    static const std::vector<std::string> kResources = {
        "*",
        kPropertyKey,
        "arn:aws:kms:eu-west-1:111122223333:key/other",
        "arn:aws:kms:us-east-1:111122223333:key/*",
        "arn:aws:kms:*:*:key/k?",
        "arn:aws:kms:us-east-1:111122223333:key/k2",
        "arn:aws:s3:::bucket",
        "arn:aws:kms:*",
    };
    Json out = Json::array();
    const std::size_t count = Pick(1, 2);
    for (std::size_t i = 0; i < count; ++i) {
      out.push_back(OneOf(kResources));
    }
    return out;
  }

  // (operator, key, values) on attestation keys and on ordinary request keys.
  void AddCondition(Json& block) {
    struct Choice {
      const char* op;
      const char* key;
      std::vector<std::string> values;
    };
    static const std::vector<Choice> kChoices = {
        {"Null", kImage, {"true"}},
        {"Null", kImage, {"false"}},
        {"Null", "kms:RecipientAttestation:PCR0", {"true"}},
        {"Null", "kms:RecipientAttestation:PCR8", {"false"}},
        {"StringEqualsIgnoreCase", kImage, {ImageA()}},
        {"StringEqualsIgnoreCase", kImage, {ImageA(), ImageB()}},
        {"StringEquals", "kms:RecipientAttestation:PCR0", {ImageB()}},
        {"StringNotEqualsIgnoreCase", kImage, {ImageA()}},
        {"StringNotEquals", kImage, {ImageA(), ImageB()}},
        {"StringEqualsIgnoreCaseIfExists", kImage, {ImageA()}},
        {"StringLike", kImage, {"*"}},
        {"ForAllValues:StringEquals", kImage, {ImageA()}},
        {"ForAnyValue:StringEquals", kImage, {ImageA()}},
        {"StringEqualsIgnoreCase", "kms:RecipientAttestation:PCR1", {ImageB()}},
        {"Null", "kms:CallerAccount", {"false"}},
        {"Null", "aws:SecureTransport", {"true"}},
        {"Bool", "aws:SecureTransport", {"true"}},
        {"Bool", "aws:SecureTransport", {"false"}},
        {"StringEquals", "kms:CallerAccount", {"111122223333"}},
        {"StringNotEquals", "kms:CallerAccount", {"111122223333"}},
        {"StringNotEquals", "aws:PrincipalArn", {kRole}},
        {"StringEquals", "kms:ViaService", {"ec2.us-east-1.amazonaws.com"}},
        {"StringLike", "kms:EncryptionContext:app", {"x*"}},
        {"ArnLike", "aws:PrincipalArn", {"arn:aws:iam::111122223333:role/*"}},
        {"NumericLessThan", "kms:GrantCount", {"3"}},
    };
    const Choice& c = OneOf(kChoices);
    block[c.op][c.key] = c.values.size() == 1 ? Json(c.values.front()) : Json(c.values);
  }

  // Denies lean towards the shapes lint counts (for every principal, all actions, one
  // condition), so that whether they cover the key decides often.
  Json Statement(std::size_t index) {
    const bool deny = Chance(35);
    Json s = {{"Sid", "S" + std::to_string(index)},
              {"Effect", deny ? "Deny" : "Allow"},
              {"Principal", deny && Chance(60) ? Json("*") : Principal()}};
    s[Chance(10) ? "NotAction" : "Action"] = deny && Chance(40) ? Json::array({"*"}) : Actions();
    s[Chance(15) ? "NotResource" : "Resource"] = Resources();
    const std::size_t conditions = deny && Chance(70) ? 1 : Pick(0, 2);
    if (conditions > 0) {
      Json block = Json::object();
      for (std::size_t i = 0; i < conditions; ++i) {
        AddCondition(block);
      }
      s["Condition"] = std::move(block);
    }
    return s;
  }

  std::mt19937 rng_;
};

const std::vector<std::string>& Callers() {
  static const std::vector<std::string> kCallers = {
      "111122223333",
      "arn:aws:iam::111122223333:root",
      "arn:aws:sts::111122223333:assumed-role/enclave/i-0abc",
      kRole,
      "arn:aws:sts::111122223333:assumed-role/admin/alice",
      "arn:aws:iam::111122223333:user/alice",
      "arn:aws:sts::444455556666:assumed-role/outsider/x",
      "ec2.amazonaws.com",
  };
  return kCallers;
}

// Request contexts without a valid attestation: empty, and ordinary keys a caller controls or
// KMS adds (caller keys are added on top of each unless already set).
std::vector<ConditionContext> UnattestedContexts() {
  std::vector<ConditionContext> out(4);
  out[1].Set("aws:SecureTransport", {"true"});
  out[2].Set("aws:SecureTransport", {"false"});
  out[2].Set("kms:ViaService", {"ec2.us-east-1.amazonaws.com"});
  out[3].Set("kms:EncryptionContext:app", {"xyz"});
  out[3].Set("kms:CallerAccount", {"444455556666"});
  out[3].Set("kms:GrantCount", {"1"});
  out[3].Set("aws:PrincipalArn", {"arn:aws:iam::111122223333:role/anything"});
  return out;
}

// Recipient requests from an image other than `image`.
ConditionContext AttestedAs(const std::string& image) {
  ConditionContext context;
  context.Set(kImage, {image});
  context.Set("kms:RecipientAttestation:PCR0", {image});
  context.Set("kms:RecipientAttestation:PCR1", {ImageB()});
  context.Set("kms:RecipientAttestation:PCR8", {ImageA()});
  return context;
}

// Every caller with every context, caller keys added (once: the property test evaluates them
// many times).
std::vector<Request> Requests(const std::vector<ConditionContext>& contexts) {
  std::vector<Request> out;
  for (const std::string& caller : Callers()) {
    for (const ConditionContext& context : contexts) {
      Request request{caller, "", "", context};
      AddCallerKeys(request);
      out.push_back(std::move(request));
    }
  }
  return out;
}

// The first (caller, action, resource) the evaluator allows among `requests`, or "".
std::string FirstAllowed(const Policy& policy, std::span<const std::string_view> actions,
                         const std::vector<std::string>& resources,
                         std::vector<Request>& requests) {
  for (const std::string& resource : resources) {
    for (std::string_view action : actions) {
      for (Request& request : requests) {
        request.action = action;
        request.resource = resource;
        auto evaluation = Evaluate(policy, request);
        if (evaluation && evaluation->decision == Decision::kAllow) {
          return request.principal + " " + std::string(action) + " on " +
                 (resource.empty() ? "(unknown)" : resource);
        }
      }
    }
  }
  return "";
}

TEST(LintProperty, EnclaveOnlyMeansNoUnattestedDecrypt) {
  PolicyGenerator generator(20240612);
  std::vector<Request> unattested = Requests(UnattestedContexts());
  std::vector<Request> other_image = Requests({AttestedAs(ImageB()), AttestedAs(Pcr("image c"))});
  const std::vector<std::string> known = {kPropertyKey};
  const std::vector<std::string> any_key = {kPropertyKey,
                                            "arn:aws:kms:eu-west-1:111122223333:key/other", ""};
  constexpr int kPolicies = 500;
  int enclave_only_known = 0;
  int enclave_only_unknown = 0;
  int locked_known = 0;
  for (int n = 0; n < kPolicies; ++n) {
    const Json json = generator.Next();
    auto policy = ParsePolicy(core::DumpJson(json, -1));
    ASSERT_TRUE(policy) << policy.error().detail;
    const LintReport with_key = LintPolicy(*policy, {kPropertyKey, std::nullopt});
    if (with_key.enclave_only.holds) {
      ++enclave_only_known;
      EXPECT_EQ(FirstAllowed(*policy, EnclaveOnlyActions(), known, unattested), "");
    }
    if (with_key.locked.holds) {
      ++locked_known;
      EXPECT_EQ(FirstAllowed(*policy, LockBreakingActions(), known, unattested), "");
    }
    // Without the ARN, lint must hold for whatever key the policy is attached to.
    const LintReport without_key = LintPolicy(*policy);
    if (without_key.enclave_only.holds) {
      ++enclave_only_unknown;
      EXPECT_TRUE(with_key.enclave_only.holds);
      EXPECT_EQ(FirstAllowed(*policy, EnclaveOnlyActions(), any_key, unattested), "");
    }
    // With an expected image, no other image's Recipient request reaches a Recipient action.
    const LintReport for_image = LintPolicy(*policy, {kPropertyKey, ImageA()});
    if (for_image.enclave_only.holds) {
      EXPECT_TRUE(with_key.enclave_only.holds);
      EXPECT_EQ(FirstAllowed(*policy, RecipientActions(), known, other_image), "");
    }
    if (HasFailure()) {
      ADD_FAILURE() << "counter-example (policy " << n << "):\n" << core::DumpJson(json, 2);
      break;  // one is enough to read
    }
  }
  // The property is not vacuous: plenty of random policies lint as enclave-only.
  EXPECT_GT(enclave_only_known, kPolicies / 20) << enclave_only_known;
  EXPECT_GT(enclave_only_unknown, kPolicies / 40) << enclave_only_unknown;
  EXPECT_GT(locked_known, kPolicies / 20) << locked_known;
}

}  // namespace
}  // namespace enclavectl::kmspolicy

namespace enclavectl::kmspolicy {
namespace {

// Key material outside this key's policy: imported, external key stores, CloudHSM, replicas.
TEST(KeyMaterial, OnlySingleRegionAwsKmsKeysCanBeEnclaveOnly) {
  aws::KeyMetadata metadata;
  metadata.origin = "AWS_KMS";
  metadata.enabled = true;
  EXPECT_TRUE(KeyMaterialEscapes(metadata).empty());
  for (const char* origin : {"EXTERNAL", "EXTERNAL_KEY_STORE", "AWS_CLOUDHSM", "", "aws_kms"}) {
    metadata.origin = origin;
    EXPECT_EQ(KeyMaterialEscapes(metadata).size(), 1U) << origin;
  }
  metadata.origin = "AWS_KMS";
  metadata.multi_region = true;
  EXPECT_EQ(KeyMaterialEscapes(metadata).size(), 1U);
  metadata.origin = "EXTERNAL";
  EXPECT_EQ(KeyMaterialEscapes(metadata).size(), 2U);

  // Folded into a report: enclave-only fails with the escapes first; locked is untouched.
  LintReport report;
  report.enclave_only = {true, {"held"}};
  report.locked = {true, {}};
  AddKeyMaterialVerdict(report, metadata);
  EXPECT_FALSE(report.enclave_only.holds);
  ASSERT_EQ(report.enclave_only.reasons.size(), 3U);
  EXPECT_EQ(report.enclave_only.reasons.back(), "held");
  EXPECT_TRUE(report.locked.holds);
  metadata.origin = "AWS_KMS";
  metadata.multi_region = false;
  LintReport clean;
  clean.enclave_only = {true, {}};
  AddKeyMaterialVerdict(clean, metadata);
  EXPECT_TRUE(clean.enclave_only.holds);
}

}  // namespace
}  // namespace enclavectl::kmspolicy
