// What a binary is: its version, the commit and build type it was built from, and the
// versions of the cryptographic libraries it runs with (`--version` of enclavectl and
// enclave-app).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace enclavectl::core {

struct BuildInfo {
  std::string version;     // the project version, "0.1.0"
  std::string commit;      // `git describe --always --dirty` at configure time, or "unknown"
  std::string build_type;  // CMAKE_BUILD_TYPE, "Debug"
  std::string openssl;     // OpenSSL_version(OPENSSL_VERSION), at run time
  std::string secp256k1;   // pkg-config's version of libsecp256k1 at configure time
};

// This build's information.
BuildInfo CurrentBuildInfo();

// `PROGRAM --version`: the version line, then one labelled line each for the commit, the
// build type, OpenSSL, libsecp256k1 and the SHA-256 of the pinned AWS root (`aws_root_sha256`,
// hex, computed by the caller from the root the verifier uses).
std::string VersionText(std::string_view program, const BuildInfo& info,
                        std::string_view aws_root_sha256);

// The same as one JSON object with media_type and verdict "accepted".
nlohmann::json VersionJson(std::string_view program, const BuildInfo& info,
                           std::string_view aws_root_sha256);

// `PROGRAM --version` of this build: VersionJson dumped (with a final newline) when `json`,
// else VersionText.
std::string VersionAnswer(std::string_view program, std::string_view aws_root_sha256, bool json);

}  // namespace enclavectl::core
