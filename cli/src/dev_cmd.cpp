// `enclavectl dev`: the local stack in one command. `dev up` creates the NSM simulator's
// development CA (DIR/nsm) and runs the local KMS (DIR/kms) trusting its root, printing the
// environment a client needs; `dev down` stops a background one.
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "context.hpp"
#include "enclavectl/app/nsm_simulator.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/file_io.hpp"
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
    return ReportError(ctx, ca.error(), flags.options.json, kLocalKmsMediaType);
  }
  ServeOptions options = flags.options;
  options.nsm_state = nsm_dir;
  options.server.state_dir = flags.state_dir + "/kms";
  options.server.attestation_root_paths.insert(options.server.attestation_root_paths.begin(),
                                               nsm_dir + "/root.pem");
  options.pid_file = flags.state_dir + "/kms.pid";
  options.log_file = flags.state_dir + "/kms.log";
  return RunLocalKms(ctx, std::move(options));
}

struct DownFlags {
  std::string state_dir = ".enclavectl";
};

int RunDown(Context& ctx, const DownFlags& flags) {
  const std::string pid_file = flags.state_dir + "/kms.pid";
  auto text = core::io::ReadFile(pid_file, 64);
  if (!text) {
    ctx.err << "enclavectl: no background local KMS for " << flags.state_dir << " (" << pid_file
            << " is missing)\n";
    return 0;
  }
  const std::string_view digits = core::TrimWhitespace(core::AsChars(*text));
  pid_t pid = 0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || pid <= 1) {
    return ReportError(ctx, {core::ErrorCode::kInvalidArgument, pid_file + " holds no pid", -1},
                       false, kLocalKmsMediaType);
  }
  if (::kill(pid, SIGTERM) != 0) {
    std::filesystem::remove(pid_file);
    ctx.out << "local KMS (pid " << pid << ") was not running\n";
    return 0;
  }
  // The server removes its pid file when it has stopped.
  for (int i = 0; i < 100 && ::kill(pid, 0) == 0 && std::filesystem::exists(pid_file); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ctx.out << "local KMS (pid " << pid << ") stopped\n";
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
