// The pieces of `eif measure` and `eif describe` that moved out of the CLI, called directly:
// the expected-PCR flags and the text reports.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "enclavectl/eif/measure.hpp"
#include "enclavectl/eif/report_text.hpp"

namespace enclavectl::eif {
namespace {

const std::string kPcr0(96, 'a');
const std::string kPcr8(96, 'b');

TEST(RequiredPcrs, FlagsAndRepeatedAssignmentsMakeOneSet) {
  auto set = ParseRequiredPcrs({kPcr0, "", "", "", {"8=" + kPcr8, "0=" + kPcr0}});
  ASSERT_TRUE(set) << set.error().detail;
  ASSERT_EQ(set->size(), 2U);
  EXPECT_EQ(set->at(0), core::Bytes(48, 0xaa));
  EXPECT_EQ(set->at(8), core::Bytes(48, 0xbb));
  EXPECT_TRUE(ParseRequiredPcrs({})->empty());
}

TEST(RequiredPcrs, EachMalformedValueIsAUsageError) {
  for (const RequiredPcrFlags& flags :
       {RequiredPcrFlags{"abc", "", "", "", {}}, RequiredPcrFlags{"", "", "", "", {"3=" + kPcr0}},
        RequiredPcrFlags{"", "", "", "", {kPcr0}}, RequiredPcrFlags{"", "", "", "", {"1=zz"}},
        RequiredPcrFlags{kPcr0, "", "", "", {"0=" + kPcr8}}}) {
    auto set = ParseRequiredPcrs(flags);
    ASSERT_FALSE(set);
    EXPECT_EQ(set.error().code, core::ErrorCode::kInvalidArgument) << set.error().detail;
  }
}

std::string Repeat(const std::string& unit, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) {
    out += unit;
  }
  return out;
}

TEST(ReportText, PcrsAreOneLineEachAndPcr8OnlyWhenSigned) {
  Measurements pcrs;
  pcrs.pcr0.fill(0x01);
  pcrs.pcr1.fill(0x02);
  pcrs.pcr2.fill(0x03);
  std::ostringstream out;
  PrintPcrs(out, pcrs);
  EXPECT_EQ(out.str(), "  PCR0  " + Repeat("01", 48) + "\n  PCR1  " + Repeat("02", 48) +
                           "\n  PCR2  " + Repeat("03", 48) + "\n");
  pcrs.pcr8.emplace();
  pcrs.pcr8->fill(0x08);
  std::ostringstream signed_out;
  PrintPcrs(signed_out, pcrs);
  EXPECT_NE(signed_out.str().find("  PCR8  " + Repeat("08", 48) + "\n"), std::string::npos);
}

}  // namespace
}  // namespace enclavectl::eif
