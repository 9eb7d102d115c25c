// The Bitcoin script interpreter: pre-segwit scripts, P2SH, witness v0 (P2WPKH, P2WSH) and
// witness v1 Taproot (BIP-341 key path and script path, BIP-342 tapscript), following Bitcoin
// Core's consensus rules and flag semantics. Pure: the transaction, the spent outputs and the
// flags are inputs; the answer is ScriptError::kOk or the reason Bitcoin Core would give.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "enclavectl/bitcoin/script_error.hpp"
#include "enclavectl/bitcoin/sighash.hpp"
#include "enclavectl/bitcoin/transaction.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::bitcoin {

// Verification flags: Bitcoin Core's SCRIPT_VERIFY_* with the same bit values.
inline constexpr std::uint32_t kVerifyNone = 0;
inline constexpr std::uint32_t kVerifyP2sh = 1U << 0U;
inline constexpr std::uint32_t kVerifyStrictEnc = 1U << 1U;
inline constexpr std::uint32_t kVerifyDerSig = 1U << 2U;
inline constexpr std::uint32_t kVerifyLowS = 1U << 3U;
inline constexpr std::uint32_t kVerifyNullDummy = 1U << 4U;
inline constexpr std::uint32_t kVerifySigPushOnly = 1U << 5U;
inline constexpr std::uint32_t kVerifyMinimalData = 1U << 6U;
inline constexpr std::uint32_t kVerifyDiscourageUpgradableNops = 1U << 7U;
inline constexpr std::uint32_t kVerifyCleanStack = 1U << 8U;
inline constexpr std::uint32_t kVerifyCheckLockTimeVerify = 1U << 9U;
inline constexpr std::uint32_t kVerifyCheckSequenceVerify = 1U << 10U;
inline constexpr std::uint32_t kVerifyWitness = 1U << 11U;
inline constexpr std::uint32_t kVerifyDiscourageUpgradableWitnessProgram = 1U << 12U;
inline constexpr std::uint32_t kVerifyMinimalIf = 1U << 13U;
inline constexpr std::uint32_t kVerifyNullFail = 1U << 14U;
inline constexpr std::uint32_t kVerifyWitnessPubkeyType = 1U << 15U;
inline constexpr std::uint32_t kVerifyConstScriptCode = 1U << 16U;
inline constexpr std::uint32_t kVerifyTaproot = 1U << 17U;
inline constexpr std::uint32_t kVerifyDiscourageUpgradableTaprootVersion = 1U << 18U;
inline constexpr std::uint32_t kVerifyDiscourageOpSuccess = 1U << 19U;
inline constexpr std::uint32_t kVerifyDiscourageUpgradablePubkeyType = 1U << 20U;

// The flag set of Bitcoin Core's script_taproot_tests.json (testdata README 1.3).
inline constexpr std::uint32_t kScriptTestFlags = kVerifyP2sh | kVerifyCheckLockTimeVerify |
                                                  kVerifyCheckSequenceVerify | kVerifyWitness |
                                                  kVerifyNullFail | kVerifyTaproot;
// libbitcoinkernel's VERIFY_ALL (the confidential-script verifier's flags, spec 1.4).
inline constexpr std::uint32_t kKernelVerifyAll =
    kVerifyP2sh | kVerifyDerSig | kVerifyNullDummy | kVerifyCheckLockTimeVerify |
    kVerifyCheckSequenceVerify | kVerifyWitness | kVerifyTaproot;

// Consensus limits.
inline constexpr std::size_t kMaxScriptElementSize = 520;
inline constexpr int kMaxOpsPerScript = 201;
inline constexpr int kMaxPubkeysPerMultisig = 20;
inline constexpr std::size_t kMaxScriptSize = 10000;
inline constexpr std::size_t kMaxStackSize = 1000;
inline constexpr std::int64_t kValidationWeightPerSigopPassed = 50;
inline constexpr std::int64_t kValidationWeightOffset = 50;

enum class SigVersion : std::uint8_t { kBase, kWitnessV0, kTaproot, kTapscript };

// Per-input state of a Taproot spend (Bitcoin Core's ScriptExecutionData).
struct ExecutionData {
  std::optional<Hash256> tapleaf_hash;
  // Opcode position of the last executed OP_CODESEPARATOR (0xffffffff: none).
  std::uint32_t codesep_pos = 0xffffffff;
  // Set once the annex question is settled; annex_hash holds SHA-256(CompactSize || annex).
  bool annex_init = false;
  std::optional<Hash256> annex_hash;
  // The BIP-342 signature-operation budget, once initialised.
  std::optional<std::int64_t> validation_weight_left;
};

// Signature and lock-time checks against one input of a transaction. Borrows `tx` and
// `precomputed`, which must outlive the checker.
class SignatureChecker {
 public:
  SignatureChecker(const Transaction& tx, std::size_t input_index, std::int64_t amount,
                   const PrecomputedTxData& precomputed) noexcept
      : tx_(tx), input_index_(input_index), amount_(amount), precomputed_(precomputed) {}

  // ECDSA over the BIP-143 (witness v0) or legacy signature hash; `sig` ends in the hash type.
  bool CheckEcdsaSignature(ByteView sig, ByteView pubkey, ByteView script_code,
                           SigVersion sigversion) const;
  // BIP-340 over the BIP-341/342 signature hash; kOk or the Schnorr error Core reports.
  ScriptError CheckSchnorrSignature(ByteView sig, ByteView pubkey, SigVersion sigversion,
                                    const ExecutionData& execdata) const;
  bool CheckLockTime(std::int64_t lock_time) const;
  bool CheckSequence(std::int64_t sequence) const;

 private:
  const Transaction& tx_;
  std::size_t input_index_;
  std::int64_t amount_;
  const PrecomputedTxData& precomputed_;
};

using Stack = std::vector<Bytes>;

// Executes `script` on `stack` (Bitcoin Core's EvalScript). Returns kOk when the script ran
// to its end; the caller judges the resulting stack.
ScriptError EvalScript(Stack& stack, ByteView script, std::uint32_t flags,
                       const SignatureChecker& checker, SigVersion sigversion,
                       ExecutionData& execdata);

// Verifies one input: scriptSig, scriptPubKey, P2SH redeem script and witness program
// (Bitcoin Core's VerifyScript). kOk when the spend is valid under `flags`.
ScriptError VerifyScript(ByteView script_sig, ByteView script_pubkey,
                         const std::vector<Bytes>& witness, std::uint32_t flags,
                         const SignatureChecker& checker);

// Verifies input `input_index` of `tx` (untrusted) spending `spent_outputs` (one per input,
// untrusted) under `flags`. Fails with kBtcSpentOutputs when the index is out of range or the
// counts differ, and with kBtcScriptFailed (index = input, detail = Core's script error) when
// the script does not verify. `precomputed` may be passed to share the transaction-wide
// hashes between inputs; it must then come from PrecomputeTxData(tx, spent_outputs).
[[nodiscard]] core::Status VerifyInput(const Transaction& tx, std::size_t input_index,
                                       std::span<const TxOut> spent_outputs, std::uint32_t flags,
                                       const PrecomputedTxData* precomputed = nullptr);

// The same with the script error itself (kOk on success); kBtcSpentOutputs as VerifyInput.
[[nodiscard]] core::Result<ScriptError> CheckInput(const Transaction& tx, std::size_t input_index,
                                                   std::span<const TxOut> spent_outputs,
                                                   std::uint32_t flags,
                                                   const PrecomputedTxData* precomputed = nullptr);

}  // namespace enclavectl::bitcoin
