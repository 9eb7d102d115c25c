// Confidential Script verify-and-sign on one core (issue 16): a realistic 1-input emulated
// spend (the user's leaf <key> CHECKSIGVERIFY SHA256 <hash> EQUAL beside a backup leaf, a
// backup script path on the real output, one P2WPKH output): bitcoin::VerifyAndSign (the
// tapscript interpreter's check of the emulated script path, the child key, the key-path
// sighash and the BIP-340 signature), and the HTTP handler of POST /verify-and-sign (JSON
// decoding and encoding around it; not the per-response attestation signature).
// Run: cmake --preset release && cmake --build --preset release --target
//      confidential_script_bench && build/release/bench/confidential_script_bench
#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "enclavectl/app/confidential_script.hpp"
#include "enclavectl/bitcoin/confidential_script.hpp"
#include "enclavectl/bitcoin/hashes.hpp"
#include "enclavectl/bitcoin/keys.hpp"
#include "enclavectl/bitcoin/script.hpp"
#include "enclavectl/bitcoin/sighash.hpp"
#include "enclavectl/bitcoin/taproot.hpp"
#include "enclavectl/core/encoding.hpp"

namespace {

using namespace enclavectl;  // NOLINT(google-build-using-namespace)
using bitcoin::Hash256;
using core::Bytes;

// The master secret 32 x 0x01 and its compressed public key.
const Bytes kMasterSecret(32, 0x01);
constexpr const char* kMasterPublicHex =
    "031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f";

Bytes PushKey(const bitcoin::XOnlyKey& key) {
  Bytes script{0x20};
  script.insert(script.end(), key.begin(), key.end());
  return script;
}

struct Spend {
  bitcoin::Transaction tx;
  std::vector<bitcoin::TxOut> spent;
  std::map<std::size_t, Hash256> backup_roots;
};

const Spend& TheSpend() {
  static const Spend spend = [] {
    Spend s;
    const Bytes user_secret(32, 0x05);
    const Bytes preimage{'o', 'p', 'e', 'n', ' ', 's', 'e', 's', 'a', 'm', 'e'};
    Bytes user_leaf = PushKey(bitcoin::XOnlyFromSecret(user_secret).value());
    user_leaf.push_back(bitcoin::kOpCheckSigVerify);
    user_leaf.push_back(bitcoin::kOpSha256);
    user_leaf.push_back(0x20);
    const Hash256 lock = bitcoin::Sha256(preimage);
    user_leaf.insert(user_leaf.end(), lock.begin(), lock.end());
    user_leaf.push_back(bitcoin::kOpEqual);
    Bytes backup_leaf = PushKey(bitcoin::XOnlyFromSecret(Bytes(32, 0x07)).value());
    backup_leaf.push_back(bitcoin::kOpCheckSig);
    const Hash256 user_hash = bitcoin::TapLeafHash(bitcoin::kTapscriptLeafVersion, user_leaf);
    const Hash256 backup_hash = bitcoin::TapLeafHash(bitcoin::kTapscriptLeafVersion, backup_leaf);
    const Hash256 root = bitcoin::TapBranchHash(user_hash, backup_hash);
    const bitcoin::RealOutput real =
        bitcoin::GenerateAddress(core::HexDecode(kMasterPublicHex).value(), root, backup_hash,
                                 "bitcoin")
            .value();
    bitcoin::ControlBlock control;
    control.internal_key = bitcoin::XOnlyFromSecret(Bytes(32, 0x02)).value();
    control.output_odd_y = bitcoin::TaprootOutputKey(control.internal_key, root)->odd_y;
    control.path = {backup_hash};
    s.tx.version = 2;
    bitcoin::TxIn in;
    in.prevout.txid.fill(0x11);
    in.sequence = 0xfffffffd;
    s.tx.inputs = {in};
    s.tx.outputs = {bitcoin::TxOut{99000, core::HexDecode("0014" + std::string(40, 'a')).value()}};
    s.spent = {bitcoin::TxOut{100000, real.script_pubkey}};
    s.backup_roots = {{0, backup_hash}};
    bitcoin::TapscriptSighashContext leaf;
    leaf.tapleaf_hash = user_hash;
    const Hash256 sighash =
        bitcoin::TaprootSighash(s.tx, 0, bitcoin::kSighashDefault,
                                bitcoin::PrecomputeTxData(s.tx, s.spent), std::nullopt, &leaf)
            .value();
    const bitcoin::SchnorrSignature sig =
        bitcoin::SignSchnorr(user_secret, sighash, Bytes(32, 0x44)).value();
    s.tx.inputs[0].witness = {preimage, Bytes(sig.begin(), sig.end()), user_leaf,
                              bitcoin::EncodeControlBlock(control)};
    return s;
  }();
  return spend;
}

void BM_VerifyAndSign1Input(benchmark::State& state) {
  const Spend& s = TheSpend();
  const Bytes aux(32, 0x01);
  for (auto _ : state) {
    auto signed_tx = bitcoin::VerifyAndSign(s.tx, s.spent, aux, kMasterSecret, s.backup_roots);
    if (!signed_tx) {
      state.SkipWithError(signed_tx.error().detail.c_str());
      break;
    }
    benchmark::DoNotOptimize(signed_tx);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyAndSign1Input);

void BM_VerifyAndSignHttp1Input(benchmark::State& state) {
  const Spend& s = TheSpend();
  nlohmann::json spent = nlohmann::json::array();
  for (const bitcoin::TxOut& out : s.spent) {
    spent.push_back(app::TxOutToJson(out));
  }
  net::HttpRequest request;
  request.method = "POST";
  request.path = "/verify-and-sign";
  request.target = request.path;
  request.headers.emplace_back("content-type", "application/json");
  request.body =
      nlohmann::json{{"emulated_tx_to", app::TransactionToJson(s.tx)},
                     {"actual_spent_outputs", spent},
                     {"backup_merkle_roots", {{"0", core::HexEncode(s.backup_roots.at(0))}}}}
          .dump();
  const core::SecretBytes master(kMasterSecret);
  for (auto _ : state) {
    net::HttpResponse response = app::VerifyAndSignHttp(request, &master, 4000000);
    if (response.status != 200) {
      state.SkipWithError(response.body.c_str());
      break;
    }
    benchmark::DoNotOptimize(response);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyAndSignHttp1Input);

}  // namespace

BENCHMARK_MAIN();
