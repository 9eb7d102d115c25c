// The live judgement (VerifyEvidence) of what a service answered, without the zip layer:
// the input is the three response bodies (attestation, /v1/info, /v1/enclave-info) separated
// by "\n--\n", each answered with 200 and the same signature headers (body and exchange
// signature), judged with every expectation set (image, KMS key, blockhash); then the same
// bodies answered with 500 (the error-body quoting: issue 12 item 7's
// {"error":{"code":1,"message":["x"]}}). Never crashes; the report keeps its invariants and
// renders as JSON.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "enclavectl/verifier/live.hpp"
#include "enclavectl/verifier/signatures.hpp"
#include "fuzz_check.hpp"
#include "report_invariants.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace enclavectl;  // NOLINT(google-build-using-namespace)
  static const verifier::TrustAnchor root = std::move(*verifier::TrustAnchor::AwsNitroRoot());
  constexpr std::string_view kSeparator = "\n--\n";
  std::string_view rest(reinterpret_cast<const char*>(data), size);  // NOLINT
  verifier::Evidence evidence;
  evidence.url = "http://127.0.0.1:7074";
  evidence.nonce = core::Bytes(verifier::kLiveNonceBytes, 0x5a);
  evidence.captured_at = core::UnixMillis{1717200000000};
  verifier::HttpExchange* exchanges[] = {&evidence.attestation, &evidence.info,
                                         &evidence.enclave_info};
  const char* paths[] = {"/enclave/attestation?nonce=5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a",
                         "/v1/info", "/v1/enclave-info"};
  for (std::size_t i = 0; i < 3; ++i) {
    const std::size_t end = rest.find(kSeparator);
    const std::string_view body = rest.substr(0, end);
    rest =
        end == std::string_view::npos ? std::string_view() : rest.substr(end + kSeparator.size());
    exchanges[i]->path = paths[i];
    exchanges[i]->status = 200;
    exchanges[i]->body.assign(body.begin(), body.end());
    exchanges[i]->headers = {
        {"X-Attestation-Signature", std::string(128, '1')},
        {"X-Attestation-Pubkey", "02" + std::string(64, 'a')},
        {std::string(verifier::kExchangeSignatureHeader), std::string(128, '2')}};
  }
  verifier::LiveExpectations expectations;
  expectations.max_age_ms = 3600 * 1000;
  expectations.required_pcrs[0] = core::Bytes(48, 0xa0);
  expectations.kms_key_arn = "arn:aws:kms:us-east-1:111122223333:key/k";
  expectations.blockhash_hex = std::string(64, 'b');
  for (const long status : {200L, 500L}) {  // NOLINT(google-runtime-int)
    for (verifier::HttpExchange* exchange : exchanges) {
      exchange->status = status;
    }
    const verifier::LiveReport report =
        verifier::VerifyEvidence(evidence, verifier::VerifierConfig{&root, nullptr}, expectations);
    fuzz::CheckReportInvariants(report);
    FUZZ_CHECK(report.image_checked);
    FUZZ_CHECK(status == 200 || report.verdict != verifier::Verdict::kAccepted);
    FUZZ_CHECK(!verifier::LiveReportToJson(report, evidence)
                    .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                    .empty());
  }
  return 0;
}
