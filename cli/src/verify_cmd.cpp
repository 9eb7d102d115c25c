// `enclavectl verify`: flags in, one library call per mode (--doc: verifier::Verify; --url:
// CollectEvidence + VerifyEvidence, --check-key-policy: kmspolicy::io's key policy audit;
// --targets: VerifyFleet; --bundle: ReverifyBundle), the report rendered as text or JSON.
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "context.hpp"
#include "enclavectl/aws/arn.hpp"
#include "enclavectl/aws/credentials.hpp"
#include "enclavectl/aws/curl_transport.hpp"
#include "enclavectl/aws/kms_client.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/kmspolicy/io/key_policy_audit.hpp"
#include "enclavectl/kmspolicy/io/pcr_sources.hpp"
#include "enclavectl/verifier/collect.hpp"
#include "enclavectl/verifier/fleet.hpp"
#include "enclavectl/verifier/key_binding.hpp"
#include "enclavectl/verifier/live.hpp"
#include "enclavectl/verifier/report_json.hpp"
#include "enclavectl/verifier/report_text.hpp"
#include "enclavectl/verifier/reverify.hpp"
#include "enclavectl/verifier/trust.hpp"
#include "enclavectl/verifier/verify.hpp"
#include "flags.hpp"

namespace enclavectl::cli {
namespace {

using core::ErrorCode;
using nlohmann::json;
namespace v = verifier;

constexpr std::int64_t kDefaultLiveMaxAgeMs = std::int64_t{5} * 60 * 1000;

struct VerifyOptions {
  // Exactly one mode: a document, a live service, a fleet, or a bundle to re-verify.
  std::string doc_path;
  std::string url;
  std::string targets_path;
  std::string bundle_path;  // with --url: written; alone: read and re-verified

