// `enclavectl monitor`: the expectation flags of `verify --targets` (read and checked by the
// same code), the schedule, --listen and --evidence-dir mapped to one call:
// monitor::RunLiveMonitor.
#include <memory>
#include <string>

#include "context.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/time.hpp"
#include "enclavectl/monitor/live.hpp"
#include "enclavectl/verifier/collect.hpp"
#include "enclavectl/verifier/expectations.hpp"
#include "verify_common.hpp"

namespace enclavectl::cli {
namespace {

namespace v = verifier;

inline constexpr const char* kMonitorMediaType =
    "application/vnd.enclavectl.monitor+json;version=1";

struct MonitorFlags : v::VerifyFlagValues {
  std::string interval = "30s";
  double jitter = 0.1;
  std::size_t concurrency = 8;
  double timeout_seconds = 10;
  std::string listen;
  std::string evidence_dir;
  std::size_t evidence_keep = 100;
  bool once = false;
};

// The flags checked as `verify --targets` checks them (--check-key-policy aside: the monitor
// audits each target's key), then the schedule.
core::Result<monitor::LiveMonitorOptions> BuildOptions(const MonitorFlags& flags,
                                                       const v::TrustAnchor& root,
                                                       const core::io::Clock& clock) {
  v::VerifyFlagValues as_fleet = static_cast<const v::VerifyFlagValues&>(flags);
  as_fleet.check_key_policy = false;
  if (flags.check_key_policy) {
    as_fleet.region.clear();
    as_fleet.endpoint_url.clear();
    as_fleet.profile.clear();
  }
  if (auto mode = v::SelectVerifyMode(as_fleet); !mode) {
    return core::Fail(mode.error());
  }
  auto interval = core::ParseDurationMillis(flags.interval);
  if (!interval || *interval < monitor::kMinIntervalMs || *interval > monitor::kMaxIntervalMs) {
    return core::Fail(core::ErrorCode::kInvalidArgument,
                      "--interval: a duration from 1s to 24h (30s, 5m)");
  }
  auto live = v::BuildLiveExpectations(flags, Sources(flags), root.Fingerprint());
  if (!live) {
    return core::Fail(live.error());
  }
  auto text = core::io::ReadFile(flags.targets_path, core::limits::kMaxPolicyFileBytes);
  if (!text) {
    return core::Fail(text.error());
  }
  auto targets = v::ParseTargets(core::AsChars(*text));
  if (!targets) {
    core::Error error = targets.error();
    error.detail = flags.targets_path + ": " + error.detail;
    return core::Fail(std::move(error));
  }
  monitor::LiveMonitorOptions options;
  options.monitor.targets = std::move(*targets);
  options.monitor.interval_ms = *interval;
  options.monitor.jitter = flags.jitter;
  options.monitor.once = flags.once;
  options.monitor.evidence_keep = flags.evidence_keep;
  options.listen = flags.listen;
  options.evidence_dir = flags.evidence_dir;
  options.prober.expectations = std::move(live->expectations);
  options.prober.recorded = std::move(live->recorded);
  options.prober.http = v::LiveHttpOptions(flags.timeout_seconds, flags.insecure_tls, 3);
  options.prober.concurrency = flags.concurrency;
  options.prober.root = &root;
  if (flags.check_key_policy) {
    options.prober.extra_check = [flags, &clock](const v::LiveReport& report) {
      return CheckKeyPolicy(flags, report, clock);
    };
  }
  return options;
}

int RunMonitorCommand(Context& ctx, const MonitorFlags& flags) {
  auto root = LoadRoot(flags.root_path);
  if (!root) {
    return ReportError(ctx, root.error(), false, kMonitorMediaType);
  }
  auto options = BuildOptions(flags, *root, ctx.clock);
  if (!options) {
    return ReportError(ctx, options.error(), false, kMonitorMediaType);
  }
  auto summary = monitor::RunLiveMonitor(*options, ctx.clock, ctx.out, ctx.err);
  if (!summary) {
    return ReportError(ctx, summary.error(), false, kMonitorMediaType);
  }
  if (!flags.once) {
    return 0;  // stopped by SIGINT/SIGTERM
  }
  return summary->first_failure
             ? core::ExitCodeFor(core::InfoFor(summary->first_failure->code).exit_class)
             : 0;
}

}  // namespace

void RegisterMonitor(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<MonitorFlags>();
  CLI::App* cmd = app.add_subcommand(
      "monitor",
      "Continuous audit: verify a fleet of live key services (as verify --targets) every "
      "--interval, expose Prometheus metrics on --listen, log each change of a target's verdict "
      "as one JSON line and keep its evidence bundle.");
  cmd->add_option("--targets", flags->targets_path,
                  "The services: one URL a line (# comments), as verify --targets")
      ->required();
  cmd->add_option("--interval", flags->interval, "Time between rounds (1s..24h)")
      ->default_str("30s");
  cmd->add_option("--jitter", flags->jitter,
                  "Each wait moves by up to this fraction of --interval, at random (0..0.5)")
      ->default_val(0.1)
      ->check(CLI::Range(0.0, monitor::kMaxJitter));
  cmd->add_option("--concurrency", flags->concurrency, "At most this many targets checked at once")
      ->default_val(8)
      ->check(CLI::Range(1, 256));
  cmd->add_option("--listen", flags->listen,
                  "Serve GET /metrics (Prometheus text) on HOST:PORT, e.g. 127.0.0.1:9464 "
                  "(port 0: any free port, printed on stderr); none by default");
  cmd->add_option("--evidence-dir", flags->evidence_dir,
                  "Write the evidence bundle of every transition here (re-verify one with "
                  "enclavectl verify --bundle)");
  cmd->add_option("--evidence-keep", flags->evidence_keep,
                  "Keep at most this many bundles in --evidence-dir, deleting the oldest")
      ->default_val(100)
      ->check(CLI::Range(std::size_t{1}, monitor::kMaxEvidenceKeep));
  cmd->add_flag("--once", flags->once,
                "One round, then exit: 0 when every target was accepted, else the code of the "
                "first failure (as verify --targets)");
  cmd->add_option("--root", flags->root_path,
                  "Trust this root (PEM or DER) instead of the pinned AWS Nitro Enclaves root G1");
  cmd->add_option("--expect-pcr", flags->expect_pcr, "Require PCR N to equal HEX (N=HEX)");
  cmd->add_option("--expect-pcr0", flags->expect_pcr0_hex, "Require PCR0 to equal HEX");
  cmd->add_option("--expect-pcrs", flags->expect_pcrs_path,
                  "Allowed measurement sets (pcr.json, describe-eif output); one must match");
  cmd->add_option("--verify-build", flags->verify_build_path,
                  "Require the PCRs of this EIF (measured like nitro-cli describe-eif)");
  cmd->add_option("--max-age", flags->max_age, "Reject documents older than this (default 5m)");
  cmd->add_flag("--any-image", flags->any_image,
                "Accept any enclave image (no PCR expectation, reported)");
  cmd->add_option("--expect-kms-key", flags->expect_kms_key,
                  "The KMS key ARN /v1/info must name (KMS_KEY_MISMATCH)");
  cmd->add_option("--expect-blockhash", flags->expect_blockhash,
                  "The blockhash (64 hex) /v1/info must carry (BLOCKHASH_MISMATCH)");
  cmd->add_flag("--check-key-policy", flags->check_key_policy,
                "Each check: fetch the key's policy with your AWS credentials and require it "
                "enclave-only for the attested PCR0 and locked (as verify --check-key-policy)");
  cmd->add_option("--region", flags->region, "--check-key-policy: the key ARN's region");
  cmd->add_option("--endpoint-url", flags->endpoint_url,
                  "--check-key-policy: send GetKeyPolicy to this endpoint");
  cmd->add_option("--profile", flags->profile, "--check-key-policy: the AWS profile");
  cmd->add_flag("--insecure-allow-debug", flags->insecure_allow_debug,
                "Accept debug-mode enclaves (PCR0-2 all zero)");
  cmd->add_flag("--insecure-tls", flags->insecure_tls,
                "Do not check the services' TLS certificates");
  cmd->add_option("--timeout", flags->timeout_seconds, "Seconds allowed for each service's answers")
      ->default_val(10)
      ->check(CLI::Range(0.1, 600.0));
  cmd->footer(
      "Examples:\n"
      "  # every minute, metrics for Prometheus, evidence of each change kept\n"
      "  enclavectl monitor --targets fleet.txt --expect-pcrs pcr.json --interval 1m \\\n"
      "      --listen 127.0.0.1:9464 --evidence-dir /var/lib/enclavectl/evidence\n"
      "  # one round (cron, CI)\n"
      "  enclavectl monitor --targets fleet.txt --verify-build enclave.eif --once\n\n"
      "Standard output: one JSON line per transition (docs/monitor.md). Runs until SIGINT or\n"
      "SIGTERM (exit 0). Exit codes: as verify for --once; 64 usage error; 74 cannot listen\n"
      "(MONITOR_LISTEN_FAILED) or create --evidence-dir.");
  cmd->callback([&ctx, flags] { ctx.exit_code = RunMonitorCommand(ctx, *flags); });
}

}  // namespace enclavectl::cli
