// `enclavectl bitcoin`: Bitcoin script tools. `script-tests FILE` runs a conformance file in
// the format of Bitcoin Core's script_taproot_tests.json through the bitcoin library.
#include <memory>
#include <string>

#include "context.hpp"
#include "enclavectl/bitcoin/script_tests.hpp"
#include "enclavectl/core/file_io.hpp"

namespace enclavectl::cli {
namespace {

constexpr const char* kScriptTestsMediaType =
    "application/vnd.enclavectl.bitcoin-script-tests+json;version=1";

struct ScriptTestsFlags {
  std::string path;
  bool json = false;
};

int RunScriptTests(Context& ctx, const ScriptTestsFlags& flags) {
  auto text = core::io::ReadFile(flags.path, bitcoin::kMaxScriptTestFileBytes);
  if (!text) {
    return ReportError(ctx, text.error(), flags.json, kScriptTestsMediaType);
  }
  auto report = bitcoin::RunScriptTests(core::AsChars(*text));
  if (!report) {
    return ReportError(ctx, report.error(), flags.json, kScriptTestsMediaType);
  }
  const bool all_passed = report->num_failed == 0;
  if (flags.json) {
    nlohmann::json entries = nlohmann::json::array();
    for (const bitcoin::ScriptTestResult& r : report->results) {
      entries.push_back(
          {{"number", r.number},
           {"comment", r.comment},
           {"result", r.passed ? "pass" : "fail"},
           {"success", std::string(bitcoin::ScriptErrorName(r.success_result))},
           {"failure", std::string(bitcoin::ScriptErrorName(r.failure_result))},
           {"problem", r.problem.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.problem)}});
    }
    const nlohmann::json out = {{"mediaType", kScriptTestsMediaType},
                                {"verdict", all_passed ? "pass" : "fail"},
                                {"flags",
                                 "P2SH,CHECKLOCKTIMEVERIFY,CHECKSEQUENCEVERIFY,WITNESS,"
                                 "NULLFAIL,TAPROOT"},
                                {"passed", report->num_passed},
                                {"failed", report->num_failed},
                                {"entries", entries}};
    ctx.out << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    for (const bitcoin::ScriptTestResult& r : report->results) {
      ctx.out << (r.passed ? "ok   " : "FAIL ") << r.number << " " << r.comment;
      if (r.passed) {
        ctx.out << " (failure witness: " << bitcoin::ScriptErrorName(r.failure_result) << ")";
      } else {
        ctx.out << ": " << r.problem;
      }
      ctx.out << "\n";
    }
    ctx.out << report->num_passed << " passed, " << report->num_failed << " failed\n";
  }
  return all_passed ? 0 : 1;
}

}  // namespace

void RegisterBitcoin(CLI::App& app, Context& ctx) {
  CLI::App* bitcoin = app.add_subcommand("bitcoin", "Bitcoin script and Taproot tools.");
  bitcoin->require_subcommand(1);

  auto flags = std::make_shared<ScriptTestsFlags>();
  CLI::App* tests = bitcoin->add_subcommand(
      "script-tests",
      "Run a file in the format of Bitcoin Core's script_taproot_tests.json: every entry's "
      "success witness must verify and its failure witness must not (flags P2SH, CLTV, CSV, "
      "WITNESS, NULLFAIL, TAPROOT). One line per entry, then 'N passed, M failed'.");
  tests->add_option("file", flags->path, "The JSON test file ('-' for standard input)")->required();
  tests->add_flag("--json", flags->json, "Print one JSON object");
  tests->footer(
      "Exit codes: 0 every entry passed, 1 an entry failed, 2 the file is malformed, 74 I/O "
      "error.\nExample:\n  enclavectl bitcoin script-tests script_taproot_tests.json");
  tests->callback([&ctx, flags] { ctx.exit_code = RunScriptTests(ctx, *flags); });
}

}  // namespace enclavectl::cli
