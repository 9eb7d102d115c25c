// `enclavectl help`, and usage errors with "did you mean ...?": the CLI11 tree described
// (cmddoc/describe.hpp) for core/suggest.hpp, which finds the unknown name and the
// suggestions.
#include <memory>

#include "context.hpp"
#include "enclavectl/cmddoc/describe.hpp"
#include "enclavectl/core/terminal.hpp"
#include "enclavectl/core/text_wrap.hpp"

namespace enclavectl::cli {
namespace {

constexpr const char* kUsageMediaType = "application/vnd.enclavectl.usage-error+json;version=1";

int ReportUsage(Context& ctx, const core::UsageProblem& problem, bool json) {
  return ReportError(ctx, {problem.code, problem.message, -1}, json, kUsageMediaType, &problem);
}

}  // namespace

int ReportParseError(Context& ctx, const CLI::App& app, const CLI::ParseError& e,
                     std::span<const std::string> args, bool json) {
  const std::string kind = e.get_name();
  const core::ParseFailure failure =
      e.what() == std::string("A subcommand is required")     ? core::ParseFailure::kMissingCommand
      : kind == "RequiredError" || kind == "ArgumentMismatch" ? core::ParseFailure::kMissingValue
                                                              : core::ParseFailure::kInvalid;
  return ReportUsage(ctx, core::DiagnoseUsage(cmddoc::DescribeApp(app), args, failure, e.what()),
                     json);
}

void RegisterHelp(CLI::App& app, Context& ctx) {
  auto words = std::make_shared<std::vector<std::string>>();
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "help", "Show a command's help: 'help eif measure' is 'eif measure --help'");
  cmd->add_option("command", *words, "The command and its subcommands");
  cmd->add_flag("--json", *json, "Report an unknown command as one JSON usage error");
  cmd->callback([&app, &ctx, words, json] {
    const core::CommandLookup found = core::FindCommand(cmddoc::DescribeApp(app), *words);
    if (found.problem) {
      ctx.exit_code = ReportUsage(ctx, *found.problem, *json);
      return;
    }
    const CLI::App* target = &app;
    std::string path = app.get_name();
    for (const std::string& word : *words) {
      target = target->get_subcommand(word);
      path += " " + word;
    }
    ctx.out << core::WrapText(
        target->get_formatter()->make_help(target, path, CLI::AppFormatMode::Normal),
        core::io::HelpColumns());
  });
}

}  // namespace enclavectl::cli
