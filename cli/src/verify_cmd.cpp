// `enclavectl verify`: flags in, one library call per mode (--doc: verifier::Verify; --url:
// CollectEvidence + VerifyEvidence, --check-key-policy: kmspolicy::io's key policy audit;
// --targets: VerifyFleet; --bundle: ReverifyBundle), the report rendered as text or JSON.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "context.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/progress.hpp"
#include "enclavectl/core/progress_line.hpp"
#include "enclavectl/verifier/batch.hpp"
#include "enclavectl/verifier/collect.hpp"
#include "enclavectl/verifier/expectations.hpp"
#include "enclavectl/verifier/fleet.hpp"
#include "enclavectl/verifier/lineage_walk.hpp"
#include "enclavectl/verifier/live.hpp"
#include "enclavectl/verifier/report_json.hpp"
#include "enclavectl/verifier/report_text.hpp"
#include "enclavectl/verifier/reverify.hpp"
#include "enclavectl/verifier/trust.hpp"
#include "enclavectl/verifier/verify.hpp"
#include "verify_common.hpp"

namespace enclavectl::cli {
namespace {

using nlohmann::json;
namespace v = verifier;

struct VerifyOptions : v::VerifyFlagValues {
  double timeout_seconds = 10;
  std::size_t concurrency = 32;
  unsigned jobs = 0;  // batch: 0 = one per core
  bool json = false;
  bool check_migration = false;  // --url: also GET /v1/migration-status, the migration checks
};

// `verify lineage --targets FILE`.
struct LineageOptions {
  std::string targets_path;
  std::string root_path;
  std::string max_age;
  double timeout_seconds = 10;
  bool insecure_tls = false;
  bool insecure_allow_debug = false;
  bool insecure_allow_unbound_tls = false;
  bool json = false;
};

// --timeout, --insecure-tls and --concurrency.
net::HttpClientOptions HttpOptions(const VerifyOptions& options) {
  return v::LiveHttpOptions(options.timeout_seconds, options.insecure_tls, options.concurrency);
}

// `error`, about the file at `path`: its detail starts with the path.
core::Error InFile(const std::string& path, core::Error error) {
  error.detail = path + ": " + error.detail;
  return error;
}

// The exit code of a report: 0 when accepted, else that of its error's class.
int ExitFor(const std::optional<core::Error>& failure) {
  return failure ? core::ExitCodeFor(core::InfoFor(failure->code).exit_class) : 0;
}

// A report's failure: none when accepted, else its error.
std::optional<core::Error> FailureOf(const auto& report) {
  return report.verdict == v::Verdict::kAccepted ? std::nullopt : report.error;
}
void PrintJson(Context& ctx, const json& out) {
  ctx.out << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
}

// After a text report: the failure's line (and hint) on standard error; the exit code.
int Failed(Context& ctx, const std::optional<core::Error>& failure, const std::string& hint = "") {
  if (failure) {
    v::RenderFailure(ctx.err, *failure, hint);
  }
  return ExitFor(failure);
}

// What judging stored documents needs: the policy the flags describe, and the root.
struct StoredSetup {
  v::VerificationPolicy policy;
  v::TrustAnchor root;
};

core::Result<StoredSetup> PrepareStored(Context& ctx, const VerifyOptions& options) {
  auto policy = v::BuildPolicy(options, Sources(options), ctx.clock.Now());
  if (!policy) {
    return core::Fail(policy.error());
  }
  auto root = LoadRoot(options.root_path);
  if (!root) {
    return core::Fail(root.error());
  }
  return StoredSetup{std::move(*policy), std::move(*root)};
}

int RunVerifyDoc(Context& ctx, const VerifyOptions& options) {
  auto setup = PrepareStored(ctx, options);
  if (!setup) {
    return ReportError(ctx, setup.error(), options.json, v::kVerifyMediaType);
  }
  auto raw = core::io::ReadFile(options.doc_path, core::limits::kMaxDocumentTextBytes);
  if (!raw) {
    return ReportError(ctx, raw.error(), options.json, v::kVerifyMediaType);
  }
  auto input = v::DecodeDocumentInput(*raw);
  if (!input) {
    return ReportError(ctx, InFile(options.doc_path, input.error()), options.json,
                       v::kVerifyMediaType);
  }
  const auto report =
      v::Verify(input->cbor, v::VerifierConfig{&setup->root, nullptr}, setup->policy);
  if (options.json) {
    json out = v::ReportToJson(report);
    out["input"]["path"] = options.doc_path;
    out["input"]["encoding"] = v::InputEncodingName(input->encoding);
    out["any_image"] = options.any_image;
    out["image_checked"] = !options.any_image;
    PrintJson(ctx, out);
    return ExitFor(FailureOf(report));
  }
  v::RenderReportText(ctx.out, options.doc_path, input->encoding, report, options.any_image,
                      ColourOn(ctx));
  return Failed(ctx, FailureOf(report), report.hint);
}

// Several documents: each read, decoded and verified on its own (v::VerifyBatch on --jobs
// threads sharing one chain cache), one line or one JSON line each, in the order given; the
// exit code is the worst document's.
int RunVerifyBatch(Context& ctx, const VerifyOptions& options) {
  auto setup = PrepareStored(ctx, options);
  if (!setup) {
    return ReportError(ctx, setup.error(), options.json, v::kVerifyBatchMediaType);
  }
  std::vector<std::string> paths = options.doc_paths;
  if (!options.docs_from.empty()) {
    auto text = core::io::ReadFile(options.docs_from, v::kMaxDocumentListBytes);
    auto listed = text ? v::ParseDocumentList(core::AsChars(*text))
                       : core::Result<std::vector<std::string>>(core::Fail(text.error()));
    if (!listed) {
      return ReportError(ctx, InFile(options.docs_from, listed.error()), options.json,
                         v::kVerifyBatchMediaType);
    }
    paths.insert(paths.end(), listed->begin(), listed->end());
  }
  const v::BatchLoader load = [&paths](std::size_t i) -> core::Result<v::DocumentInput> {
    auto raw = core::io::ReadFile(paths[i], core::limits::kMaxDocumentTextBytes);
    if (!raw) {
      return core::Fail(raw.error());  // names the path
    }
    auto input = v::DecodeDocumentInput(*raw);
    return input ? std::move(input) : core::Fail(InFile(paths[i], input.error()));
  };
  core::io::ProgressLine progress(ctx.err, ProgressOn(ctx, options.json),
                                  {"verifying", core::ProgressUnit::kItems, "documents", {}, {}});
  const bool colour = ColourOn(ctx);
  const v::BatchSink print = [&](const v::BatchItem& item) {
    progress.Clear();  // stdout and stderr may be the same terminal
    if (options.json) {
      ctx.out << v::BatchItemToJson(paths[item.index], item)
                     .dump(-1, ' ', false, json::error_handler_t::replace)
              << "\n";
    } else {
      ctx.out << v::BatchItemLine(paths[item.index], item, colour) << "\n";
    }
    progress.Update(item.index + 1, paths.size());
  };
  v::ChainCache cache;
  const auto start = std::chrono::steady_clock::now();
  const v::BatchSummary summary =
      v::VerifyBatch(paths.size(), load, print, v::VerifierConfig{&setup->root, &cache},
                     setup->policy, {options.jobs, 0});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  progress.Clear();
  if (options.json) {
    ctx.out << v::BatchSummaryToJson(summary, seconds).dump() << "\n";
  } else {
    ctx.err << v::BatchSummaryLine(summary, seconds) << "\n";
  }
  return summary.exit_code;
}

// Everything a live check needs before it goes on the network.
struct LiveSetup {
  v::TrustAnchor root;
  v::LiveFlagExpectations live;  // the expectations and the options kept in a bundle
};

core::Result<LiveSetup> PrepareLive(const VerifyOptions& options) {
  auto root = LoadRoot(options.root_path);
  if (!root) {
    return core::Fail(root.error());
  }
  auto live = v::BuildLiveExpectations(options, Sources(options), root->Fingerprint());
  if (!live) {
    return core::Fail(live.error());
  }
  return LiveSetup{std::move(*root), std::move(*live)};
}

int RunVerifyLive(Context& ctx, const VerifyOptions& options) {
  auto setup = PrepareLive(options);
  if (!setup) {
    return ReportError(ctx, setup.error(), options.json, v::kLiveMediaType);
  }
  auto url = v::NormalizeServiceUrl(options.url);
  if (!url) {
    return ReportError(ctx, url.error(), options.json, v::kLiveMediaType);
  }
  if (options.check_migration && !options.bundle_path.empty()) {
    return ReportError(ctx,
                       core::Error{core::ErrorCode::kInvalidArgument,
                                   "--check-migration does not go with --bundle (a bundle does "
                                   "not keep GET /v1/migration-status)",
                                   -1},
                       options.json, v::kLiveMediaType);
  }
  auto visits =
      v::CollectEvidence({*url}, HttpOptions(options), ctx.clock, options.check_migration);
  if (!visits.front()) {
    return ReportError(ctx, visits.front().error(), options.json, v::kLiveMediaType);
  }
  v::Evidence evidence = std::move(*visits.front());
  evidence.options = setup->live.recorded;
  v::ChainCache cache;
  const v::VerifierConfig config{&setup->root, &cache};
  v::LiveReport report = v::VerifyEvidence(evidence, config, setup->live.expectations);
  if (options.check_key_policy) {
    report.AddCheck(CheckKeyPolicy(options, report, ctx.clock));
  }
  if (!options.bundle_path.empty()) {
    auto zip = v::BundleOfVisit(evidence, report);
    core::Status written = zip ? core::io::WriteFileAtomic(options.bundle_path, *zip)
                               : core::Status(core::Fail(zip.error()));
    if (!written) {
      return ReportError(ctx, written.error(), options.json, v::kLiveMediaType);
    }
  }
  if (options.json) {
    json out = v::LiveReportToJson(report, evidence);
    out["bundle"] = options.bundle_path.empty() ? json(nullptr) : json(options.bundle_path);
    PrintJson(ctx, out);
    return ExitFor(FailureOf(report));
  }
  v::RenderLiveText(ctx.out, report, evidence, "",
                    core::PaintVerdict(v::LiveHeadline(report), ColourOn(ctx)));
  if (!options.bundle_path.empty()) {
    ctx.out << "evidence bundle written to " << options.bundle_path
            << " (re-verify offline: enclavectl verify --bundle " << options.bundle_path
            << (options.root_path.empty() ? "" : " --root " + options.root_path) << ")\n";
  }
  return Failed(ctx, FailureOf(report));
}

int RunVerifyBundle(Context& ctx, const VerifyOptions& options) {
  auto root = LoadRoot(options.root_path);
  if (!root) {
    return ReportError(ctx, root.error(), options.json, v::kLiveMediaType);
  }
  // A bundle is untrusted: its verdict comes only from the expectations on this command line
  // (allow-debug and max-age included); what it recorded is shown, never used.
  auto expectations = v::BuildExpectations(options, Sources(options));
  if (!expectations) {
    return ReportError(ctx, expectations.error(), options.json, v::kLiveMediaType);
  }
  auto zip = core::io::ReadFile(options.bundle_path, core::limits::kMaxBundleBytes);
  if (!zip) {
    return ReportError(ctx, zip.error(), options.json, v::kLiveMediaType);
  }
  auto verification = v::ReverifyBundle(*zip, v::VerifierConfig{&*root, nullptr}, *expectations);
  if (!verification) {
    return ReportError(ctx, InFile(options.bundle_path, verification.error()), options.json,
                       v::kLiveMediaType);
  }
  const core::Error usage = v::NoImageExpectationError();
  const auto failure = verification->judged ? FailureOf(verification->report) : usage;
  if (options.json) {
    PrintJson(ctx, v::BundleVerificationToJson(*verification, options.bundle_path, usage));
    return ExitFor(failure);
  }
  v::RenderBundleText(ctx.out, *verification, options.bundle_path,
                      core::HexEncode(root->Fingerprint()));
  return Failed(ctx, failure);
}

int RunVerifyFleet(Context& ctx, const VerifyOptions& options) {
  auto setup = PrepareLive(options);
  if (!setup) {
    return ReportError(ctx, setup.error(), options.json, v::kFleetMediaType);
  }
  auto text = core::io::ReadFile(options.targets_path, core::limits::kMaxPolicyFileBytes);
  if (!text) {
    return ReportError(ctx, text.error(), options.json, v::kFleetMediaType);
  }
  auto targets = v::ParseTargets(core::AsChars(*text));
  if (!targets) {
    return ReportError(ctx, InFile(options.targets_path, targets.error()), options.json,
                       v::kFleetMediaType);
  }
  if (!options.json) {
    ctx.err << "verifying " << targets->size() << " services ...\n";
  }
  core::io::ProgressLine progress(ctx.err, ProgressOn(ctx, options.json),
                                  {"fetching", core::ProgressUnit::kItems, "requests", {}, {}});
  net::HttpClientOptions http = HttpOptions(options);
  http.on_progress = [&progress](std::size_t done, std::size_t total) {
    progress.Update(done, total);
  };
  auto visits = v::CollectEvidence(*targets, http, ctx.clock);
  progress.Clear();
  const v::FleetReport report = v::VerifyFleet(*targets, std::move(visits), setup->root,
                                               setup->live.expectations, setup->live.recorded);
  if (options.json) {
    PrintJson(ctx, v::FleetReportToJson(report));
    return ExitFor(report.first_failure);
  }
  v::RenderFleetText(ctx.out, report, options.insecure_tls, options.any_image, ColourOn(ctx));
  return Failed(ctx, report.first_failure);
}

// Every version of a lineage visited at once (3 GETs each), then judged in order.
int RunVerifyLineage(Context& ctx, const LineageOptions& options) {
  v::VerifyFlagValues flags;
  flags.root_path = options.root_path;
  flags.max_age = options.max_age;
  flags.insecure_allow_debug = options.insecure_allow_debug;
  flags.insecure_allow_unbound_tls = options.insecure_allow_unbound_tls;
  flags.insecure_tls = options.insecure_tls;
  flags.any_image = true;  // each step's PCR0 comes from the targets file
  auto root = LoadRoot(options.root_path);
  if (!root) {
    return ReportError(ctx, root.error(), options.json, v::kLineageMediaType);
  }
  auto live = v::BuildLiveExpectations(flags, Sources(flags), root->Fingerprint());
  if (!live) {
    return ReportError(ctx, live.error(), options.json, v::kLineageMediaType);
  }
  auto text = core::io::ReadFile(options.targets_path, core::limits::kMaxPolicyFileBytes);
  if (!text) {
    return ReportError(ctx, text.error(), options.json, v::kLineageMediaType);
  }
  auto targets = v::ParseLineageTargets(core::AsChars(*text));
  if (!targets) {
    return ReportError(ctx, InFile(options.targets_path, targets.error()), options.json,
                       v::kLineageMediaType);
  }
  std::vector<std::string> urls;
  for (const v::LineageTarget& target : *targets) {
    urls.push_back(target.url);
  }
  auto visits = v::CollectEvidence(
      urls, v::LiveHttpOptions(options.timeout_seconds, options.insecure_tls, 32), ctx.clock);
  for (auto& visit : visits) {
    if (visit) {
      visit->options = live->recorded;
    }
  }
  const v::LineageWalkReport report =
      v::VerifyLineageWalk(*targets, std::move(visits), *root, live->expectations);
  if (options.json) {
    PrintJson(ctx, v::LineageWalkToJson(report));
    return ExitFor(report.error);
  }
  v::RenderLineageWalkText(ctx.out, report);
  return Failed(ctx, report.error);
}

int RunVerify(Context& ctx, VerifyOptions options) {
  if (options.doc_paths.size() == 1 && options.docs_from.empty()) {
    options.doc_path = options.doc_paths.front();  // one --doc: the full report
    options.doc_paths.clear();
  }
  auto mode = v::SelectVerifyMode(options);
  if (!mode) {
    return ReportError(ctx, mode.error(), options.json, v::kVerifyMediaType);
  }
  if (options.check_migration && *mode != v::VerifyMode::kLive) {
    return ReportError(ctx,
                       core::Error{core::ErrorCode::kInvalidArgument,
                                   "--check-migration goes with --url only", -1},
                       options.json, v::kVerifyMediaType);
  }
  switch (*mode) {
    case v::VerifyMode::kDoc:
      return RunVerifyDoc(ctx, options);
    case v::VerifyMode::kBatch:
      return RunVerifyBatch(ctx, options);
    case v::VerifyMode::kLive:
      return RunVerifyLive(ctx, options);
    case v::VerifyMode::kFleet:
      return RunVerifyFleet(ctx, options);
    case v::VerifyMode::kBundle:
      break;
  }
  return RunVerifyBundle(ctx, options);
}

}  // namespace

void RegisterVerify(CLI::App& app, Context& ctx) {
  auto options = std::make_shared<VerifyOptions>();
  CLI::App* cmd = app.add_subcommand(
      "verify",
      "Verify a Nitro Enclaves attestation document (--doc), a live key service (--url: a "
      "fresh document for our nonce, its signing key against PCR16, its response-signing key "
      "against appKeyHash, every response signature), many services at once (--targets), or "
      "the evidence bundle of an earlier visit (--bundle), down to the pinned AWS root.");
  cmd->add_option("--doc", options->doc_paths,
                  "Attestation document: raw CBOR, hex or base64 (detected); - for stdin. "
                  "Repeat it to verify several, one line each (JSON Lines with --json)");
  cmd->add_option("--docs-from", options->docs_from,
                  "Verify every document listed in FILE (one path a line, # comments; - for "
                  "stdin), one line each, exit code the worst");
  cmd->add_option("--jobs", options->jobs,
                  "Several documents: verify on this many threads (default: one per core)")
      ->check(CLI::Range(1U, 256U));
  cmd->add_option("--url", options->url,
                  "Key service to verify live: http(s)://HOST[:PORT] (enclave-app, or any "
                  "service with nitriding's /enclave/attestation and the /v1/info and "
                  "/v1/enclave-info of docs/enclave-app.md)");
  cmd->add_option("--targets", options->targets_path,
                  "Fleet audit: a file with one service URL a line (# comments); all are "
                  "verified concurrently, one line each and a summary");
  cmd->add_option("--bundle", options->bundle_path,
                  "With --url: write the evidence bundle (zip) of this visit here. Alone: "
                  "re-verify that bundle offline at its recorded time, against the expectations "
                  "given on this command line only (those recorded in the bundle are shown, "
                  "never used)");
  cmd->add_option(
      "--root", options->root_path,
      "Trust this root (PEM or DER) instead of the pinned AWS Nitro Enclaves root G1; the "
      "report names it as a custom root (the local stack: its dev-root.pem)");
  cmd->add_option("--at", options->at,
                  "--doc only. Verification time: now (default), doc (the document's own "
                  "signed timestamp, for stored evidence), or RFC 3339 / Unix seconds "
                  "(2019..2100)")
      ->default_str("now");
  cmd->add_option("--expect-pcr", options->expect_pcr,
                  "Require PCR N to equal HEX (N=HEX, repeatable), e.g. 0=7a3b05...");
  cmd->add_option("--expect-pcr0", options->expect_pcr0_hex,
                  "Require PCR0 (the image measurement) to equal HEX");
  cmd->add_option("--expect-pcrs", options->expect_pcrs_path,
                  "Allowed measurement sets: nitro-cli pcr.json, describe-eif output "
                  "({\"Measurements\": ...}) or a JSON array of them; one must match");
  cmd->add_option("--verify-build", options->verify_build_path,
                  "Measure this EIF (like nitro-cli describe-eif) and require its PCR0, PCR1, "
                  "PCR2 (and PCR8 when signed): the service runs the image you built");
  cmd->add_option("--expect-key", options->expect_key_hex,
                  "--doc only. secp256k1 public key (hex, 33 or 65 bytes) that PCR16 must bind: "
                  "PCR16 = SHA-384(0^48 || SHA-256(compressed key))");
  auto* app_key = cmd->add_option(
      "--expect-app-key", options->expect_app_key_hex,
      "--doc only. Response-signing key (hex secp256k1) whose SHA-256 must be appKeyHash in "
      "the 68-byte nitriding user_data");
  cmd->add_option("--expect-app-key-hash", options->expect_app_key_hash_hex,
                  "--doc only. The appKeyHash itself (64 hex digits)")
      ->excludes(app_key);
  cmd->add_option("--expect-nonce", options->expect_nonce_hex,
                  "--doc only. Require this nonce (hex)");
  cmd->add_option("--max-age", options->max_age,
                  "Reject documents older than this at the verification time (90s, 5m, 1h); "
                  "live checks default to 5m");
  cmd->add_flag("--any-image", options->any_image,
                "Accept any enclave image: without it, --doc/--url/--targets/--bundle require an "
                "image expectation (--expect-pcr0, --expect-pcr, --expect-pcrs or "
                "--verify-build); with it the report says that no image was checked");
  cmd->add_option("--expect-kms-key", options->expect_kms_key,
                  "--url/--targets/--bundle: the KMS key ARN the service's signing key must come "
                  "from (/v1/info kms_key_arn, resolved by DescribeKey); missing or other: "
                  "KMS_KEY_MISMATCH");
  cmd->add_option("--expect-blockhash", options->expect_blockhash,
                  "--url/--targets/--bundle: the blockhash (64 hex) /v1/info must carry; missing "
                  "or other: BLOCKHASH_MISMATCH");
  cmd->add_option("--expect-previous-pcr0", options->expect_previous_pcr0,
                  "--url/--targets/--bundle: the PCR0 (96 hex) or genesis the image replaces, as "
                  "its measured image config says in the signed /v1/enclave-info previous_pcr0; "
                  "needs PCR0 pinned; missing or other: PREVIOUS_PCR0_MISMATCH");
  cmd->add_flag("--check-key-policy", options->check_key_policy,
                "--url: fetch the key's policy with your AWS credentials (GetKeyPolicy on "
                "--expect-kms-key, else on the kms_key_arn /v1/info reports), lint it and require "
                "it enclave-only for the attested PCR0 and locked (POLICY_NOT_ENCLAVE_ONLY / "
                "POLICY_NOT_LOCKED): can anyone but this image ever use this key?");
  cmd->add_option("--region", options->region,
                  "--check-key-policy: must equal the key ARN's region (which is used)");
  cmd->add_option("--endpoint-url", options->endpoint_url,
                  "--check-key-policy: send GetKeyPolicy to this endpoint (http(s)://host[:port]), "
                  "e.g. a local KMS; else AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL or "
                  "https://kms.REGION.amazonaws.com");
  cmd->add_option("--profile", options->profile,
                  "--check-key-policy: the AWS profile for credentials (else the usual chain)");
  cmd->add_flag("--insecure-allow-debug", options->insecure_allow_debug,
                "Accept debug-mode enclaves (PCR0-2 all zero), whose memory the parent "
                "instance can read");
  cmd->add_flag("--insecure-tls", options->insecure_tls,
                "--url/--targets: do not check the service's TLS certificate (trust comes from "
                "the attestation and the response signatures; reported as insecure)");
  cmd->add_flag("--insecure-allow-unbound-tls", options->insecure_allow_unbound_tls,
                "--url/--targets: over HTTPS, accept a document whose tlsKeyHash is zero (TLS "
                "not terminated by nitriding in the enclave); without it: TLS_KEY_HASH_ZERO");
  cmd->add_option("--timeout", options->timeout_seconds,
                  "--url/--targets: seconds allowed for each service's answers")
      ->default_val(10)
      ->check(CLI::Range(0.1, 600.0));
  cmd->add_option("--concurrency", options->concurrency,
                  "--targets: at most this many requests in flight")
      ->default_val(32)
      ->check(CLI::Range(1, 1024));
  cmd->add_flag("--json", options->json,
                "Print one JSON object (verify+json for --doc, verify-live+json for --url and "
                "--bundle, verify-fleet+json for --targets; see docs/verify.md)");
  cmd->footer(
      "Examples:\n"
      "  # a stored document, judged at its own timestamp, whatever image it measured\n"
      "  enclavectl verify --doc attestation.cbor --at doc --any-image\n"
      "  # a fresh document from your enclave: pin the image and the nonce you sent\n"
      "  enclavectl verify --doc doc.b64 --expect-pcrs pcr.json --expect-nonce 0a1b... "
      "--max-age 5m\n"
      "  # the enclave's signing key must be bound into PCR16\n"
      "  enclavectl verify --doc doc.cbor --expect-pcr 0=7a3b05... --expect-key 02a1...\n"
      "  # a live key service running the image you built, with evidence kept\n"
      "  enclavectl verify --url https://signer.example.com --verify-build enclave.eif "
      "--bundle evidence.zip\n"
      "  # ... its key from this KMS key, whose policy only this image can use, locked\n"
      "  enclavectl verify --url https://signer.example.com --expect-pcr0 7a3b05... "
      "--expect-kms-key arn:aws:kms:us-east-1:111122223333:key/ID --check-key-policy\n"
      "  # re-check that evidence later, offline, at the time it was captured\n"
      "  enclavectl verify --bundle evidence.zip --verify-build enclave.eif\n"
      "  # a thousand stored documents on every core, one JSON line each\n"
      "  enclavectl verify --docs-from list.txt --at doc --any-image --json\n"
      "  # a fleet\n"
      "  enclavectl verify --targets fleet.txt --expect-pcrs pcr.json\n"
      "  # Introspector's --check-migration checks, every response signed, the lineage pinned\n"
      "  enclavectl verify --url https://v2.example --expect-pcr0 c0ffee... --check-migration "
      "--expect-previous-pcr0 7a3b05...\n\n"
      "Without an image expectation (--expect-pcr0/--expect-pcr/--expect-pcrs/--verify-build) "
      "verify refuses\n(exit 64) unless --any-image is given.\n\n"
      "Exit codes: 0 accepted, 1 a check failed, 2 malformed document or input file,\n"
      "64 usage error (also: no image expectation), 74 I/O error (also: a service could not be "
      "reached), 70 internal "
      "error.\nError codes: enclavectl errors.");
  cmd->add_flag("--check-migration", options->check_migration,
                "--url: also GET /v1/migration-status and check it as Introspector's client "
                "does and more: signed like every response, its state well formed and "
                "consistent with the document and /v1/enclave-info (migrated_to/from_pcr0, "
                "previous_pcr0); the report gains a migration section");

  auto lineage_options = std::make_shared<LineageOptions>();
  CLI::App* lineage = cmd->add_subcommand(
      "lineage",
      "Walk a published lineage genesis -> v1 -> v2 of live services: each version attested "
      "(fresh nonce, chained to the root) with the PCR0 the file names, its signed "
      "/v1/enclave-info previous_pcr0 naming the version before it; a retired version must "
      "have handed its key to the next one.");
  lineage
      ->add_option("--targets", lineage_options->targets_path,
                   "File listing the versions oldest first, one a line: URL pcr0=HEX (# "
                   "comments)")
      ->required();
  lineage->add_option("--root", lineage_options->root_path,
                      "Trust this root (PEM or DER) instead of the pinned AWS Nitro Enclaves root "
                      "G1 (the local stack: its dev-root.pem)");
  lineage->add_option("--max-age", lineage_options->max_age,
                      "Reject documents older than this (90s, 5m, 1h); default 5m");
  lineage
      ->add_option("--timeout", lineage_options->timeout_seconds,
                   "Seconds allowed for each service's answers")
      ->default_val(10)
      ->check(CLI::Range(0.1, 600.0));
  lineage->add_flag("--insecure-tls", lineage_options->insecure_tls,
                    "Do not check the services' TLS certificates (reported as insecure)");
  lineage->add_flag("--insecure-allow-debug", lineage_options->insecure_allow_debug,
                    "Accept debug-mode enclaves (PCR0-2 all zero)");
  lineage->add_flag("--insecure-allow-unbound-tls", lineage_options->insecure_allow_unbound_tls,
                    "Over HTTPS, accept documents whose tlsKeyHash is zero");
  lineage->add_flag("--json", lineage_options->json,
                    "Print one verify-lineage+json object (docs/verify.md)");
  lineage->footer(
      "Examples:\n"
      "  # lineage.txt: one version a line, oldest first\n"
      "  #   https://v1.example:443 pcr0=7a3b05...\n"
      "  #   https://v2.example:443 pcr0=c0ffee...\n"
      "  enclavectl verify lineage --targets lineage.txt\n\n"
      "Exit codes: 0 the lineage holds, 1 a step or a link failed (PCR_MISMATCH, "
      "LINEAGE_BROKEN,\nENCLAVE_RETIRED, ...), 2 malformed (LINEAGE_INVALID, a bad answer), 64 "
      "usage error,\n74 a service could not be reached.");
  lineage->callback(
      [&ctx, lineage_options] { ctx.exit_code = RunVerifyLineage(ctx, *lineage_options); });
  cmd->callback([&ctx, options, lineage] {
    if (lineage->parsed()) {
      return;  // `verify lineage` ran
    }
    ctx.exit_code = RunVerify(ctx, *options);
  });
}

}  // namespace enclavectl::cli
