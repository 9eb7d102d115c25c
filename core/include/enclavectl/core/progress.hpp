// The text of a progress line and of terminal colours (docs/cli-conventions.md "Progress and
// colour"). Pure: whether to show either is core::io's decision (terminal.hpp), where the
// line goes is the caller's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace enclavectl::core {

enum class ProgressUnit : std::uint8_t {
  kBytes,  // done/total are bytes, shown in MiB
  kItems,  // done/total are things named by the caller (documents, requests)
};

// One line of progress, without a line ending:
//   "measuring [###########...................]  35%  420/1200 MiB  310 MiB/s  ETA 0:03"
//   "verifying [##############################] 100%  1000/1000 documents  2310/s  ETA 0:00"
// `noun` names the items (kItems only). The rate and the ETA appear once elapsed_seconds > 0
// and something is done; a total of 0 shows as 100%.
std::string FormatProgress(std::string_view label, ProgressUnit unit, std::string_view noun,
                           std::uint64_t done, std::uint64_t total, double elapsed_seconds);

// "0:07", "12:34", "1:02:03" (h:mm:ss from an hour on); negative or non-finite values are 0.
std::string FormatEta(double seconds);

enum class Tone : std::uint8_t {
  kGood,     // green: accepted
  kBad,      // red: rejected, malformed
  kWarning,  // yellow: insecure flags, any image
};

// `text` in ANSI SGR colour for `tone` when `enabled`, else `text` unchanged.
std::string Paint(std::string_view text, Tone tone, bool enabled);

// `line` with its leading verdict word (ACCEPTED, REJECTED, MALFORMED) painted, when it
// starts with one and `enabled`; else `line` unchanged.
std::string PaintVerdict(std::string_view line, bool enabled);

}  // namespace enclavectl::core
