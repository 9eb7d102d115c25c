// VerifyBatch: a fixed pool of workers claims document indexes in order, verifies each, and
// parks the result until the calling thread hands it to the sink in index order.
#include "enclavectl/verifier/batch.hpp"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace enclavectl::verifier {
namespace {

BatchItem VerifyOne(std::size_t index, const BatchLoader& load, const VerifierConfig& config,
                    const VerificationPolicy& policy) {
  BatchItem item;
  item.index = index;
  core::Result<DocumentInput> input = load(index);
  if (!input) {
    item.load_error = std::move(input.error());
    return item;
  }
  item.encoding = input->encoding;
  item.report = Verify(input->cbor, config, policy);
  return item;
}

// Worse exit codes rank higher: 0 < 1 < 2 < 64 < 74 < 70.
int Rank(int exit_code) {
  switch (exit_code) {
    case 0:
      return 0;
    case 1:
      return 1;
    case 2:
      return 2;
    case 64:
      return 3;
    case 74:
      return 4;
    default:
      return 5;
  }
}

void Count(const BatchItem& item, BatchSummary& summary) {
  if (const int code = item.ExitCode(); Rank(code) > Rank(summary.exit_code)) {
    summary.exit_code = code;
  }
  if (item.load_error) {
    ++summary.load_errors;
    return;
  }
  switch (item.report.verdict) {
    case Verdict::kAccepted:
      ++summary.accepted;
      break;
    case Verdict::kRejected:
      ++summary.rejected;
      break;
    default:
      ++summary.malformed;
      break;
  }
}

// The shared state of one batch: which index is claimed next, which were emitted, and the
// finished items waiting for their turn.
class Pool {
 public:
  Pool(std::size_t count, std::size_t window) : count_(count), window_(window) {}

  // Worker side: the next index to verify, or nothing when the batch is over or stopped.
  // Waits while `window` items are ahead of the sink.
  std::optional<std::size_t> Claim() {
    std::unique_lock lock(mutex_);
    worker_cv_.wait(lock, [&] {
      return stopped_ || next_claim_ >= count_ || next_claim_ < emitted_ + window_;
    });
    if (stopped_ || next_claim_ >= count_) {
      return std::nullopt;
    }
    return next_claim_++;
  }

  void Finish(BatchItem item) {
    {
      std::lock_guard lock(mutex_);
      done_.emplace(item.index, std::move(item));
    }
    sink_cv_.notify_one();
  }

  void Fail(std::exception_ptr error) {
    {
      std::lock_guard lock(mutex_);
      if (!error_) {
        error_ = std::move(error);
      }
      stopped_ = true;
    }
    worker_cv_.notify_all();
    sink_cv_.notify_all();
  }

  // Sink side: the item with index `emitted_`, or nothing when a worker failed.
  std::optional<BatchItem> Next() {
    std::unique_lock lock(mutex_);
    sink_cv_.wait(lock, [&] { return stopped_ || done_.contains(emitted_); });
    if (stopped_) {
      return std::nullopt;
    }
    auto node = done_.extract(emitted_);
    return std::move(node.mapped());
  }

  void Emitted() {
    {
      std::lock_guard lock(mutex_);
      ++emitted_;
    }
    worker_cv_.notify_all();
  }

  void Stop() { Fail(nullptr); }

  std::exception_ptr Error() {
    std::lock_guard lock(mutex_);
    return error_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable worker_cv_;
  std::condition_variable sink_cv_;
  std::size_t count_;
  std::size_t window_;
  std::size_t next_claim_ = 0;
  std::size_t emitted_ = 0;
  bool stopped_ = false;
  std::exception_ptr error_;
  std::map<std::size_t, BatchItem> done_;
};

}  // namespace

std::optional<core::Error> BatchItem::Failure() const {
  if (load_error) {
    return load_error;
  }
  return report.verdict == Verdict::kAccepted ? std::nullopt : report.error;
}

int BatchItem::ExitCode() const {
  const std::optional<core::Error> failure = Failure();
  if (!failure) {
    return 0;
  }
  return core::ExitCodeFor(core::InfoFor(failure->code).exit_class);
}

BatchSummary VerifyBatch(std::size_t count, const BatchLoader& load, const BatchSink& sink,
                         const VerifierConfig& config, const VerificationPolicy& policy,
                         const BatchOptions& options) {
  BatchSummary summary;
  unsigned jobs =
      options.jobs != 0 ? options.jobs : std::max(1U, std::thread::hardware_concurrency());
  jobs = static_cast<unsigned>(std::min<std::size_t>(jobs, std::max<std::size_t>(count, 1)));
  summary.jobs_used = jobs;
  if (jobs <= 1) {
    for (std::size_t i = 0; i < count; ++i) {
      const BatchItem item = VerifyOne(i, load, config, policy);
      Count(item, summary);
      sink(item);
    }
    return summary;
  }

  const std::size_t window = options.window != 0 ? options.window : std::size_t{64} * jobs;
  Pool pool(count, std::max(window, std::size_t{jobs}));
  std::vector<std::jthread> workers;
  workers.reserve(jobs);
  for (unsigned j = 0; j < jobs; ++j) {
    workers.emplace_back([&] {
      try {
        while (const std::optional<std::size_t> index = pool.Claim()) {
          pool.Finish(VerifyOne(*index, load, config, policy));
        }
      } catch (...) {
        pool.Fail(std::current_exception());
      }
    });
  }
  try {
    for (std::size_t i = 0; i < count; ++i) {
      std::optional<BatchItem> item = pool.Next();
      if (!item) {
        break;
      }
      Count(*item, summary);
      sink(*item);
      pool.Emitted();
    }
  } catch (...) {
    pool.Fail(std::current_exception());
  }
  pool.Stop();
  workers.clear();  // joins
  if (std::exception_ptr error = pool.Error()) {
    std::rethrow_exception(error);
  }
  return summary;
}

}  // namespace enclavectl::verifier
