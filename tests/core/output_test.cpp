#include "enclavectl/core/output.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "enclavectl/core/file_io.hpp"
#include "test_paths.hpp"

namespace enclavectl::core::io {
namespace testing = enclavectl::testing;
namespace fs = std::filesystem;
namespace {

std::string Slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::size_t Entries(const fs::path& dir) {
  return static_cast<std::size_t>(
      std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

mode_t ModeOf(const fs::path& path) {
  struct stat st = {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0);
  return st.st_mode;
}

class OutputTest : public ::testing::Test {
 protected:
  testing::ScopedTempDir temp_;
  const fs::path& dir_ = temp_.Path();
};

TEST_F(OutputTest, ANewFileGetsTheUmasksModeAndNoTemporaryIsLeft) {
  const mode_t old = ::umask(027);
  const fs::path path = dir_ / "out.json";
  const Status written = WriteOutput(path.string(), AsBytes("hello"));
  ::umask(old);
  ASSERT_TRUE(written) << written.error().detail;
  EXPECT_EQ(Slurp(path), "hello");
  // 0666 minus the umask, never 0600 only because a temporary file was used.
  EXPECT_EQ(ModeOf(path) & 0777, 0640U);
  EXPECT_EQ(Entries(dir_), 1U);
}

TEST_F(OutputTest, AReplacedFileKeepsItsModeAndPrivateFilesAre0600) {
  const fs::path path = dir_ / "policy.json";
  ASSERT_TRUE(WriteOutput(path.string(), AsBytes("old")));
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  ASSERT_TRUE(WriteOutput(path.string(), AsBytes("new")));
  EXPECT_EQ(Slurp(path), "new");
  EXPECT_EQ(ModeOf(path) & 0777, 0640U);

  const fs::path key = dir_ / "key.pem";
  ASSERT_TRUE(WriteOutput(key.string(), AsBytes("k"), {.private_file = true}));
  EXPECT_EQ(ModeOf(key) & 0777, 0600U);
  const fs::path image = dir_ / "image.eif";
  ASSERT_TRUE(WriteOutput(image.string(), AsBytes("i"), {.fixed_mode = 0644}));
  EXPECT_EQ(ModeOf(image) & 0777, 0644U);
}

TEST_F(OutputTest, ASymlinkIsWrittenThroughAndStaysALink) {
  const fs::path target = dir_ / "real.json";
  ASSERT_TRUE(WriteOutput(target.string(), AsBytes("old")));
  const fs::path link = dir_ / "link.json";
  fs::create_symlink(target, link);
  auto out = OutputFile::Open(link.string());
  ASSERT_TRUE(out);
  EXPECT_EQ((*out)->kind(), OutputFile::Kind::kReplace);
  ASSERT_TRUE((*out)->Append(AsBytes("through the link")));
  ASSERT_TRUE((*out)->Commit());
  EXPECT_TRUE(S_ISLNK(ModeOf(link)));
  EXPECT_EQ(Slurp(target), "through the link");
  EXPECT_EQ(Entries(dir_), 2U);
}

TEST_F(OutputTest, ADanglingSymlinkIsRefusedAndLeftAlone) {
  const fs::path link = dir_ / "dangling";
  fs::create_symlink(dir_ / "nowhere" / "x", link);
  const Status written = WriteOutput(link.string(), AsBytes("x"));
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kIoWrite);
  EXPECT_NE(written.error().detail.find("symbolic link"), std::string::npos);
  EXPECT_TRUE(S_ISLNK(ModeOf(link)));
}

TEST_F(OutputTest, DirectoriesAreRefused) {
  const Status written = WriteOutput(dir_.string(), AsBytes("x"));
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kIoWrite);
  EXPECT_NE(written.error().detail.find("a directory"), std::string::npos);
  EXPECT_EQ(Entries(dir_), 0U);
}

TEST_F(OutputTest, AFifoIsWrittenToAndStaysAFifo) {
  const fs::path fifo = dir_ / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string received;
  std::thread reader([&] { received = Slurp(fifo); });
  auto out = OutputFile::Open(fifo.string());
  ASSERT_TRUE(out);
  EXPECT_EQ((*out)->kind(), OutputFile::Kind::kDirect);
  // A header written last (as the EIF writer does) still reaches a FIFO in order.
  ASSERT_TRUE((*out)->WriteAt(4, AsBytes("body")));
  ASSERT_TRUE((*out)->WriteAt(0, AsBytes("head")));
  ASSERT_TRUE((*out)->Commit());
  out->reset();
  reader.join();
  EXPECT_EQ(received, "headbody");
  EXPECT_TRUE(S_ISFIFO(ModeOf(fifo)));
}

TEST_F(OutputTest, AFullDeviceIsAnErrorAndStaysADevice) {
  if (!fs::exists("/dev/full")) {
    GTEST_SKIP() << "no /dev/full";
  }
  const Status written = WriteOutput("/dev/full", AsBytes("x"));
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kIoWrite);
  EXPECT_TRUE(S_ISCHR(ModeOf("/dev/full")));
  ASSERT_TRUE(WriteOutput("/dev/null", AsBytes("x")));
  EXPECT_TRUE(S_ISCHR(ModeOf("/dev/null")));
}

TEST_F(OutputTest, DashIsStandardOutput) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const int saved = ::dup(STDOUT_FILENO);
  ::dup2(fds[1], STDOUT_FILENO);
  const Status written = WriteOutput("-", AsBytes("to stdout"));
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  ::close(fds[1]);
  ASSERT_TRUE(written);
  char buffer[64] = {};
  const ssize_t n = ::read(fds[0], buffer, sizeof(buffer));
  ::close(fds[0]);
  EXPECT_EQ(std::string(buffer, static_cast<std::size_t>(std::max<ssize_t>(n, 0))), "to stdout");
  EXPECT_FALSE(fs::exists("-"));
}

