// The maintainer authorization (verifier/maintainer.hpp, issue 14 item 4): the spec's message
// vector and BIP-340's official vector 0 as a maintainer signature.
#include "enclavectl/verifier/maintainer.hpp"

#include <gtest/gtest.h>

#include <string>

#include "enclavectl/core/encoding.hpp"

namespace enclavectl::verifier {
namespace {

using core::ErrorCode;

TEST(Maintainer, SpecMessageVector) {
  // migration.md 9: PCR0 = 96 x '0', activation 1700000000.
  EXPECT_EQ(core::HexEncode(MaintainerMessage(std::string(96, '0'), 1700000000)),
            "b13ca9c854498a6cefb6c7806ead1ad61a96548ad265654df77003ca75df9517");
  // Upper-case hex is signed lower-cased; the decimal has no padding; negative as Go's %d.
  EXPECT_EQ(MaintainerMessage(std::string(96, 'A'), 5), MaintainerMessage(std::string(96, 'a'), 5));
  EXPECT_NE(MaintainerMessage(std::string(96, 'a'), 5),
            MaintainerMessage(std::string(96, 'a'), 50));
}

TEST(Maintainer, Bip340VectorsAndRefusals) {
  // BIP-340 test vector 0 (secret key 3): the signature of the all-zero message does not
  // authorize a maintainer message, and a maintainer signature made by `migration sign` is
  // checked in tests/cli/verify_cli_test.cpp.
  const std::string key = "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9";
  const std::string sig =
      "e907831f80848d1069a5371b402410364bdf1c5f8307b0084c55f1ce2dca821525f66a4a85ea8b71e482a74f"
      "382d2ce5ebeee8fdb2172f477df4900d310536c0";
  const std::string pcr0(96, '0');
  auto refused = VerifyMaintainerAuthorization(key, pcr0, 1700000000, sig);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kMaintainerSignatureInvalid);
  for (const auto& [k, s] : {std::pair<std::string, std::string>{"zz", sig},
                             {key, "00"},
                             {key.substr(2), sig},
                             {key, sig + "00"}}) {
    auto bad = VerifyMaintainerAuthorization(k, pcr0, 1700000000, s);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::kMaintainerSignatureInvalid);
  }
}

}  // namespace
}  // namespace enclavectl::verifier
