// `enclavectl dev`: the local stack in one command. `dev up` creates the NSM simulator's
// development CA (DIR/nsm) and runs the local KMS (DIR/kms) trusting its root, printing the
// environment a client needs; `dev down` stops a background one.
#include <openssl/crypto.h>

#include <filesystem>
#include <memory>
#include <string>

#include "context.hpp"
#include "enclavectl/app/nsm_simulator.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/report_json.hpp"
#include "local_stack.hpp"

namespace enclavectl::cli {
namespace {

struct UpFlags {
  std::string state_dir = ".enclavectl";
  ServeOptions options;
};

// A background server already running for this root (proved by its pid file): says so on
// stderr and prints its environment again. Returns the exit code, or -1 when none runs.
int ReportAlreadyRunning(Context& ctx, const UpFlags& flags) {
  auto found = localkms::IdentifyBackground(flags.state_dir + "/kms.pid");
  if (!found || found->outcome != localkms::StopOutcome::kRunning) {
    return -1;
  }
  const bool json = flags.options.stack.json;
  ctx.err << "enclavectl: local KMS already running (pid " << found->pid << ") for "
          << flags.state_dir << "\n";
  // In the foreground a second server is refused: the JSON answer's verdict says so too.
  const core::Status outcome =
      flags.options.background
          ? core::Ok()
          : core::Fail(core::ErrorCode::kLocalKmsBusy,
                       flags.state_dir + " already has a running local KMS (pid " +
                           std::to_string(found->pid) + "); stop it with enclavectl dev down");
  auto text = core::io::ReadFile(flags.state_dir + "/kms.env.json", 64 * 1024);
  if (text) {
    if (auto env = localkms::ParseEnvironment(core::AsChars(*text))) {
      core::SetOutcome(*env, outcome);
      std::string shown = json ? env->dump() + "\n" : localkms::ExportLines(*env);
      ctx.out << shown << std::flush;
      OPENSSL_cleanse(shown.data(), shown.size());
      core::WipeJsonStrings(*env);
    }
    OPENSSL_cleanse(text->data(), text->size());
  }
  return outcome ? 0 : ReportError(ctx, outcome.error(), false, kLocalKmsMediaType);
}

int RunUp(Context& ctx, UpFlags& flags) {
  if (const int running = ReportAlreadyRunning(ctx, flags); running >= 0) {
    return running;
  }
  const std::string nsm_dir = flags.state_dir + "/nsm";
  // The simulator's development CA: created on first use, so its root exists for the KMS.
  auto ca = app::LoadOrCreateDevCa(nsm_dir, ctx.clock);
  if (!ca) {
    return ReportError(ctx, ca.error(), flags.options.stack.json, kLocalKmsMediaType);
  }
  ServeOptions options = flags.options;
  localkms::LocalStackOptions& stack = options.stack;
  stack.nsm_state = nsm_dir;
  stack.server.state_dir = flags.state_dir + "/kms";
  stack.server.attestation_root_paths.insert(stack.server.attestation_root_paths.begin(),
                                             nsm_dir + "/root.pem");
  stack.pid_file = flags.state_dir + "/kms.pid";
  stack.log_file = flags.state_dir + "/kms.log";
  stack.env_file = flags.state_dir + "/kms.env.json";
  return RunLocalKms(ctx, std::move(options));
}

struct DownFlags {
  std::string state_dir = ".enclavectl";
};

int RunDown(Context& ctx, const DownFlags& flags) {
  const std::string pid_file = flags.state_dir + "/kms.pid";
  std::error_code ec;
  if (!std::filesystem::is_directory(flags.state_dir, ec)) {
    ctx.err << "enclavectl: LOCAL_STACK_NOT_FOUND: nothing found at " << flags.state_dir
            << ": no such directory, so no local stack runs from there\n"
            << "hint: name the root given to dev up with --state DIR (default .enclavectl, "
               "relative to the current directory)\n";
    return core::ExitCodeFor(core::InfoFor(core::ErrorCode::kLocalStackNotFound).exit_class);
  }
  auto stopped = localkms::StopBackground(pid_file);
  if (!stopped) {
    return ReportError(ctx, stopped.error(), false, kLocalKmsMediaType);
  }
  switch (stopped->outcome) {
    case localkms::StopOutcome::kNoPidFile:
      ctx.err << "enclavectl: no background local KMS for " << flags.state_dir << " (" << pid_file
              << " is missing); a foreground one (dev up, kms serve) stops with Ctrl-C\n";
      break;
    case localkms::StopOutcome::kNotOurs:
    case localkms::StopOutcome::kRunning: {
      const int code = ReportError(
          ctx, {core::ErrorCode::kLocalKmsNotOurs, stopped->found + ": not stopped", -1}, false,
          kLocalKmsMediaType);
      ctx.err << "hint: nothing was signalled; if no local KMS runs for " << flags.state_dir
              << ", remove " << pid_file << "\n";
      return code;
    }
    case localkms::StopOutcome::kNotRunning:
      ctx.out << "local KMS (pid " << stopped->pid << ") was not running\n";
      break;
    case localkms::StopOutcome::kStopped:
      ctx.out << "local KMS (pid " << stopped->pid << ") stopped\n";
      break;
  }
  return 0;
}

}  // namespace

void RegisterDev(CLI::App& app, Context& ctx) {
  CLI::App* dev = app.add_subcommand(
      "dev", "The local stack: the NSM simulator's development CA and the local KMS.");
  dev->require_subcommand(1);
  auto up_flags = std::make_shared<UpFlags>();
  CLI::App* up = dev->add_subcommand(
      "up",
      "Create the development CA in DIR/nsm (if needed) and run the local KMS on DIR/kms, "
      "trusting that CA's root for Recipient attestation documents. Prints shell exports "
      "(AWS_ENDPOINT_URL_KMS, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY). Runs in "
      "the foreground until SIGINT/SIGTERM, or detached with --background (pid in DIR/kms.pid, "
      "log in DIR/kms.log; stop it with 'enclavectl dev down').");
  up->add_option("--state", up_flags->state_dir, kStateHelp)->default_str(kDefaultStateRoot);
  AddServeOptions(up, up_flags->options,
                  "More roots to trust besides the simulator's (e.g. the AWS root PEM)");
  up->add_flag("--background", up_flags->options.background,
               "Detach; print the environment once the server listens");
  up->footer(
      "Examples:\n"
      "  eval \"$(enclavectl dev up --background)\"\n"
      "  aws kms create-key --key-spec ECC_NIST_P256 --key-usage KEY_AGREEMENT\n"
      "  enclavectl nsm attest --state .enclavectl --eif image.eif --public-key rsa.der\n"
      "  enclavectl dev down\n");
  up->callback([&ctx, up_flags] { ctx.exit_code = RunUp(ctx, *up_flags); });

  auto down_flags = std::make_shared<DownFlags>();
  CLI::App* down =
      dev->add_subcommand("down", "Stop the background local KMS of a state directory.");
  down->add_option("--state", down_flags->state_dir, kStateHelp)->default_str(kDefaultStateRoot);
  down->callback([&ctx, down_flags] { ctx.exit_code = RunDown(ctx, *down_flags); });
}

}  // namespace enclavectl::cli
