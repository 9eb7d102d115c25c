#include "enclavectl/eif/report_json.hpp"

#include <string>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/error_codes.hpp"
#include "enclavectl/core/verdict.hpp"

namespace enclavectl::eif {
namespace {

nlohmann::ordered_json ErrorJson(const core::Error& error) {
  return {{"code", core::ErrorCodeName(error.code)},
          {"value", static_cast<unsigned>(error.code)},
          {"message", error.detail},
          {"index", error.index >= 0 ? nlohmann::ordered_json(error.index)
                                     : nlohmann::ordered_json(nullptr)}};
}

// The verdict of an answer whose first failure is `failure` (none: accepted): it follows the
// exit code (docs/cli-conventions.md).
std::string_view VerdictOf(const core::Error* failure) {
  return core::VerdictName(
      failure == nullptr ? core::Verdict::kAccepted
                         : core::VerdictForErrorClass(core::InfoFor(failure->code).exit_class));
}

// describe-eif's Metadata object: the build fields, DockerInfo, then CustomMetadata's
// members flattened in (serde flatten). A non-object CustomMetadata cannot be flattened
// and is shown under its own key; a custom key equal to a build field is not repeated.
nlohmann::ordered_json MetadataJson(const Metadata& metadata) {
  nlohmann::ordered_json out = {{"BuildTime", metadata.build.build_time},
                                {"BuildTool", metadata.build.build_tool},
                                {"BuildToolVersion", metadata.build.build_tool_version},
                                {"OperatingSystem", metadata.build.operating_system},
                                {"KernelVersion", metadata.build.kernel_version}};
  out["DockerInfo"] = metadata.docker_info;
  if (metadata.custom_metadata.is_object()) {
    for (const auto& [key, value] : metadata.custom_metadata.items()) {
      if (!out.contains(key)) {
        out[key] = value;
      }
    }
  } else if (!metadata.custom_metadata.is_null()) {
    out["CustomMetadata"] = metadata.custom_metadata;
  }
  return out;
}

}  // namespace

nlohmann::ordered_json MeasurementsJson(const Measurements& measurements) {
  nlohmann::ordered_json out = {{"HashAlgorithm", kHashAlgorithmName},
                                {"PCR0", core::HexEncode(measurements.pcr0)},
                                {"PCR1", core::HexEncode(measurements.pcr1)},
                                {"PCR2", core::HexEncode(measurements.pcr2)}};
  if (measurements.pcr8) {
    out["PCR8"] = core::HexEncode(*measurements.pcr8);
  }
  return out;
}

nlohmann::ordered_json ChecksJson(const ImageReport& report) {
  nlohmann::ordered_json checks = nlohmann::ordered_json::array();
  for (const Check& check : report.checks) {
    nlohmann::ordered_json row = {
        {"name", check.name}, {"status", CheckStatusName(check.status)}, {"reason", check.reason}};
    if (check.error) {
      row["code"] = core::ErrorCodeName(check.error->code);
      row["index"] = check.error->index >= 0 ? nlohmann::ordered_json(check.error->index)
                                             : nlohmann::ordered_json(nullptr);
    }
    checks.push_back(std::move(row));
  }
  return checks;
}

nlohmann::ordered_json DescribeJson(const ImageReport& report) {
  nlohmann::ordered_json out;
  out["EifVersion"] = report.header.version;
  out["Measurements"] = MeasurementsJson(report.measurements);
  out["IsSigned"] = report.is_signed;
  if (report.certificate) {
    const CertificateInfo& cert = *report.certificate;
    nlohmann::ordered_json issuer = nlohmann::ordered_json::object();
    for (const auto& [key, value] : cert.issuer) {
      issuer[key] = value;
    }
    out["SigningCertificate"] = {{"IssuerName", issuer},
                                 {"Algorithm", cert.algorithm},
                                 {"NotBefore", cert.not_before},
                                 {"NotAfter", cert.not_after},
                                 {"Signature", cert.signature}};
  }
  out["CheckCRC"] = report.CrcOk();
  if (report.is_signed) {
    const Check* signature = report.FindCheck("signature");
    out["SignatureCheck"] = signature != nullptr && signature->status == CheckStatus::kPass;
  }
  if (report.metadata) {
    out["ImageName"] = report.metadata->image_name;
    out["ImageVersion"] = report.metadata->image_version;
    out["Metadata"] = MetadataJson(*report.metadata);
  }
  const core::Error* failure = report.FirstFailure();
  out["media_type"] = kDescribeMediaType;
  out["verdict"] = VerdictOf(failure);
  out["error"] = failure == nullptr ? nlohmann::ordered_json(nullptr) : ErrorJson(*failure);
  out["arch"] = ArchName(report.header.arch());
  out["flags"] = report.header.flags;
  out["unknown_flags"] = report.header.unknown_flags();
  out["file_size"] = report.file_size;
  out["crc32"] = {{"stored", report.header.crc32}, {"computed", report.computed_crc}};
  nlohmann::ordered_json sections = nlohmann::ordered_json::array();
  for (const SectionInfo& section : report.sections) {
    sections.push_back({{"type", SectionTypeName(section.type)},
                        {"offset", section.offset},
                        {"size", section.size},
                        {"flags", section.flags}});
  }
  out["sections"] = std::move(sections);
  out["checks"] = ChecksJson(report);
  out["notes"] = report.notes;
  return out;
}

nlohmann::ordered_json MeasureJson(const std::string& image, const MeasureOutcome& outcome) {
  nlohmann::ordered_json out;
  out["media_type"] = kMeasureMediaType;
  out["image"] = image;
  out["verdict"] = VerdictOf(outcome.Verdict());
  out["Measurements"] = MeasurementsJson(outcome.report.measurements);
  nlohmann::ordered_json expected = nlohmann::ordered_json::array();
  if (outcome.comparison) {
    for (const PcrComparison& pcr : outcome.comparison->pcrs) {
      expected.push_back(
          {{"pcr", pcr.index},
           {"expected", core::HexEncode(pcr.expected)},
           {"actual", pcr.actual ? nlohmann::ordered_json(core::HexEncode(*pcr.actual))
                                 : nlohmann::ordered_json(nullptr)},
           {"match", pcr.match}});
    }
    out["allowed_set"] = outcome.against_sets
                             ? nlohmann::ordered_json(outcome.comparison->set_index)
                             : nlohmann::ordered_json(nullptr);
  }
  out["expected"] = std::move(expected);
  out["checks"] = ChecksJson(outcome.report);
  const core::Error* verdict = outcome.Verdict();
  out["error"] = verdict != nullptr ? ErrorJson(*verdict) : nlohmann::ordered_json(nullptr);
  return out;
}

}  // namespace enclavectl::eif
