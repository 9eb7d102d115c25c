// `enclavectl verify --url / --targets / --bundle`: live key services, fleets, and the
// evidence bundles that let anyone re-check a visit offline.
#include <iomanip>
#include <sstream>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/aws/arn.hpp"
#include "enclavectl/kmspolicy/lint.hpp"
#include "enclavectl/aws/credentials.hpp"
#include "enclavectl/aws/curl_transport.hpp"
#include "enclavectl/aws/kms_client.hpp"
#include "enclavectl/kmspolicy/policy.hpp"
#include "enclavectl/verifier/collect.hpp"
#include "enclavectl/verifier/report_json.hpp"
#include "verify_common.hpp"

namespace enclavectl::cli {
namespace {

using core::Error;
using nlohmann::json;
namespace v = verifier;

constexpr const char* kFleetMediaType = "application/vnd.enclavectl.verify-fleet+json;version=1";
constexpr std::int64_t kDefaultLiveMaxAgeMs = std::int64_t{5} * 60 * 1000;
constexpr std::size_t kMaxLiveResponseBytes = std::size_t{256} * 1024;

int ExitFor(const v::LiveReport& report) {
  return report.verdict == v::Verdict::kAccepted
             ? 0
             : core::ExitCodeFor(core::InfoFor(report.error->code).exit_class);
}

net::HttpClientOptions HttpOptions(const VerifyOptions& options) {
  net::HttpClientOptions http;
  http.timeout_ms = static_cast<std::int64_t>(options.timeout_seconds * 1000);
  http.connect_timeout_ms = std::min<std::int64_t>(http.timeout_ms, 5000);
  http.insecure_tls = options.insecure_tls;
  http.max_response_bytes = kMaxLiveResponseBytes;
  http.max_concurrency = options.concurrency;
  http.user_agent = "enclavectl-verify";
  return http;
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

std::string Short(const std::optional<core::Bytes>& key) {
  return key ? core::HexEncode(*key) : std::string("(none)");
}

std::string Pcr0(const v::LiveReport& report) {
  if (!report.document.document) {
    return "(no document)";
  }
  const auto it = report.document.document->pcrs.find(0);
  return it == report.document.document->pcrs.end() ? "(none)" : core::HexEncode(it->second);
}

// Whether the visit's recorded options say --insecure-tls (a bundle's options are untrusted:
// read strictly, any other shape reads as false; informational only).
bool RecordedInsecureTls(const json& options) {
  auto view = core::JsonObjectView::Of(options, core::ErrorCode::kBundleMalformed, "options");
  if (!view) {
    return false;
  }
  auto flag = view->OptionalBool("insecure_tls");
  return flag && flag->value_or(false);
}

// --check-key-policy: the policy of the key the service uses, fetched with the auditor's own
// credentials (GetKeyPolicy), linted, required enclave-only and locked; and the key's
// metadata (DescribeKey): its material must be this key's alone (Origin AWS_KMS, single-Region).
// The key is
// --expect-kms-key when given, else the kms_key_arn /v1/info reports (the fetch is by ARN, so
// the policy read is that key's). Returns the check to add to the report.
v::Check CheckKeyPolicy(const VerifyOptions& options, const v::LiveReport& report,
                        const core::io::Clock& clock) {
  const auto fail = [](core::Error error) {
    std::string reason = error.detail;
    return v::Check{"key_policy", v::CheckStatus::kFail, std::move(reason), std::move(error)};
  };
  // The PCR0 the policy must pin is the attested one: only from a document that passed.
  if (report.document.verdict != v::Verdict::kAccepted || !report.document.document ||
      report.document.document->pcrs.count(0) == 0) {
    return v::Check{"key_policy", v::CheckStatus::kSkipped,
                    "no verified attestation document: no attested PCR0 to check the policy for",
                    std::nullopt};
  }
  const std::string pcr0_hex = core::HexEncode(report.document.document->pcrs.at(0));
  std::string key_arn = options.expect_kms_key;
  if (key_arn.empty()) {
    if (!report.claims.kms_key_arn) {
      return fail({core::ErrorCode::kKmsKeyMismatch,
                   "GET /v1/info names no kms_key_arn: give the key with --expect-kms-key", -1});
    }
    key_arn = *report.claims.kms_key_arn;
  }
  const std::optional<aws::Arn> arn = aws::ParseKmsKeyArn(key_arn);
  if (!arn) {
    return fail({core::ErrorCode::kKmsKeyMismatch,
                 "the service's kms_key_arn is not a key ARN: " + core::SafeExcerpt(key_arn, 200),
                 -1});
  }
  if (!options.region.empty() && options.region != arn->region) {
    return fail({core::ErrorCode::kInvalidArgument,
                 "--region " + options.region + " differs from the key's region " + arn->region,
                 -1});
  }
  aws::ProcessEnvironment env;
  aws::CurlTransport transport{"enclavectl-verify"};
  aws::RealSleeper sleeper;
  aws::CredentialOptions credential_options;
  credential_options.profile = options.profile;
  auto credentials = aws::ResolveCredentials(env, transport, credential_options);
  if (!credentials) {
    return fail(credentials.error());
  }
  auto endpoint = aws::ResolveKmsEndpoint(options.endpoint_url, arn->region, env);
  if (!endpoint) {
    return fail(endpoint.error());
  }
  aws::KmsClientOptions client_options;
  client_options.endpoint = std::move(*endpoint);
  aws::KmsClient client(client_options, transport, credentials->credentials, clock,
                                   sleeper);
  auto fetched = client.GetKeyPolicy(key_arn);
  if (!fetched) {
    core::Error error = fetched.error();
    error.detail = "GetKeyPolicy " + key_arn + ": " + error.detail;
    return fail(std::move(error));
  }
  auto policy = kmspolicy::ParsePolicy(fetched->policy);
  if (!policy) {
    core::Error error = policy.error();
    error.detail = "the policy of " + key_arn + ": " + error.detail;
    return fail(std::move(error));
  }
  // Enclave-only for exactly the attested image, and locked, for this key.
  kmspolicy::LintTarget target;
  target.key_arn = key_arn;
  target.pcr0_hex = pcr0_hex;
  kmspolicy::LintReport lint = kmspolicy::LintPolicy(*policy, target);
  // The key's material must be this key's alone: no policy governs an importer's copy, an
  // external key store or another Region's replica (DescribeKey, with the same credentials).
  auto metadata = client.DescribeKey(key_arn);
  if (!metadata) {
    core::Error error = metadata.error();
    error.detail = "DescribeKey " + key_arn + ": " + error.detail;
    return fail(std::move(error));
  }
  kmspolicy::AddKeyMaterialVerdict(lint, *metadata);
  if (auto met = kmspolicy::CheckRequirements(lint, {true, true}); !met) {
    core::Error error = met.error();
    error.detail = "the policy of " + key_arn + ": " + error.detail;
    return fail(std::move(error));
  }
  const std::string sha256 = core::HexEncode(core::Sha256(core::AsBytes(fetched->policy)));
  return v::Check{"key_policy", v::CheckStatus::kPass,
                  "the policy of " + key_arn + " (sha256 " + sha256.substr(0, 16) +
                      "...) is enclave-only for the attested PCR0 " + pcr0_hex.substr(0, 16) +
                      "... and locked",
                  std::nullopt};
}

// The verdict line: ACCEPTED says which image it was accepted for; with --any-image it says
// that no image was checked.
std::string Headline(const v::LiveReport& report) {
  std::string headline = "ACCEPTED";
  if (report.verdict == v::Verdict::kAccepted && !report.image_checked) {
    headline += " (any image: no PCR was checked; PCR0 " + Pcr0(report).substr(0, 16) + "...)";
  }
  if (report.verdict != v::Verdict::kAccepted) {
    headline = report.verdict == v::Verdict::kMalformed ? "MALFORMED" : "REJECTED";
    headline += " (" + std::string(core::ErrorCodeName(report.error->code)) + ")";
  }
  return headline;
}

void RenderLive(std::ostream& out, const v::LiveReport& report, const v::Evidence& evidence,
                const std::string& note, const std::string& headline) {
  out << headline << "  " << evidence.url << "\n";
  out << "  verified at   " << core::FormatRfc3339(evidence.captured_at) << note << "\n";
  out << "  trust         " << report.document.root_description << "\n";
  if (RecordedInsecureTls(evidence.options)) {
    out << "  INSECURE      --insecure-tls: the TLS certificate was not checked (trust comes "
           "from the attestation and the response signatures)\n";
  }
  for (const std::string& flag : report.document.insecure) {
    out << "  INSECURE      --insecure-" << flag << " is in effect\n";
  }
  if (report.claims.dev) {
    out << "  NOTE          the service says it runs with --dev (NSM simulator)\n";
  }
  out << "  signing key   " << Short(report.claims.signing_public_key)
      << (report.claims.key_mode.empty() ? "" : " (" + report.claims.key_mode + ")") << "\n";
  out << "  response key  " << Short(report.claims.attestation_public_key) << "\n";
  if (report.claims.kms_key_arn) {
    out << "  KMS key       " << core::SafeExcerpt(*report.claims.kms_key_arn, 200) << "\n";
  }
  if (report.claims.blockhash_hex) {
    out << "  blockhash     " << *report.claims.blockhash_hex << "\n";
  }
  if (!report.image_checked) {
    out << "  ANY IMAGE     --any-image: the image (PCRs) was not checked against any "
           "expectation\n";
  }
  out << "  signatures    " << report.responses_signed << " response, "
      << report.exchange_signatures << " exchange signatures verified\n";
  if (report.document.document) {
    out << "  module_id     " << report.document.document->module_id << "\n";
    out << "  PCR0          " << Pcr0(report) << "\n";
  }
  out << "checks\n";
  for (const v::Check& check : report.checks) {
    out << "  " << std::left << std::setw(8) << v::CheckStatusName(check.status) << " "
        << std::setw(20) << check.name << std::right << check.reason << "\n";
  }
  if (report.verdict != v::Verdict::kAccepted) {
    out << "error: " << core::ErrorCodeName(report.error->code) << " ("
        << static_cast<unsigned>(report.error->code) << "): " << report.error->detail << "\n";
  }
}

// Writes the bundle of a visit: the evidence, its derived members and the report.
core::Status WriteEvidenceBundle(const std::string& path, v::Evidence evidence,
                                 const v::LiveReport& report) {
  evidence.report = v::LiveReportToJson(report, evidence);
  auto zip = v::WriteBundle(evidence, v::ExtrasFor(report, evidence));
  if (!zip) {
    return core::Fail(zip.error());
  }
  return core::io::WriteFileAtomic(path, *zip);
}

}  // namespace

int RunVerifyLive(Context& ctx, const VerifyOptions& options) {
  auto setup = PrepareLive(options);
  if (!setup) {
    return ReportError(ctx, setup.error(), options.json, v::kLiveMediaType);
  }
  auto url = v::NormalizeServiceUrl(options.url);
  if (!url) {
    return ReportError(ctx, url.error(), options.json, v::kLiveMediaType);
  }
  auto visits = v::CollectEvidence({*url}, HttpOptions(options), ctx.clock);
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
  std::string note;
  if (!options.bundle_path.empty()) {
    if (auto written = WriteEvidenceBundle(options.bundle_path, evidence, report); !written) {
      return ReportError(ctx, written.error(), options.json, v::kLiveMediaType);
    }
  }
  if (options.json) {
    json out = v::LiveReportToJson(report, evidence);
    out["bundle"] = options.bundle_path.empty() ? json(nullptr) : json(options.bundle_path);
    ctx.out << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  } else {
    RenderLive(ctx.out, report, evidence, note, Headline(report));
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
  // A bundle is untrusted: whoever holds it can edit its manifest. Its verdict comes only from
  // the expectations on this command line (allow-debug and max-age included); what it recorded
  // is shown, never used.
  auto expectations = BuildExpectations(options);
  if (!expectations) {
    return ReportError(ctx, expectations.error(), options.json, v::kLiveMediaType);
  }
  auto zip = core::io::ReadFile(options.bundle_path, core::limits::kMaxBundleBytes);
  if (!zip) {
    return ReportError(ctx, zip.error(), options.json, v::kLiveMediaType);
  }
  auto bundle = v::ReadBundle(*zip);
  if (!bundle) {
    core::Error error = bundle.error();
    error.detail = options.bundle_path + ": " + error.detail;
    return ReportError(ctx, error, options.json, v::kLiveMediaType);
  }
  auto& [evidence, extras] = *bundle;
  const v::VerifierConfig config{&*root, nullptr};
  v::LiveReport report = v::VerifyEvidence(evidence, config, *expectations);
  if (auto consistent = v::CheckExtras(report, evidence, extras); !consistent) {
    report.checks.insert(
        report.checks.begin(),
        v::Check{"bundle", v::CheckStatus::kFail, consistent.error().detail, consistent.error()});
    report.error = consistent.error();
    report.verdict = v::Verdict::kRejected;
  } else {
    report.checks.insert(report.checks.begin(),
                         v::Check{"bundle", v::CheckStatus::kPass,
                                  "every member matches the manifest; document.cbor and "
                                  "chain.pem are those of the attestation",
                                  std::nullopt});
  }
  // What the bundle says about its visit, for information only (strictly read: any shape).
  std::string recorded_verdict;
  std::string recorded_root;
  std::string recorded_expectations = "(none)";
  if (auto report_view = core::JsonObjectView::Of(
          evidence.report, core::ErrorCode::kBundleMalformed, "report.json")) {
    recorded_verdict = report_view->OptionalString("verdict").value_or(std::nullopt).value_or("");
  }
  if (auto options_view = core::JsonObjectView::Of(evidence.options,
                                                   core::ErrorCode::kBundleMalformed, "options")) {
    if (auto root_view = options_view->OptionalObject("root"); root_view && *root_view) {
      recorded_root = (*root_view)->OptionalString("sha256").value_or(std::nullopt).value_or("");
    }
    if (const json* recorded = options_view->Find("expectations"); recorded != nullptr) {
      auto parsed = v::ExpectationsFromJson(*recorded);
      recorded_expectations =
          parsed ? v::DescribeExpectations(*parsed) : "(unreadable: " + parsed.error().detail + ")";
    }
  }
  // Without an image expectation the bundle shows what its documents prove, never ACCEPTED.
  const bool unjudged = !expectations->HasImageExpectation() && !options.any_image &&
                        report.verdict == v::Verdict::kAccepted;
  const core::Error usage = NoImageExpectationError();
  if (options.json) {
    json out = v::LiveReportToJson(report, evidence);
    out["bundle"] = {{"path", options.bundle_path},
                     {"recorded_verdict", recorded_verdict},
                     {"recorded_expectations", recorded_expectations},
                     {"expectations", v::DescribeExpectations(*expectations)},
                     {"recorded_root_sha256", recorded_root}};
    out["any_image"] = options.any_image;
    if (unjudged) {
      out["verdict"] = "not_judged";
      out["error"] = v::ErrorToJson(usage);
    }
    ctx.out << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  } else {
    const std::string headline =
        unjudged ? "GENUINE, NOT JUDGED (no expectation about the image: PCR0 " +
                       Pcr0(report).substr(0, 16) + "...)"
                 : Headline(report);
    RenderLive(ctx.out, report, evidence, " (the recorded time of the visit)", headline);
    ctx.out << "bundle        " << options.bundle_path << "\n"
            << "  judged against      " << v::DescribeExpectations(*expectations)
            << " (this command line)\n"
            << "  recorded at capture " << recorded_expectations << "; verdict "
            << (recorded_verdict.empty() ? "(none)" : core::SafeExcerpt(recorded_verdict))
            << " (information only: a bundle cannot set its own expectations)\n";
    if (!recorded_root.empty() && recorded_root != core::HexEncode(root->Fingerprint())) {
      ctx.out << "note          the visit trusted another root (sha256 "
              << core::SafeExcerpt(recorded_root, 16)
              << "...); pass it with --root for its verdict\n";
    }
  }
  if (unjudged) {
    ctx.err << "error: " << core::ErrorCodeName(usage.code) << ": " << usage.detail << "\n";
    return core::ExitCodeFor(core::InfoFor(usage.code).exit_class);
  }
  return ExitFor(report);
}

int RunVerifyFleet(Context& ctx, const VerifyOptions& options) {
  auto setup = PrepareLive(options);
  if (!setup) {
    return ReportError(ctx, setup.error(), options.json, kFleetMediaType);
  }
  auto text = core::io::ReadFile(options.targets_path, core::limits::kMaxPolicyFileBytes);
  if (!text) {
    return ReportError(ctx, text.error(), options.json, kFleetMediaType);
  }
  auto targets = v::ParseTargets(core::AsChars(*text));
  if (!targets) {
    core::Error error = targets.error();
    error.detail = options.targets_path + ": " + error.detail;
    return ReportError(ctx, error, options.json, kFleetMediaType);
  }
  if (!options.json) {
    ctx.err << "verifying " << targets->size() << " services ...\n";
  }
  auto visits = v::CollectEvidence(*targets, HttpOptions(options), ctx.clock);
  // One warm certificate cache for the fleet: the shared root/regional/zonal prefix is
  // verified once.
  v::ChainCache cache;
  const v::VerifierConfig config{&setup->root, &cache};
  json results = json::array();
  std::size_t accepted = 0;
  std::size_t rejected = 0;
  std::size_t malformed = 0;
  std::size_t unreachable = 0;
  int exit_code = 0;
  for (std::size_t i = 0; i < visits.size(); ++i) {
    const std::string& url = (*targets)[i];
    if (!visits[i]) {
      ++unreachable;
      const Error& error = visits[i].error();
      exit_code =
          exit_code != 0 ? exit_code : core::ExitCodeFor(core::InfoFor(error.code).exit_class);
      if (options.json) {
        results.push_back(
            {{"url", url}, {"verdict", "unreachable"}, {"error", v::ErrorToJson(error)}});
      } else {
        ctx.out << "FAIL  " << url << "  " << core::ErrorCodeName(error.code) << " ("
                << static_cast<unsigned>(error.code) << "): " << error.detail << "\n";
      }
      continue;
    }
    v::Evidence& evidence = *visits[i];
    evidence.options = setup->recorded;
    const v::LiveReport report = v::VerifyEvidence(evidence, config, setup->expectations);
    if (report.verdict == v::Verdict::kAccepted) {
      ++accepted;
    } else {
      ++(report.verdict == v::Verdict::kMalformed ? malformed : rejected);
      exit_code = exit_code != 0 ? exit_code : ExitFor(report);
    }
    if (options.json) {
      results.push_back(v::LiveReportToJson(report, evidence));
    } else if (report.verdict == v::Verdict::kAccepted) {
      ctx.out << "PASS  " << url << "  PCR0 " << Pcr0(report).substr(0, 16) << "..."
              << (report.image_checked ? "" : " (any image)") << "  key "
              << Short(report.claims.signing_public_key) << "\n";
    } else {
      ctx.out << "FAIL  " << url << "  " << core::ErrorCodeName(report.error->code) << " ("
              << static_cast<unsigned>(report.error->code) << "): " << report.error->detail << "\n";
    }
  }
  const v::ChainCache::Stats stats = cache.GetStats();
  if (options.json) {
    json out = {{"mediaType", kFleetMediaType},
                {"targets", std::move(results)},
                {"summary",
                 {{"total", visits.size()},
                  {"accepted", accepted},
                  {"rejected", rejected},
                  {"malformed", malformed},
                  {"unreachable", unreachable},
                  {"chain_cache", {{"hits", stats.hits}, {"misses", stats.misses}}}}},
                {"options", setup->recorded}};
    ctx.out << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  } else {
    ctx.out << visits.size() << " services: " << accepted << " accepted, "
            << (visits.size() - accepted) << " failed (" << rejected << " rejected, " << malformed
            << " malformed, " << unreachable << " unreachable); certificate cache " << stats.hits
            << " hits, " << stats.misses << " misses\n";
    if (options.insecure_tls) {
      ctx.out << "INSECURE: --insecure-tls (TLS certificates not checked)\n";
    }
    if (options.any_image) {
      ctx.out << "ANY IMAGE: --any-image (no service's image was checked against an "
                 "expectation)\n";
    }
  }
  return exit_code;
}

}  // namespace enclavectl::cli
