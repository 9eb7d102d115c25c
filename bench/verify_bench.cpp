// Attestation documents verified per second on one core.
//
// Cold: no cache, so every document costs its four chain signatures plus the COSE one.
// Warm: the cache holds the chain of earlier documents from the same enclave, so only the
// COSE signature is computed. The counters sigs/doc show how many P-384 verifications ran.
#include <benchmark/benchmark.h>

#include <fstream>
#include <iterator>

#include "enclavectl/core/ecdsa.hpp"
#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/p384.hpp"
#include "enclavectl/verifier/batch.hpp"
#include "enclavectl/verifier/devca.hpp"
#include "enclavectl/verifier/verify.hpp"

namespace {

using namespace enclavectl;  // NOLINT(google-build-using-namespace)

constexpr std::int64_t kGenuineTime = 1665651482;  // evervault_2022-10-13_valid

core::Bytes GenuineDocument() {
  auto bytes = core::io::ReadFile(
      std::string(ENCLAVECTL_TESTDATA_DIR) + "/attestation/evervault_2022-10-13_valid.cbor",
      1 << 20);
  if (!bytes) {
    std::abort();
  }
  return *bytes;
}

verifier::VerificationPolicy GenuinePolicy() {
  verifier::VerificationPolicy policy;
  policy.time = core::UnixMillis{kGenuineTime * 1000};
  return policy;
}

void Report(benchmark::State& state, int signatures, std::int64_t documents) {
  state.SetItemsProcessed(documents);
  state.counters["sigs/doc"] =
      benchmark::Counter(static_cast<double>(signatures) / static_cast<double>(documents),
                         benchmark::Counter::kAvgThreads);
}

void BM_VerifyGenuineCold(benchmark::State& state) {
  const core::Bytes doc = GenuineDocument();
  const verifier::TrustAnchor root = std::move(*verifier::TrustAnchor::AwsNitroRoot());
  const verifier::VerificationPolicy policy = GenuinePolicy();
  int signatures = 0;
  for (auto _ : state) {
    const verifier::VerificationReport report =
        verifier::Verify(doc, verifier::VerifierConfig{&root, nullptr}, policy);
    if (report.verdict != verifier::Verdict::kAccepted) {
      state.SkipWithError("document not accepted");
      return;
    }
    signatures += report.signatures_verified;
  }
  Report(state, signatures, state.iterations());
}
BENCHMARK(BM_VerifyGenuineCold)->Unit(benchmark::kMillisecond);

void BM_VerifyGenuineWarm(benchmark::State& state) {
  const core::Bytes doc = GenuineDocument();
  const verifier::TrustAnchor root = std::move(*verifier::TrustAnchor::AwsNitroRoot());
  const verifier::VerificationPolicy policy = GenuinePolicy();
  verifier::ChainCache cache;
  verifier::Verify(doc, verifier::VerifierConfig{&root, &cache}, policy);  // prime
  int signatures = 0;
  for (auto _ : state) {
    const verifier::VerificationReport report =
        verifier::Verify(doc, verifier::VerifierConfig{&root, &cache}, policy);
    if (report.verdict != verifier::Verdict::kAccepted) {
      state.SkipWithError("document not accepted");
      return;
    }
    signatures += report.signatures_verified;
  }
  Report(state, signatures, state.iterations());
}
BENCHMARK(BM_VerifyGenuineWarm)->Unit(benchmark::kMillisecond);

// A fleet: documents with fresh nonces from one enclave of the development CA, the way a
// live verifier sees them. Cold and warm as above.
struct Fleet {
  verifier::devca::DevCa ca;
  verifier::TrustAnchor root;
  std::vector<core::Bytes> docs;
  verifier::VerificationPolicy policy;
};

const Fleet& GetFleet() {
  static const Fleet* fleet = [] {
    const core::UnixMillis now{1735689600000};
    verifier::devca::Options options;
    options.now = now;
    auto ca = verifier::devca::DevCa::Create(options);
    auto root = verifier::TrustAnchor::FromDer(ca->Root().der);
    auto enclave = ca->StartEnclave(now, 7);
    std::vector<core::Bytes> docs;
    for (std::uint8_t i = 0; i < 64; ++i) {
      verifier::devca::DocumentSpec spec;
      spec.nonce = core::Bytes(20, i);
      docs.push_back(*ca->Attest(*enclave, spec));
    }
    verifier::VerificationPolicy policy;
    policy.time = core::UnixMillis{now.value + 5000};
    return new Fleet{std::move(*ca), std::move(*root), std::move(docs), policy};  // NOLINT
  }();
  return *fleet;
}

void BM_VerifyFleet(benchmark::State& state) {
  const Fleet& fleet = GetFleet();
  const bool warm = state.range(0) != 0;
  verifier::ChainCache cache;
  if (warm) {
    verifier::Verify(fleet.docs[0], verifier::VerifierConfig{&fleet.root, &cache}, fleet.policy);
  }
  std::size_t i = 0;
  int signatures = 0;
  for (auto _ : state) {
    const verifier::VerificationReport report = verifier::Verify(
        fleet.docs[i++ % fleet.docs.size()],
        verifier::VerifierConfig{&fleet.root, warm ? &cache : nullptr}, fleet.policy);
    if (report.verdict != verifier::Verdict::kAccepted) {
      state.SkipWithError("document not accepted");
      return;
    }
    signatures += report.signatures_verified;
  }
  Report(state, signatures, state.iterations());
}
BENCHMARK(BM_VerifyFleet)->Arg(0)->Arg(1)->ArgName("warm")->Unit(benchmark::kMillisecond);

// A batch of 1,000 documents (the fleet's, cycled) through VerifyBatch on 1 or 2 threads.
// cache:0 no cache (every document verified cold), cache:1 the batch starts with an empty
// cache that its threads share (what `verify --doc ...` does), cache:2 the cache already
// holds the chain (warm). Wall-clock time: the figure is documents per second of the batch.
void BM_VerifyBatch(benchmark::State& state) {
  const Fleet& fleet = GetFleet();
  const auto jobs = static_cast<unsigned>(state.range(0));
  const std::int64_t cache_mode = state.range(1);
  constexpr std::size_t kDocuments = 1000;
  verifier::ChainCache warm_cache;
  verifier::Verify(fleet.docs[0], verifier::VerifierConfig{&fleet.root, &warm_cache}, fleet.policy);
  for (auto _ : state) {
    verifier::ChainCache fresh_cache;
    verifier::ChainCache* cache = cache_mode == 0   ? nullptr
                                  : cache_mode == 1 ? &fresh_cache
                                                    : &warm_cache;
    const verifier::BatchSummary summary = verifier::VerifyBatch(
        kDocuments,
        [&](std::size_t i) -> core::Result<verifier::DocumentInput> {
          return verifier::DocumentInput{fleet.docs[i % fleet.docs.size()],
                                         verifier::InputEncoding::kBinary};
        },
        [](const verifier::BatchItem&) {}, verifier::VerifierConfig{&fleet.root, cache},
        fleet.policy, verifier::BatchOptions{jobs, 0});
    if (summary.accepted != kDocuments) {
      state.SkipWithError("document not accepted");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kDocuments));
}
BENCHMARK(BM_VerifyBatch)
    ->ArgsProduct({{1, 2}, {0, 1, 2}})
    ->ArgNames({"jobs", "cache"})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Baselines: decoding alone, and one P-384 signature verification.
void BM_DecodeAndValidate(benchmark::State& state) {
  const core::Bytes doc = GenuineDocument();
  for (auto _ : state) {
    auto parsed = verifier::DecodeAttestation(doc);
    benchmark::DoNotOptimize(parsed);
    benchmark::DoNotOptimize(verifier::ValidateAttestation(*parsed));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeAndValidate)->Unit(benchmark::kMicrosecond);

// One P-384 verification of a 4,500-byte message (SHA-384 included), by each library
// Debian offers: OpenSSL 3.0's generic EC code (EVP), and Nettle's secp384r1 (core/p384.hpp,
// what the verifier uses). libgcrypt 1.10 was measured outside this file at about a fifth
// of Nettle's rate (docs/design/0011-verify-speed.md) and is not a dependency.
void BM_P384VerifyOpenssl(benchmark::State& state) {
  auto key = core::GenerateEcKey(core::Curve::kP384);
  const core::Bytes message(4500, 0x42);
  const core::Bytes der =
      *core::RawSignatureToDer(*core::EcdsaSignRaw(key->get(), message), core::Curve::kP384);
  for (auto _ : state) {
    core::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    const bool ok =
        EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha384(), nullptr, key->get()) == 1 &&
        EVP_DigestVerify(ctx.get(), der.data(), der.size(), message.data(), message.size()) == 1;
    if (!ok) {
      state.SkipWithError("signature refused");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_P384VerifyOpenssl)->Unit(benchmark::kMicrosecond);

void BM_P384VerifyNettle(benchmark::State& state) {
  auto key = core::GenerateEcKey(core::Curve::kP384);
  const core::Bytes message(4500, 0x42);
  const core::Bytes signature = *core::EcdsaSignRaw(key->get(), message);
  const core::p384::Point point = *core::p384::PublicPoint(key->get());
  for (auto _ : state) {
    if (!core::p384::Verify(point, message, signature)) {
      state.SkipWithError("signature refused");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_P384VerifyNettle)->Unit(benchmark::kMicrosecond);

// The machine's own ceiling for 2 jobs: the same work on 1 and 2 threads that share nothing
// (Nettle's arithmetic: no locks, no allocation), and cold verifications that share only
// OpenSSL's process-wide state. items_per_second is the sum over the threads per wall-clock
// second, so threads:2 / threads:1 is the scaling the hardware and the libraries allow, the
// bound for BM_VerifyBatch's jobs:2 / jobs:1.
BENCHMARK(BM_P384VerifyNettle)
    ->Name("BM_Ceiling/p384_nettle")
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_VerifyGenuineCold)
    ->Name("BM_Ceiling/verify_cold")
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_VerifyGenuineWarm)  // a cache per thread: only OpenSSL's state is shared
    ->Name("BM_Ceiling/verify_warm")
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
