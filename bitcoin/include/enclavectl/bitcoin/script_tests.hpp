// The conformance runner for files in the format of Bitcoin Core's script_taproot_tests.json
// (testdata/bitcoin/README.md section 1): for every entry, its `success` scriptSig/witness must
// verify and its `failure` one must not. Pure: text in, report out.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "enclavectl/bitcoin/interpreter.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::bitcoin {

struct ScriptTestResult {
  std::size_t number = 0;  // 0-based position in the file
  std::string comment;
  bool passed = false;
  // What the interpreter answered for each witness (kOk = verified).
  ScriptError success_result = ScriptError::kOk;
  ScriptError failure_result = ScriptError::kOk;
  // Why the entry failed, empty when it passed ("success witness rejected: SCHNORR_SIG",
  // "failure witness verified", or why the entry itself could not be read).
  std::string problem;
};

struct ScriptTestReport {
  std::vector<ScriptTestResult> results;
  std::size_t num_passed = 0;
  std::size_t num_failed = 0;
};

// The largest test file accepted (the full upstream file is about 230 kB).
inline constexpr std::size_t kMaxScriptTestFileBytes = 64U << 20U;

// Runs every entry of `json_text` (untrusted) with `flags`. Fails with kBtcTestFileMalformed
// when the text is not a JSON array of objects (kInputTooLarge above the size limit); an
// entry whose fields cannot be read (bad hex, a transaction that does not parse, an index
// out of range) is reported as a failed entry with its reason, and the run continues.
[[nodiscard]] core::Result<ScriptTestReport> RunScriptTests(std::string_view json_text,
                                                            std::uint32_t flags = kScriptTestFlags);

inline constexpr const char* kScriptTestsMediaType =
    "application/vnd.enclavectl.bitcoin-script-tests+json;version=1";

// The report of a run with kScriptTestFlags as bitcoin-script-tests+json: {"media_type",
// "verdict": "accepted" (every entry passed, exit 0) | "rejected" (exit 1), "flags", "passed",
// "failed", "entries": [{"number", "comment", "status": "pass"|"fail", "success", "failure",
// "problem"}]} (`enclavectl bitcoin script-tests --json`).
nlohmann::json ScriptTestReportToJson(const ScriptTestReport& report);

// The same for people: "ok   N COMMENT (failure witness: ERROR)" or "FAIL N COMMENT: PROBLEM"
// per entry, then "P passed, F failed".
void RenderScriptTestReport(std::ostream& out, const ScriptTestReport& report);

}  // namespace enclavectl::bitcoin
