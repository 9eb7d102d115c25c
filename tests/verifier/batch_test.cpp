// VerifyBatch gives every document exactly the verdict Verify gives it alone, in input
// order, whatever the number of threads and the window; load errors stay per document; an
// exception in the loader or the sink stops the batch without hanging.
#include "enclavectl/verifier/batch.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_paths.hpp"

namespace enclavectl::verifier {
namespace {

class BatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& path :
         testing::FilesWithSuffix(testing::TestdataDir() / "attestation", ".cbor")) {
      genuine_.push_back(testing::ReadBytes(path));
    }
    ASSERT_GE(genuine_.size(), 3U);
    auto root = TrustAnchor::AwsNitroRoot();
    ASSERT_TRUE(root) << root.error().detail;
    root_.emplace(std::move(*root));
    policy_.time_source = TimeSource::kDocument;

    // A mixed corpus: every genuine document several times, a truncated one, one with a
    // flipped signature byte, and a slot whose load fails.
    for (int round = 0; round < 4; ++round) {
      for (const core::Bytes& doc : genuine_) {
        corpus_.push_back(doc);
      }
    }
    core::Bytes truncated = genuine_[0];
    truncated.resize(truncated.size() / 2);
    corpus_.push_back(truncated);
    core::Bytes flipped = genuine_[1];
    flipped[flipped.size() - 10] ^= 0x01;
    corpus_.push_back(flipped);
    corpus_.push_back({});
    load_error_index_ = corpus_.size() - 1;
    for (const core::Bytes& doc : corpus_) {
      alone_.push_back(Verify(doc, VerifierConfig{&*root_, nullptr}, policy_));
    }
  }

  BatchLoader Loader() const {
    return [this](std::size_t i) -> core::Result<core::Bytes> {
      if (i == load_error_index_) {
        return core::Fail(core::ErrorCode::kIoRead, "cannot read document " + std::to_string(i));
      }
      return corpus_.at(i);
    };
  }

  std::vector<core::Bytes> genuine_;
  std::vector<core::Bytes> corpus_;
  std::vector<VerificationReport> alone_;
  std::size_t load_error_index_ = 0;
  std::optional<TrustAnchor> root_;
  VerificationPolicy policy_;
};

void ExpectSameVerdict(const VerificationReport& batch, const VerificationReport& alone,
                       std::size_t index) {
  EXPECT_EQ(batch.verdict, alone.verdict) << "document " << index;
  ASSERT_EQ(batch.error.has_value(), alone.error.has_value()) << "document " << index;
  if (alone.error) {
    EXPECT_EQ(batch.error->code, alone.error->code) << "document " << index;
  }
  ASSERT_EQ(batch.checks.size(), alone.checks.size()) << "document " << index;
  for (std::size_t c = 0; c < alone.checks.size(); ++c) {
    EXPECT_EQ(batch.checks[c].name, alone.checks[c].name);
    EXPECT_EQ(batch.checks[c].status, alone.checks[c].status)
        << "document " << index << " check " << alone.checks[c].name;
  }
}

TEST_F(BatchTest, EveryThreadCountAndWindowGivesTheSameResultsInOrder) {
  for (const unsigned jobs : {1U, 2U, 4U, 8U}) {
    for (const std::size_t window : {std::size_t{0}, std::size_t{1}, std::size_t{3}}) {
      ChainCache cache;
      std::vector<std::size_t> order;
      const BatchSummary summary = VerifyBatch(
          corpus_.size(), Loader(),
          [&](const BatchItem& item) {
            order.push_back(item.index);
            if (item.index == load_error_index_) {
              ASSERT_TRUE(item.load_error);
              EXPECT_EQ(item.load_error->code, core::ErrorCode::kIoRead);
              return;
            }
            EXPECT_FALSE(item.load_error);
            ExpectSameVerdict(item.report, alone_[item.index], item.index);
          },
          VerifierConfig{&*root_, &cache}, policy_, BatchOptions{jobs, window});
      ASSERT_EQ(order.size(), corpus_.size()) << jobs << " jobs";
      for (std::size_t i = 0; i < order.size(); ++i) {
        EXPECT_EQ(order[i], i);
      }
      EXPECT_EQ(summary.Total(), corpus_.size());
      EXPECT_EQ(summary.load_errors, 1U);
      EXPECT_GE(summary.rejected + summary.malformed, 2U);  // truncated and flipped
      EXPECT_EQ(summary.jobs_used, jobs);
    }
  }
}

