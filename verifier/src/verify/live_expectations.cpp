// The expectations of a live verification as recorded in a bundle, described for reports,
// and the migration state in words (split from live.cpp).
#include <algorithm>
#include <climits>
#include <string>
#include <vector>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/verifier/expectations.hpp"
#include "enclavectl/verifier/live.hpp"

namespace enclavectl::verifier {
namespace {

using core::ErrorCode;
using nlohmann::json;

constexpr std::size_t kMaxRecordedPcrSets = 1024;

json PcrSetToJson(const PcrSet& set) {
  json out = json::object();
  for (const auto& [index, value] : set) {
    out["PCR" + std::to_string(index)] = core::HexEncode(value);
  }
  return out;
}

core::Result<PcrSet> PcrSetFromJson(const json& object) {
  if (!object.is_object()) {
    return core::Fail(ErrorCode::kBundleMalformed, "a PCR set is not an object");
  }
  auto sets = ParsePcrSets(core::DumpJson(object));
  if (!sets || sets->size() != 1) {
    return core::Fail(
        ErrorCode::kBundleMalformed,
        "a recorded PCR set is malformed" + (sets ? std::string() : ": " + sets.error().detail));
  }
  return std::move(sets->front());
}

}  // namespace

json ExpectationsToJson(const LiveExpectations& expectations) {
  json sets = json::array();
  for (const PcrSet& set : expectations.allowed_pcr_sets) {
    sets.push_back(PcrSetToJson(set));
  }
  return {
      {"allowed_pcr_sets", std::move(sets)},
      {"required_pcrs", PcrSetToJson(expectations.required_pcrs)},
      {"max_age_ms", expectations.max_age_ms ? json(*expectations.max_age_ms) : json(nullptr)},
      {"allow_debug", expectations.allow_debug},
      {"kms_key_arn", expectations.kms_key_arn ? json(*expectations.kms_key_arn) : json(nullptr)},
      {"blockhash", expectations.blockhash_hex ? json(*expectations.blockhash_hex) : json(nullptr)},
      {"any_image", expectations.any_image},
      {"previous_pcr0",
       expectations.previous_pcr0 ? json(*expectations.previous_pcr0) : json(nullptr)},
      {"allow_unbound_tls", expectations.allow_unbound_tls}};
}

core::Result<LiveExpectations> ExpectationsFromJson(const json& object) {
  auto view = core::JsonObjectView::Of(object, ErrorCode::kBundleMalformed, "expectations");
  if (!view) {
    return core::Fail(view.error());
  }
  LiveExpectations out;
  if (const json* sets = view->Find("allowed_pcr_sets"); sets != nullptr && !sets->is_null()) {
    auto array = view->Array("allowed_pcr_sets", kMaxRecordedPcrSets);
    if (!array) {
      return core::Fail(array.error());
    }
    for (const json& set : **array) {
      auto parsed = PcrSetFromJson(set);
      if (!parsed) {
        return core::Fail(parsed.error());
      }
      out.allowed_pcr_sets.push_back(std::move(*parsed));
    }
  }
  auto required = view->OptionalObject("required_pcrs");
  if (!required) {
    return core::Fail(required.error());
  }
  if (*required && !(*required)->Value().empty()) {
    auto parsed = PcrSetFromJson((*required)->Value());
    if (!parsed) {
      return core::Fail(parsed.error());
    }
    out.required_pcrs = std::move(*parsed);
  }
  auto age = view->OptionalUint("max_age_ms", static_cast<std::uint64_t>(INT64_MAX));
  if (!age || (*age && **age == 0)) {
    return core::Fail(ErrorCode::kBundleMalformed, "max_age_ms is not a positive integer");
  }
  if (*age) {
    out.max_age_ms = static_cast<std::int64_t>(**age);
  }
  auto debug = view->OptionalBool("allow_debug");
  auto any_image = view->OptionalBool("any_image");
  auto arn = view->OptionalString("kms_key_arn");
  auto blockhash = view->OptionalString("blockhash");
  if (!debug || !any_image || !arn || !blockhash) {
    return core::Fail(ErrorCode::kBundleMalformed,
                      "allow_debug/any_image are not booleans, or kms_key_arn/blockhash not "
                      "strings");
  }
  out.allow_debug = debug->value_or(false);
  out.any_image = any_image->value_or(false);
  out.kms_key_arn = *arn;
  out.blockhash_hex = *blockhash;
  auto previous = view->OptionalString("previous_pcr0");
  auto unbound = view->OptionalBool("allow_unbound_tls");
  if (!previous || !unbound) {
    return core::Fail(ErrorCode::kBundleMalformed,
                      "previous_pcr0 is not a string, or allow_unbound_tls not a boolean");
  }
  out.previous_pcr0 = *previous;
  out.allow_unbound_tls = unbound->value_or(false);
  return out;
}

std::string DescribeExpectations(const LiveExpectations& expectations) {
  std::vector<std::string> parts;
  for (const auto& [index, value] : expectations.required_pcrs) {
    parts.push_back("PCR" + std::to_string(index) + "=" + core::HexEncode(value).substr(0, 16) +
                    "...");
  }
  if (!expectations.allowed_pcr_sets.empty()) {
    parts.push_back("one of " + std::to_string(expectations.allowed_pcr_sets.size()) +
                    " PCR set(s)");
  }
  if (!expectations.HasImageExpectation()) {
    parts.emplace_back(expectations.any_image ? "any image (--any-image)" : "no image expectation");
  }
  if (expectations.kms_key_arn) {
    parts.push_back("KMS key " + core::SafeExcerpt(*expectations.kms_key_arn, 200));
  }
  if (expectations.blockhash_hex) {
    parts.push_back("blockhash " + core::SafeExcerpt(*expectations.blockhash_hex, 16) + "...");
  }
  if (expectations.previous_pcr0) {
    parts.push_back("previous PCR0 " + core::SafeExcerpt(*expectations.previous_pcr0, 16) + "...");
  }
  if (expectations.allow_unbound_tls) {
    parts.emplace_back("INSECURE: unbound TLS allowed");
  }
  if (expectations.max_age_ms) {
    parts.push_back("max age " + std::to_string(*expectations.max_age_ms / 1000) + "s");
  }
  if (expectations.allow_debug) {
    parts.emplace_back("debug allowed");
  }
  std::string out;
  for (const std::string& part : parts) {
    out += (out.empty() ? "" : ", ") + part;
  }
  return out;
}

std::string MigrationStateWords(const LiveReport& report, core::UnixMillis now) {
  if (!report.migration) {
    return {};
  }
  const std::optional<MigrationState>& state = report.migration->state;
  if (!state) {
    return "no migration pending";
  }
  const auto at = [](std::int64_t seconds) {
    return core::FormatRfc3339(core::UnixMillis{seconds * 1000});
  };
  if (state->completed_at != 0) {
    return "COMPLETED at " + at(state->completed_at);
  }
  if (report.migration->cooldown_expired) {
    return "EXPIRED (ready for completion)";
  }
  constexpr std::int64_t kCooldownSeconds = 86400;  // migration.md 5.4
  const std::int64_t until = state->initiated_at > INT64_MAX - kCooldownSeconds
                                 ? INT64_MAX / 1000
                                 : state->initiated_at + kCooldownSeconds;
  const std::int64_t remaining = until - now.value / 1000;
  if (remaining <= 0 || until > core::kLatestVerificationTime.value / 1000) {
    return "PENDING (cooldown not expired, the enclave says)";
  }
  return "PENDING (cooldown until " + at(until) + ", " + std::to_string(remaining / 3600) + "h" +
         std::to_string(remaining % 3600 / 60) + "m remaining)";
}

}  // namespace enclavectl::verifier
