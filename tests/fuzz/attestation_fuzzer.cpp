// The attestation document parser and the full verifier at a fixed time (2024-06-01) against
// the AWS root: never crashes; decode/encode of the payload is stable; the report is
// consistent (accepted iff no error, a failed check iff an error) and renders as JSON.
#include <cstddef>
#include <cstdint>

#include "enclavectl/verifier/report_json.hpp"
#include "enclavectl/verifier/verify.hpp"
#include "fuzz_check.hpp"
#include "report_invariants.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace enclavectl;  // NOLINT(google-build-using-namespace)
  static const verifier::TrustAnchor root = std::move(*verifier::TrustAnchor::AwsNitroRoot());
  const core::ByteView input(data, size);
  auto parsed = verifier::DecodeAttestation(input);
  if (parsed) {
    const bool valid = verifier::ValidateAttestation(*parsed).has_value();
    const core::Bytes payload = verifier::EncodePayload(parsed->doc, parsed->payload_indefinite);
    parsed->cose.payload = payload;
    auto again = verifier::DecodeAttestation(core::cose::Encode(parsed->cose));
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(verifier::EncodePayload(again->doc, again->payload_indefinite) == payload);
    FUZZ_CHECK(verifier::ValidateAttestation(*again).has_value() == valid);
  }
  verifier::VerificationPolicy policy;
  policy.time = core::UnixMillis{1717200000000};
  policy.max_age_ms = 3600 * 1000;
  policy.nonce = core::Bytes{1, 2, 3};
  const verifier::VerificationReport report =
      verifier::Verify(input, verifier::VerifierConfig{&root, nullptr}, policy);
  fuzz::CheckReportInvariants(report);
  FUZZ_CHECK(!verifier::ReportToJson(report).dump().empty());
  return 0;
}
