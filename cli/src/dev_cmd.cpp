// `enclavectl dev`: the local stack in one command. `dev up` creates the NSM simulator's
// development CA (DIR/nsm) and runs the local KMS (DIR/kms) trusting its root, printing the
// environment a client needs; `dev down` stops a background one.
#include <memory>
#include <string>

#include "context.hpp"
#include "enclavectl/app/nsm_simulator.hpp"
#include "local_stack.hpp"

namespace enclavectl::cli {
namespace {

struct UpFlags {
  std::string state_dir = ".enclavectl";
  ServeOptions options;
};

int RunUp(Context& ctx, UpFlags& flags) {
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
  return RunLocalKms(ctx, std::move(options));
}

struct DownFlags {
  std::string state_dir = ".enclavectl";
};

int RunDown(Context& ctx, const DownFlags& flags) {
  const std::string pid_file = flags.state_dir + "/kms.pid";
  auto stopped = localkms::StopBackground(pid_file);
  if (!stopped) {
    return ReportError(ctx, stopped.error(), false, kLocalKmsMediaType);
  }
  switch (stopped->outcome) {
    case localkms::StopOutcome::kNoPidFile:
      ctx.err << "enclavectl: no background local KMS for " << flags.state_dir << " (" << pid_file
              << " is missing)\n";
      break;
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
  up->add_option("--state", up_flags->state_dir, "State directory (nsm/ and kms/ inside)")
      ->default_str(".enclavectl");
  AddServeOptions(up, up_flags->options,
                  "More roots to trust besides the simulator's (e.g. the AWS root PEM)");
  up->add_flag("--background", up_flags->options.background,
               "Detach; print the environment once the server listens");
  up->footer(
      "Examples:\n"
      "  eval \"$(enclavectl dev up --background)\"\n"
      "  aws kms create-key --key-spec ECC_NIST_P256 --key-usage KEY_AGREEMENT\n"
      "  enclavectl nsm attest --state .enclavectl/nsm --eif image.eif --public-key rsa.der\n"
      "  enclavectl dev down\n");
  up->callback([&ctx, up_flags] { ctx.exit_code = RunUp(ctx, *up_flags); });

  auto down_flags = std::make_shared<DownFlags>();
  CLI::App* down =
      dev->add_subcommand("down", "Stop the background local KMS of a state directory.");
  down->add_option("--state", down_flags->state_dir, "State directory given to dev up")
      ->default_str(".enclavectl");
  down->callback([&ctx, down_flags] { ctx.exit_code = RunDown(ctx, *down_flags); });
}

}  // namespace enclavectl::cli
