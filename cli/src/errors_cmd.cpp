// `enclavectl errors`: the stable error-code table, and what to do about one code.
#include <memory>

#include "context.hpp"
#include "enclavectl/core/error_help.hpp"
#include "enclavectl/core/terminal.hpp"
#include "enclavectl/core/text_wrap.hpp"

namespace enclavectl::cli {
namespace {
constexpr const char* kErrorsMediaType = "application/vnd.enclavectl.errors+json;version=1";
}  // namespace

void RegisterErrors(CLI::App& app, Context& ctx) {
  auto json = std::make_shared<bool>(false);
  auto name = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "errors", "List the stable error codes, or explain one: meaning, exit code, cause, remedy.");
  cmd->add_option("code", *name, "An error name (CERT_EXPIRED) or number (301) to explain");
  cmd->add_flag("--json", *json,
                "Print one JSON object: media_type, verdict and codes (the rows; one with CODE, "
                "with its cause and remedy)");
  cmd->footer(
      "Examples:\n  enclavectl errors\n  enclavectl errors CERT_EXPIRED\n  enclavectl errors "
      "--json");
  cmd->callback([&ctx, json, name] {
    const core::ErrorCodeInfo* one = core::FindErrorCode(*name);
    if (!name->empty() && one == nullptr) {
      ctx.exit_code = ReportError(
          ctx, core::Error{core::ErrorCode::kInvalidArgument, "no error code '" + *name + "'", -1},
          *json, kErrorsMediaType);
      return;
    }
    nlohmann::json rows = nlohmann::json::array();
    for (const core::ErrorCodeInfo& info : core::AllErrorCodes()) {
      if (one != nullptr && one != &info) {
        continue;
      }
      if (*json) {
        rows.push_back(core::ErrorCodeJson(info));
      } else {
        ctx.out << (one != nullptr
                        ? core::WrapText(core::ExplainErrorCode(info), core::io::HelpColumns())
                        : core::ErrorCodeLine(info) + "\n");
      }
    }
    if (*json) {
      nlohmann::json answer = {{"media_type", kErrorsMediaType}, {"verdict", "accepted"}};
      answer["codes"] = std::move(rows);
      ctx.out << answer.dump(2) << "\n";
    }
  });
}

}  // namespace enclavectl::cli
