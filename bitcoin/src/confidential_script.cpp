#include "enclavectl/bitcoin/confidential_script.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <secp256k1.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "enclavectl/bitcoin/hashes.hpp"
#include "enclavectl/bitcoin/script.hpp"
#include "enclavectl/bitcoin/sighash.hpp"
#include "enclavectl/bitcoin/taproot.hpp"
#include "enclavectl/core/handles.hpp"

namespace enclavectl::bitcoin {
namespace {

using core::ErrorCode;
using core::Fail;

// The secp256k1 group order n, big-endian.
constexpr std::array<std::uint8_t, 32> kOrder = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};

// Spec 1.5 item 1: TAPROOT_ANNEX_DATA_CARRYING_TAG.
constexpr std::uint8_t kAnnexDataCarryingTag = 0x00;

const secp256k1_context* PublicContext() {
  static const core::Secp256k1ContextPtr ctx(secp256k1_context_create(SECP256K1_CONTEXT_NONE));
  return ctx.get();
}

// Spec 1.6: IL = HMAC-SHA512(compressed(P), root)[0..32], reduced mod n (IL < 2^256 < 2n, so
// one subtraction suffices).
core::Result<Hash256> ChildTweak(ByteView parent_compressed, const Hash256& emulated_root) {
  std::array<std::uint8_t, 64> mac{};
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha512(), parent_compressed.data(), static_cast<int>(parent_compressed.size()),
           emulated_root.data(), emulated_root.size(), mac.data(), &mac_len) == nullptr ||
      mac_len != mac.size()) {
    return Fail(ErrorCode::kInternal, core::DrainOpensslErrors("HMAC-SHA512"));
  }
  Hash256 tweak{};
  std::copy_n(mac.begin(), 32, tweak.begin());
  if (!std::lexicographical_compare(tweak.begin(), tweak.end(), kOrder.begin(), kOrder.end())) {
    int borrow = 0;
    for (std::size_t i = 32; i-- > 0;) {
      const int diff = static_cast<int>(tweak[i]) - static_cast<int>(kOrder[i]) - borrow;
      borrow = diff < 0 ? 1 : 0;
      tweak[i] = static_cast<std::uint8_t>(diff + (borrow * 256));
    }
  }
  return tweak;
}

core::Result<std::array<std::uint8_t, 33>> Compress(const secp256k1_pubkey& pubkey) {
  std::array<std::uint8_t, 33> out{};
  std::size_t len = out.size();
  if (secp256k1_ec_pubkey_serialize(PublicContext(), out.data(), &len, &pubkey,
                                    SECP256K1_EC_COMPRESSED) != 1 ||
      len != out.size()) {
    return Fail(ErrorCode::kInternal, "secp256k1: cannot serialise a public key");
  }
  return out;
}

core::Error VerifyAndSignError(ErrorCode code, const std::string& text, std::size_t index) {
  return core::Error{code, text, static_cast<int>(index)};
}

// Spec 1.3 item 2: the witness as rust-bitcoin classifies a script-path spend.
struct ScriptPathView {
  std::optional<Bytes> annex;
  const Bytes* script = nullptr;
  const Bytes* control = nullptr;
};

std::optional<ScriptPathView> ClassifyScriptPath(const std::vector<Bytes>& witness) {
  ScriptPathView view;
  std::size_t n = witness.size();
  if (n >= 2 && !witness.back().empty() && witness.back()[0] == kAnnexTag) {
    view.annex = witness.back();
    --n;
  }
  if (n < 2) {
    return std::nullopt;
  }
  view.control = &witness[n - 1];
  view.script = &witness[n - 2];
  return view;
}

struct EmulatedInput {
  std::size_t index = 0;
  Bytes emulated_spk;
  core::SecretBytes child;
  std::optional<Bytes> annex;
};

}  // namespace

