// kmspolicy micro-benchmarks: policy evaluations per second (what the local KMS server does on
// every request), linting, parsing and SigV4 signing of a KMS request.
#include <benchmark/benchmark.h>

#include "enclavectl/aws/kms_api.hpp"
#include "enclavectl/aws/sigv4.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/kmspolicy/evaluate.hpp"
#include "enclavectl/kmspolicy/generate.hpp"
#include "enclavectl/kmspolicy/lint.hpp"
#include "enclavectl/kmspolicy/policy.hpp"

namespace {

using namespace enclavectl;  // NOLINT(google-build-using-namespace)

kmspolicy::Policy StandardPolicy() {
  kmspolicy::GenerateOptions options;
  options.account_id = "111122223333";
  options.enclave_role_arn = "arn:aws:iam::111122223333:role/enclave";
  options.measurements.sets = {
      {{0, core::Bytes(48, 0xa0)}, {1, core::Bytes(48, 0xa1)}, {2, core::Bytes(48, 0xa2)}}};
  return *kmspolicy::GeneratePolicy(options);
}

kmspolicy::Request AttestedDecrypt() {
  kmspolicy::Request request{
      "arn:aws:sts::111122223333:assumed-role/enclave/i-0abc", "kms:Decrypt", "", {}};
  request.context.Set("kms:RecipientAttestation:ImageSha384",
                      {core::HexEncode(core::Bytes(48, 0xa0))});
  request.context.Set("kms:RecipientAttestation:PCR1", {core::HexEncode(core::Bytes(48, 0xa1))});
  request.context.Set("kms:RecipientAttestation:PCR2", {core::HexEncode(core::Bytes(48, 0xa2))});
  kmspolicy::AddCallerKeys(request);
  return request;
}

void BM_EvaluateAttestedDecrypt(benchmark::State& state) {
  const kmspolicy::Policy policy = StandardPolicy();
  const kmspolicy::Request request = AttestedDecrypt();
  for (auto _ : state) {
    auto evaluation = kmspolicy::Evaluate(policy, request);
    benchmark::DoNotOptimize(evaluation);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvaluateAttestedDecrypt);

void BM_EvaluateUnattestedDeny(benchmark::State& state) {
  const kmspolicy::Policy policy = StandardPolicy();
  kmspolicy::Request request{
      "arn:aws:sts::111122223333:assumed-role/admin/alice", "kms:Decrypt", "", {}};
  kmspolicy::AddCallerKeys(request);
  for (auto _ : state) {
    auto evaluation = kmspolicy::Evaluate(policy, request);
    benchmark::DoNotOptimize(evaluation);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvaluateUnattestedDeny);

void BM_ParsePolicy(benchmark::State& state) {
  const std::string text = kmspolicy::EncodePolicy(StandardPolicy());
  for (auto _ : state) {
    auto policy = kmspolicy::ParsePolicy(text);
    benchmark::DoNotOptimize(policy);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_ParsePolicy);

void BM_LintPolicy(benchmark::State& state) {
  const kmspolicy::Policy policy = StandardPolicy();
  for (auto _ : state) {
    auto report = kmspolicy::LintPolicy(policy);
    benchmark::DoNotOptimize(report);
  }
}
BENCHMARK(BM_LintPolicy);

void BM_SignKmsRequest(benchmark::State& state) {
  aws::AwsCredentials credentials;
  credentials.access_key_id = "AKIDEXAMPLE";
  credentials.secret_access_key =
      core::SecretBytes(core::AsBytes(std::string("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")));
  const core::SecretBytes body = aws::EncodeGenerateRandomRequest({32, {}});
  const aws::SigningRequest request{"POST",
                                    "/",
                                    "",
                                    {{"Host", "kms.us-east-1.amazonaws.com"},
                                     {"Content-Type", "application/x-amz-json-1.1"},
                                     {"X-Amz-Target", "TrentService.GenerateRandom"}},
                                    body.View()};
  aws::SigningParams params;
  params.region = "us-east-1";
  params.service = "kms";
  params.time = core::UnixMillis{1440938160000};
  for (auto _ : state) {
    auto parts = aws::SignHeaders(request, credentials, params);
    benchmark::DoNotOptimize(parts);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignKmsRequest);

}  // namespace

BENCHMARK_MAIN();
