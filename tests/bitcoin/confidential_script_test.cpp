// verify-and-sign (spec ../shared/spec/confidential-script.md section 1) with the spec's
// section 3 inputs and derived vectors A-C.
#include "enclavectl/bitcoin/confidential_script.hpp"

#include <gtest/gtest.h>

#include "enclavectl/bitcoin/hashes.hpp"
#include "enclavectl/bitcoin/script.hpp"
#include "enclavectl/bitcoin/sighash.hpp"
#include "enclavectl/bitcoin/taproot.hpp"
#include "enclavectl/core/encoding.hpp"

namespace enclavectl::bitcoin {
namespace {

const Bytes kParentSecret(32, 0x01);
const Bytes kAuxRand(32, 0x01);
constexpr const char* kParentPub =
    "031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f";

Bytes Hex(const std::string& text) { return core::HexDecode(text).value(); }

// Spec 3.2 A.
TEST(ConfidentialScript, ChildDerivationVectorA) {
  Hash256 root{};
  root.fill(0x2a);
  auto child = DeriveChildSecret(kParentSecret, root);
  ASSERT_TRUE(child);
  EXPECT_EQ(core::HexEncode(child->View()),
            "374d9bdb79bcb5e2f33c9d14085389e8e5cb5b6b8ab8af43a2b0dabb87ee67b8");
  auto child_pub = DeriveChildPublic(Hex(kParentPub), root);
  ASSERT_TRUE(child_pub);
  EXPECT_EQ(core::HexEncode(*child_pub),
            "02e162c891867c61228a492b882ee685fb8393e35d22a3f2e9b4b950ead6bad940");
  auto real = GenerateAddress(Hex(kParentPub), root, std::nullopt, "bitcoin");
  ASSERT_TRUE(real);
  EXPECT_EQ(core::HexEncode(TapTweakHash(real->internal_key, std::nullopt)),
            "ead58c3b1dbbfef7d07e9cc51769933dce94434621016c62dce71229eb177c2c");
  EXPECT_EQ(core::HexEncode(real->script_pubkey),
            "51200e524c0c1433ae394149a6973c696c0bfd18f8178be2767f7c8bf8d7842a0947");
  EXPECT_EQ(real->address, "bc1ppefycrq5xwhrjs2f56tnc6tvp07337qh3038vlmu30ud0pp2p9rshxjxek");
}

const Bytes kOpTrueLeaf{kOp1};

Hash256 OpTrueRoot() { return TapLeafHash(kTapscriptLeafVersion, kOpTrueLeaf); }

// Spec 3.2 B and C.
TEST(ConfidentialScript, AddressVectorsBAndC) {
  EXPECT_EQ(core::HexEncode(OpTrueRoot()),
            "a85b2107f791b26a84e7586c28cec7cb61202ed3d01944d832500f363782d675");
  auto child = DeriveChildSecret(kParentSecret, OpTrueRoot());
  ASSERT_TRUE(child);
  EXPECT_EQ(core::HexEncode(child->View()),
            "248eba3fa1d11d7df9c7ce9ea09dd337eb07f63c047f3b806beab80909abd094");
  auto b = GenerateAddress(Hex(kParentPub), OpTrueRoot(), std::nullopt, "mainnet");
  ASSERT_TRUE(b);
  EXPECT_EQ(core::HexEncode(b->script_pubkey),
            "5120fa33dccbd0877cc7e33d4655b5dbe28cf4ad81d1f110e4492c7634ff430ce21f");
  EXPECT_EQ(b->address, "bc1plgeaej7ssa7v0ceage2mtklz3n62mqw37ygwgjfvwc607scvug0ssqr088");
  auto c = GenerateAddress(Hex(kParentPub), OpTrueRoot(), OpTrueRoot(), "bitcoin");
  ASSERT_TRUE(c);
  EXPECT_EQ(core::HexEncode(TapTweakHash(c->internal_key, OpTrueRoot())),
            "48dc3e2d3674cd656bc476d820a349c87a128541066dfc0277840278aff87a92");
  EXPECT_EQ(core::HexEncode(c->script_pubkey),
            "5120fa7f66478e75f66dbd8d7a74aea635c6a3ebf3f312391cbc13fa274429c8b51b");
  EXPECT_EQ(c->address, "bc1plflkv3uwwhmxm0vd0f62af34c637hulnzgu3e0qnlgn5g2wgk5dsz382tj");
  // Other networks only change the human-readable part; unknown ones are usage errors.
  auto regtest = GenerateAddress(Hex(kParentPub), OpTrueRoot(), std::nullopt, "regtest");
  ASSERT_TRUE(regtest);
  EXPECT_EQ(regtest->address.rfind("bcrt1p", 0), 0U);
  auto bad = GenerateAddress(Hex(kParentPub), OpTrueRoot(), std::nullopt, "moon");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, core::ErrorCode::kInvalidArgument);
  Bytes off_curve(33, 0xff);  // x >= p
  off_curve[0] = 0x02;
  bad = GenerateAddress(off_curve, OpTrueRoot(), std::nullopt, "bitcoin");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, core::ErrorCode::kBtcKeyInvalid);
}

