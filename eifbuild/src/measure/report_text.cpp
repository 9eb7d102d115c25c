#include "enclavectl/eif/report_text.hpp"

#include <cctype>
#include <iomanip>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/error_codes.hpp"

namespace enclavectl::eif {

void PrintChecks(std::ostream& out, const ImageReport& report) {
  out << "checks\n";
  for (const Check& check : report.checks) {
    out << "  " << std::left << std::setw(8) << CheckStatusName(check.status) << " "
        << std::setw(14) << check.name << std::right << check.reason;
    if (check.error) {
      out << " [" << core::ErrorCodeName(check.error->code) << "]";
    }
    out << "\n";
  }
  for (const std::string& note : report.notes) {
    out << "  note     " << note << "\n";
  }
}

void PrintPcrs(std::ostream& out, const Measurements& pcrs) {
  out << "  PCR0  " << core::HexEncode(pcrs.pcr0) << "\n";
  out << "  PCR1  " << core::HexEncode(pcrs.pcr1) << "\n";
  out << "  PCR2  " << core::HexEncode(pcrs.pcr2) << "\n";
  if (pcrs.pcr8) {
    out << "  PCR8  " << core::HexEncode(*pcrs.pcr8) << "\n";
  }
}

void RenderDescribeText(std::ostream& out, const ImageReport& report, const std::string& image) {
  const core::Error* failure = report.FirstFailure();
  out << (failure == nullptr ? "OK"
                             : "FAILED (" + std::string(core::ErrorCodeName(failure->code)) + ")")
      << "  " << image << "\n";
  out << "  EIF version   " << report.header.version << ", " << eif::ArchName(report.header.arch())
      << ", " << report.file_size << " bytes, " << report.sections.size() << " sections\n";
  if (report.metadata) {
    const eif::Metadata& m = *report.metadata;
    out << "  image         " << m.image_name << " " << m.image_version << "\n";
    out << "  built         " << m.build.build_time << " by " << m.build.build_tool << " "
        << m.build.build_tool_version << " (" << m.build.operating_system << " "
        << m.build.kernel_version << ")\n";
  }
  if (report.certificate) {
    out << "  signed by     ";
    for (const auto& [key, value] : report.certificate->issuer) {
      out << key << "=" << value << " ";
    }
    out << "(valid " << report.certificate->not_before << " .. " << report.certificate->not_after
        << ")\n";
  }
  out << "measurements (" << kHashAlgorithmText << ")\n";
  PrintPcrs(out, report.measurements);
  out << "sections\n";
  for (const eif::SectionInfo& section : report.sections) {
    out << "  " << std::left << std::setw(10) << eif::SectionTypeName(section.type) << std::right
        << " at " << std::setw(10) << section.offset << "  " << section.size << " bytes\n";
  }
  PrintChecks(out, report);
}

void RenderFailure(std::ostream& err, const core::Error& error) {
  err << "enclavectl: " << core::ErrorCodeName(error.code) << ": " << error.detail << "\n";
}

void RenderMeasuredText(std::ostream& out, const MeasureOutcome& outcome, const std::string& image,
                        const std::string& expect_pcrs_path) {
  std::string headline(outcome.VerdictName());
  for (char& c : headline) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  out << headline << "  " << image << "\n";
  out << "measurements (" << kHashAlgorithmText << ")\n";
  PrintPcrs(out, outcome.report.measurements);
  if (const auto& comparison = outcome.comparison) {
    if (outcome.against_sets) {
      out << (comparison->matched ? "matched" : "closest") << " allowed set "
          << comparison->set_index << " of " << expect_pcrs_path << "\n";
    }
    for (const eif::PcrComparison& pcr : comparison->pcrs) {
      out << "  PCR" << pcr.index << (pcr.match ? "  match" : "  MISMATCH") << "\n";
      if (!pcr.match) {
        out << "    expected " << core::HexEncode(pcr.expected) << "\n";
        out << "    actual   " << (pcr.actual ? core::HexEncode(*pcr.actual) : "(absent)") << "\n";
      }
    }
  }
  if (outcome.report.FirstFailure() != nullptr) {
    PrintChecks(out, outcome.report);
  }
}

}  // namespace enclavectl::eif
