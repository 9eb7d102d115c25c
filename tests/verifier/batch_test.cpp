// VerifyBatch gives every document exactly the verdict Verify gives it alone, in input
// order, whatever the number of threads and the window; load errors stay per document; an
// exception in the loader or the sink stops the batch without hanging.
#include "enclavectl/verifier/batch.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
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
    return [this](std::size_t i) -> core::Result<DocumentInput> {
      if (i == load_error_index_) {
        return core::Fail(core::ErrorCode::kIoRead, "cannot read document " + std::to_string(i));
      }
      return DocumentInput{corpus_.at(i), InputEncoding::kBinary};
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
      const std::thread::id caller = std::this_thread::get_id();
      const BatchSummary summary = VerifyBatch(
          corpus_.size(), Loader(),
          [&](const BatchItem& item) {
            EXPECT_EQ(std::this_thread::get_id(), caller);  // the sink runs on the caller
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
      EXPECT_EQ(summary.exit_code, 74);  // the unreadable document is the worst
    }
  }
}

TEST_F(BatchTest, TheExitCodeIsTheWorstItems) {
  const auto run = [&](std::vector<std::size_t> indexes) {
    return VerifyBatch(
               indexes.size(),
               [&](std::size_t i) -> core::Result<DocumentInput> {
                 return DocumentInput{corpus_.at(indexes[i]), InputEncoding::kBinary};
               },
               [](const BatchItem&) {}, VerifierConfig{&*root_, nullptr}, policy_,
               BatchOptions{2, 0})
        .exit_code;
  };
  std::size_t accepted = corpus_.size();
  for (std::size_t i = 0; i < alone_.size(); ++i) {
    if (i != load_error_index_ && alone_[i].verdict == Verdict::kAccepted) {
      accepted = i;
      break;
    }
  }
  ASSERT_LT(accepted, corpus_.size());
  const std::size_t truncated = load_error_index_ - 2;
  const std::size_t flipped = load_error_index_ - 1;
  EXPECT_EQ(run({accepted, accepted}), 0);
  EXPECT_EQ(run({accepted, flipped, accepted}), 1);
  EXPECT_EQ(run({flipped, truncated, accepted}), 2);
}

TEST(DocumentList, PathsOneALineWithCommentsAndBlanksSkipped) {
  auto paths = ParseDocumentList("a.cbor\r\n\n# a comment\n  b c.b64\nlast");
  ASSERT_TRUE(paths) << paths.error().detail;
  EXPECT_EQ(*paths, (std::vector<std::string>{"a.cbor", "  b c.b64", "last"}));
  EXPECT_EQ(ParseDocumentList("").error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseDocumentList("# only\n\n").error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseDocumentList(std::string("a\0b", 3)).error().code,
            core::ErrorCode::kInvalidArgument);
  std::string huge;
  for (std::size_t i = 0; i <= kMaxBatchDocuments; ++i) {
    huge += "d\n";
  }
  EXPECT_EQ(ParseDocumentList(huge).error().code, core::ErrorCode::kInvalidArgument);
}

TEST_F(BatchTest, LinesAndJsonNameThePathTheVerdictAndTheError) {
  std::vector<std::string> lines;
  std::vector<nlohmann::json> objects;
  const BatchSummary summary = VerifyBatch(
      corpus_.size(), Loader(),
      [&](const BatchItem& item) {
        const std::string path = "doc-" + std::to_string(item.index);
        lines.push_back(BatchItemLine(path, item));
        objects.push_back(BatchItemToJson(path, item));
      },
      VerifierConfig{&*root_, nullptr}, policy_, BatchOptions{2, 0});
  ASSERT_EQ(lines.size(), corpus_.size());
  EXPECT_EQ(lines[load_error_index_], "doc-" + std::to_string(load_error_index_) +
                                          ": error: IO_READ: cannot read document " +
                                          std::to_string(load_error_index_));
  EXPECT_EQ(objects[load_error_index_]["verdict"], "error");
  EXPECT_EQ(objects[load_error_index_]["error"]["code"], "IO_READ");
  for (std::size_t i = 0; i < alone_.size(); ++i) {
    if (i == load_error_index_) {
      continue;
    }
    EXPECT_EQ(objects[i]["path"], "doc-" + std::to_string(i));
    EXPECT_EQ(objects[i]["index"], i);
    EXPECT_EQ(objects[i]["verdict"], std::string(core::VerdictName(alone_[i].verdict)));
    if (alone_[i].verdict == Verdict::kAccepted) {
      EXPECT_EQ(lines[i], "doc-" + std::to_string(i) + ": accepted");
    } else {
      EXPECT_NE(lines[i].find(core::ErrorCodeName(alone_[i].error->code)), std::string::npos)
          << lines[i];
    }
  }
  const nlohmann::json closing = BatchSummaryToJson(summary, 2.0);
  EXPECT_EQ(closing["media_type"], kVerifyBatchMediaType);
  EXPECT_EQ(closing["verdict"], "error");
  EXPECT_EQ(closing["exit_code"], 74);
  EXPECT_EQ(closing["total"], corpus_.size());
  EXPECT_EQ(closing["unreadable"], 1);
  EXPECT_NE(BatchSummaryLine(summary, 2.0).find(std::to_string(corpus_.size()) + " documents"),
            std::string::npos);
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
    const BatchLoader throwing = [](std::size_t i) -> core::Result<DocumentInput> {
      if (i == 5) {
        throw std::runtime_error("loader failed");
      }
      return DocumentInput{core::Bytes{0x00}, InputEncoding::kBinary};
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
    const BatchLoader counting = [&](std::size_t) -> core::Result<DocumentInput> {
      ++loads;
      return DocumentInput{core::Bytes{0x00}, InputEncoding::kBinary};
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
