// Progress lines and colours (docs/cli-conventions.md "Progress and colour"): the text of a
// line, its redraw and erase on a stream, and when a terminal gets either (a real pty).
#include "enclavectl/core/progress.hpp"

#include <gtest/gtest.h>
#include <pty.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>

#include "enclavectl/core/progress_line.hpp"
#include "enclavectl/core/terminal.hpp"

namespace enclavectl::core {
namespace {

TEST(Progress, BytesLineShowsBarPercentMibRateAndEta) {
  const std::uint64_t mib = 1 << 20;
  EXPECT_EQ(FormatProgress("measuring", ProgressUnit::kBytes, "", 420 * mib, 1200 * mib, 2.0),
            "measuring [##########....................]  35%  420/1200 MiB  210 MiB/s  ETA 0:04");
}

TEST(Progress, ItemsLineNamesTheItems) {
  EXPECT_EQ(
      FormatProgress("verifying", ProgressUnit::kItems, "documents", 1000, 1000, 0.5),
      "verifying [##############################] 100%  1000/1000 documents  2000/s  ETA 0:00");
}

TEST(Progress, NoRateBeforeAnythingIsDoneOrTimeHasPassed) {
  EXPECT_EQ(FormatProgress("verifying", ProgressUnit::kItems, "documents", 0, 10, 1.0),
            "verifying [..............................]   0%  0/10 documents");
  EXPECT_EQ(FormatProgress("verifying", ProgressUnit::kItems, "documents", 5, 10, 0.0),
            "verifying [###############...............]  50%  5/10 documents");
}

TEST(Progress, DoneBeyondTotalAndAnEmptyTotalAreCapped) {
  EXPECT_EQ(FormatProgress("x", ProgressUnit::kItems, "n", 12, 10, 0.0),
            "x [##############################] 100%  10/10 n");
  EXPECT_EQ(FormatProgress("x", ProgressUnit::kItems, "n", 0, 0, 0.0),
            "x [##############################] 100%  0/0 n");
}

TEST(Progress, EtaFormats) {
  EXPECT_EQ(FormatEta(0), "0:00");
  EXPECT_EQ(FormatEta(7.4), "0:07");
  EXPECT_EQ(FormatEta(754), "12:34");
  EXPECT_EQ(FormatEta(3723), "1:02:03");
  EXPECT_EQ(FormatEta(-5), "0:00");
  EXPECT_EQ(FormatEta(1.0 / 0.0), "0:00");
  EXPECT_EQ(FormatEta(1e12), "99:59:59");
}

TEST(Progress, PaintOnlyWhenEnabled) {
  EXPECT_EQ(Paint("ok", Tone::kGood, false), "ok");
  EXPECT_EQ(Paint("ok", Tone::kGood, true), "\x1b[32mok\x1b[0m");
  EXPECT_EQ(Paint("no", Tone::kBad, true), "\x1b[31mno\x1b[0m");
  EXPECT_EQ(Paint("!", Tone::kWarning, true), "\x1b[33m!\x1b[0m");
}

TEST(Progress, PaintVerdictPaintsOnlyALeadingVerdictWord) {
  EXPECT_EQ(PaintVerdict("ACCEPTED  doc.cbor", true), "\x1b[32mACCEPTED\x1b[0m  doc.cbor");
  EXPECT_EQ(PaintVerdict("REJECTED (PCR_MISMATCH)", true),
            "\x1b[31mREJECTED\x1b[0m (PCR_MISMATCH)");
  EXPECT_EQ(PaintVerdict("MALFORMED (X)", true), "\x1b[31mMALFORMED\x1b[0m (X)");
  EXPECT_EQ(PaintVerdict("REJECTED (X)", false), "REJECTED (X)");
  EXPECT_EQ(PaintVerdict("note: ACCEPTED", true), "note: ACCEPTED");
  EXPECT_EQ(PaintVerdict("", true), "");
}

io::ProgressLineOptions Immediate() {
  return {"verifying", ProgressUnit::kItems, "documents", std::chrono::milliseconds(0),
          std::chrono::milliseconds(0)};
}

TEST(ProgressLine, DisabledWritesNothing) {
  std::ostringstream out;
  {
    io::ProgressLine line(out, false, Immediate());
    line.Update(1, 2);
    line.Clear();
    EXPECT_FALSE(line.Shown());
  }
  EXPECT_EQ(out.str(), "");
}

TEST(ProgressLine, RedrawsInPlaceAndErasesItself) {
  std::ostringstream out;
  {
    io::ProgressLine line(out, true, Immediate());
    line.Update(1, 2);
    EXPECT_TRUE(line.Shown());
    const std::string first = out.str();
    ASSERT_EQ(first.substr(0, 1), "\r");
    EXPECT_NE(first.find("1/2 documents"), std::string::npos) << first;
    line.Clear();
    EXPECT_FALSE(line.Shown());
    const std::string cleared = out.str().substr(first.size());
    EXPECT_EQ(cleared, "\r" + std::string(first.size() - 1, ' ') + "\r");
    line.Update(2, 2);
  }
  // The destructor erased the last line too: the stream ends with a carriage return.
  EXPECT_EQ(out.str().back(), '\r');
}

TEST(ProgressLine, ShortWorkNeverFlashesALine) {
  std::ostringstream out;
  io::ProgressLine line(
      out, true,
      {"x", ProgressUnit::kItems, "n", std::chrono::hours(1), std::chrono::milliseconds(0)});
  line.Update(1, 10);
  line.Update(10, 10);
  EXPECT_EQ(out.str(), "");
}

TEST(ProgressLine, RedrawsAtMostOncePerInterval) {
  std::ostringstream out;
  io::ProgressLine line(
      out, true,
      {"x", ProgressUnit::kItems, "n", std::chrono::milliseconds(0), std::chrono::hours(1)});
  line.Update(1, 10);
  const std::string once = out.str();
  line.Update(2, 10);
  EXPECT_EQ(out.str(), once);
  line.Update(10, 10);  // the final state is always drawn once a line is shown
  EXPECT_NE(out.str().find("10/10 n"), std::string::npos);
}

// Sets or unsets an environment variable for one test and puts it back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) {  // NOLINT(concurrency-mt-unsafe)
      old_ = old;
    }
    if (value != nullptr) {
      setenv(name, value, 1);  // NOLINT(concurrency-mt-unsafe)
    } else {
      unsetenv(name);  // NOLINT(concurrency-mt-unsafe)
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);  // NOLINT(concurrency-mt-unsafe)
    } else {
      unsetenv(name_);  // NOLINT(concurrency-mt-unsafe)
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(Terminal, ProgressAndColourOnlyOnATerminalAndColourNeverWithNoColor) {
  int controller = -1;
  int terminal = -1;
  ASSERT_EQ(openpty(&controller, &terminal, nullptr, nullptr, nullptr), 0);
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  {
    ScopedEnv term("TERM", "xterm");
    ScopedEnv no_color("NO_COLOR", nullptr);
    EXPECT_TRUE(io::ProgressWanted(terminal));
    EXPECT_TRUE(io::ColourWanted(terminal));
    EXPECT_FALSE(io::ProgressWanted(pipe_fds[1]));
    EXPECT_FALSE(io::ColourWanted(pipe_fds[1]));
  }
  {
    ScopedEnv term("TERM", "xterm");
    ScopedEnv no_color("NO_COLOR", "1");
    EXPECT_TRUE(io::ProgressWanted(terminal));
    EXPECT_FALSE(io::ColourWanted(terminal));
  }
  {
    ScopedEnv term("TERM", "xterm");
    ScopedEnv no_color("NO_COLOR", "");  // no-color.org: an empty value does not count
    EXPECT_TRUE(io::ColourWanted(terminal));
  }
  {
    ScopedEnv term("TERM", "dumb");
    ScopedEnv no_color("NO_COLOR", nullptr);
    EXPECT_FALSE(io::ProgressWanted(terminal));
    EXPECT_FALSE(io::ColourWanted(terminal));
  }
  close(controller);
  close(terminal);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

}  // namespace
}  // namespace enclavectl::core
