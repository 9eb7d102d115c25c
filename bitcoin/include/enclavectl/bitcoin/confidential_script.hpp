// Confidential Script "verify-and-sign" (spec ../shared/spec/confidential-script.md section 1):
// a transaction whose emulated inputs spend a *virtual* Taproot output by a script path is
// checked with the interpreter and, if valid, each emulated input is re-signed by the key path
// of the *real* output with a child of the parent key. Pure library code: keys, randomness and
// the transaction are arguments.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "enclavectl/bitcoin/interpreter.hpp"
#include "enclavectl/bitcoin/keys.hpp"
#include "enclavectl/bitcoin/transaction.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"

namespace enclavectl::bitcoin {

// Spec 1.6: tweak = HMAC-SHA512(key = compressed(P), msg = emulated_root)[0..32] mod n.
// DeriveChildSecret returns k + tweak mod n; DeriveChildPublic returns P + tweak*G (33 bytes
// compressed). Both fail with kBtcKeyInvalid on an invalid key or a zero/infinite result.
[[nodiscard]] core::Result<core::SecretBytes> DeriveChildSecret(ByteView parent_secret,
                                                                const Hash256& emulated_root);
[[nodiscard]] core::Result<std::array<std::uint8_t, 33>> DeriveChildPublic(
    ByteView parent_public, const Hash256& emulated_root);

// Spec 1.7: the real output's address for a parent public key (33 or 65 bytes SEC1), an
// emulated merkle root and an optional backup merkle root, on `network` ("bitcoin"/"mainnet"
// -> bc, "testnet"/"signet" -> tb, "regtest" -> bcrt). kBtcKeyInvalid for a bad key,
// kInvalidArgument for an unknown network.
struct RealOutput {
  XOnlyKey internal_key{};
  XOnlyKey output_key{};
  Bytes script_pubkey;
  std::string address;
};
[[nodiscard]] core::Result<RealOutput> GenerateAddress(ByteView parent_public,
                                                       const Hash256& emulated_root,
                                                       const std::optional<Hash256>& backup_root,
                                                       std::string_view network);

// Spec 1.1-1.5. Inputs (all untrusted except the keys): the emulated transaction, the real
// spent outputs in input order, 32 bytes of aux_rand, the 32-byte parent secret and optional
// backup merkle roots per input index. Returns the transaction with every emulated input's
// witness replaced by a key-path witness ([sig64] or [sig64, data-carrying annex]); other
// inputs are untouched. Errors (detail = the spec's Display text, index = the input):
//   MissingSpentOutputs  -> kBtcSpentOutputs   ("Missing spent outputs")
//   InvalidControlBlock  -> kBtcInvalidControlBlock
//   UnexpectedInput      -> kBtcUnexpectedInput
//   VerificationFailed   -> kBtcScriptFailed   ("Verification failed: <script error>"); also
//                           when an emulated input exists and the spent-output count differs
//                           from the input count (the kernel's SpentOutputsMismatch)
//   InvalidSighash       -> kBtcSpentOutputs   (unreachable after a successful verification)
//   Secp256k1            -> kBtcKeyInvalid
// `flags` defaults to libbitcoinkernel's VERIFY_ALL, the upstream verifier's flags.
[[nodiscard]] core::Result<Transaction> VerifyAndSign(
    const Transaction& emulated_tx, std::span<const TxOut> actual_spent_outputs, ByteView aux_rand,
    ByteView parent_secret, const std::map<std::size_t, Hash256>& backup_merkle_roots,
    std::uint32_t flags = kKernelVerifyAll);

}  // namespace enclavectl::bitcoin
