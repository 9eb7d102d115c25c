// BIP-340 (bip340_test_vectors.csv) and BIP-341 (bip341_wallet_test_vectors.json) vectors,
// data-driven from ../shared/testdata/bitcoin.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "enclavectl/bitcoin/interpreter.hpp"
#include "enclavectl/bitcoin/keys.hpp"
#include "enclavectl/bitcoin/sighash.hpp"
#include "enclavectl/bitcoin/taproot.hpp"
#include "enclavectl/core/encoding.hpp"
#include "test_paths.hpp"

namespace enclavectl::bitcoin {
namespace {

Bytes Hex(const std::string& text) {
  auto bytes = core::HexDecode(text);
  EXPECT_TRUE(bytes) << text;
  return bytes ? *bytes : Bytes{};
}

template <std::size_t N>
std::array<std::uint8_t, N> HexArray(const std::string& text) {
  const Bytes bytes = Hex(text);
  std::array<std::uint8_t, N> out{};
  EXPECT_EQ(bytes.size(), N) << text;
  std::copy_n(bytes.begin(), std::min(N, bytes.size()), out.begin());
  return out;
}

std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, ',')) {
    fields.push_back(field);
  }
  if (!line.empty() && line.back() == ',') {
    fields.emplace_back();
  }
  return fields;
}

TEST(Bip340, EveryVectorSignsAndVerifiesAsTheBipSays) {
  std::istringstream csv(
      testing::ReadText(testing::TestdataDir() / "bitcoin" / "bip340_test_vectors.csv"));
  std::string line;
  std::getline(csv, line);  // header
  int rows = 0;
  int signing_rows = 0;
  while (std::getline(csv, line)) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (line.empty()) {
      continue;
    }
    const std::vector<std::string> f = SplitCsv(line);
    ASSERT_GE(f.size(), 7U) << line;
    ++rows;
    const Bytes secret = Hex(f[1]);
    const Bytes pubkey = Hex(f[2]);
    const Bytes aux = Hex(f[3]);
    const Bytes msg = Hex(f[4]);
    const Bytes sig = Hex(f[5]);
    const bool expected = f[6] == "TRUE";
    if (!secret.empty()) {
      ++signing_rows;
      auto signed_sig = SignSchnorr(secret, msg, aux);
      ASSERT_TRUE(signed_sig) << "row " << f[0];
      EXPECT_EQ(core::HexEncode(*signed_sig), core::HexEncode(sig)) << "row " << f[0];
      auto xonly = XOnlyFromSecret(secret);
      ASSERT_TRUE(xonly);
      EXPECT_EQ(core::HexEncode(*xonly), core::HexEncode(pubkey)) << "row " << f[0];
    }
    EXPECT_EQ(VerifySchnorr(sig, msg, pubkey), expected) << "row " << f[0] << " " << f[7];
  }
  EXPECT_EQ(rows, 19);
  EXPECT_EQ(signing_rows, 8);
}

TEST(Bip340, BadSecretsAndSizesAreRefused) {
  const Bytes zero(32, 0);
  const Bytes order = Hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  for (const Bytes& secret : {zero, order, Bytes(31, 1)}) {
    auto sig = SignSchnorr(secret, Bytes(32, 0), Bytes(32, 0));
    ASSERT_FALSE(sig);
    EXPECT_EQ(sig.error().code, core::ErrorCode::kBtcKeyInvalid);
  }
  EXPECT_FALSE(VerifySchnorr(Bytes(63, 0), Bytes(32, 0), Bytes(32, 1)));
  EXPECT_FALSE(IsValidXOnly(Bytes(32, 0xff)));
}

// --- BIP-341 scriptPubKey vectors ---------------------------------------------------------

struct TreeResult {
  Hash256 hash{};
  // (leaf id, path from the leaf up) for every leaf below.
  std::vector<std::pair<int, std::vector<Hash256>>> leaves;
};

TreeResult WalkTree(const nlohmann::json& node, std::map<int, Hash256>& leaf_hashes) {
  TreeResult out;
  if (node.is_object()) {
    const Bytes script = Hex(node["script"].get<std::string>());
    out.hash = TapLeafHash(static_cast<std::uint8_t>(node["leafVersion"].get<int>()), script);
    const int id = node["id"].get<int>();
    leaf_hashes[id] = out.hash;
    out.leaves.push_back({id, {}});
    return out;
  }
  TreeResult left = WalkTree(node[0], leaf_hashes);
  TreeResult right = WalkTree(node[1], leaf_hashes);
  for (auto& [id, path] : left.leaves) {
    path.push_back(right.hash);
    out.leaves.push_back({id, path});
  }
  for (auto& [id, path] : right.leaves) {
    path.push_back(left.hash);
    out.leaves.push_back({id, path});
  }
  out.hash = TapBranchHash(left.hash, right.hash);
  return out;
}