  std::string root_path;
  std::string at = "now";
  std::vector<std::string> expect_pcr;
  std::string expect_pcr0_hex;
  std::string expect_pcrs_path;
  std::string verify_build_path;
  std::string expect_key_hex;
  std::string expect_app_key_hex;
  std::string expect_app_key_hash_hex;
  std::string expect_nonce_hex;
  std::string max_age;
  bool insecure_allow_debug = false;
  bool any_image = false;         // no image expectation, on purpose (reported)
  std::string expect_kms_key;     // --url/--targets/--bundle: /v1/info kms_key_arn
  std::string expect_blockhash;   // --url/--targets/--bundle: /v1/info blockhash
  bool check_key_policy = false;  // --url: GetKeyPolicy with the auditor's credentials
  std::string region;             // --check-key-policy: must equal the key ARN's region
  std::string endpoint_url;       // --check-key-policy: KMS endpoint
  std::string profile;            // --check-key-policy: AWS profile
  bool insecure_tls = false;
  double timeout_seconds = 10;
  std::size_t concurrency = 32;
  bool json = false;
};

// A secp256k1 public key given as hex (33 or 65 bytes), in compressed form.
core::Result<core::Bytes> KeyFlag(const std::string& flag, const std::string& value) {
  auto raw = HexFlag(flag, value);
  if (!raw) {
    return raw;
  }
  auto key = v::CompressSecp256k1PublicKey(*raw);
  if (!key) {
    return core::Fail(ErrorCode::kInvalidArgument, flag + ": " + key.error().detail);
  }
  return key;
}

core::Result<v::LiveExpectations> BuildExpectations(const VerifyOptions& options);

// Turns the flags into a policy. Flag values that are wrong are usage errors (64); a PCR
// file that is wrong is malformed input (2); an unreadable file is an I/O error (74).
core::Result<v::VerificationPolicy> BuildPolicy(const VerifyOptions& options,
                                                const core::io::Clock& clock) {
  v::VerificationPolicy policy;
  if (options.at == "doc") {
    policy.time_source = v::TimeSource::kDocument;
  } else if (options.at == "now") {
    policy.time = clock.Now();
  } else {
    auto time = core::ParseTime(options.at);
    if (!time) {
      return core::Fail(ErrorCode::kInvalidArgument, "--at: " + time.error().detail);
    }
    policy.time = *time;
  }
  auto expectations = BuildExpectations(options);
  if (!expectations) {
    return core::Fail(expectations.error());
  }
  policy.required_pcrs = std::move(expectations->required_pcrs);
  policy.allowed_pcr_sets = std::move(expectations->allowed_pcr_sets);
  policy.max_age_ms = expectations->max_age_ms;
  policy.allow_debug = expectations->allow_debug;
  if (!options.expect_key_hex.empty()) {
    auto key = KeyFlag("--expect-key", options.expect_key_hex);
    if (!key) {
      return core::Fail(key.error());
    }
    policy.key_binding_public_key = std::move(*key);
  }
  if (!options.expect_app_key_hex.empty()) {
    auto key = KeyFlag("--expect-app-key", options.expect_app_key_hex);
    if (!key) {
      return core::Fail(key.error());
    }
    policy.app_key_hash = core::Sha256(*key);
  }
  if (!options.expect_app_key_hash_hex.empty()) {
    auto hash = Hex32Flag("--expect-app-key-hash", options.expect_app_key_hash_hex);
    if (!hash) {
      return core::Fail(hash.error());
    }
    policy.app_key_hash = *hash;
  }
  if (!options.expect_nonce_hex.empty()) {
    auto nonce = HexFlag("--expect-nonce", options.expect_nonce_hex);
    if (!nonce) {
      return core::Fail(nonce.error());
    }
    policy.nonce = std::move(*nonce);
  }
  ENCLAVECTL_RETURN_IF_ERROR(v::ValidatePolicy(policy));
  return policy;
}

// The root to trust: the pinned AWS root, or --root.
core::Result<v::TrustAnchor> LoadRoot(const VerifyOptions& options) {
  if (options.root_path.empty()) {
    return v::TrustAnchor::AwsNitroRoot();
  }
  auto pem = core::io::ReadFile(options.root_path, core::limits::kMaxPemFileBytes);
  if (!pem) {
    return core::Fail(pem.error());
  }
  auto root = v::TrustAnchor::FromPem(*pem);
  if (!root) {
    core::Error error = root.error();
    error.detail = options.root_path + ": " + error.detail;
    return core::Fail(std::move(error));
  }
  return root;
}

// True when a flag that sets an expectation about the image was given (--expect-pcr,
// --expect-pcr0, --expect-pcrs, --verify-build).
bool HasImageExpectationFlags(const VerifyOptions& options) {
  return !options.expect_pcr.empty() || !options.expect_pcr0_hex.empty() ||
         !options.expect_pcrs_path.empty() || !options.verify_build_path.empty();
}

// The usage error for verifying without an image expectation (exit 64): names the flags.
core::Error NoImageExpectationError() {
  return core::Error{ErrorCode::kInvalidArgument,
                     "no expectation about the image: give --expect-pcr0 HEX, --expect-pcr N=HEX, "
                     "--expect-pcrs FILE or --verify-build EIF (or --any-image to accept any "
                     "enclave image, which the report then says)",
                     -1};
}

// PCR expectations from --expect-pcr, --expect-pcr0, --expect-pcrs and --verify-build.
core::Result<v::LiveExpectations> BuildExpectations(const VerifyOptions& options) {
  v::LiveExpectations out;
  for (const std::string& text : options.expect_pcr) {
    auto assignment = v::ParsePcrAssignment(text);
    if (!assignment) {
      return core::Fail(ErrorCode::kInvalidArgument, "--expect-pcr: " + assignment.error().detail);
    }
    out.required_pcrs[assignment->first] = std::move(assignment->second);
  }
  if (!options.expect_pcr0_hex.empty()) {
    auto assignment = v::ParsePcrAssignment("0=" + options.expect_pcr0_hex);
    if (!assignment) {
      return core::Fail(ErrorCode::kInvalidArgument, "--expect-pcr0: " + assignment.error().detail);
    }
    out.required_pcrs[0] = std::move(assignment->second);
  }
  if (!options.expect_pcrs_path.empty()) {
    auto measured = kmspolicy::io::MakePcrFileSource(options.expect_pcrs_path)->Load();
    if (!measured) {
      return core::Fail(measured.error());
    }
    out.allowed_pcr_sets = std::move(measured->sets);
  }
  if (!options.verify_build_path.empty()) {
    // The image's own measurements (PCR0, PCR1, PCR2, and PCR8 when it is signed) must all
    // match, in addition to any other set given.
    auto measured = kmspolicy::io::MakeEifSource(options.verify_build_path)->Load();
    if (!measured) {
      return core::Fail(measured.error());
    }
    for (const v::PcrSet& set : measured->sets) {
      for (const auto& [index, value] : set) {
        out.required_pcrs[index] = value;
      }
    }
  }
  if (!options.max_age.empty()) {
    auto age = core::ParseDurationMillis(options.max_age);
    if (!age) {
      return core::Fail(ErrorCode::kInvalidArgument, "--max-age: " + age.error().detail);
    }
    out.max_age_ms = *age;
  }
  out.allow_debug = options.insecure_allow_debug;
  out.any_image = options.any_image;
  if (!options.expect_kms_key.empty()) {
    if (!aws::ParseKmsKeyArn(options.expect_kms_key)) {
      return core::Fail(ErrorCode::kInvalidArgument,
                        "--expect-kms-key must be a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), "
                        "as /v1/info reports it");
    }
    out.kms_key_arn = options.expect_kms_key;
  }
  if (!options.expect_blockhash.empty()) {
    auto blockhash = Hex32Flag("--expect-blockhash", options.expect_blockhash);
    if (!blockhash) {
      return core::Fail(blockhash.error());
    }
    out.blockhash_hex = core::HexEncode(*blockhash);
  }
  return out;
}

// The exit code of a report: 0 when accepted, else that of its error's class.
int ExitFor(const std::optional<core::Error>& failure) {
  return failure ? core::ExitCodeFor(core::InfoFor(failure->code).exit_class) : 0;
}

int ExitFor(const v::LiveReport& report) {
  return ExitFor(report.verdict == v::Verdict::kAccepted ? std::nullopt : report.error);
}

void PrintJson(Context& ctx, const json& out) {
  ctx.out << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
}

int RunVerifyDoc(Context& ctx, const VerifyOptions& options) {
  auto policy = BuildPolicy(options, ctx.clock);
  if (!policy) {
    return ReportError(ctx, policy.error(), options.json, v::kVerifyMediaType);
  }
  auto root = LoadRoot(options);
  if (!root) {
    return ReportError(ctx, root.error(), options.json, v::kVerifyMediaType);
  }
  auto raw = core::io::ReadFile(options.doc_path, core::limits::kMaxDocumentTextBytes);
  if (!raw) {
    return ReportError(ctx, raw.error(), options.json, v::kVerifyMediaType);
  }
  auto input = v::DecodeDocumentInput(*raw);
  if (!input) {
    core::Error error = input.error();
    error.detail = options.doc_path + ": " + error.detail;
    return ReportError(ctx, error, options.json, v::kVerifyMediaType);
  }
  v::VerifierConfig config{&*root, nullptr};
  const v::VerificationReport report = v::Verify(input->cbor, config, *policy);
  if (options.json) {
    json out = v::ReportToJson(report);
    out["input"]["path"] = options.doc_path;
    out["input"]["encoding"] = v::InputEncodingName(input->encoding);
    out["any_image"] = options.any_image;
    out["image_checked"] = !options.any_image;
    ctx.out << out.dump(2) << "\n";
  } else {
    v::RenderReportText(ctx.out, options.doc_path, input->encoding, report, options.any_image);
  }
  return ExitFor(report.verdict == v::Verdict::kAccepted ? std::nullopt : report.error);
}

// Everything a live check needs before it goes on the network.
struct LiveSetup {
  v::TrustAnchor root;
  v::LiveExpectations expectations;
  json recorded;  // the options kept in a bundle
};

core::Result<LiveSetup> PrepareLive(const VerifyOptions& options) {
  auto root = LoadRoot(options);
  if (!root) {
    return core::Fail(root.error());
  }
  auto expectations = BuildExpectations(options);
  if (!expectations) {
    return core::Fail(expectations.error());
  }
  if (!expectations->max_age_ms) {
    expectations->max_age_ms = kDefaultLiveMaxAgeMs;
  }
  json recorded = {
      {"expectations", v::ExpectationsToJson(*expectations)},
      {"check_key_policy", options.check_key_policy},
      {"insecure_tls", options.insecure_tls},
      {"root",
       {{"sha256", core::HexEncode(root->Fingerprint())}, {"custom", !options.root_path.empty()}}},
      {"verify_build",
       options.verify_build_path.empty() ? json(nullptr) : json(options.verify_build_path)},
      {"expect_pcrs",
       options.expect_pcrs_path.empty() ? json(nullptr) : json(options.expect_pcrs_path)}};
  return LiveSetup{std::move(*root), std::move(*expectations), std::move(recorded)};
}

// --check-key-policy: the audit (kmspolicy/io/key_policy_audit.hpp) with a KMS client for the
// key's region, signed with the auditor's own credentials.
v::Check CheckKeyPolicy(const VerifyOptions& options, const v::LiveReport& report,
                        const core::io::Clock& clock) {
  auto plan = kmspolicy::io::PlanKeyPolicyAudit(report, options.expect_kms_key, options.region);
  if (const auto* done = std::get_if<v::Check>(&plan)) {
    return *done;
  }
  const auto& audit = std::get<kmspolicy::io::KeyPolicyAudit>(plan);
  aws::ProcessEnvironment env;
  aws::CurlTransport transport{"enclavectl-verify"};
  aws::RealSleeper sleeper;
  aws::CredentialOptions credential_options;
  credential_options.profile = options.profile;
  auto credentials = aws::ResolveCredentials(env, transport, credential_options);
  if (!credentials) {
    return kmspolicy::io::KeyPolicyAuditFailure(credentials.error());
  }
  auto endpoint = aws::ResolveKmsEndpoint(options.endpoint_url, audit.region, env);
  if (!endpoint) {
    return kmspolicy::io::KeyPolicyAuditFailure(endpoint.error());
  }
  aws::KmsClientOptions client_options;
  client_options.endpoint = std::move(*endpoint);
  aws::KmsClient client(client_options, transport, credentials->credentials, clock, sleeper);
  return kmspolicy::io::RunKeyPolicyAudit(audit, client);
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
  auto visits = v::CollectEvidence(
      {*url},
      v::LiveHttpOptions(options.timeout_seconds, options.insecure_tls, options.concurrency),
      ctx.clock);
  if (!visits.front()) {
    return ReportError(ctx, visits.front().error(), options.json, v::kLiveMediaType);
  }
  v::Evidence evidence = std::move(*visits.front());
  evidence.options = setup->recorded;
  v::ChainCache cache;
  const v::VerifierConfig config{&setup->root, &cache};
  v::LiveReport report = v::VerifyEvidence(evidence, config, setup->expectations);
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
  } else {
    v::RenderLiveText(ctx.out, report, evidence, "", v::LiveHeadline(report));
    if (!options.bundle_path.empty()) {
      ctx.out << "evidence bundle written to " << options.bundle_path
              << " (re-verify offline: enclavectl verify --bundle " << options.bundle_path
              << (options.root_path.empty() ? "" : " --root " + options.root_path) << ")\n";
    }
  }
  return ExitFor(report);
}

int RunVerifyBundle(Context& ctx, const VerifyOptions& options) {
  auto root = LoadRoot(options);
  if (!root) {
    return ReportError(ctx, root.error(), options.json, v::kLiveMediaType);
  }
  // A bundle is untrusted: its verdict comes only from the expectations on this command line
  // (allow-debug and max-age included); what it recorded is shown, never used.
  auto expectations = BuildExpectations(options);
  if (!expectations) {
    return ReportError(ctx, expectations.error(), options.json, v::kLiveMediaType);
  }
  auto zip = core::io::ReadFile(options.bundle_path, core::limits::kMaxBundleBytes);
  if (!zip) {
    return ReportError(ctx, zip.error(), options.json, v::kLiveMediaType);
  }
  auto verification = v::ReverifyBundle(*zip, v::VerifierConfig{&*root, nullptr}, *expectations);
  if (!verification) {
    core::Error error = verification.error();
    error.detail = options.bundle_path + ": " + error.detail;
    return ReportError(ctx, error, options.json, v::kLiveMediaType);
  }
  const core::Error usage = NoImageExpectationError();
  if (options.json) {
    PrintJson(ctx, v::BundleVerificationToJson(*verification, options.bundle_path, usage));
  } else {
    v::RenderBundleText(ctx.out, *verification, options.bundle_path,
                        core::HexEncode(root->Fingerprint()));
  }
  if (!verification->judged) {
    ctx.err << "error: " << core::ErrorCodeName(usage.code) << ": " << usage.detail << "\n";
    return ExitFor(usage);
  }
  return ExitFor(verification->report);
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
    core::Error error = targets.error();
    error.detail = options.targets_path + ": " + error.detail;
    return ReportError(ctx, error, options.json, v::kFleetMediaType);
  }
  if (!options.json) {
    ctx.err << "verifying " << targets->size() << " services ...\n";
  }
  auto visits = v::CollectEvidence(
      *targets,
      v::LiveHttpOptions(options.timeout_seconds, options.insecure_tls, options.concurrency),
      ctx.clock);
  const v::FleetReport report = v::VerifyFleet(*targets, std::move(visits), setup->root,
                                               setup->expectations, setup->recorded);
  if (options.json) {
    PrintJson(ctx, v::FleetReportToJson(report));
  } else {
    v::RenderFleetText(ctx.out, report, options.insecure_tls, options.any_image);
  }
  return ExitFor(report.first_failure);
}

