#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <new>
#include <sstream>

#include "context.hpp"
#include "enclavectl/cli/cli.hpp"
#include "enclavectl/core/build_info.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/error_help.hpp"
#include "enclavectl/core/terminal.hpp"
#include "enclavectl/core/text_wrap.hpp"
#include "enclavectl/verifier/trust.hpp"

#ifndef ENCLAVECTL_VERSION
#define ENCLAVECTL_VERSION "0.0.0"
#endif

namespace enclavectl::cli {

bool ProgressOn(const Context& ctx, bool quiet) {
  return !quiet && &ctx.err == &std::cerr && core::io::ProgressWanted(STDERR_FILENO);
}

bool ColourOn(const Context& ctx) {
  return &ctx.out == &std::cout && core::io::ColourWanted(STDOUT_FILENO);
}

int ReportError(Context& ctx, const core::Error& error, bool json, const char* media_type,
                const core::UsageProblem* usage) {
  const core::FailureOutput output =
      core::DescribeFailure("enclavectl", error, json, media_type, usage);
  ctx.out << output.out;
  ctx.err << output.err;
  return output.exit_code;
}

int Run(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
        const core::io::Clock& clock) {
  std::istringstream no_input;
  return Run(argc, argv, no_input, out, err, clock);
}

int Run(int argc, const char* const* argv, std::istream& in, std::ostream& out, std::ostream& err,
        const core::io::Clock& clock) {
  Context ctx{out, err, clock, in};
  CLI::App app{
      "enclavectl " ENCLAVECTL_VERSION
      " - trust AWS Nitro Enclaves end to end: verify attestation documents down to the AWS "
      "root; write, lint, simulate and lock PCR-restricted KMS key policies; run a local KMS "
      "and NSM simulator.",
      "enclavectl"};
  app.add_flag_callback(
      "--version", [] { throw CLI::CallForVersion(); },
      "Print the version, commit, build type, OpenSSL and libsecp256k1 versions "
      "and the pinned AWS root's SHA-256 (with --json: one JSON object)");
  app.require_subcommand(1);
  RegisterVerify(app, ctx);
  RegisterMonitor(app, ctx);
  RegisterPolicy(app, ctx);
  RegisterLockPolicy(app, ctx);
  RegisterNsm(app, ctx);
  RegisterKms(app, ctx);
  RegisterDev(app, ctx);
  RegisterSignature(app, ctx);
  RegisterMigration(app, ctx);
  RegisterErrors(app, ctx);
  RegisterEif(app, ctx);
  RegisterBitcoin(app, ctx);
  RegisterWallet(app, ctx);
  RegisterHelp(app, ctx);
  RegisterCompletion(app, ctx);
  // After the subcommands: CLI11 copies a parent's footer into subcommands created later.
  app.footer(
      "Examples:\n"
      "  enclavectl verify --doc attestation.cbor --at doc\n"
      "  enclavectl verify --doc doc.b64 --expect-pcrs pcr.json --max-age 5m --json\n"
      "  enclavectl verify --url https://signer.example.com --verify-build image.eif "
      "--bundle evidence.zip\n"
      "  enclavectl eif measure image.eif --expect-pcr0 7a3b05...\n"
      "  enclavectl policy generate --account 111122223333 --enclave-role ROLE_ARN --pcrs "
      "pcr.json\n"
      "  enclavectl policy lint policy.json --require enclave-only,locked\n"
      "  enclavectl lock-policy --key-id KEY_ARN --enclave-role ROLE_ARN --pcrs pcr.json --apply\n"
      "  eval \"$(enclavectl dev up --background)\"   # local KMS + NSM simulator CA\n"
      "  enclavectl errors\n\n"
      "Exit codes: 0 accepted, 1 verification failed, 2 malformed input, 64 usage error,\n"
      "74 I/O error, 70 internal error. 'enclavectl <command> --help' for details.");
  const std::vector<std::string> args(argv + std::min(argc, 1), argv + argc);
  const auto options_end = std::find(args.begin(), args.end(), "--");
  const bool json = std::find(args.begin(), options_end, "--json") != options_end;
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << core::WrapText(app.help(), core::io::HelpColumns());
  } catch (const CLI::CallForVersion&) {
    auto root = verifier::TrustAnchor::AwsNitroRoot();
    out << core::VersionAnswer(
        "enclavectl", root ? core::HexEncode(root->Fingerprint()) : root.error().detail, json);
  } catch (const CLI::ParseError& e) {
    return ReportParseError(ctx, app, e, args, json);
  } catch (const std::bad_alloc&) {
    err << "enclavectl: INTERNAL: memory exhausted\n";
    return 70;
  }
  return CheckOutputWritten(out, err, ctx.exit_code);
}

int CheckOutputWritten(std::ostream& out, std::ostream& err, int exit_code) {
  out.flush();
  if (!out.fail()) {
    return exit_code;
  }
  // A result nobody received is not a result: a full disk or a closed pipe is an I/O error.
  err << "enclavectl: IO_WRITE: cannot write standard output (disk full, or the reader went "
         "away?)\n";
  return core::ExitCodeFor(core::ExitClass::kIo);
}

}  // namespace enclavectl::cli
