// Upgrade lineage walks (verifier/lineage.hpp, issue 14 item 3).
#include "enclavectl/verifier/lineage.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace enclavectl::verifier {
namespace {

using core::ErrorCode;

const std::string kGenesisPcr0(96, 'a');
const std::string kV1Pcr0(96, 'b');
const std::string kV2Pcr0(96, 'c');

std::vector<LineageStep> Chain() {
  return {{"genesis", kGenesisPcr0, "genesis"},
          {"v1", kV1Pcr0, kGenesisPcr0},
          {"v2", kV2Pcr0, kV1Pcr0}};
}

void ExpectError(const core::Status& status, ErrorCode code, int index) {
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, code) << status.error().detail;
  EXPECT_EQ(status.error().index, index) << status.error().detail;
}

TEST(Lineage, GenesisV1V2Holds) {
  EXPECT_TRUE(VerifyLineage(Chain()));
  // Hex compares case-insensitively.
  std::vector<LineageStep> upper = Chain();
  upper[1].previous_pcr0 = std::string(96, 'A');
  EXPECT_TRUE(VerifyLineage(upper));
  // A lineage of one: the first image.
  EXPECT_TRUE(VerifyLineage(std::vector<LineageStep>{Chain()[0]}));
}

TEST(Lineage, EveryBrokenLinkIsFoundAtItsStep) {
  std::vector<LineageStep> chain = Chain();
  chain[2].previous_pcr0 = kGenesisPcr0;  // v2 skips v1
  ExpectError(VerifyLineage(chain), ErrorCode::kLineageBroken, 2);
  chain = Chain();
  chain[0].previous_pcr0 = kV2Pcr0;  // the first step is not genesis
  ExpectError(VerifyLineage(chain), ErrorCode::kLineageBroken, 0);
  chain = Chain();
  chain[1].previous_pcr0 = "genesis";  // a second genesis
  ExpectError(VerifyLineage(chain), ErrorCode::kLineageBroken, 1);
  chain = Chain();
  std::swap(chain[1], chain[2]);  // out of order
  ExpectError(VerifyLineage(chain), ErrorCode::kLineageBroken, 1);
  // A loop: v2 names v1, then v1 again names v2's PCR0... a repeated PCR0.
  chain = Chain();
  chain.push_back({"v1-again", kV1Pcr0, kV2Pcr0});
  ExpectError(VerifyLineage(chain), ErrorCode::kLineageBroken, 3);
}

TEST(Lineage, MalformedStepsAreInvalid) {
  ExpectError(VerifyLineage(std::vector<LineageStep>{}), ErrorCode::kLineageInvalid, -1);
  std::vector<LineageStep> chain = Chain();
  chain[1].pcr0_hex = "abc";
  ExpectError(VerifyLineage(chain), ErrorCode::kLineageInvalid, 1);
  chain = Chain();
  chain[2].previous_pcr0 = std::string(95, 'b') + "g";
  ExpectError(VerifyLineage(chain), ErrorCode::kLineageInvalid, 2);
  chain = Chain();
  chain[0].previous_pcr0 = "GENESIS-ish";
  ExpectError(VerifyLineage(chain), ErrorCode::kLineageInvalid, 0);
}

TEST(Lineage, PreviousPcr0Claim) {
  EXPECT_TRUE(CheckPreviousPcr0("genesis", "genesis"));
  EXPECT_TRUE(CheckPreviousPcr0(kV1Pcr0, std::string(96, 'B')));
  for (const std::string& claimed : {std::string(), std::string("genesis"), kV2Pcr0}) {
    auto checked = CheckPreviousPcr0(claimed, kV1Pcr0);
    ASSERT_FALSE(checked) << claimed;
    EXPECT_EQ(checked.error().code, ErrorCode::kPreviousPcr0Mismatch);
  }
}

}  // namespace
}  // namespace enclavectl::verifier
