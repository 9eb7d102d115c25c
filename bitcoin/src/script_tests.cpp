#include "enclavectl/bitcoin/script_tests.hpp"

#include <string>
#include <utility>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"

namespace enclavectl::bitcoin {
namespace {

using core::ErrorCode;
using core::Fail;
using core::Result;

constexpr ErrorCode kCode = ErrorCode::kBtcTestFileMalformed;
// Generous bounds for one entry; the real file has at most ~1000 witness items and inputs.
constexpr std::size_t kMaxItems = 100000;

struct Spend {
  Bytes script_sig;
  std::vector<Bytes> witness;
};

struct Entry {
  Transaction tx;
  std::vector<TxOut> prevouts;
  std::size_t index = 0;
  Spend success;
  Spend failure;
};

Result<Bytes> Hex(const std::string& text, const std::string& what) {
  auto bytes = core::HexDecode(text);
  if (!bytes) {
    return Fail(kCode, what + " is not hex");
  }
  return bytes;
}

Result<Spend> ReadSpend(const core::JsonObjectView& entry, std::string_view key) {
  auto object = entry.Object(key);
  if (!object) {
    return Fail(object.error());
  }
  Spend spend;
  auto script_sig = object->String("scriptSig");
  if (!script_sig) {
    return Fail(script_sig.error());
  }
  auto script_sig_bytes = Hex(*script_sig, std::string(key) + ".scriptSig");
  if (!script_sig_bytes) {
    return Fail(script_sig_bytes.error());
  }
  spend.script_sig = std::move(*script_sig_bytes);
  auto witness = object->Array("witness", kMaxItems);
  if (!witness) {
    return Fail(witness.error());
  }
  for (const nlohmann::json& item : **witness) {
    if (!item.is_string()) {
      return Fail(kCode, std::string(key) + ".witness holds a " + core::JsonTypeName(item));
    }
    auto bytes = Hex(item.get_ref<const std::string&>(), std::string(key) + ".witness item");
    if (!bytes) {
      return Fail(bytes.error());
    }
    spend.witness.push_back(std::move(*bytes));
  }
  return spend;
}

Result<Entry> ReadEntry(const core::JsonObjectView& view) {
  Entry entry;
  auto tx_hex = view.String("tx");
  if (!tx_hex) {
    return Fail(tx_hex.error());
  }
  auto tx_bytes = Hex(*tx_hex, "tx");
  if (!tx_bytes) {
    return Fail(tx_bytes.error());
  }
  auto tx = DecodeTransaction(*tx_bytes);
  if (!tx) {
    return Fail(tx.error());
  }
  entry.tx = std::move(*tx);
  auto prevouts = view.Array("prevouts", kMaxItems);
  if (!prevouts) {
    return Fail(prevouts.error());
  }
  for (const nlohmann::json& item : **prevouts) {
    if (!item.is_string()) {
      return Fail(kCode, std::string("prevouts holds a ") + core::JsonTypeName(item));
    }
    auto bytes = Hex(item.get_ref<const std::string&>(), "prevouts item");
    if (!bytes) {
      return Fail(bytes.error());
    }
    auto out = DecodeTxOut(*bytes);
    if (!out) {
      return Fail(out.error());
    }
    entry.prevouts.push_back(std::move(*out));
  }
  auto index = view.Uint("index", kMaxItems);
  if (!index) {
    return Fail(index.error());
  }
  entry.index = static_cast<std::size_t>(*index);
  if (entry.index >= entry.tx.inputs.size()) {
    return Fail(ErrorCode::kBtcSpentOutputs,
                "index " + std::to_string(entry.index) + " is not an input of the transaction");
  }
  auto success = ReadSpend(view, "success");
  if (!success) {
    return Fail(success.error());
  }
  entry.success = std::move(*success);
  auto failure = ReadSpend(view, "failure");
  if (!failure) {
    return Fail(failure.error());
  }
  entry.failure = std::move(*failure);
  return entry;
}

// Runs one spend: the entry's transaction with input `index` carrying `spend`.
Result<ScriptError> RunSpend(const Entry& entry, const Spend& spend, std::uint32_t flags) {
  Transaction tx = entry.tx;
  tx.inputs[entry.index].script_sig = spend.script_sig;
  tx.inputs[entry.index].witness = spend.witness;
  return CheckInput(tx, entry.index, entry.prevouts, flags);
}

}  // namespace

core::Result<ScriptTestReport> RunScriptTests(std::string_view json_text, std::uint32_t flags) {
  auto json = core::ParseStrictJson(json_text, kMaxScriptTestFileBytes, kCode, "script test file");
  if (!json) {
    return Fail(json.error());
  }
  if (!json->is_array()) {
    return Fail(kCode, std::string("script test file: a JSON array was expected, not ") +
                           core::JsonTypeName(*json));
  }
  ScriptTestReport report;
  std::size_t number = 0;
  for (const nlohmann::json& item : *json) {
    ScriptTestResult result;
    result.number = number++;
    auto view = core::JsonObjectView::Of(item, kCode, "entry " + std::to_string(result.number));
    if (!view) {
      return Fail(view.error());
    }
    if (auto comment = view->OptionalString("comment"); comment && *comment) {
      result.comment = **comment;
    }
    auto entry = ReadEntry(*view);
    if (!entry) {
      result.problem = "unreadable entry: " + entry.error().detail;
    } else {
      auto success = RunSpend(*entry, entry->success, flags);
      auto failure = RunSpend(*entry, entry->failure, flags);
      if (!success || !failure) {
        result.problem = "cannot run: " + (!success ? success.error() : failure.error()).detail;
      } else {
        result.success_result = *success;
        result.failure_result = *failure;
        if (*success != ScriptError::kOk) {
          result.problem = "success witness rejected: " + std::string(ScriptErrorName(*success));
        } else if (*failure == ScriptError::kOk) {
          result.problem = "failure witness verified";
        } else {
          result.passed = true;
        }
      }
    }
    if (result.passed) {
      ++report.num_passed;
    } else {
      ++report.num_failed;
    }
    report.results.push_back(std::move(result));
  }
  return report;
}

}  // namespace enclavectl::bitcoin