// An emulated transaction spending the real output of `root` (and `backup`) with a
// script-path witness for the virtual output with internal key x(2*G... secret 32x02).
struct Fixture {
  Transaction tx;
  std::vector<TxOut> spent;
};

Bytes ControlFor(const Bytes& leaf) {
  ControlBlock control;
  control.internal_key = XOnlyFromSecret(Bytes(32, 0x02)).value();
  const TweakedKey emulated =
      TaprootOutputKey(control.internal_key, TapLeafHash(kTapscriptLeafVersion, leaf)).value();
  control.output_odd_y = emulated.odd_y;
  return EncodeControlBlock(control);
}

Fixture EmulatedSpend(const Bytes& leaf, std::vector<Bytes> args,
                      const std::optional<Hash256>& backup = std::nullopt) {
  Fixture f;
  f.tx.version = 2;
  TxIn in;
  in.prevout.txid.fill(0x77);
  args.push_back(leaf);
  args.push_back(ControlFor(leaf));
  in.witness = std::move(args);
  f.tx.inputs.push_back(in);
  f.tx.outputs.push_back(TxOut{90000, Bytes{0x51}});
  const RealOutput real =
      GenerateAddress(Hex(kParentPub), TapLeafHash(kTapscriptLeafVersion, leaf), backup, "bitcoin")
          .value();
  f.spent.push_back(TxOut{100000, real.script_pubkey});
  return f;
}

TEST(ConfidentialScript, SignsAnEmulatedOpTrueSpend) {
  const Fixture f = EmulatedSpend(kOpTrueLeaf, {});
  auto signed_tx = VerifyAndSign(f.tx, f.spent, kAuxRand, kParentSecret, {});
  ASSERT_TRUE(signed_tx) << signed_tx.error().detail;
  ASSERT_EQ(signed_tx->inputs[0].witness.size(), 1U);
  EXPECT_EQ(signed_tx->inputs[0].witness[0].size(), 64U);
  // Only the witness changed, and the real output's key path accepts it.
  Transaction unchanged = *signed_tx;
  unchanged.inputs[0].witness = f.tx.inputs[0].witness;
  EXPECT_EQ(unchanged, f.tx);
  EXPECT_TRUE(VerifyInput(*signed_tx, 0, f.spent, kScriptTestFlags));
  EXPECT_TRUE(VerifyInput(*signed_tx, 0, f.spent, kKernelVerifyAll));
  // Deterministic: the signature is BIP-340 with aux_0 = SHA256(aux_rand || LE64(0)).
  const auto child = DeriveChildSecret(kParentSecret, OpTrueRoot()).value();
  const XOnlyKey internal = XOnlyFromSecret(child.View()).value();
  const auto tweaked = TweakSecret(child.View(), TapTweakHash(internal, std::nullopt)).value();
  Bytes aux_input = kAuxRand;
  AppendLe64(aux_input, 0);
  const Hash256 sighash =
      TaprootSighash(*signed_tx, 0, kSighashDefault, PrecomputeTxData(*signed_tx, f.spent),
                     std::nullopt, nullptr)
          .value();
  const SchnorrSignature expected = SignSchnorr(tweaked.View(), sighash, Sha256(aux_input)).value();
  EXPECT_EQ(signed_tx->inputs[0].witness[0], Bytes(expected.begin(), expected.end()));
  auto again = VerifyAndSign(f.tx, f.spent, kAuxRand, kParentSecret, {});
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *signed_tx);
}

