// The script interpreter on arbitrary scripts and witness stacks. Input: one mode byte, then
// items as [length byte][bytes] until the input ends; the last item is the script. Mode & 3
// picks tapscript (a script-path spend with a matching control block), P2WSH, or a bare
// scriptPubKey with the items pushed by the scriptSig; mode & 4 adds every policy flag.
// Invariants: no crash, an answer from the ScriptError set, VerifyInput agreeing with it.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "enclavectl/bitcoin/hashes.hpp"
#include "enclavectl/bitcoin/interpreter.hpp"
#include "enclavectl/bitcoin/script.hpp"
#include "enclavectl/bitcoin/taproot.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace enclavectl;  // NOLINT(google-build-using-namespace)
using bitcoin::Bytes;

// The x coordinate of the generator: a valid internal key needing no secret.
constexpr bitcoin::XOnlyKey kInternalKey = {
    0x79, 0xbe, 0x66, 0x7e, 0xf9, 0xdc, 0xbb, 0xac, 0x55, 0xa0, 0x62, 0x95, 0xce, 0x87, 0x0b, 0x07,
    0x02, 0x9b, 0xfc, 0xdb, 0x2d, 0xce, 0x28, 0xd9, 0x59, 0xf2, 0x81, 0x5b, 0x16, 0xf8, 0x17, 0x98};

constexpr std::uint32_t kAllPolicyFlags =
    bitcoin::kVerifyStrictEnc | bitcoin::kVerifyDerSig | bitcoin::kVerifyLowS |
    bitcoin::kVerifyNullDummy | bitcoin::kVerifySigPushOnly | bitcoin::kVerifyMinimalData |
    bitcoin::kVerifyDiscourageUpgradableNops | bitcoin::kVerifyCleanStack |
    bitcoin::kVerifyDiscourageUpgradableWitnessProgram | bitcoin::kVerifyMinimalIf |
    bitcoin::kVerifyWitnessPubkeyType | bitcoin::kVerifyConstScriptCode |
    bitcoin::kVerifyDiscourageUpgradableTaprootVersion | bitcoin::kVerifyDiscourageOpSuccess |
    bitcoin::kVerifyDiscourageUpgradablePubkeyType;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) {
    return 0;
  }
  const std::uint8_t mode = data[0];
  std::vector<Bytes> items;
  std::size_t pos = 1;
  while (pos < size) {
    const std::size_t len = data[pos++];
    const std::size_t take = len < size - pos ? len : size - pos;
    items.emplace_back(data + pos, data + pos + take);
    pos += take;
  }
  if (items.empty()) {
    return 0;
  }
  const Bytes script = items.back();
  items.pop_back();

  bitcoin::Transaction tx;
  tx.inputs.resize(1);
  tx.inputs[0].sequence = 0x00000010;
  tx.outputs.push_back(bitcoin::TxOut{1000, Bytes{0x51}});
  tx.lock_time = 100;
  std::vector<bitcoin::TxOut> spent(1);
  spent[0].value = 5000;
  switch (mode & 3U) {
    case 0: {
      const bitcoin::Hash256 leaf = bitcoin::TapLeafHash(bitcoin::kTapscriptLeafVersion, script);
      auto output = bitcoin::TaprootOutputKey(kInternalKey, leaf);
      FUZZ_CHECK(output.has_value());
      bitcoin::ControlBlock control;
      control.output_odd_y = output->odd_y;
      control.internal_key = kInternalKey;
      items.push_back(script);
      items.push_back(bitcoin::EncodeControlBlock(control));
      spent[0].script_pubkey = bitcoin::P2trScriptPubKey(output->key);
      break;
    }
    case 1: {
      const bitcoin::Hash256 hash = bitcoin::Sha256(script);
      spent[0].script_pubkey = Bytes{0x00, 0x20};
      spent[0].script_pubkey.insert(spent[0].script_pubkey.end(), hash.begin(), hash.end());
      items.push_back(script);
      break;
    }
    default:
      for (const Bytes& item : items) {
        const Bytes push = bitcoin::PushData(item);
        tx.inputs[0].script_sig.insert(tx.inputs[0].script_sig.end(), push.begin(), push.end());
      }
      items.clear();
      spent[0].script_pubkey = script;
      break;
  }
  tx.inputs[0].witness = items;
  const std::uint32_t flags = bitcoin::kScriptTestFlags | ((mode & 4U) != 0 ? kAllPolicyFlags : 0U);
  auto result = bitcoin::CheckInput(tx, 0, spent, flags);
  FUZZ_CHECK(result.has_value());
  FUZZ_CHECK(!bitcoin::ScriptErrorName(*result).empty());
  const core::Status status = bitcoin::VerifyInput(tx, 0, spent, flags);
  FUZZ_CHECK(status.has_value() == (*result == bitcoin::ScriptError::kOk));
  if (!status) {
    FUZZ_CHECK(status.error().code == core::ErrorCode::kBtcScriptFailed);
  }
  return 0;
}