nlohmann::json Bip341Vectors() {
  return testing::ReadJson(testing::TestdataDir() / "bitcoin" / "bip341_wallet_test_vectors.json");
}

TEST(Bip341, ScriptPubKeyVectors) {
  const nlohmann::json vectors = Bip341Vectors();
  int cases = 0;
  for (const nlohmann::json& v : vectors["scriptPubKey"]) {
    ++cases;
    SCOPED_TRACE(cases);
    const XOnlyKey internal = HexArray<32>(v["given"]["internalPubkey"].get<std::string>());
    const nlohmann::json& tree = v["given"]["scriptTree"];
    std::optional<Hash256> root;
    std::map<int, Hash256> leaf_hashes;
    TreeResult walked;
    if (!tree.is_null()) {
      walked = WalkTree(tree, leaf_hashes);
      root = walked.hash;
    }
    const nlohmann::json& mid = v["intermediary"];
    if (mid.contains("leafHashes")) {
      for (std::size_t i = 0; i < mid["leafHashes"].size(); ++i) {
        EXPECT_EQ(core::HexEncode(leaf_hashes.at(static_cast<int>(i))),
                  mid["leafHashes"][i].get<std::string>());
      }
    }
    if (mid["merkleRoot"].is_null()) {
      EXPECT_FALSE(root);
    } else {
      ASSERT_TRUE(root);
      EXPECT_EQ(core::HexEncode(*root), mid["merkleRoot"].get<std::string>());
    }
    EXPECT_EQ(core::HexEncode(TapTweakHash(internal, root)), mid["tweak"].get<std::string>());
    auto output = TaprootOutputKey(internal, root);
    ASSERT_TRUE(output);
    EXPECT_EQ(core::HexEncode(output->key), mid["tweakedPubkey"].get<std::string>());
    const nlohmann::json& expected = v["expected"];
    EXPECT_EQ(core::HexEncode(P2trScriptPubKey(output->key)),
              expected["scriptPubKey"].get<std::string>());
    EXPECT_EQ(EncodeSegwitAddress("bc", 1, output->key),
              expected["bip350Address"].get<std::string>());
    if (expected.contains("scriptPathControlBlocks")) {
      std::map<int, std::vector<Hash256>> paths;
      for (const auto& [id, path] : walked.leaves) {
        paths[id] = path;
      }
      for (std::size_t i = 0; i < expected["scriptPathControlBlocks"].size(); ++i) {
        ControlBlock control;
        control.leaf_version = kTapscriptLeafVersion;
        control.output_odd_y = output->odd_y;
        control.internal_key = internal;
        control.path = paths.at(static_cast<int>(i));
        const std::string want = expected["scriptPathControlBlocks"][i].get<std::string>();
        // The vectors' leaves may carry other leaf versions: take it from the expected byte.
        control.leaf_version = static_cast<std::uint8_t>(Hex(want)[0] & kTaprootLeafMask);
        EXPECT_EQ(core::HexEncode(EncodeControlBlock(control)), want);
        // And back: decode, recompute the root from the leaf, check the commitment.
        auto decoded = DecodeControlBlock(Hex(want));
        ASSERT_TRUE(decoded);
        EXPECT_EQ(ComputeMerkleRoot(leaf_hashes.at(static_cast<int>(i)), decoded->path), *root);
        EXPECT_TRUE(CheckTapTweak(internal, output->key, decoded->output_odd_y,
                                  TapTweakHash(internal, root)));
      }
    }
  }
  EXPECT_EQ(cases, 7);
}

TEST(Bip341, ControlBlockSizes) {
  for (std::size_t size : {0U, 1U, 32U, 34U, 64U, 66U, 33U + (32U * 129U)}) {
    auto control = DecodeControlBlock(Bytes(size, 0xc0));
    ASSERT_FALSE(control) << size;
    EXPECT_EQ(control.error().code, core::ErrorCode::kBtcTxMalformed);
  }
  for (std::size_t size : {33U, 65U, 33U + (32U * 128U)}) {
    EXPECT_TRUE(DecodeControlBlock(Bytes(size, 0xc1))) << size;
  }
}

TEST(Bip341, TweakFailuresAreKeyErrors) {
  const XOnlyKey not_on_curve =
      HexArray<32>("eefdea4cdb677750a420fee807eacf21eb9898ae79b9768766e4faa04a2d4a34");
  auto output = TaprootOutputKey(not_on_curve, std::nullopt);
  ASSERT_FALSE(output);
  EXPECT_EQ(output.error().code, core::ErrorCode::kBtcKeyInvalid);
  const Hash256 overflow =
      HexArray<32>("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  auto tweaked = TweakXOnly(
      HexArray<32>("d6889cb081036e0faefa3a35157ad71086b123b2b144b649798b494c300a961d"), overflow);
  ASSERT_FALSE(tweaked);
  EXPECT_EQ(tweaked.error().code, core::ErrorCode::kBtcKeyInvalid);
  auto secret = TweakSecret(Bytes(32, 0), Hash256{});
  ASSERT_FALSE(secret);
  EXPECT_EQ(secret.error().code, core::ErrorCode::kBtcKeyInvalid);
}