TEST_F(BatchTest, TheSummaryCountsEachVerdict) {
  std::size_t accepted = 0;
  for (std::size_t i = 0; i < alone_.size(); ++i) {
    if (i != load_error_index_ && alone_[i].verdict == Verdict::kAccepted) {
      ++accepted;
    }
  }
  ASSERT_GT(accepted, 0U);
  const BatchSummary summary = VerifyBatch(
      corpus_.size(), Loader(), [](const BatchItem&) {}, VerifierConfig{&*root_, nullptr}, policy_,
      BatchOptions{2, 0});
  EXPECT_EQ(summary.accepted, accepted);
  EXPECT_EQ(summary.accepted + summary.rejected + summary.malformed, corpus_.size() - 1);
}

TEST_F(BatchTest, TheSharedCacheSavesSignaturesAcrossThreads) {
  ChainCache cache;
  int verified = 0;
  int cached = 0;
  VerifyBatch(
      corpus_.size(), Loader(),
      [&](const BatchItem& item) {
        verified += item.report.signatures_verified;
        cached += item.report.signatures_cached;
      },
      VerifierConfig{&*root_, &cache}, policy_, BatchOptions{2, 0});
  int cold = 0;
  for (const VerificationReport& report : alone_) {
    cold += report.signatures_verified;
  }
  EXPECT_GT(cached, 0);
  EXPECT_LT(verified, cold);
}

TEST_F(BatchTest, ALoaderExceptionStopsTheBatchAndIsRethrown) {
  for (const unsigned jobs : {1U, 2U, 4U}) {
    std::size_t seen = 0;
    const BatchLoader throwing = [](std::size_t i) -> core::Result<core::Bytes> {
      if (i == 5) {
        throw std::runtime_error("loader failed");
      }
      return core::Bytes{0x00};
    };
    EXPECT_THROW(VerifyBatch(
                     1000, throwing, [&](const BatchItem&) { ++seen; },
                     VerifierConfig{&*root_, nullptr}, policy_, BatchOptions{jobs, 2}),
                 std::runtime_error);
    EXPECT_LE(seen, 5U);
  }
}

TEST_F(BatchTest, ASinkExceptionStopsTheWorkers) {
  for (const unsigned jobs : {1U, 2U, 4U}) {
    std::atomic<std::size_t> loads{0};
    const BatchLoader counting = [&](std::size_t) -> core::Result<core::Bytes> {
      ++loads;
      return core::Bytes{0x00};
    };
    EXPECT_THROW(VerifyBatch(
                     100000, counting,
                     [](const BatchItem& item) {
                       if (item.index == 3) {
                         throw std::runtime_error("sink failed");
                       }
                     },
                     VerifierConfig{&*root_, nullptr}, policy_, BatchOptions{jobs, 4}),
                 std::runtime_error);
    // The window bounds how far the workers ran ahead of the failed sink.
    EXPECT_LE(loads.load(), 4U + 4U + jobs);
  }
}

TEST_F(BatchTest, AnEmptyBatchIsEmpty) {
  std::size_t seen = 0;
  const BatchSummary summary = VerifyBatch(
      0, Loader(), [&](const BatchItem&) { ++seen; }, VerifierConfig{&*root_, nullptr}, policy_,
      BatchOptions{4, 0});
  EXPECT_EQ(seen, 0U);
  EXPECT_EQ(summary.Total(), 0U);
}

}  // namespace
}  // namespace enclavectl::verifier