// Which mode the flags select, or a usage error.
enum class Mode : std::uint8_t { kDoc, kLive, kFleet, kBundle };

core::Result<Mode> SelectMode(const VerifyOptions& options) {
  const int modes = static_cast<int>(!options.doc_path.empty()) +
                    static_cast<int>(!options.url.empty()) +
                    static_cast<int>(!options.targets_path.empty());
  if (modes > 1) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "give one of --doc, --url and --targets (or --bundle alone)");
  }
  const bool doc_only = !options.expect_key_hex.empty() || !options.expect_app_key_hex.empty() ||
                        !options.expect_app_key_hash_hex.empty() ||
                        !options.expect_nonce_hex.empty() || options.at != "now";
  if (options.doc_path.empty() && doc_only) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "--at, --expect-key, --expect-app-key(-hash) and --expect-nonce go with "
                      "--doc: a live service supplies its keys and our nonce, and a bundle its "
                      "recorded time");
  }
  if (options.insecure_tls && options.url.empty() && options.targets_path.empty()) {
    return core::Fail(ErrorCode::kInvalidArgument, "--insecure-tls goes with --url or --targets");
  }
  if (!options.doc_path.empty() &&
      (!options.expect_kms_key.empty() || !options.expect_blockhash.empty())) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "--expect-kms-key and --expect-blockhash check what a service's /v1/info "
                      "says: use them with --url, --targets or --bundle");
  }
  if (options.check_key_policy && options.url.empty()) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "--check-key-policy goes with --url (it fetches the policy of the key the "
                      "live service uses)");
  }
  if (!options.check_key_policy &&
      (!options.region.empty() || !options.endpoint_url.empty() || !options.profile.empty())) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "--region, --endpoint-url and --profile go with --check-key-policy");
  }
  if (options.any_image && HasImageExpectationFlags(options)) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "--any-image contradicts --expect-pcr, --expect-pcr0, --expect-pcrs and "
                      "--verify-build: give one or the other");
  }
  // Secure by default: "some Nitro enclave made this" is rarely what anyone means. A bundle
  // still shows what its documents prove before it refuses (RunVerifyBundle).
  const bool live_or_doc =
      !options.doc_path.empty() || !options.url.empty() || !options.targets_path.empty();
  if (live_or_doc && !options.any_image && !HasImageExpectationFlags(options)) {
    return core::Fail(NoImageExpectationError());
  }
  if (!options.doc_path.empty()) {
    if (!options.bundle_path.empty()) {
      return core::Fail(ErrorCode::kInvalidArgument,
                        "--bundle records a live visit: use it with --url, or alone to "
                        "re-verify one");
    }
    return Mode::kDoc;
  }
  if (!options.url.empty()) {
    return Mode::kLive;
  }
  if (!options.targets_path.empty()) {
    if (!options.bundle_path.empty()) {
      return core::Fail(ErrorCode::kInvalidArgument,
                        "--bundle holds one visit: use it with --url, not --targets");
    }
    return Mode::kFleet;
  }
  if (!options.bundle_path.empty()) {
    return Mode::kBundle;
  }
  return core::Fail(ErrorCode::kInvalidArgument,
                    "nothing to verify: give --doc FILE, --url URL, --targets FILE or "
                    "--bundle FILE");
}

