#include "enclavectl/verifier/reverify.hpp"

#include "enclavectl/core/json.hpp"
#include "enclavectl/verifier/report_json.hpp"

namespace enclavectl::verifier {
namespace {

using core::ErrorCode;

// What the bundle says about its visit, for information only (strictly read: any shape).
void ReadRecorded(BundleVerification& out) {
  const Evidence& evidence = out.evidence;
  out.recorded_expectations = "(none)";
  if (auto report_view =
          core::JsonObjectView::Of(evidence.report, ErrorCode::kBundleMalformed, "report.json")) {
    out.recorded_verdict =
        report_view->OptionalString("verdict").value_or(std::nullopt).value_or("");
  }
  auto options_view =
      core::JsonObjectView::Of(evidence.options, ErrorCode::kBundleMalformed, "options");
  if (!options_view) {
    return;
  }
  if (auto root_view = options_view->OptionalObject("root"); root_view && *root_view) {
    out.recorded_root_sha256 =
        (*root_view)->OptionalString("sha256").value_or(std::nullopt).value_or("");
  }
  if (const nlohmann::json* recorded = options_view->Find("expectations"); recorded != nullptr) {
    auto parsed = ExpectationsFromJson(*recorded);
    out.recorded_expectations =
        parsed ? DescribeExpectations(*parsed) : "(unreadable: " + parsed.error().detail + ")";
  }
}

}  // namespace

core::Result<BundleVerification> ReverifyBundle(core::ByteView zip, const VerifierConfig& config,
                                                const LiveExpectations& expectations) {
  auto bundle = ReadBundle(zip);
  if (!bundle) {
    return core::Fail(bundle.error());
  }
  BundleVerification out;
  out.evidence = std::move(bundle->first);
  const EvidenceExtras& extras = bundle->second;
  LiveReport& report = out.report;
  report = VerifyEvidence(out.evidence, config, expectations);
  if (auto consistent = CheckExtras(report, out.evidence, extras); !consistent) {
    report.checks.insert(
        report.checks.begin(),
        Check{"bundle", CheckStatus::kFail, consistent.error().detail, consistent.error()});
    report.error = consistent.error();
    report.verdict = Verdict::kRejected;
  } else {
    report.checks.insert(report.checks.begin(),
                         Check{"bundle", CheckStatus::kPass,
                               "every member matches the manifest; document.cbor and "
                               "chain.pem are those of the attestation",
                               std::nullopt});
  }
  ReadRecorded(out);
  out.expectations = DescribeExpectations(expectations);
  out.any_image = expectations.any_image;
  // Without an image expectation the bundle shows what its documents prove, never ACCEPTED.
  out.judged = expectations.HasImageExpectation() || expectations.any_image ||
               report.verdict != Verdict::kAccepted;
  return out;
}

core::Result<core::Bytes> BundleOfVisit(Evidence evidence, const LiveReport& report) {
  evidence.report = LiveReportToJson(report, evidence);
  const EvidenceExtras extras = ExtrasFor(report, evidence);
  return WriteBundle(evidence, extras);
}

nlohmann::json BundleVerificationToJson(const BundleVerification& verification,
                                        const std::string& path,
                                        const core::Error& not_judged_error) {
  nlohmann::json out = LiveReportToJson(verification.report, verification.evidence);
  out["bundle"] = {{"path", path},
                   {"recorded_verdict", verification.recorded_verdict},
                   {"recorded_expectations", verification.recorded_expectations},
                   {"expectations", verification.expectations},
                   {"recorded_root_sha256", verification.recorded_root_sha256}};
  out["any_image"] = verification.any_image;
  if (!verification.judged) {
    out["verdict"] = "not_judged";
    out["error"] = ErrorToJson(not_judged_error);
  }
  return out;
}

}  // namespace enclavectl::verifier
