// enclave-app micro-benchmarks: the signing primitives behind POST /v1/sign, the per-response
// signature (SHA-256 of the body + BIP-340 + hex), and decoding a sign request. What one
// signed sign-request costs in CPU, next to the end-to-end figures of bench/enclave_app_wrk.sh.
#include <benchmark/benchmark.h>

#include <string>

#include "enclavectl/app/api.hpp"
#include "enclavectl/app/keys.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/sha.hpp"

namespace {

using namespace enclavectl;  // NOLINT(google-build-using-namespace)

const core::Secp256k1ContextPtr& Ctx() {
  static const core::Secp256k1ContextPtr ctx = core::MakeSecp256k1Context();
  return ctx;
}

app::KeyPair& Keys() {
  static app::KeyPair keys = [] {
    core::SecretBytes secret(32);
    secret.MutableData()[31] = 7;
    return std::move(*app::MakeKeyPair(secret, Ctx().get()));
  }();
  return keys;
}

const core::Sha256Digest kDigest = core::Sha256(core::AsBytes("benchmark message"));

void BM_SignBip340(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(Keys().signing.SignBip340(kDigest));
  }
}
BENCHMARK(BM_SignBip340);

void BM_SignEcdsaSecp256k1(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(Keys().signing.SignEcdsa(kDigest));
  }
}
BENCHMARK(BM_SignEcdsaSecp256k1);

void BM_SignEcdsaP256(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(Keys().wallet.SignDigest(kDigest));
  }
}
BENCHMARK(BM_SignEcdsaP256);

// What every response pays: SHA-256 of the body, BIP-340, hex of the signature.
void BM_ResponseSignature(benchmark::State& state) {
  const std::string body =
      R"({"digest":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",)"
      R"("public_key":"9d5b1d1c2f6a8e4b7c3d0f1e2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d",)"
      R"("scheme":"bip340","signature":")" +
      std::string(128, 'a') + "\"}";
  for (auto _ : state) {
    auto sig = Keys().signing.SignBip340(core::Sha256(core::AsBytes(body)));
    benchmark::DoNotOptimize(core::HexEncode(*sig));
  }
}
BENCHMARK(BM_ResponseSignature);

void BM_DecodeSignRequest(benchmark::State& state) {
  const std::string body = R"({"scheme":"bip340","message":")" + std::string(64, 'a') + "\"}";
  for (auto _ : state) {
    benchmark::DoNotOptimize(app::DecodeSignRequest(body));
  }
}
BENCHMARK(BM_DecodeSignRequest);

}  // namespace

BENCHMARK_MAIN();
