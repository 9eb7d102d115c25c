// `enclavectl migration`: the maintainer's side of a key migration (docs/migration.md).
//   migration sign --key FILE --target-pcr0 HEX --activation-time T
//   migration status --url URL [--expect-pcr0 HEX | --any-image] [--root FILE] [--json]
// prints the BIP-340 authorization the Introspector protocol expects (migration.md 5.3).
#include <algorithm>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "context.hpp"
#include "enclavectl/app/maintainer.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/progress.hpp"
#include "enclavectl/core/secret.hpp"
#include "enclavectl/verifier/collect.hpp"
#include "enclavectl/verifier/expectations.hpp"
#include "enclavectl/verifier/live.hpp"
#include "enclavectl/verifier/maintainer.hpp"
#include "enclavectl/verifier/report_text.hpp"
#include "verify_common.hpp"

namespace enclavectl::cli {
namespace {

constexpr const char* kSignMediaType = "application/vnd.enclavectl.migration-sign+json;version=1";
constexpr const char* kPubkeyMediaType =
    "application/vnd.enclavectl.migration-pubkey+json;version=1";
constexpr const char* kStatusMediaType =
    "application/vnd.enclavectl.migration-status+json;version=1";

struct StatusFlags : verifier::VerifyFlagValues {
  double timeout_seconds = 10;
  bool json = false;
};

// Attests the service as `verify --url` does (fresh nonce, root, the image expectation), with
// GET /v1/migration-status too, every response signature checked; a retired enclave is shown,
// not refused.
int RunStatus(Context& ctx, const StatusFlags& flags) {
  auto mode = verifier::SelectVerifyMode(flags);
  if (!mode) {
    return ReportError(ctx, mode.error(), flags.json, kStatusMediaType);
  }
  auto root = LoadRoot(flags.root_path);
  if (!root) {
    return ReportError(ctx, root.error(), flags.json, kStatusMediaType);
  }
  auto live = verifier::BuildLiveExpectations(flags, Sources(flags), root->Fingerprint());
  if (!live) {
    return ReportError(ctx, live.error(), flags.json, kStatusMediaType);
  }
  live->expectations.allow_retired = true;
  auto url = verifier::NormalizeServiceUrl(flags.url);
  if (!url) {
    return ReportError(ctx, url.error(), flags.json, kStatusMediaType);
  }
  auto visits = verifier::CollectEvidence(
      {*url}, verifier::LiveHttpOptions(flags.timeout_seconds, flags.insecure_tls, 4), ctx.clock,
      /*with_migration_status=*/true);
  if (!visits.front()) {
    return ReportError(ctx, visits.front().error(), flags.json, kStatusMediaType);
  }
  verifier::Evidence evidence = std::move(*visits.front());
  evidence.options = live->recorded;
  verifier::ChainCache cache;
  const verifier::LiveReport report = verifier::VerifyEvidence(
      evidence, verifier::VerifierConfig{&*root, &cache}, live->expectations);
  const std::optional<core::Error> failure =
      report.verdict == verifier::Verdict::kAccepted ? std::nullopt : report.error;
  const int exit_code = failure ? core::ExitCodeFor(core::InfoFor(failure->code).exit_class) : 0;
  if (flags.json) {
    nlohmann::json out = verifier::LiveReportToJson(report, evidence);
    out["media_type"] = kStatusMediaType;
    ctx.out << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return exit_code;
  }
  verifier::RenderLiveText(ctx.out, report, evidence, "",
                           core::PaintVerdict(verifier::LiveHeadline(report), ColourOn(ctx)));
  if (failure) {
    verifier::RenderFailure(ctx.err, *failure);
  }
  return exit_code;
}

struct SignFlags {
  std::string key_path;
  std::string target_pcr0;
  std::int64_t activation_time = 0;
  bool json = false;
};

// The maintainer's secret key: a file holding 64 hex digits (surrounding whitespace allowed).
// Its content is never echoed.
core::Result<core::SecretBytes> ReadMaintainerKey(const std::string& path) {
  auto raw = core::io::ReadFile(path, 1024);
  if (!raw) {
    return core::Fail(raw.error());
  }
  core::SecretBytes text(*raw);
  std::fill(raw->begin(), raw->end(), 0);
  std::string_view chars = core::AsChars(text.View());
  while (!chars.empty() && (chars.back() == '\n' || chars.back() == '\r' || chars.back() == ' ' ||
                            chars.back() == '\t')) {
    chars.remove_suffix(1);
  }
  while (!chars.empty() && (chars.front() == ' ' || chars.front() == '\t')) {
    chars.remove_prefix(1);
  }
  auto bytes = core::HexDecode(chars);
  if (!bytes || bytes->size() != 32) {
    if (bytes) {
      std::fill(bytes->begin(), bytes->end(), 0);
    }
    return core::Fail(core::ErrorCode::kInvalidArgument,
                      path +
                          ": the maintainer key file must hold 64 hex digits (a secp256k1 "
                          "secret key)");
  }
  core::SecretBytes secret(*bytes);
  std::fill(bytes->begin(), bytes->end(), 0);
  return secret;
}

int RunSign(Context& ctx, const SignFlags& flags) {
  auto secret = ReadMaintainerKey(flags.key_path);
  if (!secret) {
    return ReportError(ctx, secret.error(), flags.json, kSignMediaType);
  }
  auto signature =
      app::SignMaintainerAuthorization(*secret, flags.target_pcr0, flags.activation_time);
  if (!signature) {
    return ReportError(ctx, signature.error(), flags.json, kSignMediaType);
  }
  const std::string signature_hex = core::HexEncode(*signature);
  const std::string message_hex =
      core::HexEncode(verifier::MaintainerMessage(flags.target_pcr0, flags.activation_time));
  if (flags.json) {
    const nlohmann::ordered_json out = {{"media_type", kSignMediaType},
                                        {"target_pcr0", flags.target_pcr0},
                                        {"activation_time", flags.activation_time},
                                        {"message_sha256", message_hex},
                                        {"signature", signature_hex}};
    ctx.out << out.dump(2) << "\n";
  } else {
    ctx.out << signature_hex << "\n";
  }
  return 0;
}

int RunPubkey(Context& ctx, const std::string& key_path, bool json) {
  auto secret = ReadMaintainerKey(key_path);
  if (!secret) {
    return ReportError(ctx, secret.error(), json, kPubkeyMediaType);
  }
  auto public_key = app::MaintainerPublicKey(*secret);
  if (!public_key) {
    return ReportError(ctx, public_key.error(), json, kPubkeyMediaType);
  }
  const std::string hex = core::HexEncode(*public_key);
  if (json) {
    const nlohmann::ordered_json out = {{"media_type", kPubkeyMediaType},
                                        {"maintainer_pubkey", hex}};
    ctx.out << out.dump(2) << "\n";
  } else {
    ctx.out << hex << "\n";
  }
  return 0;
}

}  // namespace

void RegisterMigration(CLI::App& app, Context& ctx) {
  CLI::App* cmd = app.add_subcommand(
      "migration",
      "Key migration between image versions (docs/migration.md): `status` shows a live "
      "enclave's migration state, attested and signed; `sign` makes the maintainer's "
      "authorization; `pubkey` prints the maintainer key for the image config.");
  cmd->require_subcommand(1);
  auto flags = std::make_shared<SignFlags>();
  CLI::App* sign = cmd->add_subcommand(
      "sign",
      "Print the maintainer's BIP-340 authorization of a migration to TARGET PCR0 at ACTIVATION "
      "TIME: 128 hex digits over SHA-256(\"<target_pcr0 lower-case>:<activation_time>\"), as "
      "Introspector's MaintainerSig.");
  sign->add_option("--key", flags->key_path,
                   "File holding the maintainer's secp256k1 secret key (64 hex digits)")
      ->required();
  sign->add_option("--target-pcr0", flags->target_pcr0, "PCR0 of the new image (96 hex digits)")
      ->required();
  sign->add_option("--activation-time", flags->activation_time,
                   "Unix seconds from which the migration may complete")
      ->required();
  sign->add_flag("--json", flags->json,
                 "Print {media_type, target_pcr0, activation_time, message_sha256, signature}");
  sign->footer(
      "Exit codes: 0 signed, 64 usage (bad PCR0, time or key file), 74 unreadable key file.\n"
      "Example:\n  enclavectl migration sign --key maintainer.hex --target-pcr0 $PCR0 "
      "--activation-time 1700090000\n");
  sign->callback([&ctx, flags] { ctx.exit_code = RunSign(ctx, *flags); });

  auto pubkey_flags = std::make_shared<SignFlags>();
  CLI::App* pubkey = cmd->add_subcommand(
      "pubkey",
      "Print the maintainer key's x-only public key (64 hex digits, BIP-340): the "
      "maintainer_pubkey of the image config (`eif build --config`) whose migrations the key "
      "authorizes. The secret key is never printed.");
  pubkey
      ->add_option("--key", pubkey_flags->key_path,
                   "File holding the maintainer's secp256k1 secret key (64 hex digits)")
      ->required();
  pubkey->add_flag("--json", pubkey_flags->json, "Print {media_type, maintainer_pubkey}");
  pubkey->footer(
      "Exit codes: 0 printed, 64 usage (the key file is not 64 hex digits of a valid key), 74 "
      "unreadable key file.\n"
      "Example:\n  enclavectl migration pubkey --key maintainer.hex\n"
      "  (then {\"previous_pcr0\": \"genesis\", \"maintainer_pubkey\": \"<that>\"} as the image "
      "config)\n");
  pubkey->callback([&ctx, pubkey_flags] {
    ctx.exit_code = RunPubkey(ctx, pubkey_flags->key_path, pubkey_flags->json);
  });

  auto status_flags = std::make_shared<StatusFlags>();
  CLI::App* status = cmd->add_subcommand(
      "status",
      "Attest a live enclave as verify --url does (fresh nonce, chain to the root, its keys "
      "against PCR16 and appKeyHash), then show its signed /v1/enclave-info (version, previous "
      "PCR0, maintainer key, key origin, migrated to/from) and /v1/migration-status (no "
      "migration pending, PENDING with its cooldown, EXPIRED, COMPLETED), every response "
      "signature checked.");
  status->add_option("--url", status_flags->url, "The enclave: http(s)://HOST[:PORT]")->required();
  status->add_option("--root", status_flags->root_path,
                     "Trust this root (PEM or DER) instead of the pinned AWS Nitro Enclaves root "
                     "G1 (the local stack: its dev-root.pem)");
  status->add_option("--expect-pcr0", status_flags->expect_pcr0_hex,
                     "Require PCR0 (the image measurement) to equal HEX");
  status->add_option("--expect-pcrs", status_flags->expect_pcrs_path,
                     "Allowed measurement sets (nitro-cli pcr.json, describe-eif output or an "
                     "array); one must match");
  status->add_flag("--any-image", status_flags->any_image,
                   "Accept any enclave image (without it an image expectation is required); "
                   "the report says that no image was checked");
  status->add_option("--max-age", status_flags->max_age,
                     "Reject documents older than this (90s, 5m, 1h); default 5m");
  status
      ->add_option("--timeout", status_flags->timeout_seconds,
                   "Seconds allowed for the service's answers")
      ->default_val(10)
      ->check(CLI::Range(0.1, 600.0));
  status->add_flag("--insecure-tls", status_flags->insecure_tls,
                   "Do not check the service's TLS certificate (reported as insecure)");
  status->add_flag("--insecure-allow-unbound-tls", status_flags->insecure_allow_unbound_tls,
                   "Over HTTPS, accept a document whose tlsKeyHash is zero");
  status->add_flag("--json", status_flags->json,
                   "Print one migration-status+json object (the verify-live+json report with "
                   "its migration section; docs/migration.md)");
  status->footer(
      "Examples:\n"
      "  enclavectl migration status --url https://signer.example.com --expect-pcr0 7a3b05...\n"
      "  enclavectl migration status --url http://127.0.0.1:7074 --root dev-root.pem "
      "--any-image --json\n\n"
      "Exit codes: 0 shown (a retired enclave too), 1 a check failed (attestation, signature,\n"
      "MIGRATION_INCONSISTENT), 2 malformed answer (MIGRATION_STATUS_INVALID), 64 usage,\n"
      "74 the service could not be reached.");
  status->callback([&ctx, status_flags] { ctx.exit_code = RunStatus(ctx, *status_flags); });
}

}  // namespace enclavectl::cli
