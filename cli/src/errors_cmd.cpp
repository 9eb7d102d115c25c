// `enclavectl errors`: the stable error-code table.
#include <iomanip>
#include <memory>

#include "context.hpp"
#include "enclavectl/core/error_codes.hpp"

namespace enclavectl::cli {

void RegisterErrors(CLI::App& app, Context& ctx) {
  auto json = std::make_shared<bool>(false);
  auto name = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "errors", "List the stable error codes (or explain one) with their exit codes.");
  cmd->add_option("code", *name, "An error name (CERT_EXPIRED) or number (301) to explain");
  cmd->add_flag("--json", *json, "Print a JSON array");
  cmd->footer(
      "Examples:\n  enclavectl errors\n  enclavectl errors CERT_EXPIRED\n  enclavectl errors "
      "--json");
  cmd->callback([&ctx, json, name] {
    nlohmann::json rows = nlohmann::json::array();
    bool found = name->empty();
    for (const core::ErrorCodeInfo& info : core::AllErrorCodes()) {
      const auto value = static_cast<unsigned>(info.code);
      if (!name->empty() && *name != info.name && *name != std::to_string(value)) {
        continue;
      }
      found = true;
      if (*json) {
        rows.push_back({{"code", info.name},
                        {"value", value},
                        {"exit", core::ExitCodeFor(info.exit_class)},
                        {"class", core::ExitClassName(info.exit_class)},
                        {"meaning", info.meaning}});
      } else {
        ctx.out << std::setw(4) << value << "  " << std::left << std::setw(24) << info.name
                << std::right << " exit " << std::setw(2) << core::ExitCodeFor(info.exit_class)
                << "  " << info.meaning << "\n";
      }
    }
    if (*json) {
      ctx.out << rows.dump(2) << "\n";
    }
    if (!found) {
      ctx.exit_code = ReportError(
          ctx, core::Error{core::ErrorCode::kInvalidArgument, "no error code '" + *name + "'", -1},
          *json, "application/vnd.enclavectl.errors+json;version=1");
    }
  });
}

}  // namespace enclavectl::cli
