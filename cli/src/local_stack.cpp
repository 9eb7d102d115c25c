#include "local_stack.hpp"

#include <openssl/crypto.h>

#include <filesystem>

#include "enclavectl/core/error_codes.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/report_json.hpp"

namespace enclavectl::cli {
namespace {

std::string BusyPortHint(const std::string& listen) {
  const std::size_t colon = listen.rfind(':');
  const std::string port = colon == std::string::npos ? listen : listen.substr(colon + 1);
  return "hint: port " + port + " is in use (another local KMS? enclavectl dev down); " +
         "choose another, or any free port with --listen 127.0.0.1:0\n";
}

}  // namespace

std::string StackPartDir(Context& ctx, const std::string& root, const char* part, const char* label,
                         std::initializer_list<const char*> part_files) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path dir(root);
  bool old_meaning = false;
  for (const char* file : part_files) {
    old_meaning = old_meaning || fs::exists(dir / file, ec);
  }
  if (!fs::is_directory(dir / part, ec) && old_meaning) {
    ctx.err << "enclavectl: warning: --state " << root << " is a " << label
            << " state directory; --state now names the stack's root (here "
            << dir.parent_path().string() << "), this old meaning goes in the next release\n";
    return root;
  }
  return (dir / part).string();
}

std::string KmsStateDir(Context& ctx, const std::string& root) {
  return StackPartDir(ctx, root, "kms", "KMS", {"config.json", "state.json"});
}

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
    if (served) {
      return 0;
    }
    const int code = ReportError(ctx, served.error(), stack.json, kLocalKmsMediaType);
    if (served.error().code == core::ErrorCode::kListenFailed &&
        served.error().detail.find("in use") != std::string::npos) {
      ctx.err << BusyPortHint(stack.listen);
    }
    return code;
  }
  ctx.out << std::flush;
  ctx.err << std::flush;
  auto started = localkms::StartInBackground(stack, ctx.clock);
  if (!started) {
    return ReportError(ctx, started.error(), stack.json, kLocalKmsMediaType);
  }
  if (started->child_exit_code != 0) {
    if (stack.json) {
      ctx.out << core::DumpJson(core::ErrorReport(kLocalKmsMediaType, started->failure), 2) << "\n";
    }
    if (started->child_error.empty()) {
      ctx.err << "enclavectl: the local KMS did not start; see " << stack.log_file << "\n";
    } else {
      ctx.err << "enclavectl: " << started->child_error << "\n";
    }
    if (started->address_in_use) {
      ctx.err << BusyPortHint(stack.listen);
    }
    return started->child_exit_code;
  }
  ctx.out << started->environment << std::flush;
  OPENSSL_cleanse(started->environment.data(), started->environment.size());
  return 0;
}

}  // namespace enclavectl::cli
