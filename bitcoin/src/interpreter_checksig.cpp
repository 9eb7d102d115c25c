// Signatures in scripts: DER and public-key encodings, FindAndDelete, CHECKSIG before and in
// tapscript, CHECKSIGADD, CHECKMULTISIG, the hash opcodes, and the signature checks of
// SignatureChecker.
#include <algorithm>
#include <cstddef>

#include "enclavectl/bitcoin/hashes.hpp"
#include "enclavectl/bitcoin/interpreter.hpp"
#include "enclavectl/bitcoin/keys.hpp"
#include "enclavectl/bitcoin/script.hpp"
#include "enclavectl/bitcoin/taproot.hpp"
#include "interpreter_internal.hpp"

namespace enclavectl::bitcoin {
namespace interpreter_internal {
namespace {

// BIP-66 strict DER with the hash type byte appended (Bitcoin Core's
// IsValidSignatureEncoding).
bool IsValidSignatureEncoding(ByteView sig) {
  if (sig.size() < 9 || sig.size() > 73) {
    return false;
  }
  if (sig[0] != 0x30 || sig[1] != sig.size() - 3) {
    return false;
  }
  const std::size_t len_r = sig[3];
  if (5 + len_r >= sig.size()) {
    return false;
  }
  const std::size_t len_s = sig[5 + len_r];
  if (len_r + len_s + 7 != sig.size()) {
    return false;
  }
  if (sig[2] != 0x02 || len_r == 0 || (sig[4] & 0x80U) != 0) {
    return false;
  }
  if (len_r > 1 && sig[4] == 0x00 && (sig[5] & 0x80U) == 0) {
    return false;
  }
  if (sig[len_r + 4] != 0x02 || len_s == 0 || (sig[len_r + 6] & 0x80U) != 0) {
    return false;
  }
  if (len_s > 1 && sig[len_r + 6] == 0x00 && (sig[len_r + 7] & 0x80U) == 0) {
    return false;
  }
  return true;
}

ScriptError CheckSignatureEncoding(ByteView sig, std::uint32_t flags) {
  // An empty signature is a compact way to fail CHECKSIG without aborting.
  if (sig.empty()) {
    return ScriptError::kOk;
  }
  if ((flags & (kVerifyDerSig | kVerifyLowS | kVerifyStrictEnc)) != 0 &&
      !IsValidSignatureEncoding(sig)) {
    return ScriptError::kSigDer;
  }
  if ((flags & kVerifyLowS) != 0 && !IsLowS(sig.first(sig.size() - 1))) {
    return ScriptError::kSigHighS;
  }
  if ((flags & kVerifyStrictEnc) != 0) {
    const auto base = static_cast<std::uint8_t>(sig.back() & ~kSighashAnyoneCanPay);
    if (base < kSighashAll || base > kSighashSingle) {
      return ScriptError::kSigHashtype;
    }
  }
  return ScriptError::kOk;
}

ScriptError CheckPubKeyEncoding(ByteView pubkey, std::uint32_t flags, SigVersion sigversion) {
  const bool compressed = pubkey.size() == 33 && (pubkey[0] == 0x02 || pubkey[0] == 0x03);
  const bool uncompressed = pubkey.size() == 65 && pubkey[0] == 0x04;
  if ((flags & kVerifyStrictEnc) != 0 && !compressed && !uncompressed) {
    return ScriptError::kPubkeyType;
  }
  if ((flags & kVerifyWitnessPubkeyType) != 0 && sigversion == SigVersion::kWitnessV0 &&
      !compressed) {
    return ScriptError::kWitnessPubkeyType;
  }
  return ScriptError::kOk;
}

// Removes every occurrence of `needle` that starts at an op boundary (Bitcoin Core's
// FindAndDelete). Returns how many were removed.
int FindAndDelete(Bytes& script, ByteView needle) {
  if (needle.empty()) {
    return 0;
  }
  int found = 0;
  Bytes result;
  std::size_t pc = 0;
  std::size_t pc2 = 0;
  const std::size_t end = script.size();
  std::uint8_t opcode = 0;
  ByteView data;
  do {
    result.insert(result.end(), script.begin() + static_cast<std::ptrdiff_t>(pc2),
                  script.begin() + static_cast<std::ptrdiff_t>(pc));
    while (end - pc >= needle.size() &&
           std::equal(needle.begin(), needle.end(),
                      script.begin() + static_cast<std::ptrdiff_t>(pc))) {
      pc += needle.size();
      ++found;
    }
    pc2 = pc;
  } while (GetScriptOp(script, pc, opcode, data));
  if (found > 0) {
    result.insert(result.end(), script.begin() + static_cast<std::ptrdiff_t>(pc2), script.end());
    script = std::move(result);
  }
  return found;
}

// The pre-tapscript CHECKSIG (Bitcoin Core's EvalChecksigPreTapscript). Sets `success`.
ScriptError EvalChecksigPreTapscript(ByteView sig, ByteView pubkey, ByteView script_code_view,
                                     std::uint32_t flags, const SignatureChecker& checker,
                                     SigVersion sigversion, bool& success) {
  Bytes script_code(script_code_view.begin(), script_code_view.end());
  if (sigversion == SigVersion::kBase) {
    // A signature cannot sign itself: remove it from the script code.
    const int found = FindAndDelete(script_code, PushData(sig));
    if (found > 0 && (flags & kVerifyConstScriptCode) != 0) {
      return ScriptError::kSigFindAndDelete;
    }
  }
  if (ScriptError e = CheckSignatureEncoding(sig, flags); e != ScriptError::kOk) {
    return e;
  }
  if (ScriptError e = CheckPubKeyEncoding(pubkey, flags, sigversion); e != ScriptError::kOk) {
    return e;
  }
  success = checker.CheckEcdsaSignature(sig, pubkey, script_code, sigversion);
  if (!success && (flags & kVerifyNullFail) != 0 && !sig.empty()) {
    return ScriptError::kSigNullFail;
  }
  return ScriptError::kOk;
}

// BIP-342 CHECKSIG (Bitcoin Core's EvalChecksigTapscript). Sets `success`.
ScriptError EvalChecksigTapscript(ByteView sig, ByteView pubkey, ExecutionData& execdata,
                                  std::uint32_t flags, const SignatureChecker& checker,
                                  bool& success) {
  // An empty signature fails without consuming budget or aborting.
  success = !sig.empty();
  if (success) {
    // Every non-empty signature costs budget, even under an unknown key type.
    *execdata.validation_weight_left -= kValidationWeightPerSigopPassed;
    if (*execdata.validation_weight_left < 0) {
      return ScriptError::kTapscriptValidationWeight;
    }
  }
  if (pubkey.empty()) {
    return ScriptError::kPubkeyType;
  }
  if (pubkey.size() == 32) {
    if (success) {
      ScriptError e = checker.CheckSchnorrSignature(sig, pubkey, SigVersion::kTapscript, execdata);
      if (e != ScriptError::kOk) {
        return e;
      }
    }
  } else if ((flags & kVerifyDiscourageUpgradablePubkeyType) != 0) {
    // Unknown public key types are always valid (BIP-342), unless discouraged by policy.
    return ScriptError::kDiscourageUpgradablePubkeyType;
  }
  return ScriptError::kOk;
}

ScriptError EvalChecksig(ByteView sig, ByteView pubkey, ByteView script_code,
                         ExecutionData& execdata, std::uint32_t flags,
                         const SignatureChecker& checker, SigVersion sigversion, bool& success) {
  if (sigversion == SigVersion::kTapscript) {
    return EvalChecksigTapscript(sig, pubkey, execdata, flags, checker, success);
  }
  return EvalChecksigPreTapscript(sig, pubkey, script_code, flags, checker, sigversion, success);
}

// Pops the `num_items` items of a CHECKMULTISIG (counts, keys, signatures) and checks the
// dummy below them, leaving it on the stack. With NULLFAIL, a failed check requires every
// signature empty; `ikey2` is the position of the last non-signature item. With NULLDUMMY the
// dummy must be empty.
ScriptError PopMultisigItems(ScriptMachine& m, std::size_t num_items, std::size_t ikey2,
                             bool success) {
  std::size_t i = num_items;
  // Pop every item; with NULLFAIL, a failed check requires every signature empty.
  while (i-- > 1) {
    if (!success && (m.flags & kVerifyNullFail) != 0 && ikey2 == 0 && !m.Top(1).empty()) {
      return ScriptError::kSigNullFail;
    }
    if (ikey2 > 0) {
      --ikey2;
    }
    m.Pop();
  }
  // The historical extra item (the "dummy").
  if (m.stack.empty()) {
    return ScriptError::kInvalidStackOperation;
  }
  if ((m.flags & kVerifyNullDummy) != 0 && !m.Top(1).empty()) {
    return ScriptError::kSigNullDummy;
  }
  return ScriptError::kOk;
}

ScriptError ExecCheckMultiSig(ScriptMachine& m, std::uint8_t opcode) {
  if (m.sigversion == SigVersion::kTapscript) {
    return ScriptError::kTapscriptCheckMultiSig;
  }
  // ([dummy] [sig ...] num_of_signatures [pubkey ...] num_of_pubkeys)
  std::size_t i = 1;
  if (m.stack.size() < i) {
    return ScriptError::kInvalidStackOperation;
  }
  auto keys_num = m.Num(i);
  if (!keys_num) {
    return ScriptError::kUnknownError;
  }
  int keys_count = keys_num->GetInt();
  if (keys_count < 0 || keys_count > kMaxPubkeysPerMultisig) {
    return ScriptError::kPubkeyCount;
  }
  m.op_count += keys_count;
  if (m.op_count > kMaxOpsPerScript) {
    return ScriptError::kOpCount;
  }
  std::size_t ikey = ++i;
  // ikey2 is the position of the last non-signature item on the stack (NULLFAIL).
  std::size_t ikey2 = static_cast<std::size_t>(keys_count) + 2;
  i += static_cast<std::size_t>(keys_count);
  if (m.stack.size() < i) {
    return ScriptError::kInvalidStackOperation;
  }
  auto sigs_num = m.Num(i);
  if (!sigs_num) {
    return ScriptError::kUnknownError;
  }
  int sigs_count = sigs_num->GetInt();
  if (sigs_count < 0 || sigs_count > keys_count) {
    return ScriptError::kSigCount;
  }
  std::size_t isig = ++i;
  i += static_cast<std::size_t>(sigs_count);
  if (m.stack.size() < i) {
    return ScriptError::kInvalidStackOperation;
  }
  Bytes script_code(m.script.begin() + static_cast<std::ptrdiff_t>(m.code_begin), m.script.end());
  for (int k = 0; k < sigs_count; ++k) {
    const Bytes& sig = m.Top(isig + static_cast<std::size_t>(k));
    if (m.sigversion == SigVersion::kBase) {
      const int found = FindAndDelete(script_code, PushData(sig));
      if (found > 0 && (m.flags & kVerifyConstScriptCode) != 0) {
        return ScriptError::kSigFindAndDelete;
      }
    }
  }
  bool success = true;
  while (success && sigs_count > 0) {
    const Bytes& sig = m.Top(isig);
    const Bytes& pubkey = m.Top(ikey);
    if (ScriptError e = CheckSignatureEncoding(sig, m.flags); e != ScriptError::kOk) {
      return e;
    }
    if (ScriptError e = CheckPubKeyEncoding(pubkey, m.flags, m.sigversion); e != ScriptError::kOk) {
      return e;
    }
    if (m.checker.CheckEcdsaSignature(sig, pubkey, script_code, m.sigversion)) {
      ++isig;
      --sigs_count;
    }
    ++ikey;
    --keys_count;
    // More signatures left than keys: the rest cannot match.
    if (sigs_count > keys_count) {
      success = false;
    }
  }
  if (ScriptError e = PopMultisigItems(m, i, ikey2, success); e != ScriptError::kOk) {
    return e;
  }
  m.Pop();
  m.stack.push_back(BoolBytes(success));
  if (opcode == kOpCheckMultiSigVerify) {
    if (!success) {
      return ScriptError::kCheckMultiSigVerify;
    }
    m.Pop();
  }
  return ScriptError::kOk;
}

// OP_RIPEMD160..OP_HASH256: the top item replaced by its hash.
ScriptError ExecHashOp(ScriptMachine& m, std::uint8_t opcode) {
  if (m.stack.empty()) {
    return ScriptError::kInvalidStackOperation;
  }
  const Bytes& value = m.Top(1);
  Bytes hash;
  if (opcode == kOpRipemd160) {
    const auto h = Ripemd160(value);
    hash.assign(h.begin(), h.end());
  } else if (opcode == kOpSha1) {
    const auto h = Sha1(value);
    hash.assign(h.begin(), h.end());
  } else if (opcode == kOpSha256) {
    const auto h = Sha256(value);
    hash.assign(h.begin(), h.end());
  } else if (opcode == kOpHash160) {
    const auto h = Hash160(value);
    hash.assign(h.begin(), h.end());
  } else {
    const auto h = DoubleSha256(value);
    hash.assign(h.begin(), h.end());
  }
  m.Pop();
  m.stack.push_back(std::move(hash));
  return ScriptError::kOk;
}

// OP_CHECKSIG and OP_CHECKSIGVERIFY.
ScriptError ExecCheckSig(ScriptMachine& m, std::uint8_t opcode) {
  if (m.stack.size() < 2) {
    return ScriptError::kInvalidStackOperation;
  }
  bool success = false;
  if (ScriptError e = EvalChecksig(m.Top(2), m.Top(1), m.script.subspan(m.code_begin), m.execdata,
                                   m.flags, m.checker, m.sigversion, success);
      e != ScriptError::kOk) {
    return e;
  }
  m.Pop();
  m.Pop();
  m.stack.push_back(BoolBytes(success));
  if (opcode == kOpCheckSigVerify) {
    if (!success) {
      return ScriptError::kCheckSigVerify;
    }
    m.Pop();
  }
  return ScriptError::kOk;
}

// OP_CHECKSIGADD (BIP-342; not an opcode before tapscript).
ScriptError ExecCheckSigAdd(ScriptMachine& m) {
  // BIP-342; not an opcode before tapscript.
  if (m.pre_tapscript) {
    return ScriptError::kBadOpcode;
  }
  if (m.stack.size() < 3) {
    return ScriptError::kInvalidStackOperation;
  }
  auto n = m.Num(2);
  if (!n) {
    return ScriptError::kUnknownError;
  }
  bool success = false;
  if (ScriptError e = EvalChecksig(m.Top(3), m.Top(1), m.script.subspan(m.code_begin), m.execdata,
                                   m.flags, m.checker, m.sigversion, success);
      e != ScriptError::kOk) {
    return e;
  }
  m.Pop();
  m.Pop();
  m.Pop();
  m.stack.push_back(ScriptNum(n->Value() + (success ? 1 : 0)).Encode());
  return ScriptError::kOk;
}

}  // namespace

ScriptError ExecCryptoOp(ScriptMachine& m, std::uint8_t opcode) {
  switch (opcode) {
    case kOpRipemd160:
    case kOpSha1:
    case kOpSha256:
    case kOpHash160:
    case kOpHash256:
      return ExecHashOp(m, opcode);

    case kOpCodeSeparator:
      // Signatures commit to the script after the last executed OP_CODESEPARATOR
      // (pre-tapscript) or to its position (BIP-342).
      m.code_begin = m.pc;
      m.execdata.codesep_pos = m.opcode_pos;
      break;

    case kOpCheckSig:
    case kOpCheckSigVerify:
      return ExecCheckSig(m, opcode);

    case kOpCheckSigAdd:
      return ExecCheckSigAdd(m);

    case kOpCheckMultiSig:
    case kOpCheckMultiSigVerify:
      return ExecCheckMultiSig(m, opcode);

    default:
      return ScriptError::kBadOpcode;
  }
  return ScriptError::kOk;
}

}  // namespace interpreter_internal

bool SignatureChecker::CheckEcdsaSignature(ByteView sig, ByteView pubkey, ByteView script_code,
                                           SigVersion sigversion) const {
  if (sig.empty()) {
    return false;
  }
  // Core treats a negative amount as missing data for witness v0 signature hashes.
  if (sigversion == SigVersion::kWitnessV0 && amount_ < 0) {
    return false;
  }
  const auto hash_type = static_cast<std::int32_t>(sig.back());
  const ByteView der = sig.first(sig.size() - 1);
  const Hash256 sighash =
      sigversion == SigVersion::kWitnessV0
          ? WitnessV0Sighash(tx_, input_index_, script_code, amount_, hash_type, precomputed_)
          : LegacySighash(tx_, input_index_, script_code, hash_type);
  return VerifyEcdsaLax(der, pubkey, sighash);
}

ScriptError SignatureChecker::CheckSchnorrSignature(ByteView sig, ByteView pubkey,
                                                    SigVersion sigversion,
                                                    const ExecutionData& execdata) const {
  // BIP-341: 64 bytes (SIGHASH_DEFAULT) or 65 with an explicit, non-zero hash type.
  if (sig.size() != 64 && sig.size() != 65) {
    return ScriptError::kSchnorrSigSize;
  }
  std::uint8_t hash_type = kSighashDefault;
  if (sig.size() == 65) {
    hash_type = sig.back();
    if (hash_type == kSighashDefault) {
      return ScriptError::kSchnorrSigHashtype;
    }
    sig = sig.first(64);
  }
  TapscriptSighashContext tapscript;
  const bool script_path = sigversion == SigVersion::kTapscript;
  if (script_path) {
    tapscript.tapleaf_hash = execdata.tapleaf_hash.value_or(Hash256{});
    tapscript.codesep_pos = execdata.codesep_pos;
  }
  auto sighash = TaprootSighash(tx_, input_index_, hash_type, precomputed_, execdata.annex_hash,
                                script_path ? &tapscript : nullptr);
  if (!sighash) {
    return ScriptError::kSchnorrSigHashtype;
  }
  if (!VerifySchnorr(sig, *sighash, pubkey)) {
    return ScriptError::kSchnorrSig;
  }
  return ScriptError::kOk;
}

}  // namespace enclavectl::bitcoin
