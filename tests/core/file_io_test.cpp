#include "enclavectl/core/file_io.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "test_paths.hpp"

namespace enclavectl::core::io {
namespace testing = enclavectl::testing;
namespace {

class FileIoTest : public ::testing::Test {
 protected:
  testing::ScopedTempDir temp_;
  const std::filesystem::path& dir_ = temp_.Path();
};

TEST_F(FileIoTest, WriteAtomicThenRead) {
  const std::string path = (dir_ / "state.json").string();
  ASSERT_TRUE(WriteFileAtomic(path, AsBytes("first")));
  ASSERT_TRUE(WriteFileAtomic(path, AsBytes("second")));
  auto data = ReadFile(path, 100);
  ASSERT_TRUE(data);
  EXPECT_EQ(AsChars(*data), "second");
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_),
                          std::filesystem::directory_iterator()),
            1);
}

TEST_F(FileIoTest, ReadEnforcesTheLimit) {
  const std::string path = (dir_ / "big").string();
  ASSERT_TRUE(WriteFileAtomic(path, Bytes(101, 'x')));
  EXPECT_TRUE(ReadFile(path, 101));
  EXPECT_EQ(ReadFile(path, 100).error().code, ErrorCode::kInputTooLarge);
}

TEST_F(FileIoTest, ErrorsNameThePath) {
  auto missing = ReadFile((dir_ / "missing").string(), 100);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kIoRead);
  EXPECT_NE(missing.error().detail.find("missing"), std::string::npos);
  EXPECT_EQ(ReadFile(dir_.string(), 100).error().code, ErrorCode::kIoRead);
  auto unwritable = WriteFileAtomic((dir_ / "no" / "such" / "dir" / "f").string(), AsBytes("x"));
  ASSERT_FALSE(unwritable);
  EXPECT_EQ(unwritable.error().code, ErrorCode::kIoWrite);
}

TEST_F(FileIoTest, CreateOnceExactlyOneOfManyCreatorsWins) {
  const std::string path = (dir_ / "sealed.json").string();
  std::vector<std::thread> threads;
  std::vector<int> results(16, -1);
  for (std::size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      auto created = CreateFileAtomic(path, AsBytes("writer " + std::to_string(i)));
      results[i] = created ? (*created ? 1 : 0) : 2;
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  int winners = 0;
  std::size_t winner = 0;
  for (std::size_t i = 0; i < results.size(); ++i) {
    EXPECT_NE(results[i], 2);
    if (results[i] == 1) {
      ++winners;
      winner = i;
    }
  }
  ASSERT_EQ(winners, 1);
  auto text = ReadFile(path, 100);
  ASSERT_TRUE(text);
  EXPECT_EQ(std::string(AsChars(*text)), "writer " + std::to_string(winner));
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_),
                          std::filesystem::directory_iterator()),
            1);
  auto unwritable = CreateFileAtomic((dir_ / "no" / "dir" / "f").string(), AsBytes("x"));
  ASSERT_FALSE(unwritable);
  EXPECT_EQ(unwritable.error().code, ErrorCode::kIoWrite);
}

TEST(Clock, FixedClockIsFixed) {
  FixedClock clock(UnixMillis{1234});
  EXPECT_EQ(clock.Now().value, 1234);
  EXPECT_GT(SystemClock().Now().value, 1700000000000);  // after 2023
}

}  // namespace
}  // namespace enclavectl::core::io
