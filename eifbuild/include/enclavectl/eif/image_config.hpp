// The image config (parse layer: pure): /etc/enclavectl/image-config.json inside an EIF's
// root filesystem, written by `enclavectl eif build --config FILE`, so that PCR0 covers it.
// It names the image's place in an upgrade lineage (docs/migration.md):
//   {"previous_pcr0": "genesis" | "<96 lower-case hex: PCR0 of the image this one replaces>",
//    "maintainer_pubkey": "<64 lower-case hex: x-only BIP-340 key>"}   (optional)
// The enclave-app reads it at start and reports both in /v1/enclave-info; they are never a
// runtime flag of the parent. An image without the file is a lineage's first ("genesis").
#pragma once

#include <string>
#include <string_view>

#include "enclavectl/core/result.hpp"

namespace enclavectl::eif {

// Where the file is inside the enclave, and inside the application ramdisk's rootfs/.
inline constexpr std::string_view kImageConfigPath = "/etc/enclavectl/image-config.json";
inline constexpr std::string_view kImageConfigArchivePath = "etc/enclavectl/image-config.json";
inline constexpr std::size_t kMaxImageConfigBytes = 4096;

struct ImageConfig {
  std::string previous_pcr0 = "genesis";
  std::string maintainer_pubkey;  // empty: none
};

// Decodes the file's text (untrusted): one JSON object with "previous_pcr0" (required) and
// "maintainer_pubkey" (optional), no other member. Fails with kImageConfigInvalid (not JSON,
// another member, a value of another type, previous_pcr0 neither "genesis" nor 96 lower-case
// hex, maintainer_pubkey not 64 lower-case hex) or kInputTooLarge (over kMaxImageConfigBytes).
[[nodiscard]] core::Result<ImageConfig> DecodeImageConfig(std::string_view text);

// True for "genesis" or 96 lower-case hex digits.
bool IsPreviousPcr0(std::string_view text) noexcept;

}  // namespace enclavectl::eif
