// A progress line on a terminal (docs/cli-conventions.md "Progress and colour"): redrawn in
// place with a carriage return, at most every `interval`, and only once the work has run
// for `delay` (short work never flashes a bar). The caller decides whether it is enabled
// (ProgressWanted on stderr, never with --json or --quiet); a disabled line writes nothing.
// Not thread-safe: update it from one thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>

#include "enclavectl/core/progress.hpp"

namespace enclavectl::core::io {

struct ProgressLineOptions {
  std::string label;  // "measuring", "verifying"
  ProgressUnit unit = ProgressUnit::kItems;
  std::string noun;  // "documents" (kItems)
  std::chrono::milliseconds delay{500};
  std::chrono::milliseconds interval{100};
};

class ProgressLine {
 public:
  ProgressLine(std::ostream& out, bool enabled, ProgressLineOptions options);
  ~ProgressLine();  // Clear()
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // Shows done/total when due (and always the final done == total once shown).
  void Update(std::uint64_t done, std::uint64_t total);
  // Erases the line if one is shown, so other output can go to the same terminal; the next
  // Update draws it again.
  void Clear();
  bool Shown() const noexcept { return shown_width_ > 0; }

 private:
  std::ostream& out_;
  bool enabled_;
  ProgressLineOptions options_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
  std::size_t shown_width_ = 0;
};

}  // namespace enclavectl::core::io
