#include "enclavectl/core/progress_line.hpp"

#include <utility>

namespace enclavectl::core::io {

ProgressLine::ProgressLine(std::ostream& out, bool enabled, ProgressLineOptions options)
    : out_(out),
      enabled_(enabled),
      options_(std::move(options)),
      start_(std::chrono::steady_clock::now()) {}

ProgressLine::~ProgressLine() { Clear(); }

void ProgressLine::Update(std::uint64_t done, std::uint64_t total) {
  if (!enabled_) {
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  const bool final_one = done >= total && Shown();
  if (now - start_ < options_.delay || (!final_one && now - last_draw_ < options_.interval)) {
    return;
  }
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const std::string line =
      FormatProgress(options_.label, options_.unit, options_.noun, done, total, elapsed);
  const std::string padding(shown_width_ > line.size() ? shown_width_ - line.size() : 0, ' ');
  out_ << "\r" << line << padding << std::flush;
  shown_width_ = line.size();
}

void ProgressLine::Clear() {
  if (!enabled_ || shown_width_ == 0) {
    return;
  }
  out_ << "\r" << std::string(shown_width_, ' ') << "\r" << std::flush;
  shown_width_ = 0;
}

}  // namespace enclavectl::core::io