core::Result<core::SecretBytes> DeriveChildSecret(ByteView parent_secret,
                                                  const Hash256& emulated_root) {
  auto ctx = core::MakeSecp256k1Context();
  if (!ctx) {
    return Fail(ErrorCode::kInternal, "secp256k1: cannot create a signing context");
  }
  secp256k1_pubkey parent;
  if (parent_secret.size() != 32 ||
      secp256k1_ec_pubkey_create(ctx.get(), &parent, parent_secret.data()) != 1) {
    return Fail(ErrorCode::kBtcKeyInvalid,
                "Secp256k1 cryptographic operation failed: invalid parent secret key");
  }
  auto compressed = Compress(parent);
  if (!compressed) {
    return Fail(compressed.error());
  }
  auto tweak = ChildTweak(*compressed, emulated_root);
  if (!tweak) {
    return Fail(tweak.error());
  }
  core::SecretBytes child(parent_secret);
  if (secp256k1_ec_seckey_tweak_add(ctx.get(), child.MutableData(), tweak->data()) != 1) {
    return Fail(ErrorCode::kBtcKeyInvalid,
                "Secp256k1 cryptographic operation failed: child secret key is zero");
  }
  return child;
}

core::Result<std::array<std::uint8_t, 33>> DeriveChildPublic(ByteView parent_public,
                                                             const Hash256& emulated_root) {
  secp256k1_pubkey key;
  if (parent_public.empty() ||
      secp256k1_ec_pubkey_parse(PublicContext(), &key, parent_public.data(),
                                parent_public.size()) != 1) {
    return Fail(ErrorCode::kBtcKeyInvalid,
                "Secp256k1 cryptographic operation failed: invalid parent public key");
  }
  auto compressed = Compress(key);
  if (!compressed) {
    return Fail(compressed.error());
  }
  auto tweak = ChildTweak(*compressed, emulated_root);
  if (!tweak) {
    return Fail(tweak.error());
  }
  if (secp256k1_ec_pubkey_tweak_add(PublicContext(), &key, tweak->data()) != 1) {
    return Fail(ErrorCode::kBtcKeyInvalid,
                "Secp256k1 cryptographic operation failed: child public key is infinity");
  }
  return Compress(key);
}

core::Result<RealOutput> GenerateAddress(ByteView parent_public, const Hash256& emulated_root,
                                         const std::optional<Hash256>& backup_root,
                                         std::string_view network) {
  std::string_view hrp;
  if (network == "bitcoin" || network == "mainnet") {
    hrp = "bc";
  } else if (network == "testnet" || network == "testnet4" || network == "signet") {
    hrp = "tb";
  } else if (network == "regtest") {
    hrp = "bcrt";
  } else {
    return Fail(ErrorCode::kInvalidArgument,
                "unknown network '" + std::string(network) +
                    "' (bitcoin, mainnet, testnet, testnet4, signet, regtest)");
  }
  auto child = DeriveChildPublic(parent_public, emulated_root);
  if (!child) {
    return Fail(child.error());
  }
  RealOutput out;
  std::copy_n(child->begin() + 1, 32, out.internal_key.begin());
  auto output = TaprootOutputKey(out.internal_key, backup_root);
  if (!output) {
    return Fail(output.error());
  }
  out.output_key = output->key;
  out.script_pubkey = P2trScriptPubKey(output->key);
  out.address = EncodeSegwitAddress(hrp, 1, output->key);
  return out;
}