TEST_F(OutputTest, AnAbandonedOutputLeavesNothing) {
  const fs::path path = dir_ / "image.eif";
  {
    auto out = OutputFile::Open(path.string());
    ASSERT_TRUE(out);
    ASSERT_TRUE((*out)->Append(AsBytes("partial")));
    EXPECT_EQ(Entries(dir_), 1U);  // the temporary file
  }
  EXPECT_EQ(Entries(dir_), 0U);
}

TEST_F(OutputTest, SigintRemovesTheTemporaryFile) {
  const fs::path path = dir_ / "image.eif";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    InstallOutputCleanup();
    auto out = OutputFile::Open(path.string());
    if (!out || !(*out)->Append(AsBytes("partial"))) {
      ::_exit(3);
    }
    ::raise(SIGINT);
    ::_exit(4);  // not reached: SIGINT's default action ends the process
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGINT);
  EXPECT_EQ(Entries(dir_), 0U);
}

TEST_F(OutputTest, ExitRemovesTheTemporaryFile) {
  const fs::path path = dir_ / "image.eif";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    InstallOutputCleanup();
    // Static: reachable at exit, so LeakSanitizer does not count it.
    static auto* out = new Result<std::unique_ptr<OutputFile>>(OutputFile::Open(path.string()));
    if (!*out || !(**out)->Append(AsBytes("partial"))) {
      ::_exit(3);
    }
    std::exit(0);  // the OutputFile is never destroyed: the exit hook removes its file
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(Entries(dir_), 0U);
}

// Input "-" for readers that need a regular file: a pipe is copied to an unlinked scratch file
// in $TMPDIR (nothing named is left there), bounded; a regular file is used as it is.
TEST(SpoolToFile, APipeBecomesAnUnnamedFileAndIsBounded) {
  testing::ScopedTempDir tmp;
  const char* old = std::getenv("TMPDIR");  // NOLINT(concurrency-mt-unsafe)
  const std::string saved = old != nullptr ? old : "";
  ::setenv("TMPDIR", tmp.Path().c_str(), 1);  // NOLINT(concurrency-mt-unsafe)
  const auto piped = [](const std::string& data, std::uint64_t max) {
    int fds[2];  // NOLINT(modernize-avoid-c-arrays)
    EXPECT_EQ(::pipe(fds), 0);
    EXPECT_EQ(::write(fds[1], data.data(), data.size()), static_cast<ssize_t>(data.size()));
    ::close(fds[1]);
    auto spooled = SpoolToFile(fds[0], max);
    ::close(fds[0]);
    return spooled;
  };
  auto spooled = piped("an image of 24 bytes....", 24);
  ASSERT_TRUE(spooled) << spooled.error().detail;
  EXPECT_EQ(Entries(tmp.Path()), 0U);
  std::string back(24, '\0');
  EXPECT_EQ(::pread(spooled->get(), back.data(), back.size(), 0), 24);
  EXPECT_EQ(back, "an image of 24 bytes....");
  auto large = piped("an image of 24 bytes....", 23);
  ASSERT_FALSE(large);
  EXPECT_EQ(large.error().code, ErrorCode::kInputTooLarge);
  EXPECT_EQ(Entries(tmp.Path()), 0U);
  // A regular file (`< image.eif`) is read in place.
  const fs::path file = tmp.Path() / "image";
  std::ofstream(file) << "in place";
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));  // NOLINT(*-vararg)
  auto same = SpoolToFile(fd.get(), 4);                     // no copy, so no limit to hit
  ASSERT_TRUE(same) << same.error().detail;
  struct stat a = {};
  struct stat b = {};
  ASSERT_EQ(::fstat(fd.get(), &a), 0);
  ASSERT_EQ(::fstat(same->get(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  if (saved.empty()) {
    ::unsetenv("TMPDIR");  // NOLINT(concurrency-mt-unsafe)
  } else {
    ::setenv("TMPDIR", saved.c_str(), 1);  // NOLINT(concurrency-mt-unsafe)
  }
}

}  // namespace
}  // namespace enclavectl::core::io
