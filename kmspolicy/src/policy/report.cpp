#include "enclavectl/kmspolicy/report.hpp"

#include <iomanip>

namespace enclavectl::kmspolicy {

std::string PinnedPcrs(const Policy& policy) {
  std::string out;
  if (policy.statements.empty()) {
    return out;
  }
  for (const Condition& c : policy.statements.front().conditions) {
    const std::string name = c.key.substr(c.key.rfind(':') + 1);
    out += (out.empty() ? "" : ",") + (name == "ImageSha384" ? std::string("PCR0") : name);
  }
  return out;
}

void RenderLintText(std::ostream& out, const std::string& title, const Policy& policy,
                    const LintReport& report) {
  out << title << ": " << policy.statements.size() << " statement"
      << (policy.statements.size() == 1 ? "" : "s") << "\n";
  auto verdict = [&out](const char* name, const Verdict& v) {
    out << "  " << std::left << std::setw(14) << name << std::setw(5) << (v.holds ? "yes" : "no")
        << std::right;
    for (std::size_t i = 0; i < v.reasons.size(); ++i) {
      out << (i == 0 ? "" : std::string(21, ' ')) << v.reasons[i] << "\n";
    }
  };
  verdict("enclave-only", report.enclave_only);
  verdict("locked", report.locked);
  if (report.findings.empty()) {
    out << "findings: none\n";
    return;
  }
  out << "findings\n";
  for (const Finding& f : report.findings) {
    out << "  " << std::left << std::setw(8) << SeverityName(f.severity) << std::setw(31) << f.rule
        << std::right << f.message << "\n";
  }
}

nlohmann::json LintToJson(const Policy& policy, const LintReport& report) {
  auto verdict = [](const Verdict& v) {
    return nlohmann::json{{"holds", v.holds}, {"reasons", v.reasons}};
  };
  nlohmann::json findings = nlohmann::json::array();
  for (const Finding& f : report.findings) {
    nlohmann::json item = {{"rule", f.rule},
                           {"severity", SeverityName(f.severity)},
                           {"statement", nullptr},
                           {"sid", nullptr},
                           {"message", f.message}};
    if (f.statement) {
      item["statement"] = *f.statement;
      if (*f.statement < policy.statements.size() && policy.statements[*f.statement].sid) {
        item["sid"] = *policy.statements[*f.statement].sid;
      }
    }
    findings.push_back(std::move(item));
  }
  return nlohmann::json{
      {"statements", policy.statements.size()},
      {"verdicts",
       {{"enclaveOnly", verdict(report.enclave_only)}, {"locked", verdict(report.locked)}}},
      {"findings", std::move(findings)}};
}

}  // namespace enclavectl::kmspolicy
