// Verifying many documents under one root and one policy, on several threads (verify
// layer, pure: the caller supplies the documents through a loader, so files, standard input
// or memory are the caller's concern). The chain cache in the config is shared by every
// thread, so a fleet's common intermediates are verified once for the whole batch.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/verifier/verify.hpp"

namespace enclavectl::verifier {

// Returns the bytes of document `index` (untrusted), or why they could not be read; a load
// error becomes that document's result and the batch goes on. Called from worker threads,
// at most once per index, concurrently for different indexes.
using BatchLoader = std::function<core::Result<core::Bytes>(std::size_t index)>;

struct BatchItem {
  std::size_t index = 0;
  // Set when the loader failed; `report` is then empty (verdict malformed, no checks) and
  // must not be read as a verification.
  std::optional<core::Error> load_error;
  VerificationReport report;
};

// Receives every item exactly once, in index order, on the thread that called VerifyBatch.
using BatchSink = std::function<void(const BatchItem&)>;

struct BatchOptions {
  // Worker threads; 0 means one per hardware thread. 1 verifies on the calling thread.
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

}  // namespace enclavectl::verifier
