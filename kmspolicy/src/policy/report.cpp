#include "enclavectl/kmspolicy/report.hpp"

#include <iomanip>

#include "enclavectl/core/check.hpp"

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
      {"properties",
       {{"enclave_only", verdict(report.enclave_only)}, {"locked", verdict(report.locked)}}},
      {"findings", std::move(findings)}};
}

nlohmann::json LintChecksToJson(const LintReport& report, const LintRequirements& required) {
  auto check = [](const char* name, bool asked, const Verdict& verdict) {
    const core::CheckStatus status = !asked          ? core::CheckStatus::kSkipped
                                     : verdict.holds ? core::CheckStatus::kPass
                                                     : core::CheckStatus::kFail;
    return nlohmann::json{{"name", name}, {"status", core::CheckStatusName(status)}};
  };
  return nlohmann::json::array({check("enclave_only", required.enclave_only, report.enclave_only),
                                check("locked", required.locked, report.locked)});
}

void RenderEvaluationText(std::ostream& out, const Policy& policy, const Request& request,
                          const Evaluation& evaluation, const std::string& attestation_note) {
  const bool allowed = evaluation.decision == Decision::kAllow;
  out << (allowed ? "ALLOW" : "DENY") << "  " << request.action << " by " << request.principal
      << "\n";
  if (evaluation.deciding_statement) {
    out << "  decided by   " << DescribeStatement(policy, *evaluation.deciding_statement) << ": "
        << (evaluation.decision == Decision::kAllow ? "an Allow" : "an explicit Deny") << "\n";
  } else {
    out << "  decided by   no statement applies: implicit deny\n";
  }
  if (!attestation_note.empty()) {
    out << "  attestation  " << attestation_note << "\n";
  } else {
    out << "  attestation  none (no kms:RecipientAttestation:* keys)\n";
  }
  out << "statements\n";
  for (const StatementTrace& t : evaluation.trace) {
    out << "  " << std::setw(2) << t.index << "  " << std::left << std::setw(6)
        << EffectName(t.effect) << std::setw(9) << (t.applies ? "applies" : "-") << std::right
        << t.reason << "\n";
  }
}

nlohmann::json EvaluationToJson(const Policy& policy, const Request& request,
                                const Evaluation& evaluation) {
  nlohmann::json statements = nlohmann::json::array();
  for (const StatementTrace& t : evaluation.trace) {
    const auto& sid = policy.statements[t.index].sid;
    statements.push_back({{"index", t.index},
                          {"sid", sid ? nlohmann::json(*sid) : nlohmann::json(nullptr)},
                          {"effect", EffectName(t.effect)},
                          {"applies", t.applies},
                          {"reason", t.reason}});
  }
  nlohmann::json context = nlohmann::json::object();
  for (const auto& [key, values] : request.context.Entries()) {
    context[key] = values;
  }
  return nlohmann::json{{"request",
                         {{"principal", request.principal},
                          {"action", request.action},
                          {"resource", request.resource.empty() ? nlohmann::json(nullptr)
                                                                : nlohmann::json(request.resource)},
                          {"context", std::move(context)}}},
                        {"deciding_statement", evaluation.deciding_statement
                                                   ? nlohmann::json(*evaluation.deciding_statement)
                                                   : nlohmann::json(nullptr)},
                        {"statements", std::move(statements)}};
}

}  // namespace enclavectl::kmspolicy
