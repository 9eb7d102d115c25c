// `enclavectl completion bash|zsh|fish` and the hidden `enclavectl man --out DIR`: the shell
// completions and man pages, rendered by cmddoc from this program's own CLI11 tree.
#include <memory>

#include "context.hpp"
#include "enclavectl/cmddoc/completion.hpp"
#include "enclavectl/cmddoc/describe.hpp"
#include "enclavectl/cmddoc/man.hpp"
#include "enclavectl/core/bytes.hpp"

#ifndef ENCLAVECTL_VERSION
#define ENCLAVECTL_VERSION "0.0.0"
#endif

namespace enclavectl::cli {

void RegisterCompletion(CLI::App& app, Context& ctx) {
  auto shell = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "completion",
      "Print the shell completion script for bash, zsh or fish (commands, flags, values)");
  cmd->add_option("shell", *shell, "The shell")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  cmd->footer(
      "Examples:\n"
      "  source <(enclavectl completion bash)\n"
      "  enclavectl completion zsh > \"${fpath[1]}/_enclavectl\"\n"
      "  enclavectl completion fish > ~/.config/fish/completions/enclavectl.fish\n\n"
      "The Debian package installs all three; bash needs the bash-completion package.");
  cmd->callback([&app, &ctx, shell] {
    ctx.out << cmddoc::RenderCompletion(cmddoc::DescribeApp(app), *cmddoc::ShellFromName(*shell));
  });

  // Hidden: the build writes the man pages with it (cmake: enclavectl_man_pages).
  auto dir = std::make_shared<std::string>();
  CLI::App* man = app.add_subcommand("man", "Write the man pages into a directory");
  man->group("");
  man->add_option("--out", *dir, "The directory (must exist)")->required();
  man->callback([&app, &ctx, dir] {
    cmddoc::ManOptions options;
    options.program = "enclavectl";
    options.version = ENCLAVECTL_VERSION;
    options.see_also = {"enclave-app(8)", "nitro-cli(1)"};
    for (const cmddoc::ManPage& page : cmddoc::RenderManPages(cmddoc::DescribeApp(app), options)) {
      const core::Status written =
          core::io::WriteFileAtomic(*dir + "/" + page.file, core::AsBytes(page.text));
      if (!written) {
        ctx.exit_code = ReportError(ctx, written.error(), false, "");
        return;
      }
    }
  });
}

}  // namespace enclavectl::cli
