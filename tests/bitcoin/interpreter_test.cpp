// The interpreter on spends built here: BIP-342 rules (CHECKSIGADD, OP_SUCCESSx, MINIMALIF,
// unknown leaf versions and key types, limits), hostile scripts and stacks, P2SH and the
// error model of VerifyInput.
#include "enclavectl/bitcoin/interpreter.hpp"

#include <gtest/gtest.h>
#include <secp256k1.h>

#include "enclavectl/bitcoin/hashes.hpp"
#include "enclavectl/bitcoin/keys.hpp"
#include "enclavectl/bitcoin/script.hpp"
#include "enclavectl/bitcoin/taproot.hpp"

namespace enclavectl::bitcoin {
namespace {

struct Spend {
  Transaction tx;
  std::vector<TxOut> spent;
  Hash256 tapleaf_hash{};
};

Bytes Secret(std::uint8_t fill) { return Bytes(32, fill); }

XOnlyKey KeyOf(std::uint8_t fill) { return XOnlyFromSecret(Secret(fill)).value(); }

Transaction BaseTx() {
  Transaction tx;
  tx.version = 2;
  TxIn in;
  in.prevout.txid.fill(0x22);
  in.sequence = 0xfffffffe;
  tx.inputs.push_back(in);
  tx.outputs.push_back(TxOut{90000, Bytes{0x51}});
  tx.lock_time = 700000;
  return tx;
}

// A Taproot script-path spend of a single-leaf tree holding `script`.
Spend TapscriptSpend(const Bytes& script, std::vector<Bytes> args,
                     std::uint8_t leaf_version = kTapscriptLeafVersion) {
  Spend spend;
  spend.tx = BaseTx();
  const XOnlyKey internal = KeyOf(0x01);
  spend.tapleaf_hash = TapLeafHash(leaf_version, script);
  const TweakedKey output = TaprootOutputKey(internal, spend.tapleaf_hash).value();
  ControlBlock control;
  control.leaf_version = leaf_version;
  control.output_odd_y = output.odd_y;
  control.internal_key = internal;
  args.push_back(script);
  args.push_back(EncodeControlBlock(control));
  spend.tx.inputs[0].witness = std::move(args);
  spend.spent.push_back(TxOut{100000, P2trScriptPubKey(output.key)});
  return spend;
}

// A P2WSH spend of `script`.
Spend P2wshSpend(const Bytes& script, std::vector<Bytes> args) {
  Spend spend;
  spend.tx = BaseTx();
  const Hash256 hash = Sha256(script);
  Bytes spk{0x00, 0x20};
  spk.insert(spk.end(), hash.begin(), hash.end());
  args.push_back(script);
  spend.tx.inputs[0].witness = std::move(args);
  spend.spent.push_back(TxOut{100000, spk});
  return spend;
}

ScriptError Check(const Spend& spend, std::uint32_t flags = kScriptTestFlags) {
  auto result = CheckInput(spend.tx, 0, spend.spent, flags);
  EXPECT_TRUE(result) << result.error().detail;
  return result ? *result : ScriptError::kUnknownError;
}

Bytes Push(const Bytes& data) { return PushData(data); }

Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) {
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

Bytes Repeat(const Bytes& part, std::size_t n) {
  Bytes out;
  for (std::size_t i = 0; i < n; ++i) {
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

// Signs input 0 of `spend` (script path, SIGHASH_DEFAULT) with the secret of `fill`.
Bytes SignTapscript(const Spend& spend, std::uint8_t fill) {
  const PrecomputedTxData precomputed = PrecomputeTxData(spend.tx, spend.spent);
  TapscriptSighashContext context;
  context.tapleaf_hash = spend.tapleaf_hash;
  const Hash256 sighash =
      TaprootSighash(spend.tx, 0, kSighashDefault, precomputed, std::nullopt, &context).value();
  const SchnorrSignature sig = SignSchnorr(Secret(fill), sighash, Bytes(32, 0)).value();
  return Bytes(sig.begin(), sig.end());
}

TEST(Tapscript, CheckSigAddTwoOfTwo) {
  const XOnlyKey a = KeyOf(0x0a);
  const XOnlyKey b = KeyOf(0x0b);
  const Bytes script = Concat({Push(Bytes(a.begin(), a.end())),
                               {kOpCheckSig},
                               Push(Bytes(b.begin(), b.end())),
                               {kOpCheckSigAdd, 0x52, kOpNumEqual}});
  // Witness items do not enter the sighash, so sign once with placeholders in place.
  Spend spend = TapscriptSpend(script, {Bytes{}, Bytes{}});
  const Bytes sig_a = SignTapscript(spend, 0x0a);
  const Bytes sig_b = SignTapscript(spend, 0x0b);
  // Stack bottom first: the signature for the last key lies deepest.
  spend = TapscriptSpend(script, {sig_b, sig_a});
  EXPECT_EQ(Check(spend), ScriptError::kOk);
  // One empty signature: CHECKSIGADD adds 0, the count is 1, NUMEQUAL leaves false.
  EXPECT_EQ(Check(TapscriptSpend(script, {Bytes{}, sig_a})), ScriptError::kEvalFalse);
  // A wrong non-empty signature aborts the script (no NULLFAIL choice in tapscript).
  EXPECT_EQ(Check(TapscriptSpend(script, {sig_a, sig_a})), ScriptError::kSchnorrSig);
  // A 65-byte signature with hash type 0 is invalid; other sizes are size errors.
  Bytes with_zero = sig_a;
  with_zero.push_back(0x00);
  EXPECT_EQ(Check(TapscriptSpend(script, {sig_b, with_zero})), ScriptError::kSchnorrSigHashtype);
  EXPECT_EQ(Check(TapscriptSpend(script, {sig_b, Bytes(63, 1)})), ScriptError::kSchnorrSigSize);
}

TEST(Tapscript, CheckSigAddIsNotAnOpcodeInWitnessV0) {
  const Bytes script{kOp0, kOp0, kOp1, kOpCheckSigAdd};
  EXPECT_EQ(Check(P2wshSpend(script, {})), ScriptError::kBadOpcode);
}

TEST(Tapscript, UnknownKeyTypesSucceedUnlessDiscouraged) {
  const Bytes script = Concat({Push(Bytes(33, 0x02)), {kOpCheckSig}});
  EXPECT_EQ(Check(TapscriptSpend(script, {Bytes{0x01}})), ScriptError::kOk);
  EXPECT_EQ(Check(TapscriptSpend(script, {Bytes{0x01}}),
                  kScriptTestFlags | kVerifyDiscourageUpgradablePubkeyType),
            ScriptError::kDiscourageUpgradablePubkeyType);
  // An empty key is always an error.
  EXPECT_EQ(Check(TapscriptSpend(Bytes{kOp0, kOpCheckSig}, {Bytes{0x01}})),
            ScriptError::kPubkeyType);
}

TEST(Tapscript, TheSigopsBudgetFollowsTheWitnessSize) {
  // Each non-empty signature costs 50 of (witness size + 50): many CHECKSIGs under an unknown
  // key type with one small signature run out.
  const Bytes script =
      Concat({Repeat(Concat({{kOpDup}, Push(Bytes(33, 0x02)), {kOpCheckSigVerify}}), 10),
              {kOpDrop, kOp1}});
  EXPECT_EQ(Check(TapscriptSpend(script, {Bytes{0x01}})), ScriptError::kTapscriptValidationWeight);
  // The same with a witness padded by 500 bytes has budget enough.
  EXPECT_EQ(Check(TapscriptSpend(Concat({{kOpToAltStack}, script, {kOpFromAltStack, kOpDrop}}),
                                 {Bytes{0x01}, Bytes(500, 0)})),
            ScriptError::kOk);
}

TEST(Tapscript, OpSuccessAndUnknownLeafVersions) {
  // OP_SUCCESS80 after an OP_RETURN still wins; an undecodable push before it does not.
  EXPECT_EQ(Check(TapscriptSpend(Bytes{kOpReturn, 0x50}, {})), ScriptError::kOk);
  EXPECT_EQ(Check(TapscriptSpend(Bytes{kOpReturn, 0x50}, {}),
                  kScriptTestFlags | kVerifyDiscourageOpSuccess),
            ScriptError::kDiscourageOpSuccess);
  EXPECT_EQ(Check(TapscriptSpend(Bytes{kOpPushdata1}, {})), ScriptError::kBadOpcode);
  EXPECT_EQ(Check(TapscriptSpend(Bytes{kOpReturn}, {}, 0xc2)), ScriptError::kOk);
  EXPECT_EQ(Check(TapscriptSpend(Bytes{kOpReturn}, {}, 0xc2),
                  kScriptTestFlags | kVerifyDiscourageUpgradableTaprootVersion),
            ScriptError::kDiscourageUpgradableTaprootVersion);
  EXPECT_EQ(Check(TapscriptSpend(Bytes{kOpCheckMultiSig}, {})),
            ScriptError::kTapscriptCheckMultiSig);
}

TEST(Tapscript, MinimalIfIsConsensusInTapscriptAndAFlagInWitnessV0) {
  const Bytes script{kOpIf, kOp1, kOpElse, kOp1, kOpEndIf};
  EXPECT_EQ(Check(TapscriptSpend(script, {Bytes{0x01}})), ScriptError::kOk);
  EXPECT_EQ(Check(TapscriptSpend(script, {Bytes{}})), ScriptError::kOk);
  EXPECT_EQ(Check(TapscriptSpend(script, {Bytes{0x02}})), ScriptError::kTapscriptMinimalIf);
  EXPECT_EQ(Check(TapscriptSpend(script, {Bytes{0x01, 0x00}})), ScriptError::kTapscriptMinimalIf);
  EXPECT_EQ(Check(P2wshSpend(script, {Bytes{0x02}})), ScriptError::kOk);
  EXPECT_EQ(Check(P2wshSpend(script, {Bytes{0x02}}), kScriptTestFlags | kVerifyMinimalIf),
            ScriptError::kMinimalIf);
}

TEST(Tapscript, ControlBlockAndCommitment) {
  Spend spend = TapscriptSpend(Bytes{kOp1}, {});
  spend.tx.inputs[0].witness.back().push_back(0x00);
  EXPECT_EQ(Check(spend), ScriptError::kTaprootWrongControlSize);
  spend = TapscriptSpend(Bytes{kOp1}, {});
  spend.tx.inputs[0].witness[0] = Bytes{0x52};  // a different leaf
  EXPECT_EQ(Check(spend), ScriptError::kWitnessProgramMismatch);
  spend = TapscriptSpend(Bytes{kOp1}, {});
  spend.tx.inputs[0].witness.back()[0] ^= 0x01;  // wrong parity
  EXPECT_EQ(Check(spend), ScriptError::kWitnessProgramMismatch);
  // An annex is set aside before the control block is looked for.
  spend = TapscriptSpend(Bytes{kOp1}, {});
  spend.tx.inputs[0].witness.push_back(Bytes{kAnnexTag, 0x00});
  EXPECT_EQ(Check(spend), ScriptError::kOk);
  // An empty witness for a v1 program.
  spend.tx.inputs[0].witness.clear();
  EXPECT_EQ(Check(spend), ScriptError::kWitnessProgramWitnessEmpty);
}

// --- Hostile scripts and stacks (issue 16 part 6) -----------------------------------------

TEST(Hostile, DeepIfNestingRunsInLinearTime) {
  constexpr std::size_t kDepth = 100000;
  const Bytes script =
      Concat({Repeat(Bytes{kOp1, kOpIf}, kDepth), Repeat(Bytes{kOpEndIf}, kDepth), {kOp1}});
  EXPECT_EQ(Check(TapscriptSpend(script, {})), ScriptError::kOk);
  const Bytes unexecuted = Concat({{kOp0, kOpIf},
                                   Repeat(Bytes{kOp1, kOpIf}, kDepth),
                                   Repeat(Bytes{kOpEndIf}, kDepth + 1),
                                   {kOp1}});
  EXPECT_EQ(Check(TapscriptSpend(unexecuted, {})), ScriptError::kOk);
  EXPECT_EQ(Check(TapscriptSpend(Repeat(Bytes{kOp1, kOpIf}, kDepth), {})),
            ScriptError::kUnbalancedConditional);
  EXPECT_EQ(Check(TapscriptSpend(Bytes{kOpEndIf}, {})), ScriptError::kUnbalancedConditional);
  EXPECT_EQ(Check(TapscriptSpend(Bytes{kOpElse}, {})), ScriptError::kUnbalancedConditional);
  // Witness v0 scripts are limited to 10,000 bytes and 201 ops.
  EXPECT_EQ(Check(P2wshSpend(script, {})), ScriptError::kScriptSize);
  EXPECT_EQ(Check(P2wshSpend(Concat({Repeat(Bytes{kOpNop}, 202), {kOp1}}), {})),
            ScriptError::kOpCount);
}

TEST(Hostile, ThousandElementStacks) {
  // 1000 initial elements are allowed, 1001 are not (tapscript counts the initial stack).
  const Bytes drop_all = Concat({Repeat(Bytes{kOpDrop}, 1000), {kOp1}});
  EXPECT_EQ(Check(TapscriptSpend(drop_all, std::vector<Bytes>(1000))), ScriptError::kOk);
  EXPECT_EQ(Check(TapscriptSpend(drop_all, std::vector<Bytes>(1001))), ScriptError::kStackSize);
  // Growing past 1000 during execution (stack plus altstack).
  EXPECT_EQ(Check(TapscriptSpend(Bytes{kOpToAltStack, kOp1, kOp1}, std::vector<Bytes>(999))),
            ScriptError::kStackSize);
  EXPECT_EQ(Check(TapscriptSpend(Repeat(Bytes{kOp1}, 1001), {})), ScriptError::kStackSize);
  // Elements above 520 bytes, in the witness or pushed.
  EXPECT_EQ(Check(TapscriptSpend(Bytes{kOpDrop, kOp1}, {Bytes(521, 0)})), ScriptError::kPushSize);
  EXPECT_EQ(Check(TapscriptSpend(Concat({Push(Bytes(521, 0)), {kOpDrop, kOp1}}), {})),
            ScriptError::kPushSize);
  EXPECT_EQ(Check(TapscriptSpend(Concat({Push(Bytes(520, 0)), {kOpDrop, kOp1}}), {})),
            ScriptError::kOk);
}

TEST(Hostile, StackUnderflowsAndNumbers) {
  for (std::uint8_t op : {kOpDrop, kOpDup, kOpSwap, kOpRot, kOp2Swap, kOpPick, kOpRoll, kOpAdd,
                          kOpWithin, kOpCheckSig, kOpCheckSigAdd, kOpSize, kOpVerify}) {
    EXPECT_EQ(Check(TapscriptSpend(Bytes{op}, {})), ScriptError::kInvalidStackOperation) << int{op};
  }
  EXPECT_EQ(Check(TapscriptSpend(Bytes{kOpFromAltStack}, {})),
            ScriptError::kInvalidAltstackOperation);
  // Operands longer than 4 bytes are not numbers.
  EXPECT_EQ(Check(TapscriptSpend(Bytes{kOp1, kOpAdd}, {Bytes(5, 1)})), ScriptError::kUnknownError);
  // 2 + 3 == 5; PICK beyond the stack.
  EXPECT_EQ(Check(TapscriptSpend(Bytes{0x52, 0x53, kOpAdd, 0x55, kOpNumEqual}, {})),
            ScriptError::kOk);
  EXPECT_EQ(Check(TapscriptSpend(Bytes{kOp1, 0x55, kOpPick}, {})),
            ScriptError::kInvalidStackOperation);
  EXPECT_EQ(Check(TapscriptSpend(Bytes{kOpCat}, {})), ScriptError::kOk);  // OP_SUCCESS126
  EXPECT_EQ(Check(P2wshSpend(Bytes{kOp0, kOpIf, kOpCat, kOpEndIf, kOp1}, {})),
            ScriptError::kDisabledOpcode);
}

TEST(Hostile, LockTimes) {
  // The transaction's lock time is 700000 (a height) and its input is not final.
  const Bytes cltv_ok = Concat({Push(ScriptNum(600000).Encode()), {kOpCheckLockTimeVerify}});
  EXPECT_EQ(Check(TapscriptSpend(cltv_ok, {})), ScriptError::kOk);
  const Bytes cltv_late = Concat({Push(ScriptNum(800000).Encode()), {kOpCheckLockTimeVerify}});
  EXPECT_EQ(Check(TapscriptSpend(cltv_late, {})), ScriptError::kUnsatisfiedLocktime);
  EXPECT_EQ(Check(TapscriptSpend(Bytes{kOp1Negate, kOpCheckLockTimeVerify}, {})),
            ScriptError::kNegativeLocktime);
  // Without the flag CLTV is a NOP.
  EXPECT_EQ(Check(TapscriptSpend(cltv_late, {}), kScriptTestFlags & ~kVerifyCheckLockTimeVerify),
            ScriptError::kOk);
  // CSV: the input's sequence 0xfffffffe has the disable flag set.
  EXPECT_EQ(Check(TapscriptSpend(Bytes{kOp1, kOpCheckSequenceVerify}, {})),
            ScriptError::kUnsatisfiedLocktime);
}

// --- Legacy and P2SH -----------------------------------------------------------------------

TEST(Legacy, PayToScriptHash) {
  const Bytes redeem{kOp1};
  const Hash160Digest hash = Hash160(redeem);
  Bytes spk{kOpHash160, 0x14};
  spk.insert(spk.end(), hash.begin(), hash.end());
  spk.push_back(kOpEqual);
  Spend spend;
  spend.tx = BaseTx();
  spend.tx.inputs[0].script_sig = Push(redeem);
  spend.spent.push_back(TxOut{1000, spk});
  EXPECT_EQ(Check(spend), ScriptError::kOk);
  // A scriptSig with a non-push op.
  spend.tx.inputs[0].script_sig = Concat({{kOpNop}, Push(redeem)});
  EXPECT_EQ(Check(spend), ScriptError::kSigPushOnly);
  // A witness where none is expected.
  spend.tx.inputs[0].script_sig = Push(redeem);
  spend.tx.inputs[0].witness = {Bytes{1}};
  EXPECT_EQ(Check(spend), ScriptError::kWitnessUnexpected);
  // A bare script that leaves false.
  spend.tx.inputs[0].witness.clear();
  spend.spent[0].script_pubkey = Bytes{kOp0};
  EXPECT_EQ(Check(spend), ScriptError::kEvalFalse);
}

TEST(Legacy, WitnessProgramsNeedAnEmptyScriptSig) {
  Spend spend = TapscriptSpend(Bytes{kOp1}, {});
  spend.tx.inputs[0].script_sig = Bytes{kOp1};
  EXPECT_EQ(Check(spend), ScriptError::kWitnessMalleated);
}

// --- Witness v0 ECDSA --------------------------------------------------------------------

// A P2WPKH spend of `amount` signed (SIGHASH_ALL) over BIP-143 with the secret 32 x `fill`.
Spend P2wpkhSpend(std::int64_t amount, std::uint8_t fill) {
  const Bytes secret(32, fill);
  secp256k1_context* ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  secp256k1_pubkey pubkey;
  EXPECT_EQ(secp256k1_ec_pubkey_create(ctx, &pubkey, secret.data()), 1);
  Bytes compressed(33);
  std::size_t len = compressed.size();
  secp256k1_ec_pubkey_serialize(ctx, compressed.data(), &len, &pubkey, SECP256K1_EC_COMPRESSED);
  const Hash160Digest hash = Hash160(compressed);
  Spend spend;
  spend.tx = BaseTx();
  Bytes spk{0x00, 0x14};
  spk.insert(spk.end(), hash.begin(), hash.end());
  spend.spent.push_back(TxOut{amount, spk});
  Bytes script_code{kOpDup, kOpHash160, 0x14};
  script_code.insert(script_code.end(), hash.begin(), hash.end());
  script_code.push_back(kOpEqualVerify);
  script_code.push_back(kOpCheckSig);
  const Hash256 sighash = WitnessV0Sighash(spend.tx, 0, script_code, amount, kSighashAll,
                                           PrecomputeTxData(spend.tx, spend.spent));
  secp256k1_ecdsa_signature sig;
  EXPECT_EQ(secp256k1_ecdsa_sign(ctx, &sig, sighash.data(), secret.data(), nullptr, nullptr), 1);
  Bytes der(72);
  len = der.size();
  secp256k1_ecdsa_signature_serialize_der(ctx, der.data(), &len, &sig);
  der.resize(len);
  der.push_back(kSighashAll);
  secp256k1_context_destroy(ctx);
  spend.tx.inputs[0].witness = {der, compressed};
  return spend;
}

TEST(WitnessV0, P2wpkhEcdsa) {
  Spend spend = P2wpkhSpend(100000, 0x07);
  EXPECT_EQ(Check(spend), ScriptError::kOk);
  EXPECT_EQ(Check(spend, kKernelVerifyAll | kVerifyStrictEnc | kVerifyLowS), ScriptError::kOk);
  // The amount is committed.
  spend.spent[0].value += 1;
  EXPECT_EQ(Check(spend), ScriptError::kSigNullFail);
  EXPECT_EQ(Check(spend, kScriptTestFlags & ~kVerifyNullFail), ScriptError::kEvalFalse);
  // A negative amount is missing data for witness v0 (Bitcoin Core), even when signed over.
  EXPECT_EQ(Check(P2wpkhSpend(-1, 0x07)), ScriptError::kSigNullFail);
  // Three witness items for P2WPKH.
  spend = P2wpkhSpend(100000, 0x07);
  spend.tx.inputs[0].witness.push_back(Bytes{});
  EXPECT_EQ(Check(spend), ScriptError::kWitnessProgramMismatch);
}

// --- The error model -----------------------------------------------------------------------

TEST(VerifyInput, ScriptFailuresAndSpentOutputErrors) {
  Spend spend = TapscriptSpend(Bytes{kOp0}, {});
  EXPECT_TRUE(VerifyInput(TapscriptSpend(Bytes{kOp1}, {}).tx, 0,
                          TapscriptSpend(Bytes{kOp1}, {}).spent, kScriptTestFlags));
  core::Status status = VerifyInput(spend.tx, 0, spend.spent, kScriptTestFlags);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, core::ErrorCode::kBtcScriptFailed);
  EXPECT_EQ(status.error().index, 0);
  EXPECT_NE(status.error().detail.find("EVAL_FALSE"), std::string::npos);
  status = VerifyInput(spend.tx, 1, spend.spent, kScriptTestFlags);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, core::ErrorCode::kBtcSpentOutputs);
  status = VerifyInput(spend.tx, 0, {}, kScriptTestFlags);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, core::ErrorCode::kBtcSpentOutputs);
}

TEST(ScriptNumbers, EncodeDecode) {
  for (std::int64_t v : {0L, 1L, -1L, 127L, 128L, -128L, 255L, 256L, 2147483647L, -2147483647L}) {
    const Bytes encoded = ScriptNum(v).Encode();
    auto decoded = ScriptNum::Decode(encoded, true, 5);
    ASSERT_TRUE(decoded) << v;
    EXPECT_EQ(decoded->Value(), v);
  }
  EXPECT_FALSE(ScriptNum::Decode(Bytes{0x01, 0x00}, true));
  EXPECT_TRUE(ScriptNum::Decode(Bytes{0x01, 0x00}, false));
  EXPECT_FALSE(ScriptNum::Decode(Bytes(5, 1), false));
  EXPECT_FALSE(CastToBool(Bytes{0x00, 0x80}));
  EXPECT_TRUE(CastToBool(Bytes{0x80, 0x00}));
}

}  // namespace
}  // namespace enclavectl::bitcoin
