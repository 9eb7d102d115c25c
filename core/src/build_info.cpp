#include "enclavectl/core/build_info.hpp"

#include <openssl/crypto.h>

// Set by core/CMakeLists.txt at configure time.
#ifndef ENCLAVECTL_VERSION
#define ENCLAVECTL_VERSION "0.0.0"
#endif
#ifndef ENCLAVECTL_GIT_COMMIT
#define ENCLAVECTL_GIT_COMMIT "unknown"
#endif
#ifndef ENCLAVECTL_BUILD_TYPE
#define ENCLAVECTL_BUILD_TYPE "unknown"
#endif
#ifndef ENCLAVECTL_SECP256K1_VERSION
#define ENCLAVECTL_SECP256K1_VERSION "unknown"
#endif

namespace enclavectl::core {

BuildInfo CurrentBuildInfo() {
  return BuildInfo{ENCLAVECTL_VERSION, ENCLAVECTL_GIT_COMMIT, ENCLAVECTL_BUILD_TYPE,
                   OpenSSL_version(OPENSSL_VERSION), ENCLAVECTL_SECP256K1_VERSION};
}

std::string VersionText(std::string_view program, const BuildInfo& info,
                        std::string_view aws_root_sha256) {
  const auto row = [](std::string_view label, std::string_view value) {
    std::string line(label);
    line.resize(18, ' ');
    return line + std::string(value) + "\n";
  };
  return std::string(program) + " " + info.version + "\n" + row("commit:", info.commit) +
         row("build type:", info.build_type) + row("OpenSSL:", info.openssl) +
         row("libsecp256k1:", info.secp256k1 + " (pkg-config, at build time)") +
         row("AWS root SHA-256:", std::string(aws_root_sha256) + " (pinned root G1)");
}

nlohmann::json VersionJson(std::string_view program, const BuildInfo& info,
                           std::string_view aws_root_sha256) {
  return {{"media_type", "application/vnd.enclavectl.version+json;version=1"},
          {"verdict", "accepted"},
          {"program", program},
          {"version", info.version},
          {"commit", info.commit},
          {"build_type", info.build_type},
          {"openssl", info.openssl},
          {"secp256k1", info.secp256k1},
          {"aws_root_sha256", aws_root_sha256}};
}

std::string VersionAnswer(std::string_view program, std::string_view aws_root_sha256, bool json) {
  const BuildInfo info = CurrentBuildInfo();
  return json ? VersionJson(program, info, aws_root_sha256).dump(2) + "\n"
              : VersionText(program, info, aws_root_sha256);
}

}  // namespace enclavectl::core
