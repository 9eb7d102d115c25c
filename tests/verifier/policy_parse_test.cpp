#include <gtest/gtest.h>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/verifier/policy.hpp"

namespace enclavectl::verifier {
namespace {

const std::string kPcr0 = std::string(96, 'a');
const std::string kPcr1 = std::string(96, 'b');

TEST(PcrSets, NitroCliPcrJson) {
  auto sets = ParsePcrSets(R"({"HashAlgorithm": "Sha384 { ... }", "PCR0": ")" + kPcr0 +
                           R"(", "PCR1": ")" + kPcr1 + R"("})");
  ASSERT_TRUE(sets) << sets.error().detail;
  ASSERT_EQ(sets->size(), 1U);
  EXPECT_EQ(core::HexEncode((*sets)[0].at(0)), kPcr0);
  EXPECT_EQ(core::HexEncode((*sets)[0].at(1)), kPcr1);
}

TEST(PcrSets, DescribeEifOutputAndSeveralSets) {
  const std::string describe = R"({"EifVersion": 4, "IsSigned": false, "Measurements": {
      "HashAlgorithm": "Sha384 { ... }", "PCR0": ")" +
                               kPcr0 + R"(", "PCR8": ")" + kPcr1 + R"("}})";
  auto one = ParsePcrSets(describe);
  ASSERT_TRUE(one) << one.error().detail;
  EXPECT_EQ((*one)[0].size(), 2U);
  EXPECT_TRUE((*one)[0].count(8));
  auto two = ParsePcrSets("[" + describe + R"(, {"PCR0": ")" + std::string(96, 'c') + R"("}])");
  ASSERT_TRUE(two);
  EXPECT_EQ(two->size(), 2U);
}

TEST(PcrSets, RejectsMalformedFiles) {
  const std::vector<std::string> cases = {std::string("not json"),
                                          std::string("[]"),
                                          std::string("{}"),
                                          std::string("42"),
                                          R"({"PCR0": 5})",
                                          R"({"PCR0": "abcd"})",
                                          R"({"PCR32": ")" + kPcr0 + R"("})",
                                          R"({"PCR00": ")" + kPcr0 + R"("})",
                                          R"({"PCRX": ")" + kPcr0 + R"("})",
                                          R"({"pcr0": ")" + kPcr0 + R"("})",
                                          R"({"Measurements": []})",
                                          R"([{"PCR0": ")" + kPcr0 + R"("}, 1])",
                                          R"({"PCR0": ")" + std::string(95, 'a') + R"("})"};
  for (const std::string& bad : cases) {
    auto sets = ParsePcrSets(bad);
    ASSERT_FALSE(sets) << bad;
    EXPECT_EQ(sets.error().code, core::ErrorCode::kPolicyInvalid) << bad;
  }
  EXPECT_EQ(ParsePcrSets(std::string((1 << 20) + 1, ' ')).error().code,
            core::ErrorCode::kPolicyInvalid);
}

// Values as people paste them: 0x, upper case, wrapped lines.
TEST(PcrAssignment, AcceptsPastedHex) {
  const std::string upper(96, 'A');
  for (const std::string& text : {"0=0x" + kPcr0, "0=0X" + upper, "0=" + upper,
                                  "0=" + kPcr0.substr(0, 60) + "\n" + kPcr0.substr(60) + "\n"}) {
    auto a = ParsePcrAssignment(text);
    ASSERT_TRUE(a) << text << ": " << a.error().detail;
    EXPECT_EQ(core::HexEncode(a->second), kPcr0);
  }
  auto sets = ParsePcrSets(R"({"PCR0": "0x)" + upper + R"("})");
  ASSERT_TRUE(sets) << sets.error().detail;
  EXPECT_EQ(core::HexEncode((*sets)[0].at(0)), kPcr0);
}

TEST(PcrAssignment, ParsesAndRejects) {
  auto a = ParsePcrAssignment("0=" + kPcr0);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->first, 0U);
  EXPECT_EQ(a->second.size(), 48U);
  EXPECT_EQ(ParsePcrAssignment("PCR16=" + std::string(64, '0'))->first, 16U);
  const std::vector<std::string> bad_assignments = {
      std::string("0"),    "=" + kPcr0,           "32=" + kPcr0, "x=" + kPcr0,
      std::string("0=zz"), std::string("0=abcd"), "-1=" + kPcr0};
  for (const std::string& bad : bad_assignments) {
    auto parsed = ParsePcrAssignment(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().code, core::ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(Policy, ConflictingOptionsAreRejected) {
  VerificationPolicy policy;
  EXPECT_TRUE(ValidatePolicy(policy));
  policy.time_source = TimeSource::kDocument;
  policy.max_age_ms = 1000;
  EXPECT_EQ(ValidatePolicy(policy).error().code, core::ErrorCode::kInvalidArgument);
  policy = VerificationPolicy{};
  policy.required_pcrs[40] = core::Bytes(48);
  EXPECT_FALSE(ValidatePolicy(policy));
  policy = VerificationPolicy{};
  policy.allowed_pcr_sets.emplace_back();
  EXPECT_FALSE(ValidatePolicy(policy));
  policy = VerificationPolicy{};
  policy.key_binding_public_key = core::Bytes(65, 4);
  EXPECT_FALSE(ValidatePolicy(policy));
}

}  // namespace
}  // namespace enclavectl::verifier
