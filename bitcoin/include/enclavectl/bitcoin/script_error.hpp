// Why a script failed: Bitcoin Core's ScriptError set, with Core's names and messages, and
// its mapping onto enclavectl's error model (BTC_SCRIPT_FAILED + detail).
#pragma once

#include <cstdint>
#include <string_view>

#include "enclavectl/core/result.hpp"

namespace enclavectl::bitcoin {

#define ENCLAVECTL_SCRIPT_ERRORS(X)                                                              \
  X(kOk, "OK", "No error")                                                                       \
  X(kUnknownError, "UNKNOWN_ERROR", "unknown error")                                             \
  X(kEvalFalse, "EVAL_FALSE",                                                                    \
    "Script evaluated without error but finished with a false/empty "                            \
    "top stack element")                                                                         \
  X(kOpReturn, "OP_RETURN", "OP_RETURN was encountered")                                         \
  X(kScriptSize, "SCRIPT_SIZE", "Script is too big")                                             \
  X(kPushSize, "PUSH_SIZE", "Push value size limit exceeded")                                    \
  X(kOpCount, "OP_COUNT", "Operation limit exceeded")                                            \
  X(kStackSize, "STACK_SIZE", "Stack size limit exceeded")                                       \
  X(kSigCount, "SIG_COUNT", "Signature count negative or greater than pubkey count")             \
  X(kPubkeyCount, "PUBKEY_COUNT", "Pubkey count negative or limit exceeded")                     \
  X(kVerify, "VERIFY", "Script failed an OP_VERIFY operation")                                   \
  X(kEqualVerify, "EQUALVERIFY", "Script failed an OP_EQUALVERIFY operation")                    \
  X(kCheckMultiSigVerify, "CHECKMULTISIGVERIFY",                                                 \
    "Script failed an OP_CHECKMULTISIGVERIFY "                                                   \
    "operation")                                                                                 \
  X(kCheckSigVerify, "CHECKSIGVERIFY", "Script failed an OP_CHECKSIGVERIFY operation")           \
  X(kNumEqualVerify, "NUMEQUALVERIFY", "Script failed an OP_NUMEQUALVERIFY operation")           \
  X(kBadOpcode, "BAD_OPCODE", "Opcode missing or not understood")                                \
  X(kDisabledOpcode, "DISABLED_OPCODE", "Attempted to use a disabled opcode")                    \
  X(kInvalidStackOperation, "INVALID_STACK_OPERATION",                                           \
    "Operation not valid with the current "                                                      \
    "stack size")                                                                                \
  X(kInvalidAltstackOperation, "INVALID_ALTSTACK_OPERATION",                                     \
    "Operation not valid with the "                                                              \
    "current altstack size")                                                                     \
  X(kUnbalancedConditional, "UNBALANCED_CONDITIONAL", "Invalid OP_IF construction")              \
  X(kNegativeLocktime, "NEGATIVE_LOCKTIME", "Negative locktime")                                 \
  X(kUnsatisfiedLocktime, "UNSATISFIED_LOCKTIME", "Locktime requirement not satisfied")          \
  X(kSigHashtype, "SIG_HASHTYPE", "Signature hash type missing or not understood")               \
  X(kSigDer, "SIG_DER", "Non-canonical DER signature")                                           \
  X(kMinimalData, "MINIMALDATA", "Data push larger than necessary")                              \
  X(kSigPushOnly, "SIG_PUSHONLY", "Only push operators allowed in signatures")                   \
  X(kSigHighS, "SIG_HIGH_S", "Non-canonical signature: S value is unnecessarily high")           \
  X(kSigNullDummy, "SIG_NULLDUMMY", "Dummy CHECKMULTISIG argument must be zero")                 \
  X(kPubkeyType, "PUBKEYTYPE", "Public key is neither compressed or uncompressed")               \
  X(kCleanStack, "CLEANSTACK", "Stack size must be exactly one after execution")                 \
  X(kMinimalIf, "MINIMALIF", "OP_IF/NOTIF argument must be minimal")                             \
  X(kSigNullFail, "SIG_NULLFAIL", "Signature must be zero for failed CHECK(MULTI)SIG operation") \
  X(kDiscourageUpgradableNops, "DISCOURAGE_UPGRADABLE_NOPS",                                     \
    "NOPx reserved for soft-fork "                                                               \
    "upgrades")                                                                                  \
  X(kDiscourageUpgradableWitnessProgram, "DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM",                \
    "Witness version reserved for soft-fork upgrades")                                           \
  X(kDiscourageUpgradableTaprootVersion, "DISCOURAGE_UPGRADABLE_TAPROOT_VERSION",                \
    "Taproot version reserved for soft-fork upgrades")                                           \
  X(kDiscourageOpSuccess, "DISCOURAGE_OP_SUCCESS",                                               \
    "OP_SUCCESSx reserved for soft-fork "                                                        \
    "upgrades")                                                                                  \
  X(kDiscourageUpgradablePubkeyType, "DISCOURAGE_UPGRADABLE_PUBKEYTYPE",                         \
    "Public key version "                                                                        \
    "reserved for soft-fork "                                                                    \
    "upgrades")                                                                                  \
  X(kWitnessProgramWrongLength, "WITNESS_PROGRAM_WRONG_LENGTH",                                  \
    "Witness program has "                                                                       \
    "incorrect length")                                                                          \
  X(kWitnessProgramWitnessEmpty, "WITNESS_PROGRAM_WITNESS_EMPTY",                                \
    "Witness program was passed "                                                                \
    "an empty witness")                                                                          \
  X(kWitnessProgramMismatch, "WITNESS_PROGRAM_MISMATCH", "Witness program hash mismatch")        \
  X(kWitnessMalleated, "WITNESS_MALLEATED", "Witness requires empty scriptSig")                  \
  X(kWitnessMalleatedP2sh, "WITNESS_MALLEATED_P2SH",                                             \
    "Witness requires only-redeemscript "                                                        \
    "scriptSig")                                                                                 \
  X(kWitnessUnexpected, "WITNESS_UNEXPECTED", "Witness provided for non-witness script")         \
  X(kWitnessPubkeyType, "WITNESS_PUBKEYTYPE", "Using non-compressed keys in segwit")             \
  X(kSchnorrSigSize, "SCHNORR_SIG_SIZE", "Invalid Schnorr signature size")                       \
  X(kSchnorrSigHashtype, "SCHNORR_SIG_HASHTYPE", "Invalid Schnorr signature hash type")          \
  X(kSchnorrSig, "SCHNORR_SIG", "Invalid Schnorr signature")                                     \
  X(kTaprootWrongControlSize, "TAPROOT_WRONG_CONTROL_SIZE",                                      \
    "Invalid Taproot control block "                                                             \
    "size")                                                                                      \
  X(kTapscriptValidationWeight, "TAPSCRIPT_VALIDATION_WEIGHT",                                   \
    "Too much signature validation "                                                             \
    "relative to witness weight")                                                                \
  X(kTapscriptCheckMultiSig, "TAPSCRIPT_CHECKMULTISIG",                                          \
    "OP_CHECKMULTISIG(VERIFY) is not "                                                           \
    "available in tapscript")                                                                    \
  X(kTapscriptMinimalIf, "TAPSCRIPT_MINIMALIF",                                                  \
    "OP_IF/NOTIF argument must be minimal in "                                                   \
    "tapscript")                                                                                 \
  X(kOpCodeSeparator, "OP_CODESEPARATOR", "Using OP_CODESEPARATOR in non-witness script")        \
  X(kSigFindAndDelete, "SIG_FINDANDDELETE", "Signature is found in scriptCode")

enum class ScriptError : std::uint8_t {
#define ENCLAVECTL_X_ENUM(name, text, message) name,
  ENCLAVECTL_SCRIPT_ERRORS(ENCLAVECTL_X_ENUM)
#undef ENCLAVECTL_X_ENUM
};

// Bitcoin Core's enum name without the SCRIPT_ERR_ prefix ("SCHNORR_SIG").
std::string_view ScriptErrorName(ScriptError error) noexcept;
// Bitcoin Core's ScriptErrorString text ("Invalid Schnorr signature").
std::string_view ScriptErrorMessage(ScriptError error) noexcept;

// kBtcScriptFailed with detail "input N: NAME (message)" and index = input_index.
core::Error ScriptFailure(ScriptError error, std::size_t input_index);

}  // namespace enclavectl::bitcoin
