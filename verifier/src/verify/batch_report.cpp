// The document list of `verify --docs-from` and the per-document lines of a batch.
#include <algorithm>
#include <cstdio>

#include "enclavectl/core/progress.hpp"
#include "enclavectl/verifier/batch.hpp"
#include "enclavectl/verifier/report_json.hpp"

namespace enclavectl::verifier {
namespace {

using core::ErrorCode;

// accepted, rejected, malformed or error: the verdict vocabulary for one item.
std::string ItemVerdict(const BatchItem& item) {
  if (!item.load_error) {
    return std::string(core::VerdictName(item.report.verdict));
  }
  return std::string(core::VerdictName(
      core::VerdictForErrorClass(core::InfoFor(item.load_error->code).exit_class)));
}

std::string Rate(const BatchSummary& summary, double seconds) {
  char text[64];  // NOLINT(modernize-avoid-c-arrays): snprintf buffer
  std::snprintf(text, sizeof(text), "%.2f s (%.0f/s)", seconds,
                seconds > 0 ? static_cast<double>(summary.Total()) / seconds : 0.0);
  return text;
}

}  // namespace

core::Result<std::vector<std::string>> ParseDocumentList(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) {
    return core::Fail(ErrorCode::kInvalidArgument, "the document list holds a NUL byte");
  }
  std::vector<std::string> paths;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.empty() || line.front() == '#') {
      continue;
    }
    if (paths.size() == kMaxBatchDocuments) {
      return core::Fail(
          ErrorCode::kInvalidArgument,
          "the document list names more than " + std::to_string(kMaxBatchDocuments) + " documents");
    }
    paths.emplace_back(line);
  }
  if (paths.empty()) {
    return core::Fail(ErrorCode::kInvalidArgument, "the document list names no document");
  }
  return paths;
}

std::string BatchItemLine(const std::string& path, const BatchItem& item, bool colour) {
  const std::string verdict = ItemVerdict(item);
  std::string line =
      path + ": " +
      core::Paint(verdict, verdict == "accepted" ? core::Tone::kGood : core::Tone::kBad, colour);
  if (const std::optional<core::Error> failure = item.Failure()) {
    line += ": " + std::string(core::ErrorCodeName(failure->code)) + ": " + failure->detail;
  }
  return line;
}

nlohmann::json BatchItemToJson(const std::string& path, const BatchItem& item) {
  nlohmann::json out;
  if (item.load_error) {
    out = {{"media_type", kVerifyMediaType},
           {"verdict", ItemVerdict(item)},
           {"error", ErrorToJson(*item.load_error)}};
  } else {
    out = ReportToJson(item.report);
    out["input"]["encoding"] = InputEncodingName(item.encoding);
  }
  out["path"] = path;
  out["index"] = item.index;
  return out;
}

nlohmann::json BatchSummaryToJson(const BatchSummary& summary, double seconds) {
  const Verdict verdict = summary.exit_code == 0   ? Verdict::kAccepted
                          : summary.exit_code == 1 ? Verdict::kRejected
                          : summary.exit_code == 2 ? Verdict::kMalformed
                                                   : Verdict::kError;
  return {
      {"media_type", kVerifyBatchMediaType},
      {"verdict", std::string(core::VerdictName(verdict))},
      {"exit_code", summary.exit_code},
      {"total", summary.Total()},
      {"accepted", summary.accepted},
      {"rejected", summary.rejected},
      {"malformed", summary.malformed},
      {"unreadable", summary.load_errors},
      {"jobs", summary.jobs_used},
      {"seconds", seconds},
      {"documents_per_second", seconds > 0 ? static_cast<double>(summary.Total()) / seconds : 0.0}};
}

std::string BatchSummaryLine(const BatchSummary& summary, double seconds) {
  return std::to_string(summary.Total()) + " documents, " + std::to_string(summary.jobs_used) +
         (summary.jobs_used == 1 ? " job, " : " jobs, ") + Rate(summary, seconds) + ": " +
         std::to_string(summary.accepted) + " accepted, " + std::to_string(summary.rejected) +
         " rejected, " + std::to_string(summary.malformed) + " malformed, " +
         std::to_string(summary.load_errors) + " unreadable";
}

}  // namespace enclavectl::verifier
