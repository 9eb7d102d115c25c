// The metadata section of EIF v4 (eif.md section 7, reader rules section 10.4): compact
// UTF-8 JSON that is not measured, only covered by the CRC.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::eif {

struct BuildMetadata {
  std::string build_time;  // verbatim text, e.g. "2024-06-21T12:34:56.789012345+00:00"
  std::string build_tool;
  std::string build_tool_version;
  std::string operating_system;
  std::string kernel_version;
  friend bool operator==(const BuildMetadata&, const BuildMetadata&) = default;
};

struct Metadata {
  std::string image_name;
  std::string image_version;
  BuildMetadata build;
  nlohmann::json docker_info;      // any JSON value, null when absent
  nlohmann::json custom_metadata;  // any JSON value, null when absent
  friend bool operator==(const Metadata&, const Metadata&) = default;
};

// Succeeds when `text` nests JSON arrays/objects at most `max_depth` deep (strings are
// skipped correctly). Does not validate the JSON otherwise. Fails with `code`.
[[nodiscard]] core::Status CheckJsonDepth(std::string_view text, std::size_t max_depth,
                                          core::ErrorCode code);

// Parses JSON text from an untrusted source with the depth and size limits of this part:
// kMaxEifJsonDepth, `max_bytes`. Fails with `code`.
[[nodiscard]] core::Result<nlohmann::json> ParseBoundedJson(std::string_view text,
                                                            std::size_t max_bytes,
                                                            core::ErrorCode code);

// Decodes a metadata section (untrusted) as nitro-cli's reader does: the five top-level
// keys ImageName, ImageVersion (strings), BuildMetadata (an object of five strings),
// DockerInfo and CustomMetadata (any JSON, null allowed) are required, other keys are
// ignored. The JSON literal `null` is accepted and yields nullopt (no metadata).
// Fails with kEifSectionTooLarge (above kMaxEifMetadataBytes) or kEifMetadata.
[[nodiscard]] core::Result<std::optional<Metadata>> DecodeMetadata(core::ByteView bytes);

// The section bytes exactly as eif_build / nitro-cli write them (serde_json compact output:
// fixed top-level member order, keys of DockerInfo/CustomMetadata and everything nested
// sorted by byte order, only `"`, `\` and U+0000..U+001F escaped, non-ASCII raw).
// Precondition: the JSON values nest at most kMaxEifJsonDepth deep (DecodeMetadata and
// ParseBoundedJson guarantee it). Known difference from serde_json: floats with an
// exponent print as 1e+20 (serde: 1e20); integral floats print as 1.0 in both.
core::Bytes EncodeMetadata(const Metadata& metadata);

}  // namespace enclavectl::eif
