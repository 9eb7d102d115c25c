#include "enclavectl/core/build_info.hpp"

#include <gtest/gtest.h>
#include <openssl/crypto.h>

namespace enclavectl::core {
namespace {

TEST(BuildInfo, NamesEveryPartOfTheBuild) {
  const BuildInfo info = CurrentBuildInfo();
  EXPECT_FALSE(info.version.empty());
  EXPECT_FALSE(info.commit.empty());  // "unknown" outside a git checkout
  EXPECT_FALSE(info.build_type.empty());
  EXPECT_EQ(info.openssl, OpenSSL_version(OPENSSL_VERSION));
  EXPECT_FALSE(info.secp256k1.empty());
  EXPECT_NE(info.secp256k1, "unknown");
}

TEST(BuildInfo, TextAndJsonCarryTheSameFacts) {
  const BuildInfo info{"1.2.3", "abc1234-dirty", "Debug", "OpenSSL 3.0.11 19 Sep 2023", "0.2.0"};
  const std::string text = VersionText("enclavectl", info, "641a03");
  EXPECT_EQ(text.rfind("enclavectl 1.2.3\n", 0), 0U) << text;
  for (const char* fact : {"commit:           abc1234-dirty\n", "build type:       Debug\n",
                           "OpenSSL:          OpenSSL 3.0.11 19 Sep 2023\n",
                           "libsecp256k1:     0.2.0", "AWS root SHA-256: 641a03"}) {
    EXPECT_NE(text.find(fact), std::string::npos) << fact << " in\n" << text;
  }
  const nlohmann::json json = VersionJson("enclave-app", info, "641a03");
  EXPECT_EQ(json["media_type"], "application/vnd.enclavectl.version+json;version=1");
  EXPECT_EQ(json["verdict"], "accepted");
  EXPECT_EQ(json["program"], "enclave-app");
  EXPECT_EQ(json["version"], "1.2.3");
  EXPECT_EQ(json["commit"], "abc1234-dirty");
  EXPECT_EQ(json["build_type"], "Debug");
  EXPECT_EQ(json["openssl"], "OpenSSL 3.0.11 19 Sep 2023");
  EXPECT_EQ(json["secp256k1"], "0.2.0");
  EXPECT_EQ(json["aws_root_sha256"], "641a03");
}

}  // namespace
}  // namespace enclavectl::core
