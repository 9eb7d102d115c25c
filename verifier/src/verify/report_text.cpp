#include "enclavectl/verifier/report_text.hpp"

#include <iomanip>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/error_codes.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/progress.hpp"
#include "enclavectl/core/time.hpp"

namespace enclavectl::verifier {
namespace {

std::string Abbrev(const core::Sha256Digest& digest) {
  return core::HexEncode(digest).substr(0, 16) + "...";
}

std::string Short(const std::optional<core::Bytes>& key) {
  return key ? core::HexEncode(*key) : std::string("(none)");
}

std::string Pcr0(const LiveReport& report) {
  if (!report.document.document) {
    return "(no document)";
  }
  const auto it = report.document.document->pcrs.find(0);
  return it == report.document.document->pcrs.end() ? "(none)" : core::HexEncode(it->second);
}

// Whether the visit's recorded options say --insecure-tls (a bundle's options are untrusted:
// read strictly, any other shape reads as false; informational only).
bool RecordedInsecureTls(const nlohmann::json& options) {
  auto view = core::JsonObjectView::Of(options, core::ErrorCode::kBundleMalformed, "options");
  if (!view) {
    return false;
  }
  auto flag = view->OptionalBool("insecure_tls");
  return flag && flag->value_or(false);
}

void RenderChecks(std::ostream& out, const std::vector<Check>& checks, int name_width) {
  out << "checks\n";
  for (const Check& check : checks) {
    out << "  " << std::left << std::setw(8) << CheckStatusName(check.status) << " "
        << std::setw(name_width) << check.name << std::right << check.reason << "\n";
  }
}

void RenderPcrsAndChain(std::ostream& out, const VerificationReport& report) {
  if (report.document) {
    // A document whose root, chain or signature failed only claims these values.
    const bool verified = report.ContentVerified();
    out << "pcrs" << (verified ? "" : " (unverified: the document's signature did not verify)")
        << "\n";
    std::size_t zero = 0;
    for (const auto& [index, value] : report.document->pcrs) {
      if (core::IsAllZero(value)) {
        ++zero;
        continue;
      }
      out << "  PCR" << std::left << std::setw(3) << index << std::right << core::HexEncode(value)
          << (verified ? "" : " (unverified)") << "\n";
    }
    if (zero > 0) {
      out << "  (" << zero << " all-zero PCRs not shown)\n";
    }
  }
  if (!report.chain.empty()) {
    out << "chain\n";
    for (std::size_t i = 0; i < report.chain.size(); ++i) {
      const CertificateInfo& cert = report.chain[i];
      out << "  " << i << "  " << cert.subject << "\n     valid "
          << core::FormatRfc3339(core::UnixMillis{cert.not_before * 1000}) << " .. "
          << core::FormatRfc3339(core::UnixMillis{cert.not_after * 1000}) << "\n";
    }
  }
}

}  // namespace

void RenderReportText(std::ostream& out, const std::string& path, InputEncoding encoding,
                      const VerificationReport& report, bool any_image, bool colour) {
  std::string headline =
      any_image ? "ACCEPTED (any image: no PCR was checked; genuine Nitro Enclaves document)"
                : "ACCEPTED";
  if (report.verdict != Verdict::kAccepted) {
    headline = report.verdict == Verdict::kMalformed ? "MALFORMED" : "REJECTED";
    headline += " (" + std::string(core::ErrorCodeName(report.error->code)) + ")";
  }
  out << core::PaintVerdict(headline, colour) << "  " << path << "\n";
  out << "  input        " << report.input_size << " bytes of "
      << (encoding == InputEncoding::kBinary ? "binary CBOR"
                                             : std::string(InputEncodingName(encoding)) + " text")
      << ", sha256 " << Abbrev(report.input_sha256) << "\n";
  if (report.document) {
    out << "  module_id    " << report.document->module_id << "\n";
    out << "  timestamp    "
        << core::FormatRfc3339(
               core::UnixMillis{static_cast<std::int64_t>(report.document->timestamp_ms)})
        << "\n";
  }
  out << "  verified at  "
      << (report.verification_time_known ? core::FormatRfc3339(report.verification_time)
                                         : "(not verified: the document could not be decoded)")
      << (report.verification_time_known && report.time_source == TimeSource::kDocument
              ? " (the document's own timestamp)"
              : "")
      << "\n";
  out << "  trust        " << report.root_description << " (sha256 " << Abbrev(report.root_sha256)
      << ")\n";
  for (const std::string& flag : report.insecure) {
    out << "  " << core::Paint("INSECURE", core::Tone::kWarning, colour) << "     --insecure-"
        << flag << " is in effect\n";
  }
  if (any_image) {
    out << "  " << core::Paint("ANY IMAGE", core::Tone::kWarning, colour)
        << "    --any-image: the image (PCRs) was not checked against any "
           "expectation\n";
  }
  RenderChecks(out, report.checks, 13);
  RenderPcrsAndChain(out, report);
}

void RenderFailure(std::ostream& err, const core::Error& error, const std::string& hint) {
  err << "enclavectl: " << core::ErrorCodeName(error.code) << ": " << error.detail << "\n";
  if (!hint.empty()) {
    err << "hint: " << hint << "\n";
  }
}

std::string LiveHeadline(const LiveReport& report) {
  std::string headline = "ACCEPTED";
  if (report.verdict == Verdict::kAccepted && !report.image_checked) {
    headline += " (any image: no PCR was checked; PCR0 " + Pcr0(report).substr(0, 16) + "...)";
  }
  if (report.verdict != Verdict::kAccepted) {
    headline = report.verdict == Verdict::kMalformed ? "MALFORMED" : "REJECTED";
    headline += " (" + std::string(core::ErrorCodeName(report.error->code)) + ")";
  }
  return headline;
}

void RenderLiveText(std::ostream& out, const LiveReport& report, const Evidence& evidence,
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
  const ServiceClaims& claims = report.claims;
  if (evidence.migration_status || !claims.migrated_to_pcr0.empty() ||
      !claims.migrated_from_pcr0.empty()) {
    out << "  version       " << core::SafeExcerpt(claims.version, 100) << "\n";
    out << "  previous PCR0 " << core::SafeExcerpt(claims.previous_pcr0.value_or("(none)"), 100)
        << "\n";
    out << "  maintainer    "
        << (claims.maintainer_pubkey.empty() ? std::string("(not configured)")
                                             : claims.maintainer_pubkey)
        << "\n";
    if (!claims.key_origin.empty() || claims.key_origin_provable) {
      out << "  key origin    " << (claims.key_origin.empty() ? "(unnamed)" : claims.key_origin)
          << (claims.key_origin_provable && !*claims.key_origin_provable
                  ? (claims.key_origin == "migrated"
                         ? " (NOT PROVABLE by this enclave: before the hand-over the key's "
                           "history is its predecessor's; check the predecessor's key origin)"
                         : " (NOT PROVABLE: the key was made outside an enclave)")
                  : "")
          << "\n";
    }
    if (!claims.migrated_from_pcr0.empty()) {
      out << "  migrated from " << claims.migrated_from_pcr0 << "\n";
    }
    if (!claims.migrated_to_pcr0.empty()) {
      out << "  RETIRED       its key moved to PCR0 " << claims.migrated_to_pcr0
          << "; it no longer signs\n";
    }
    if (report.migration) {
      out << "  migration     " << MigrationStateWords(report, evidence.captured_at) << "\n";
      if (const auto& state = report.migration->state) {
        const auto at = [](std::int64_t seconds) {
          return core::FormatRfc3339(core::UnixMillis{seconds * 1000});
        };
        out << "    target PCR0   " << state->target_pcr0 << "\n";
        if (!state->v2_kms_key_id.empty()) {
          out << "    V2 KMS key    " << core::SafeExcerpt(state->v2_kms_key_id, 200) << "\n";
        }
        out << "    initiated     " << at(state->initiated_at) << "\n";
        if (!state->source_pcr0.empty()) {
          out << "    source PCR0   " << state->source_pcr0 << "\n";
        }
        if (!state->previous_pcr0.empty()) {
          out << "    previous PCR0 " << state->previous_pcr0 << "\n";
        }
        if (state->activation_time != 0) {
          out << "    activation    " << at(state->activation_time) << "\n";
        }
        if (state->completed_at != 0) {
          out << "    completed     " << at(state->completed_at) << "\n";
        }
      }
    }
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
  RenderChecks(out, report.checks, 20);
}

void RenderBundleText(std::ostream& out, const BundleVerification& verification,
                      const std::string& path, const std::string& root_sha256_hex) {
  const LiveReport& report = verification.report;
  const std::string headline = verification.judged
                                   ? LiveHeadline(report)
                                   : "GENUINE, NOT JUDGED (no expectation about the image: PCR0 " +
                                         Pcr0(report).substr(0, 16) + "...)";
  RenderLiveText(out, report, verification.evidence, " (the recorded time of the visit)", headline);
  out << "bundle        " << path << "\n"
      << "  judged against      " << verification.expectations << " (this command line)\n"
      << "  recorded at capture " << verification.recorded_expectations << "; verdict "
      << (verification.recorded_verdict.empty() ? "(none)"
                                                : core::SafeExcerpt(verification.recorded_verdict))
      << " (information only: a bundle cannot set its own expectations)\n";
  if (!verification.recorded_root_sha256.empty() &&
      verification.recorded_root_sha256 != root_sha256_hex) {
    out << "note          the visit trusted another root (sha256 "
        << core::SafeExcerpt(verification.recorded_root_sha256, 16)
        << "...); pass it with --root for its verdict\n";
  }
}

void RenderFleetText(std::ostream& out, const FleetReport& report, bool insecure_tls,
                     bool any_image, bool colour) {
  for (const FleetEntry& entry : report.entries) {
    if (entry.unreachable || entry.report.verdict != Verdict::kAccepted) {
      const core::Error& error = entry.unreachable ? *entry.unreachable : *entry.report.error;
      out << core::Paint("FAIL", core::Tone::kBad, colour) << "  " << entry.url << "  "
          << core::ErrorCodeName(error.code) << " (" << static_cast<unsigned>(error.code)
          << "): " << error.detail << "\n";
      continue;
    }
    out << core::Paint("PASS", core::Tone::kGood, colour) << "  " << entry.url << "  PCR0 "
        << Pcr0(entry.report).substr(0, 16) << "..."
        << (entry.report.image_checked ? "" : " (any image)") << "  key "
        << Short(entry.report.claims.signing_public_key) << "\n";
  }
  const std::size_t total = report.entries.size();
  out << total << " services: " << report.accepted << " accepted, " << (total - report.accepted)
      << " failed (" << report.rejected << " rejected, " << report.malformed << " malformed, "
      << report.unreachable << " unreachable); certificate cache " << report.cache.hits << " hits, "
      << report.cache.misses << " misses\n";
  if (insecure_tls) {
    out << "INSECURE: --insecure-tls (TLS certificates not checked)\n";
  }
  if (any_image) {
    out << "ANY IMAGE: --any-image (no service's image was checked against an "
           "expectation)\n";
  }
}

}  // namespace enclavectl::verifier
