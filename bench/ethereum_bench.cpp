// Ethereum signing on one core (issue 15's "signatures per second"): Keccak-256 of 32 bytes and
// 1 KiB, a digest signature (RFC 6979, low s, checked by recovering the key), EIP-191
// personal_sign, address recovery, and an EIP-1559 transaction signed from its fields (RLP,
// Keccak, signature, raw bytes and hash).
#include <benchmark/benchmark.h>

#include <string>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/ethereum/keccak.hpp"
#include "enclavectl/ethereum/signing.hpp"
#include "enclavectl/ethereum/transaction.hpp"

namespace {

using namespace enclavectl;  // NOLINT(google-build-using-namespace)

const core::Bytes& Secret() {
  static const core::Bytes secret =
      *core::HexDecode("f89f23eaeac18252fedf81bb8318d3c111d48c19b0680dcf6e0a8d5136caf287");
  return secret;
}

void BM_Keccak256(benchmark::State& state) {
  const core::Bytes data(static_cast<std::size_t>(state.range(0)), 0xab);
  for (auto _ : state) {
    benchmark::DoNotOptimize(ethereum::Keccak256Of(data));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Keccak256)->Arg(32)->Arg(1024);

void BM_SignDigest(benchmark::State& state) {
  ethereum::Hash256 digest = ethereum::Keccak256Of(core::AsBytes("hello world"));
  for (auto _ : state) {
    auto sig = ethereum::SignDigest(Secret(), digest);
    if (!sig) {
      state.SkipWithError("signing failed");
      return;
    }
    benchmark::DoNotOptimize(*sig);
    digest[0] = sig->r[0];  // a new digest each time
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignDigest);

void BM_PersonalSign(benchmark::State& state) {
  const core::Bytes message(64, 'm');
  for (auto _ : state) {
    auto sig = ethereum::SignPersonalMessage(Secret(), message);
    if (!sig) {
      state.SkipWithError("signing failed");
      return;
    }
    benchmark::DoNotOptimize(*sig);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PersonalSign);

void BM_RecoverAddress(benchmark::State& state) {
  const ethereum::Hash256 digest = ethereum::Keccak256Of(core::AsBytes("hello world"));
  const ethereum::Signature65 sig =
      ethereum::EncodeSignature(*ethereum::SignDigest(Secret(), digest), 27);
  for (auto _ : state) {
    auto address = ethereum::RecoverAddress(digest, sig);
    if (!address) {
      state.SkipWithError("recovery failed");
      return;
    }
    benchmark::DoNotOptimize(*address);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecoverAddress);

void BM_SignEip1559Transaction(benchmark::State& state) {
  auto request = ethereum::ParseTransactionJson(
      R"({"chainId": 1, "nonce": 7, "maxPriorityFeePerGas": "2000000000",
          "maxFeePerGas": "100000000000", "gasLimit": 21000,
          "to": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "value": "1000000000000000000"})");
  if (!request) {
    state.SkipWithError("transaction JSON refused");
    return;
  }
  for (auto _ : state) {
    auto signed_tx = ethereum::SignTransaction(request->tx, Secret());
    if (!signed_tx) {
      state.SkipWithError("signing failed");
      return;
    }
    benchmark::DoNotOptimize(signed_tx->raw.data());
    ++request->tx.nonce;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignEip1559Transaction);

// The JSON text to a signed transaction: what a wallet request costs end to end in the library.
void BM_SignEip1559FromJson(benchmark::State& state) {
  const std::string text =
      R"({"chain_id": 1, "nonce": "7", "max_priority_fee_per_gas": "0x77359400",
          "max_fee_per_gas": "0x174876e800", "gas_limit": "0x5208",
          "to": "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "value": "0xde0b6b3a7640000",
          "data": "0x", "access_list": []})";
  for (auto _ : state) {
    auto request = ethereum::ParseTransactionJson(text);
    if (!request) {
      state.SkipWithError("transaction JSON refused");
      return;
    }
    auto signed_tx = ethereum::SignTransactionRequest(*request, Secret());
    if (!signed_tx) {
      state.SkipWithError("signing failed");
      return;
    }
    benchmark::DoNotOptimize(signed_tx->raw.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignEip1559FromJson);

}  // namespace

BENCHMARK_MAIN();
