// Verifying many documents under one root and one policy, on several threads (verify
// layer, pure: the caller supplies the documents through a loader, so files, standard input
// or memory are the caller's concern). The chain cache in the config is shared by every
// thread, so a fleet's common intermediates are verified once for the whole batch.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/verifier/verify.hpp"

namespace enclavectl::verifier {

// Returns document `index` (untrusted bytes, decoded by DecodeDocumentInput), or why it could
// not be read or decoded; a load error becomes that document's result and the batch goes on.
// Called from worker threads, at most once per index, concurrently for different indexes.
using BatchLoader = std::function<core::Result<DocumentInput>(std::size_t index)>;

struct BatchItem {
  std::size_t index = 0;
  // Set when the loader failed; `report` is then empty (verdict malformed, no checks) and
  // must not be read as a verification.
  std::optional<core::Error> load_error;
  InputEncoding encoding = InputEncoding::kBinary;
  VerificationReport report;

  // The item's failure (none when accepted) and its exit code (0, 1, 2, 74 or 70).
  std::optional<core::Error> Failure() const;
  int ExitCode() const;
};

// Receives every item exactly once, in index order, on the thread that called VerifyBatch.
using BatchSink = std::function<void(const BatchItem&)>;

struct BatchOptions {
  // Threads verifying, the calling thread included (it verifies between handing finished
  // items to the sink); 0 means one per hardware thread. 1 verifies on the calling thread
  // alone.
  unsigned jobs = 0;
  // At most this many finished items wait for their turn in the sink, so memory stays
  // bounded however long the batch is; 0 means 64 per job.
  std::size_t window = 0;
};

struct BatchSummary {
  std::size_t accepted = 0;
  std::size_t rejected = 0;
  std::size_t malformed = 0;
  std::size_t load_errors = 0;
  unsigned jobs_used = 0;
  // The worst item's exit code, worst first: 70 (internal), 74 (I/O), 2 (malformed),
  // 1 (rejected), 0 (all accepted).
  int exit_code = 0;
  std::size_t Total() const noexcept { return accepted + rejected + malformed + load_errors; }
};

// Verifies documents 0..count-1 with Verify(bytes, config, policy) each, hands every result
// to `sink` in order and returns the counts. The result of each document is exactly what
// Verify returns for it alone: threads share only the (thread-safe) chain cache. Same
// preconditions as Verify. If the loader or the sink throws, the workers are stopped and
// joined and the exception is rethrown.
BatchSummary VerifyBatch(std::size_t count, const BatchLoader& load, const BatchSink& sink,
                         const VerifierConfig& config, const VerificationPolicy& policy,
                         const BatchOptions& options = {});

// The paths of a --docs-from list (untrusted text): one path a line; blank lines and lines
// starting with '#' are skipped, a CR before the LF is dropped. Fails with kInvalidArgument
// when the list names no document, more than kMaxBatchDocuments, or holds a NUL byte.
inline constexpr std::size_t kMaxBatchDocuments = 1'000'000;
inline constexpr std::size_t kMaxDocumentListBytes = std::size_t{256} << 20;
[[nodiscard]] core::Result<std::vector<std::string>> ParseDocumentList(std::string_view text);

inline constexpr const char* kVerifyBatchMediaType =
    "application/vnd.enclavectl.verify-batch+json;version=1";

// One line of the text form: "PATH: accepted" or "PATH: rejected: CODE: message" (malformed,
// error likewise), no newline. `colour`: the verdict in terminal colours.
std::string BatchItemLine(const std::string& path, const BatchItem& item, bool colour = false);
// One JSON Lines object per document: the verify+json report with "path" and "index" (a load
// error: {"media_type", "path", "index", "verdict", "error"}).
nlohmann::json BatchItemToJson(const std::string& path, const BatchItem& item);
// The closing JSON Lines object: {"media_type": verify-batch+json, "verdict", "exit_code",
// "total", "accepted", "rejected", "malformed", "unreadable", "jobs", "seconds",
// "documents_per_second"}.
nlohmann::json BatchSummaryToJson(const BatchSummary& summary, double seconds);
// The closing text line: "N documents, J jobs, S s (R/s): A accepted, ...".
std::string BatchSummaryLine(const BatchSummary& summary, double seconds);

}  // namespace enclavectl::verifier
