// `enclavectl verify --url / --targets / --bundle`: live key services, fleets, and the
// evidence bundles that let anyone re-check a visit offline.
#include <iomanip>
#include <sstream>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/sha.hpp"
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

void RenderLive(std::ostream& out, const v::LiveReport& report, const v::Evidence& evidence,
                const std::string& note) {
  std::string headline = "ACCEPTED";
  if (report.verdict != v::Verdict::kAccepted) {
    headline = report.verdict == v::Verdict::kMalformed ? "MALFORMED" : "REJECTED";
    headline += " (" + std::string(core::ErrorCodeName(report.error->code)) + ")";
  }
  out << headline << "  " << evidence.url << "\n";
  out << "  verified at   " << core::FormatRfc3339(evidence.captured_at) << note << "\n";
  out << "  trust         " << report.document.root_description << "\n";
  if (evidence.options.value("insecure_tls", false)) {
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
  const v::LiveReport report = v::VerifyEvidence(evidence, config, setup->expectations);
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
    RenderLive(ctx.out, report, evidence, note);
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
  // The recorded expectations, unless the auditor brings their own.
  const bool given = HasExpectationFlags(options);
  auto expectations =
      given ? BuildExpectations(options)
            : v::ExpectationsFromJson(evidence.options.value("expectations", json::object()));
  if (!expectations) {
    core::Error error = expectations.error();
    error.detail = options.bundle_path + ": " + error.detail;
    return ReportError(ctx, error, options.json, v::kLiveMediaType);
  }
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
  const std::string recorded_verdict =
      evidence.report.is_object() ? evidence.report.value("verdict", "") : "";
  const std::string recorded_root =
      evidence.options.value("root", json::object()).value("sha256", "");
  if (options.json) {
    json out = v::LiveReportToJson(report, evidence);
    out["bundle"] = {{"path", options.bundle_path},
                     {"recorded_verdict", recorded_verdict},
                     {"expectations", given ? "given" : "recorded"},
                     {"recorded_root_sha256", recorded_root}};
    ctx.out << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  } else {
    RenderLive(ctx.out, report, evidence, " (the recorded time of the visit)");
    ctx.out << "bundle        " << options.bundle_path << ": recorded verdict "
            << (recorded_verdict.empty() ? "(none)" : recorded_verdict) << ", expectations "
            << (given ? "given on the command line" : "recorded in the bundle") << "\n";
    if (!recorded_root.empty() && recorded_root != core::HexEncode(root->Fingerprint())) {
      ctx.out << "note          the visit trusted another root (sha256 "
              << recorded_root.substr(0, 16) << "...); pass it with --root for its verdict\n";
    }
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
      ctx.out << "PASS  " << url << "  PCR0 " << Pcr0(report).substr(0, 16) << "...  key "
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
  }
  return exit_code;
}

}  // namespace enclavectl::cli