TEST(ConfidentialScript, AnnexRule) {
  // Data-carrying annex (second byte 0x00): kept and committed.
  Fixture f = EmulatedSpend(kOpTrueLeaf, {});
  const Bytes kept = Hex("5000010203");
  f.tx.inputs[0].witness.push_back(kept);
  auto signed_tx = VerifyAndSign(f.tx, f.spent, kAuxRand, kParentSecret, {});
  ASSERT_TRUE(signed_tx) << signed_tx.error().detail;
  ASSERT_EQ(signed_tx->inputs[0].witness.size(), 2U);
  EXPECT_EQ(signed_tx->inputs[0].witness[1], kept);
  EXPECT_TRUE(VerifyInput(*signed_tx, 0, f.spent, kScriptTestFlags));
  // Any other annex is dropped and not committed.
  f = EmulatedSpend(kOpTrueLeaf, {});
  f.tx.inputs[0].witness.push_back(Hex("50010203"));
  signed_tx = VerifyAndSign(f.tx, f.spent, kAuxRand, kParentSecret, {});
  ASSERT_TRUE(signed_tx) << signed_tx.error().detail;
  ASSERT_EQ(signed_tx->inputs[0].witness.size(), 1U);
  EXPECT_TRUE(VerifyInput(*signed_tx, 0, f.spent, kScriptTestFlags));
}

TEST(ConfidentialScript, BackupMerkleRoot) {
  const Fixture f = EmulatedSpend(kOpTrueLeaf, {}, OpTrueRoot());
  auto signed_tx = VerifyAndSign(f.tx, f.spent, kAuxRand, kParentSecret, {{0, OpTrueRoot()}});
  ASSERT_TRUE(signed_tx) << signed_tx.error().detail;
  EXPECT_TRUE(VerifyInput(*signed_tx, 0, f.spent, kScriptTestFlags));
  // Without the backup root the real output is not the one expected.
  auto missing = VerifyAndSign(f.tx, f.spent, kAuxRand, kParentSecret, {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, core::ErrorCode::kBtcUnexpectedInput);
  EXPECT_EQ(missing.error().detail, "Unexpected input scriptPubKey");
  EXPECT_EQ(missing.error().index, 0);
}

TEST(ConfidentialScript, EmulatedSignaturesCommitToTheRealOutputs) {
  // Leaf: <user key> OP_CHECKSIG. The user signs the script-path sighash over the *real*
  // spent outputs; a signature over the emulated scriptPubKey fails verification.
  const XOnlyKey user = XOnlyFromSecret(Bytes(32, 0x05)).value();
  Bytes leaf = PushData(Bytes(user.begin(), user.end()));
  leaf.push_back(kOpCheckSig);
  Fixture f = EmulatedSpend(leaf, {Bytes(64, 0)});
  TapscriptSighashContext context;
  context.tapleaf_hash = TapLeafHash(kTapscriptLeafVersion, leaf);
  auto sign_over = [&](const std::vector<TxOut>& outputs) {
    const Hash256 sighash = TaprootSighash(f.tx, 0, kSighashDefault,
                                           PrecomputeTxData(f.tx, outputs), std::nullopt, &context)
                                .value();
    const SchnorrSignature sig = SignSchnorr(Bytes(32, 0x05), sighash, Bytes(32, 0)).value();
    return Bytes(sig.begin(), sig.end());
  };
  f.tx.inputs[0].witness[0] = sign_over(f.spent);
  auto signed_tx = VerifyAndSign(f.tx, f.spent, kAuxRand, kParentSecret, {});
  ASSERT_TRUE(signed_tx) << signed_tx.error().detail;
  EXPECT_TRUE(VerifyInput(*signed_tx, 0, f.spent, kScriptTestFlags));

  std::vector<TxOut> emulated_outputs = f.spent;
  const TweakedKey emulated =
      TaprootOutputKey(XOnlyFromSecret(Bytes(32, 0x02)).value(), context.tapleaf_hash).value();
  emulated_outputs[0].script_pubkey = P2trScriptPubKey(emulated.key);
  f.tx.inputs[0].witness[0] = sign_over(emulated_outputs);
  auto failed = VerifyAndSign(f.tx, f.spent, kAuxRand, kParentSecret, {});
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, core::ErrorCode::kBtcScriptFailed);
  EXPECT_EQ(failed.error().detail.rfind("Verification failed: ", 0), 0U);
}

