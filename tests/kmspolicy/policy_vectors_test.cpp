// The key-policy vectors in tests/vectors/kmspolicy (written by generate.py there): every lint
// vector's verdicts and exact error/warning findings, every malformed policy's error code and
// index, and every simulate case's decision and deciding statement. Adding a case needs no C++.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <utility>

#include "enclavectl/core/error_codes.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/kmspolicy/evaluate.hpp"
#include "enclavectl/kmspolicy/lint.hpp"
#include "enclavectl/kmspolicy/policy.hpp"
#include "test_paths.hpp"

namespace enclavectl::kmspolicy {
namespace {

namespace fs = std::filesystem;

fs::path VectorDir(const char* sub) { return testing::TestsDir() / "vectors" / "kmspolicy" / sub; }

std::vector<fs::path> Vectors(const char* sub) {
  return testing::FilesWithSuffix(VectorDir(sub), ".json");
}

std::string PolicyText(const nlohmann::json& vector) {
  return vector.contains("policy_text") ? vector["policy_text"].get<std::string>()
                                        : core::DumpJson(vector["policy"], 2);
}

using RuleAt = std::pair<std::string, std::optional<std::size_t>>;

std::multiset<RuleAt> Expected(const nlohmann::json& list) {
  std::multiset<RuleAt> out;
  for (const auto& item : list) {
    out.emplace(
        item[0].get<std::string>(),
        item[1].is_null() ? std::nullopt : std::optional<std::size_t>(item[1].get<std::size_t>()));
  }
  return out;
}

std::string Show(const std::multiset<RuleAt>& set) {
  std::string out;
  for (const auto& [rule, statement] : set) {
    out += " " + rule + "@" + (statement ? std::to_string(*statement) : "-");
  }
  return out;
}

class LintVector : public ::testing::TestWithParam<fs::path> {};

TEST_P(LintVector, VerdictsAndFindings) {
  const nlohmann::json vector = testing::ReadJson(GetParam());
  const nlohmann::json& expect = vector["expect"];
  auto policy = ParsePolicy(PolicyText(vector));
  if (expect.contains("error")) {
    ASSERT_FALSE(policy) << vector["description"];
    EXPECT_EQ(core::ErrorCodeName(policy.error().code), expect["error"].get<std::string>())
        << policy.error().detail;
    EXPECT_EQ(policy.error().index, expect["index"].get<int>()) << policy.error().detail;
    return;
  }
  ASSERT_TRUE(policy) << policy.error().detail;
  LintTarget target;
  if (vector.contains("target")) {
    target.key_arn = vector["target"].value("key_arn", "");
    if (vector["target"].contains("pcr0")) {
      target.pcr0_hex = vector["target"]["pcr0"].get<std::string>();
    }
  }
  const LintReport report = LintPolicy(*policy, target);
  EXPECT_EQ(report.enclave_only.holds, expect["enclave_only"].get<bool>())
      << report.enclave_only.reasons.front();
  EXPECT_EQ(report.locked.holds, expect["locked"].get<bool>()) << report.locked.reasons.front();
  std::multiset<RuleAt> found;
  std::multiset<RuleAt> info;
  for (const Finding& f : report.findings) {
    EXPECT_FALSE(f.message.empty());
    (f.severity == Severity::kInfo ? info : found).emplace(f.rule, f.statement);
  }
  EXPECT_EQ(found, Expected(expect["findings"])) << "found:" << Show(found);
  for (const RuleAt& wanted : Expected(expect["info"])) {
    EXPECT_EQ(info.count(wanted), 1U) << wanted.first << " missing; info:" << Show(info);
  }
  // Every verdict explains itself.
  EXPECT_FALSE(report.enclave_only.reasons.empty());
  EXPECT_FALSE(report.locked.reasons.empty());
}

// Encoding a decoded policy and decoding it again gives the same policy.
TEST_P(LintVector, EncodeDecodeRoundTrip) {
  const nlohmann::json vector = testing::ReadJson(GetParam());
  auto policy = DecodePolicy(PolicyText(vector));
  if (!policy) {
    return;  // a vector the decoder refuses (checked by VerdictsAndFindings)
  }
  auto again = DecodePolicy(EncodePolicy(*policy));
  ASSERT_TRUE(again) << again.error().detail;
  EXPECT_EQ(*again, *policy);
}

std::string CaseName(const ::testing::TestParamInfo<fs::path>& info) {
  return testing::TestName(info.param.stem().string());
}

INSTANTIATE_TEST_SUITE_P(Policies, LintVector, ::testing::ValuesIn(Vectors("lint")), CaseName);

class SimulateVector : public ::testing::TestWithParam<fs::path> {};

TEST_P(SimulateVector, Decisions) {
  const nlohmann::json vector = testing::ReadJson(GetParam());
  auto policy = ParsePolicy(PolicyText(vector));
  ASSERT_TRUE(policy) << policy.error().detail;
  for (const auto& c : vector["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    Request request;
    request.principal = c["principal"];
    request.action = c["action"];
    request.resource = c.value("resource", "");
    for (const auto& [key, value] : c["context"].items()) {
      if (value.is_array()) {
        request.context.Set(key, value.get<std::vector<std::string>>());
      } else {
        request.context.Set(key, {value.get<std::string>()});
      }
    }
    AddCallerKeys(request);
    auto evaluation = Evaluate(*policy, request);
    if (c.contains("error")) {
      ASSERT_FALSE(evaluation);
      EXPECT_EQ(core::ErrorCodeName(evaluation.error().code), c["error"].get<std::string>());
      EXPECT_EQ(evaluation.error().index, c["index"].get<int>());
      continue;
    }
    ASSERT_TRUE(evaluation) << evaluation.error().detail;
    EXPECT_EQ(DecisionName(evaluation->decision), c["expect"].get<std::string>());
    if (c["statement"].is_null()) {
      EXPECT_FALSE(evaluation->deciding_statement);
    } else {
      ASSERT_TRUE(evaluation->deciding_statement);
      EXPECT_EQ(*evaluation->deciding_statement, c["statement"].get<std::size_t>());
    }
    ASSERT_EQ(evaluation->trace.size(), policy->statements.size());
    for (const StatementTrace& trace : evaluation->trace) {
      EXPECT_FALSE(trace.reason.empty());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Policies, SimulateVector, ::testing::ValuesIn(Vectors("simulate")),
                         CaseName);

}  // namespace
}  // namespace enclavectl::kmspolicy
