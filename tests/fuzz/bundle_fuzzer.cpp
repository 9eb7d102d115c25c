// Evidence bundles as `verify --bundle` reads them (untrusted zip files): ReadBundle, the
// recorded expectations, the live judgement against the AWS root and the derived-member
// check never crash; the report is consistent; a bundle that reads back is rewritten and
// read again to the same evidence.
#include <cstddef>
#include <cstdint>

#include "enclavectl/verifier/evidence.hpp"
#include "enclavectl/verifier/live.hpp"
#include "fuzz_check.hpp"
#include "report_invariants.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace enclavectl;  // NOLINT(google-build-using-namespace)
  static const verifier::TrustAnchor root = std::move(*verifier::TrustAnchor::AwsNitroRoot());
  auto bundle = verifier::ReadBundle(core::ByteView(data, size));
  if (!bundle) {
    return 0;
  }
  const verifier::Evidence& evidence = bundle->first;
  auto expectations = verifier::ExpectationsFromJson(
      evidence.options.value("expectations", nlohmann::json::object()));
  const verifier::LiveReport report =
      verifier::VerifyEvidence(evidence, verifier::VerifierConfig{&root, nullptr},
                               expectations ? *expectations : verifier::LiveExpectations{});
  fuzz::CheckReportInvariants(report);
  (void)verifier::CheckExtras(report, evidence, bundle->second);
  FUZZ_CHECK(!verifier::LiveReportToJson(report, evidence)
                  .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                  .empty());
  auto rewritten = verifier::WriteBundle(evidence, bundle->second);
  if (rewritten) {
    auto again = verifier::ReadBundle(*rewritten);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->first.attestation.body == evidence.attestation.body);
    FUZZ_CHECK(again->first.nonce == evidence.nonce);
    FUZZ_CHECK(again->second.chain_pem == bundle->second.chain_pem);
  }
  return 0;
}