// --- BIP-341 key-path spending vectors ----------------------------------------------------

TEST(Bip341, KeyPathSpendingVectors) {
  const nlohmann::json vectors = Bip341Vectors();
  int inputs_checked = 0;
  for (const nlohmann::json& v : vectors["keyPathSpending"]) {
    auto tx = DecodeTransaction(Hex(v["given"]["rawUnsignedTx"].get<std::string>()));
    ASSERT_TRUE(tx) << tx.error().detail;
    std::vector<TxOut> spent;
    for (const nlohmann::json& utxo : v["given"]["utxosSpent"]) {
      spent.push_back(TxOut{utxo["amountSats"].get<std::int64_t>(),
                            Hex(utxo["scriptPubKey"].get<std::string>())});
    }
    const PrecomputedTxData precomputed = PrecomputeTxData(*tx, spent);
    const nlohmann::json& mid = v["intermediary"];
    EXPECT_EQ(core::HexEncode(precomputed.sha_amounts), mid["hashAmounts"].get<std::string>());
    EXPECT_EQ(core::HexEncode(precomputed.sha_outputs), mid["hashOutputs"].get<std::string>());
    EXPECT_EQ(core::HexEncode(precomputed.sha_prevouts), mid["hashPrevouts"].get<std::string>());
    EXPECT_EQ(core::HexEncode(precomputed.sha_scriptpubkeys),
              mid["hashScriptPubkeys"].get<std::string>());
    EXPECT_EQ(core::HexEncode(precomputed.sha_sequences), mid["hashSequences"].get<std::string>());

    auto signed_tx = DecodeTransaction(Hex(v["auxiliary"]["fullySignedTx"].get<std::string>()));
    ASSERT_TRUE(signed_tx) << signed_tx.error().detail;
    EXPECT_EQ(core::HexEncode(EncodeTransaction(*signed_tx)),
              v["auxiliary"]["fullySignedTx"].get<std::string>());

    for (const nlohmann::json& input : v["inputSpending"]) {
      ++inputs_checked;
      const std::size_t index = input["given"]["txinIndex"].get<std::size_t>();
      SCOPED_TRACE(index);
      const auto hash_type = static_cast<std::uint8_t>(input["given"]["hashType"].get<int>());
      const Bytes secret = Hex(input["given"]["internalPrivkey"].get<std::string>());
      std::optional<Hash256> root;
      if (!input["given"]["merkleRoot"].is_null()) {
        root = HexArray<32>(input["given"]["merkleRoot"].get<std::string>());
      }
      const nlohmann::json& imid = input["intermediary"];
      auto internal = XOnlyFromSecret(secret);
      ASSERT_TRUE(internal);
      EXPECT_EQ(core::HexEncode(*internal), imid["internalPubkey"].get<std::string>());
      const Hash256 tweak = TapTweakHash(*internal, root);
      EXPECT_EQ(core::HexEncode(tweak), imid["tweak"].get<std::string>());
      auto tweaked_secret = TweakSecret(secret, tweak);
      ASSERT_TRUE(tweaked_secret);
      EXPECT_EQ(core::HexEncode(tweaked_secret->View()), imid["tweakedPrivkey"].get<std::string>());

      auto msg = TaprootSigMsg(*tx, index, hash_type, precomputed, std::nullopt, nullptr);
      ASSERT_TRUE(msg);
      EXPECT_EQ("00" + core::HexEncode(*msg), imid["sigMsg"].get<std::string>());
      auto sighash = TaprootSighash(*tx, index, hash_type, precomputed, std::nullopt, nullptr);
      ASSERT_TRUE(sighash);
      EXPECT_EQ(core::HexEncode(*sighash), imid["sigHash"].get<std::string>());

      // The expected witness verifies under the output key, and so does our own signature.
      const Bytes expected_sig = Hex(input["expected"]["witness"][0].get<std::string>());
      const ByteView output_key = ByteView(spent[index].script_pubkey).subspan(2);
      EXPECT_TRUE(VerifySchnorr(ByteView(expected_sig).first(64), *sighash, output_key));
      auto ours = SignSchnorr(tweaked_secret->View(), *sighash, Bytes(32, 0x42));
      ASSERT_TRUE(ours);
      EXPECT_TRUE(VerifySchnorr(*ours, *sighash, output_key));
      EXPECT_EQ(signed_tx->inputs[index].witness, std::vector<Bytes>{expected_sig});
      // The whole interpreter accepts the fully signed input.
      EXPECT_TRUE(VerifyInput(*signed_tx, index, spent, kScriptTestFlags));
    }
  }
  EXPECT_EQ(inputs_checked, 7);
}

}  // namespace
}  // namespace enclavectl::bitcoin