TEST(ConfidentialScript, Errors) {
  // The emulated script fails.
  Fixture f = EmulatedSpend(Bytes{kOp0}, {});
  auto result = VerifyAndSign(f.tx, f.spent, kAuxRand, kParentSecret, {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, core::ErrorCode::kBtcScriptFailed);
  EXPECT_EQ(result.error().index, 0);
  // Fewer spent outputs than inputs.
  f = EmulatedSpend(kOpTrueLeaf, {});
  result = VerifyAndSign(f.tx, {}, kAuxRand, kParentSecret, {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, core::ErrorCode::kBtcSpentOutputs);
  EXPECT_EQ(result.error().detail, "Missing spent outputs");
  // More spent outputs than inputs: the verifier refuses (kernel SpentOutputsMismatch).
  std::vector<TxOut> extra = f.spent;
  extra.push_back(f.spent[0]);
  result = VerifyAndSign(f.tx, extra, kAuxRand, kParentSecret, {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, core::ErrorCode::kBtcScriptFailed);
  // A control block of 34 bytes, and one whose internal key is not on the curve.
  f = EmulatedSpend(kOpTrueLeaf, {});
  f.tx.inputs[0].witness.back().push_back(0x00);
  result = VerifyAndSign(f.tx, f.spent, kAuxRand, kParentSecret, {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, core::ErrorCode::kBtcInvalidControlBlock);
  EXPECT_EQ(result.error().detail, "Input has invalid control block");
  f = EmulatedSpend(kOpTrueLeaf, {});
  std::fill(f.tx.inputs[0].witness.back().begin() + 1, f.tx.inputs[0].witness.back().end(), 0xff);
  result = VerifyAndSign(f.tx, f.spent, kAuxRand, kParentSecret, {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, core::ErrorCode::kBtcInvalidControlBlock);
  // A real output that is not the derived one.
  f = EmulatedSpend(kOpTrueLeaf, {});
  f.spent[0].script_pubkey[10] ^= 0x01;
  result = VerifyAndSign(f.tx, f.spent, kAuxRand, kParentSecret, {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, core::ErrorCode::kBtcUnexpectedInput);
  // A bad parent key.
  f = EmulatedSpend(kOpTrueLeaf, {});
  result = VerifyAndSign(f.tx, f.spent, kAuxRand, Bytes(32, 0), {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, core::ErrorCode::kBtcKeyInvalid);
}

TEST(ConfidentialScript, NonEmulatedInputsAreUntouched) {
  // Input 0: emulated. Input 1: a key-path witness. Input 2: a P2WPKH output. Input 3: an
  // ordinary script-path spend of a real P2TR output (emulated spk == real spk). Input 4: a
  // control block shorter than 33 bytes (rust-bitcoin finds no leaf script: skipped).
  Fixture f = EmulatedSpend(kOpTrueLeaf, {});
  TxIn key_path = f.tx.inputs[0];
  key_path.witness = {Bytes(64, 0x33)};
  TxIn p2wpkh = f.tx.inputs[0];
  TxIn real_script_path = f.tx.inputs[0];
  TxIn short_control = f.tx.inputs[0];
  short_control.witness = {kOpTrueLeaf, Bytes(32, 0xc0)};
  f.tx.inputs.insert(f.tx.inputs.end(), {key_path, p2wpkh, real_script_path, short_control});
  const XOnlyKey emulated_internal = XOnlyFromSecret(Bytes(32, 0x02)).value();
  const Bytes real_p2tr = P2trScriptPubKey(TaprootOutputKey(emulated_internal, OpTrueRoot())->key);
  f.spent.push_back(TxOut{1, f.spent[0].script_pubkey});
  f.spent.push_back(TxOut{2, Hex("00140000000000000000000000000000000000000000")});
  f.spent.push_back(TxOut{3, real_p2tr});
  f.spent.push_back(TxOut{4, f.spent[0].script_pubkey});
  auto signed_tx = VerifyAndSign(f.tx, f.spent, kAuxRand, kParentSecret, {{1, OpTrueRoot()}});
  ASSERT_TRUE(signed_tx) << signed_tx.error().detail;
  EXPECT_EQ(signed_tx->inputs[0].witness.size(), 1U);
  for (std::size_t i = 1; i < 5; ++i) {
    EXPECT_EQ(signed_tx->inputs[i], f.tx.inputs[i]) << i;
  }
  EXPECT_TRUE(VerifyInput(*signed_tx, 0, f.spent, kScriptTestFlags));
  // No emulated input at all: returned unchanged.
  Transaction plain = f.tx;
  plain.inputs.erase(plain.inputs.begin());
  std::vector<TxOut> plain_spent(f.spent.begin() + 1, f.spent.end());
  auto unchanged = VerifyAndSign(plain, plain_spent, kAuxRand, kParentSecret, {});
  ASSERT_TRUE(unchanged);
  EXPECT_EQ(*unchanged, plain);
}

}  // namespace
}  // namespace enclavectl::bitcoin