namespace {

// The backup script tree's merkle root for input `index`, if one was given.
std::optional<Hash256> BackupRoot(const std::map<std::size_t, Hash256>& backup_merkle_roots,
                                  std::size_t index) {
  if (auto it = backup_merkle_roots.find(index); it != backup_merkle_roots.end()) {
    return it->second;
  }
  return std::nullopt;
}

// 1.3, items 1-9 for input `i`: nullopt when it is not an emulated input (items 1-3, 7); the
// emulated input with its child key; or the error that aborts the whole call.
core::Result<std::optional<EmulatedInput>> FindEmulatedInput(
    const Transaction& emulated_tx, std::span<const TxOut> actual_spent_outputs, std::size_t i,
    ByteView parent_secret, const std::map<std::size_t, Hash256>& backup_merkle_roots) {
  const Bytes& real_spk = actual_spent_outputs[i].script_pubkey;
  if (real_spk.size() != 34 || real_spk[0] != kOp1 || real_spk[1] != 0x20) {
    return std::optional<EmulatedInput>();  // item 1: not P2TR
  }
  auto view = ClassifyScriptPath(emulated_tx.inputs[i].witness);
  if (!view) {
    return std::optional<EmulatedInput>();  // item 2: not a script-path spend
  }
  const Bytes& control_bytes = *view->control;
  if (control_bytes.size() < kControlBaseSize ||
      (control_bytes[0] & kTaprootLeafMask) == kAnnexTag) {
    return std::optional<EmulatedInput>();  // item 3: no leaf script can be extracted
  }
  // Item 4: a control block that does not decode aborts the whole call.
  auto control = DecodeControlBlock(control_bytes);
  if (!control || !IsValidXOnly(control->internal_key)) {
    return Fail(VerifyAndSignError(ErrorCode::kBtcInvalidControlBlock,
                                   "Input has invalid control block", i));
  }
  // Items 5-6: the emulated merkle root and scriptPubKey.
  const Hash256 root =
      ComputeMerkleRoot(TapLeafHash(control->leaf_version, *view->script), control->path);
  auto emulated_key = TaprootOutputKey(control->internal_key, root);
  if (!emulated_key) {
    return Fail(VerifyAndSignError(
        ErrorCode::kBtcKeyInvalid,
        "Secp256k1 cryptographic operation failed: " + emulated_key.error().detail, i));
  }
  Bytes emulated_spk = P2trScriptPubKey(emulated_key->key);
  if (emulated_spk == real_spk) {
    // Item 7: an ordinary script-path spend of a real output.
    return std::optional<EmulatedInput>();
  }
  // Items 8-9: the child key and the real output it must be spending.
  auto child = DeriveChildSecret(parent_secret, root);
  if (!child) {
    return Fail(VerifyAndSignError(child.error().code, child.error().detail, i));
  }
  auto internal = XOnlyFromSecret(child->View());
  if (!internal) {
    return Fail(VerifyAndSignError(internal.error().code, internal.error().detail, i));
  }
  auto real_key = TaprootOutputKey(*internal, BackupRoot(backup_merkle_roots, i));
  if (!real_key || P2trScriptPubKey(real_key->key) != real_spk) {
    return Fail(
        VerifyAndSignError(ErrorCode::kBtcUnexpectedInput, "Unexpected input scriptPubKey", i));
  }
  EmulatedInput input;
  input.index = i;
  input.emulated_spk = std::move(emulated_spk);
  input.child = std::move(*child);
  input.annex = view->annex;
  return std::optional<EmulatedInput>(std::move(input));
}

// 1.4: every emulated input verifies against its emulated scriptPubKey, with the real
// amounts and scriptPubKeys in the signature hashes.
core::Status VerifyEmulatedInputs(const Transaction& emulated_tx,
                                  std::span<const TxOut> actual_spent_outputs,
                                  const std::vector<EmulatedInput>& emulated,
                                  const PrecomputedTxData& precomputed, std::uint32_t flags) {
  for (const EmulatedInput& input : emulated) {
    const TxIn& in = emulated_tx.inputs[input.index];
    const SignatureChecker checker(emulated_tx, input.index,
                                   actual_spent_outputs[input.index].value, precomputed);
    const ScriptError error =
        VerifyScript(in.script_sig, input.emulated_spk, in.witness, flags, checker);
    if (error != ScriptError::kOk) {
      return Fail(
          VerifyAndSignError(ErrorCode::kBtcScriptFailed,
                             "Verification failed: " + std::string(ScriptErrorMessage(error)) +
                                 " (" + std::string(ScriptErrorName(error)) + ")",
                             input.index));
    }
  }
  return core::Ok();
}

// 1.5: signs one emulated input by the real output's key path; sets its witness in `tx`.
core::Status SignEmulatedInput(Transaction& tx, const EmulatedInput& input,
                               const PrecomputedTxData& precomputed, ByteView aux_rand,
                               const std::map<std::size_t, Hash256>& backup_merkle_roots) {
  std::optional<Bytes> annex;
  if (input.annex && input.annex->size() > 1 && (*input.annex)[1] == kAnnexDataCarryingTag) {
    annex = input.annex;
  }
  std::optional<Hash256> annex_hash;
  if (annex) {
    Bytes prefixed;
    AppendCompactSize(prefixed, annex->size());
    prefixed.insert(prefixed.end(), annex->begin(), annex->end());
    annex_hash = Sha256(prefixed);
  }
  auto sighash = TaprootSighash(tx, input.index, kSighashDefault, precomputed, annex_hash, nullptr);
  if (!sighash) {
    return Fail(VerifyAndSignError(ErrorCode::kBtcSpentOutputs,
                                   "Unable to calculate sighash for input", input.index));
  }
  auto internal = XOnlyFromSecret(input.child.View());
  if (!internal) {
    return Fail(VerifyAndSignError(internal.error().code, internal.error().detail, input.index));
  }
  auto tweaked = TweakSecret(input.child.View(),
                             TapTweakHash(*internal, BackupRoot(backup_merkle_roots, input.index)));
  if (!tweaked) {
    return Fail(VerifyAndSignError(
        ErrorCode::kBtcKeyInvalid,
        "Secp256k1 cryptographic operation failed: " + tweaked.error().detail, input.index));
  }
  // Item 4: aux_i = SHA256(aux_rand || LE64(i)).
  Bytes aux_input(aux_rand.begin(), aux_rand.end());
  AppendLe64(aux_input, static_cast<std::uint64_t>(input.index));
  const Hash256 aux_i = Sha256(aux_input);
  auto sig = SignSchnorr(tweaked->View(), *sighash, aux_i);
  if (!sig) {
    return Fail(VerifyAndSignError(sig.error().code, sig.error().detail, input.index));
  }
  std::vector<Bytes> witness{Bytes(sig->begin(), sig->end())};
  if (annex) {
    witness.push_back(*annex);
  }
  tx.inputs[input.index].witness = std::move(witness);
  return core::Ok();
}

}  // namespace