int RunVerify(Context& ctx, const VerifyOptions& options) {
  auto mode = SelectMode(options);
  if (!mode) {
    return ReportError(ctx, mode.error(), options.json, v::kVerifyMediaType);
  }
  switch (*mode) {
    case Mode::kDoc:
      return RunVerifyDoc(ctx, options);
    case Mode::kLive:
      return RunVerifyLive(ctx, options);
    case Mode::kFleet:
      return RunVerifyFleet(ctx, options);
    case Mode::kBundle:
      return RunVerifyBundle(ctx, options);
  }
  return ReportError(ctx, core::Error{ErrorCode::kInternal, "unknown mode", -1}, options.json,
                     v::kVerifyMediaType);
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
  cmd->add_option("--doc", options->doc_path,
                  "Attestation document: raw CBOR, hex or base64 (detected); - for stdin");
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
  cmd->add_option("--root", options->root_path,
                  "Trust this root (PEM) instead of the pinned AWS Nitro Enclaves root G1; the "
                  "report names it as a custom root (the local stack: its dev-root.pem)");
  cmd->add_option("--at", options->at,
                  "--doc only. Verification time: now (default), doc (the document's own "
                  "signed timestamp, for stored evidence), or RFC 3339 / Unix seconds")
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
      "  # a fleet\n"
      "  enclavectl verify --targets fleet.txt --expect-pcrs pcr.json\n\n"
      "Without an image expectation (--expect-pcr0/--expect-pcr/--expect-pcrs/--verify-build) "
      "verify refuses\n(exit 64) unless --any-image is given.\n\n"
      "Exit codes: 0 accepted, 1 a check failed, 2 malformed document or input file,\n"
      "64 usage error (also: no image expectation), 74 I/O error (also: a service could not be "
      "reached), 70 internal "
      "error.\nError codes: enclavectl errors.");
  cmd->callback([&ctx, options] { ctx.exit_code = RunVerify(ctx, *options); });
}

}  // namespace enclavectl::cli
