#include "local_stack.hpp"

#include <openssl/crypto.h>

namespace enclavectl::cli {

void AddServeOptions(CLI::App* cmd, ServeOptions& options, const std::string& root_help) {
  localkms::LocalStackOptions& stack = options.stack;
  cmd->add_option("--listen", stack.listen, "HOST:PORT to listen on (port 0: any free port)")
      ->default_str(localkms::kDefaultListen);
  cmd->add_option("--attestation-root", stack.server.attestation_root_paths, root_help);
  cmd->add_option("--ready-file", stack.ready_file,
                  "Write the environment as JSON to this file once listening (removed on exit)");
  cmd->add_flag("--json", stack.json,
                "Print the environment as one JSON object instead of shell exports");
  cmd->add_flag("--quiet", stack.quiet, "Do not log requests");
  cmd->add_option("--max-connections", stack.server.max_connections,
                  "Open connections at most (lowered, with a warning, to what the open-file "
                  "limit allows)")
      ->default_str("4096");
}

int RunLocalKms(Context& ctx, ServeOptions options) {
  localkms::LocalStackOptions& stack = options.stack;
  if (auto parsed = localkms::ParseListen(stack); !parsed) {
    return ReportError(ctx, parsed.error(), stack.json, kLocalKmsMediaType);
  }
  if (!options.background) {
    auto served = localkms::ServeUntilSignal(stack, ctx.clock, ctx.out, ctx.err);
    return served ? 0 : ReportError(ctx, served.error(), stack.json, kLocalKmsMediaType);
  }
  ctx.out << std::flush;
  ctx.err << std::flush;
  auto started = localkms::StartInBackground(stack, ctx.clock);
  if (!started) {
    return ReportError(ctx, started.error(), stack.json, kLocalKmsMediaType);
  }
  if (started->child_exit_code != 0) {
    ctx.err << "enclavectl: the local KMS did not start; see " << stack.log_file << "\n";
    return started->child_exit_code;
  }
  ctx.out << started->environment << std::flush;
  OPENSSL_cleanse(started->environment.data(), started->environment.size());
  return 0;
}

}  // namespace enclavectl::cli
