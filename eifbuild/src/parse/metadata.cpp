#include "enclavectl/eif/metadata.hpp"

#include <array>
#include <string>
#include <utility>

#include "enclavectl/core/json.hpp"

namespace enclavectl::eif {
namespace {

using core::ErrorCode;
using core::Fail;

// serde_json output of a value: compact, keys sorted (nlohmann::json's object is a std::map,
// whose std::string ordering is byte order), no ASCII escaping of non-ASCII characters.
std::string Compact(const nlohmann::json& value) {
  return value.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

core::Result<std::string> RequiredString(const nlohmann::json& object, const char* key,
                                         const char* where) {
  auto it = object.find(key);
  if (it == object.end()) {
    return Fail(ErrorCode::kEifMetadata, std::string(where) + ": missing field " + key);
  }
  if (!it->is_string()) {
    return Fail(ErrorCode::kEifMetadata, std::string(where) + ": " + key + " is not a string");
  }
  return it->get<std::string>();
}

}  // namespace

core::Status CheckJsonDepth(std::string_view text, std::size_t max_depth, ErrorCode code) {
  if (core::JsonNestingDepth(text) > max_depth) {
    return Fail(code, "JSON nests deeper than " + std::to_string(max_depth) + " levels");
  }
  return core::Ok();
}

core::Result<nlohmann::json> ParseBoundedJson(std::string_view text, std::size_t max_bytes,
                                              ErrorCode code) {
  if (text.size() > max_bytes) {
    return Fail(code, "JSON text of " + std::to_string(text.size()) +
                          " bytes exceeds the limit of " + std::to_string(max_bytes));
  }
  // The one strict reader (core/json.hpp), with the EIF metadata's deeper nesting limit.
  return core::ParseStrictJson(text, max_bytes, code, "JSON text", core::limits::kMaxEifJsonDepth);
}

core::Result<std::optional<Metadata>> DecodeMetadata(core::ByteView bytes) {
  if (bytes.size() > core::limits::kMaxEifMetadataBytes) {
    return Fail(ErrorCode::kEifSectionTooLarge,
                "metadata section of " + std::to_string(bytes.size()) +
                    " bytes exceeds the limit of " +
                    std::to_string(core::limits::kMaxEifMetadataBytes));
  }
  auto parsed = ParseBoundedJson(core::AsChars(bytes), core::limits::kMaxEifMetadataBytes,
                                 ErrorCode::kEifMetadata);
  if (!parsed) {
    return Fail(ErrorCode::kEifMetadata, "metadata: " + parsed.error().detail);
  }
  // eif.md 10.4: a section holding just `null` is accepted and shows no metadata.
  if (parsed->is_null()) {
    return std::optional<Metadata>();
  }
  if (!parsed->is_object()) {
    return Fail(ErrorCode::kEifMetadata, "metadata is not a JSON object");
  }
  Metadata out;
  auto name = RequiredString(*parsed, "ImageName", "metadata");
  auto version = name ? RequiredString(*parsed, "ImageVersion", "metadata") : name;
  if (!version) {
    return Fail(version.error());
  }
  out.image_name = std::move(*name);
  out.image_version = std::move(*version);
  auto build = parsed->find("BuildMetadata");
  if (build == parsed->end() || !build->is_object()) {
    return Fail(ErrorCode::kEifMetadata, "metadata: BuildMetadata is missing or not an object");
  }
  const std::array<std::pair<const char*, std::string*>, 5> fields = {{
      {"BuildTime", &out.build.build_time},
      {"BuildTool", &out.build.build_tool},
      {"BuildToolVersion", &out.build.build_tool_version},
      {"OperatingSystem", &out.build.operating_system},
      {"KernelVersion", &out.build.kernel_version},
  }};
  for (const auto& [key, target] : fields) {
    auto value = RequiredString(*build, key, "metadata BuildMetadata");
    if (!value) {
      return Fail(value.error());
    }
    *target = std::move(*value);
  }
  // Both are required (nitro-cli fails with "missing field `CustomMetadata`") but may be null.
  for (const char* key : {"DockerInfo", "CustomMetadata"}) {
    if (!parsed->contains(key)) {
      return Fail(ErrorCode::kEifMetadata, std::string("metadata: missing field ") + key);
    }
  }
  out.docker_info = (*parsed)["DockerInfo"];
  out.custom_metadata = (*parsed)["CustomMetadata"];
  return std::optional<Metadata>(std::move(out));
}

core::Bytes EncodeMetadata(const Metadata& metadata) {
  // eif.md section 7: member order fixed by the Rust struct, compact.
  std::string text = "{\"ImageName\":" + Compact(metadata.image_name) +
                     ",\"ImageVersion\":" + Compact(metadata.image_version) +
                     ",\"BuildMetadata\":{\"BuildTime\":" + Compact(metadata.build.build_time) +
                     ",\"BuildTool\":" + Compact(metadata.build.build_tool) +
                     ",\"BuildToolVersion\":" + Compact(metadata.build.build_tool_version) +
                     ",\"OperatingSystem\":" + Compact(metadata.build.operating_system) +
                     ",\"KernelVersion\":" + Compact(metadata.build.kernel_version) +
                     "},\"DockerInfo\":" + Compact(metadata.docker_info) +
                     ",\"CustomMetadata\":" + Compact(metadata.custom_metadata) + "}";
  return core::Bytes(text.begin(), text.end());
}

}  // namespace enclavectl::eif
