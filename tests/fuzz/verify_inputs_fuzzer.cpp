// The auditor's own input files for `enclavectl verify`, which may come from anywhere (a
// pcr.json from a build server, describe-eif output, a fleet's targets file) and the
// expectations recorded in a bundle's manifest: ParsePcrSets, ParseTargets and
// ExpectationsFromJson (through the one strict JSON reader). Never throws, and:
//   - ParsePcrSets succeeds iff it returns at least one set, every set non-empty with indexes
//     0..31 and values of 32, 48 or 64 bytes (so ValidatePolicy accepts them);
//   - every target ParseTargets returns is already normalised;
//   - recorded expectations that read back render again (ExpectationsToJson) to a value that
//     reads back the same.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "enclavectl/core/json.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/verifier/collect.hpp"
#include "enclavectl/verifier/live.hpp"
#include "enclavectl/verifier/policy.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace enclavectl;  // NOLINT(google-build-using-namespace)
  const std::string_view text(reinterpret_cast<const char*>(data), size);  // NOLINT

  auto sets = verifier::ParsePcrSets(text);
  if (sets) {
    FUZZ_CHECK(!sets->empty());
    verifier::VerificationPolicy policy;
    policy.allowed_pcr_sets = *sets;
    FUZZ_CHECK(verifier::ValidatePolicy(policy).has_value());
  } else {
    FUZZ_CHECK(sets.error().code == core::ErrorCode::kPolicyInvalid);
  }

  auto targets = verifier::ParseTargets(text);
  if (targets) {
    FUZZ_CHECK(!targets->empty() && targets->size() <= verifier::kMaxTargets);
    for (const std::string& url : *targets) {
      auto again = verifier::NormalizeServiceUrl(url);
      FUZZ_CHECK(again && *again == url);
    }
  } else {
    FUZZ_CHECK(targets.error().code == core::ErrorCode::kTargetsInvalid);
  }

  auto json = core::ParseStrictJson(text, core::limits::kMaxBundleMemberBytes,
                                    core::ErrorCode::kBundleMalformed, "expectations");
  if (json) {
    auto expectations = verifier::ExpectationsFromJson(*json);
    if (expectations) {
      auto back = verifier::ExpectationsFromJson(verifier::ExpectationsToJson(*expectations));
      FUZZ_CHECK(back.has_value());
      FUZZ_CHECK(back->allowed_pcr_sets == expectations->allowed_pcr_sets);
      FUZZ_CHECK(back->required_pcrs == expectations->required_pcrs);
      FUZZ_CHECK(back->max_age_ms == expectations->max_age_ms);
      FUZZ_CHECK(back->kms_key_arn == expectations->kms_key_arn);
      FUZZ_CHECK(!verifier::DescribeExpectations(*expectations).empty());
    } else {
      FUZZ_CHECK(expectations.error().code == core::ErrorCode::kBundleMalformed);
    }
  }
  return 0;
}
