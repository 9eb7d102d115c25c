#include "enclavectl/verifier/policy.hpp"

#include <charconv>
#include <string>

#include <nlohmann/json.hpp>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/limits.hpp"

namespace enclavectl::verifier {
namespace {

using core::ErrorCode;
using core::Fail;

constexpr std::size_t kMaxPcrSets = 1024;

bool ValidPcrLength(std::size_t len) noexcept { return len == 32 || len == 48 || len == 64; }

// "PCR12" -> 12.
std::optional<std::uint64_t> PcrKeyIndex(std::string_view key) {
  if (key.size() < 4 || key.size() > 5 || key.substr(0, 3) != "PCR") {
    return std::nullopt;
  }
  std::uint64_t index = 0;
  const char* begin = key.data() + 3;
  const char* end = key.data() + key.size();
  const auto [ptr, ec] = std::from_chars(begin, end, index);
  if (ec != std::errc() || ptr != end || index > core::limits::kMaxPcrIndex ||
      (key.size() == 5 && key[3] == '0')) {
    return std::nullopt;
  }
  return index;
}

core::Result<PcrSet> ParseOneSet(const nlohmann::json& value, std::size_t set_index) {
  const std::string where = "measurement set " + std::to_string(set_index);
  if (!value.is_object()) {
    return Fail(ErrorCode::kPolicyInvalid, where + " is not a JSON object",
                static_cast<int>(set_index));
  }
  auto view = core::JsonObjectView::Of(value, ErrorCode::kPolicyInvalid, where);
  if (!view) {
    return Fail(ErrorCode::kPolicyInvalid, view.error().detail, static_cast<int>(set_index));
  }
  const nlohmann::json* measurements = &value;
  if (view->Has("Measurements")) {
    auto nested = view->Object("Measurements");
    if (!nested) {
      return Fail(ErrorCode::kPolicyInvalid, where + ": Measurements is not an object",
                  static_cast<int>(set_index));
    }
    measurements = &nested->Value();
  }
  PcrSet out;
  for (const auto& [key, hex] : measurements->items()) {
    if (key == "HashAlgorithm") {
      continue;
    }
    const std::optional<std::uint64_t> index = PcrKeyIndex(key);
    if (!index) {
      return Fail(ErrorCode::kPolicyInvalid,
                  where + ": unexpected key (expected PCR0..PCR31 or HashAlgorithm)",
                  static_cast<int>(set_index));
    }
    auto text = core::JsonString(hex, ErrorCode::kPolicyInvalid, where + ": " + key);
    if (!text) {
      return Fail(ErrorCode::kPolicyInvalid, where + ": " + key + " is not a string",
                  static_cast<int>(set_index));
    }
    auto bytes = core::HexDecodeLenient(*text);  // a file people write and paste into
    if (!bytes || !ValidPcrLength(bytes->size())) {
      return Fail(ErrorCode::kPolicyInvalid,
                  where + ": " + key + " is not 64, 96 or 128 hex digits",
                  static_cast<int>(set_index));
    }
    out.emplace(*index, std::move(*bytes));
  }
  if (out.empty()) {
    return Fail(ErrorCode::kPolicyInvalid, where + " lists no PCR", static_cast<int>(set_index));
  }
  return out;
}

}  // namespace

core::Status ValidatePolicy(const VerificationPolicy& policy) {
  if (policy.time_source == TimeSource::kDocument && policy.max_age_ms) {
    return Fail(ErrorCode::kInvalidArgument,
                "a maximum age needs a verification time other than the document's own");
  }
  if (policy.max_age_ms && *policy.max_age_ms < 0) {
    return Fail(ErrorCode::kInvalidArgument, "the maximum age is negative");
  }
  auto check_set = [](const PcrSet& set) -> core::Status {
    for (const auto& [index, value] : set) {
      if (index > core::limits::kMaxPcrIndex || !ValidPcrLength(value.size())) {
        return Fail(ErrorCode::kInvalidArgument,
                    "expected PCR" + std::to_string(index) + " has a bad index or length");
      }
    }
    return core::Ok();
  };
  ENCLAVECTL_RETURN_IF_ERROR(check_set(policy.required_pcrs));
  for (const PcrSet& set : policy.allowed_pcr_sets) {
    if (set.empty()) {
      return Fail(ErrorCode::kInvalidArgument, "an allowed PCR set is empty");
    }
    ENCLAVECTL_RETURN_IF_ERROR(check_set(set));
  }
  if (policy.key_binding_public_key && policy.key_binding_public_key->size() != 33) {
    return Fail(ErrorCode::kInvalidArgument, "the key-binding key must be 33 bytes compressed");
  }
  return core::Ok();
}

core::Result<std::vector<PcrSet>> ParsePcrSets(std::string_view json_text) {
  if (json_text.size() > core::limits::kMaxPolicyFileBytes) {
    return Fail(ErrorCode::kPolicyInvalid, "PCR file is larger than 1 MiB");
  }
  auto strict = core::ParseStrictJson(json_text, core::limits::kMaxPolicyFileBytes,
                                      ErrorCode::kPolicyInvalid, "PCR file");
  if (!strict) {
    return Fail(ErrorCode::kPolicyInvalid, strict.error().detail);
  }
  const nlohmann::json& parsed = *strict;
  std::vector<PcrSet> out;
  if (parsed.is_array()) {
    if (parsed.empty()) {
      return Fail(ErrorCode::kPolicyInvalid, "PCR file lists no measurement set");
    }
    if (parsed.size() > kMaxPcrSets) {
      return Fail(ErrorCode::kPolicyInvalid,
                  "PCR file lists more than " + std::to_string(kMaxPcrSets) + " sets");
    }
    std::size_t i = 0;
    for (const nlohmann::json& element : parsed) {
      auto set = ParseOneSet(element, i++);
      if (!set) {
        return Fail(set.error());
      }
      out.push_back(std::move(*set));
    }
    return out;
  }
  auto set = ParseOneSet(parsed, 0);
  if (!set) {
    return Fail(set.error());
  }
  out.push_back(std::move(*set));
  return out;
}

core::Result<std::pair<std::uint64_t, core::Bytes>> ParsePcrAssignment(std::string_view text) {
  const std::size_t eq = text.find('=');
  std::uint64_t index = 0;
  if (eq == std::string_view::npos || eq == 0) {
    return Fail(ErrorCode::kInvalidArgument, "expected N=HEX, e.g. 0=7a3b05...");
  }
  std::string_view number = text.substr(0, eq);
  if (number.size() > 3 && (number.substr(0, 3) == "PCR" || number.substr(0, 3) == "pcr")) {
    number.remove_prefix(3);
  }
  const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), index);
  if (ec != std::errc() || ptr != number.data() + number.size() ||
      index > core::limits::kMaxPcrIndex) {
    return Fail(ErrorCode::kInvalidArgument, "PCR index must be 0..31");
  }
  auto value = core::HexDecodeLenient(text.substr(eq + 1));
  if (!value || !ValidPcrLength(value->size())) {
    return Fail(ErrorCode::kInvalidArgument,
                "PCR" + std::to_string(index) + " value must be 64, 96 or 128 hex digits");
  }
  return std::make_pair(index, std::move(*value));
}

}  // namespace enclavectl::verifier
