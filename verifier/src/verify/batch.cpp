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
// finished items waiting for their turn. The calling thread is a worker too: between its own
// verifications it hands the items that are ready to the sink, so with N jobs there are N
// threads and none of them idles as a dedicated sink that every finished item would wake
// (on 2 cores that third thread competed with the verifications; docs/design/0011).
class Pool {
 public:
  Pool(std::size_t count, std::size_t window) : count_(count), window_(window) {}

  // Helper side: the next index to verify, or nothing when the batch is over or stopped.
  // Waits while `window` items are ahead of the sink.
  std::optional<std::size_t> Claim() {
    std::unique_lock lock(mutex_);
    helper_cv_.wait(lock, [&] { return stopped_ || next_claim_ >= count_ || WindowOpen(); });
    return ClaimLocked();
  }

  // Caller side: the next index if the window allows one now, without waiting.
  std::optional<std::size_t> TryClaim() {
    std::lock_guard lock(mutex_);
    return WindowOpen() ? ClaimLocked() : std::nullopt;
  }

  void Finish(BatchItem item) {
    bool wake = false;
    {
      std::lock_guard lock(mutex_);
      wake = caller_waiting_ && item.index == emitted_;
      done_.emplace(item.index, std::move(item));
    }
    if (wake) {
      caller_cv_.notify_one();
    }
  }

  void Fail(std::exception_ptr error) {
    {
      std::lock_guard lock(mutex_);
      if (!error_) {
        error_ = std::move(error);
      }
      stopped_ = true;
    }
    helper_cv_.notify_all();
    caller_cv_.notify_all();
  }

  // Caller side: the item with index `emitted_` if it is finished, without waiting.
  std::optional<BatchItem> TakeReady() {
    std::lock_guard lock(mutex_);
    if (stopped_) {
      return std::nullopt;
    }
    auto node = done_.extract(emitted_);
    if (node.empty()) {
      return std::nullopt;
    }
    return std::move(node.mapped());
  }

  // Caller side: waits until the item with index `emitted_` is finished; false when stopped.
  bool WaitForReady() {
    std::unique_lock lock(mutex_);
    caller_waiting_ = true;
    caller_cv_.wait(lock, [&] { return stopped_ || done_.contains(emitted_); });
    caller_waiting_ = false;
    return !stopped_;
  }

  void Emitted() {
    {
      std::lock_guard lock(mutex_);
      ++emitted_;
    }
    helper_cv_.notify_all();  // a helper may wait for the window to move
  }

  // Every item emitted, or the batch stopped.
  bool Over() {
    std::lock_guard lock(mutex_);
    return stopped_ || emitted_ >= count_;
  }

  void Stop() { Fail(nullptr); }

  std::exception_ptr Error() {
    std::lock_guard lock(mutex_);
    return error_;
  }

 private:
  // With the mutex held.
  bool WindowOpen() const { return next_claim_ < count_ && next_claim_ < emitted_ + window_; }
  std::optional<std::size_t> ClaimLocked() {
    if (stopped_ || next_claim_ >= count_) {
      return std::nullopt;
    }
    return next_claim_++;
  }

  std::mutex mutex_;
  std::condition_variable helper_cv_;
  std::condition_variable caller_cv_;
  std::size_t count_;
  std::size_t window_;
  std::size_t next_claim_ = 0;
  std::size_t emitted_ = 0;
  bool stopped_ = false;
  bool caller_waiting_ = false;
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
  std::vector<std::jthread> helpers;
  helpers.reserve(jobs - 1);
  for (unsigned j = 1; j < jobs; ++j) {
    helpers.emplace_back([&] {
      try {
        while (const std::optional<std::size_t> index = pool.Claim()) {
          pool.Finish(VerifyOne(*index, load, config, policy));
        }
      } catch (...) {
        pool.Fail(std::current_exception());
      }
    });
  }
  // The calling thread: the sink first (in order, whatever is ready), then one verification
  // of its own while the window allows, else wait for the next item in order.
  try {
    while (true) {
      while (std::optional<BatchItem> item = pool.TakeReady()) {
        Count(*item, summary);
        sink(*item);
        pool.Emitted();
      }
      if (pool.Over()) {
        break;
      }
      if (const std::optional<std::size_t> index = pool.TryClaim()) {
        pool.Finish(VerifyOne(*index, load, config, policy));
      } else if (!pool.WaitForReady()) {
        break;
      }
    }
  } catch (...) {
    pool.Fail(std::current_exception());
  }
  pool.Stop();
  helpers.clear();  // joins
  if (std::exception_ptr error = pool.Error()) {
    std::rethrow_exception(error);
  }
  return summary;
}

}  // namespace enclavectl::verifier