core::Result<Transaction> VerifyAndSign(const Transaction& emulated_tx,
                                        std::span<const TxOut> actual_spent_outputs,
                                        ByteView aux_rand, ByteView parent_secret,
                                        const std::map<std::size_t, Hash256>& backup_merkle_roots,
                                        std::uint32_t flags) {
  if (aux_rand.size() != 32) {
    return Fail(ErrorCode::kBtcKeyInvalid, "aux_rand must have 32 bytes");
  }
  // 1.2: fewer spent outputs than inputs.
  if (actual_spent_outputs.size() < emulated_tx.inputs.size()) {
    return Fail(ErrorCode::kBtcSpentOutputs, "Missing spent outputs");
  }

  // 1.3: find the emulated inputs.
  std::vector<EmulatedInput> emulated;
  for (std::size_t i = 0; i < emulated_tx.inputs.size(); ++i) {
    auto input =
        FindEmulatedInput(emulated_tx, actual_spent_outputs, i, parent_secret, backup_merkle_roots);
    if (!input) {
      return Fail(input.error());
    }
    if (*input) {
      emulated.push_back(std::move(**input));
    }
  }

  // 1.4: verify every emulated input against its emulated scriptPubKey.
  if (!emulated.empty() && actual_spent_outputs.size() != emulated_tx.inputs.size()) {
    return Fail(ErrorCode::kBtcScriptFailed,
                "Verification failed: spent outputs do not match the transaction's inputs");
  }
  const PrecomputedTxData precomputed = PrecomputeTxData(emulated_tx, actual_spent_outputs);
  ENCLAVECTL_RETURN_IF_ERROR(
      VerifyEmulatedInputs(emulated_tx, actual_spent_outputs, emulated, precomputed, flags));

  // 1.5: sign every emulated input by the real output's key path.
  Transaction tx = emulated_tx;
  for (const EmulatedInput& input : emulated) {
    ENCLAVECTL_RETURN_IF_ERROR(
        SignEmulatedInput(tx, input, precomputed, aux_rand, backup_merkle_roots));
  }
  return tx;
}

}  // namespace enclavectl::bitcoin
