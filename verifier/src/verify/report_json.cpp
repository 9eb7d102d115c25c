#include "enclavectl/verifier/report_json.hpp"

#include "enclavectl/core/encoding.hpp"

namespace enclavectl::verifier {
namespace {

nlohmann::json OptionalHex(const std::optional<Bytes>& value) {
  return value ? nlohmann::json(core::HexEncode(*value)) : nlohmann::json(nullptr);
}

nlohmann::json TimeJson(std::int64_t unix_seconds) {
  return core::FormatRfc3339(core::UnixMillis{unix_seconds * 1000});
}

}  // namespace

nlohmann::json ChecksToJson(const std::vector<Check>& checks) {
  nlohmann::json out = nlohmann::json::array();
  for (const Check& check : checks) {
    nlohmann::json item = {
        {"name", check.name}, {"status", CheckStatusName(check.status)}, {"reason", check.reason}};
    if (check.error) {
      item["error"] = ErrorToJson(*check.error);
    }
    out.push_back(std::move(item));
  }
  return out;
}

nlohmann::json ReportToJson(const VerificationReport& report) {
  nlohmann::json out;
  out["media_type"] = kVerifyMediaType;
  out["verdict"] = std::string(VerdictName(report.verdict));
  out["error"] = report.error ? ErrorToJson(*report.error) : nlohmann::json(nullptr);
  out["hint"] = report.hint.empty() ? nlohmann::json(nullptr) : nlohmann::json(report.hint);
  if (report.verification_time_known) {
    out["verification_time"] = {
        {"unix_ms", report.verification_time.value},
        {"rfc3339", core::FormatRfc3339(report.verification_time)},
        {"source", report.time_source == TimeSource::kDocument ? "document" : "given"}};
  } else {
    out["verification_time"] = nullptr;  // not verified: the document could not be decoded
  }
  out["trust"] = {{"root", report.root_is_aws ? "aws-nitro-enclaves-root-g1" : "custom"},
                  {"description", report.root_description},
                  {"sha256", core::HexEncode(report.root_sha256)}};
  out["insecure"] = report.insecure;
  out["input"] = {{"size", report.input_size},
                  {"sha256", core::HexEncode(report.input_sha256)},
                  {"cose_tagged", report.cose_tagged},
                  {"payload_map", report.payload_indefinite ? "indefinite" : "definite"}};
  out["checks"] = ChecksToJson(report.checks);
  out["signatures"] = {{"verified", report.signatures_verified},
                       {"cached", report.signatures_cached}};
  if (report.matched_pcr_set) {
    out["matched_pcr_set"] = *report.matched_pcr_set;
  }
  if (report.document) {
    const AttestationDocument& doc = *report.document;
    nlohmann::json pcrs = nlohmann::json::object();
    nlohmann::json pcrs_verified = nlohmann::json::object();
    const bool verified = report.ContentVerified();
    for (const auto& [index, value] : doc.pcrs) {
      pcrs[std::to_string(index)] = core::HexEncode(value);
      pcrs_verified[std::to_string(index)] = verified;
    }
    out["document"] = {
        {"module_id", doc.module_id},
        {"digest", doc.digest},
        {"timestamp_ms", doc.timestamp_ms},
        {"timestamp",
         core::FormatRfc3339(core::UnixMillis{static_cast<std::int64_t>(doc.timestamp_ms)})},
        {"verified", verified},
        {"pcrs", std::move(pcrs)},
        {"pcrs_verified", std::move(pcrs_verified)},
        {"debug_mode", IsDebugMode(doc.pcrs)},
        {"public_key", OptionalHex(doc.public_key)},
        {"user_data", OptionalHex(doc.user_data)},
        {"nonce", OptionalHex(doc.nonce)},
        {"cabundle_len", doc.cabundle.size()}};
  } else {
    out["document"] = nullptr;
  }
  nlohmann::json chain = nlohmann::json::array();
  for (const CertificateInfo& cert : report.chain) {
    chain.push_back({{"subject", cert.subject},
                     {"issuer", cert.issuer},
                     {"not_before", TimeJson(cert.not_before)},
                     {"not_after", TimeJson(cert.not_after)},
                     {"serial", cert.serial_hex},
                     {"sha256", core::HexEncode(cert.sha256)}});
  }
  out["chain"] = std::move(chain);
  return out;
}

}  // namespace enclavectl::verifier
