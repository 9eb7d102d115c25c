#include "enclavectl/core/progress.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace enclavectl::core {

namespace {

constexpr int kBarWidth = 30;

std::string Amount(ProgressUnit unit, std::uint64_t value) {
  return std::to_string(unit == ProgressUnit::kBytes ? value >> 20 : value);
}

std::string Rate(ProgressUnit unit, double per_second) {
  char text[32];
  if (unit == ProgressUnit::kBytes) {
    std::snprintf(text, sizeof(text), "%.0f MiB/s", per_second / (1024.0 * 1024.0));
  } else {
    std::snprintf(text, sizeof(text), "%.0f/s", per_second);
  }
  return text;
}

}  // namespace

std::string FormatEta(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) {
    seconds = 0;
  }
  const auto total = static_cast<std::uint64_t>(std::min(seconds + 0.5, 359999.0));
  const std::uint64_t hours = total / 3600;
  const std::uint64_t minutes = total / 60 % 60;
  const std::uint64_t secs = total % 60;
  char text[32];
  if (hours > 0) {
    std::snprintf(text, sizeof(text), "%llu:%02llu:%02llu", static_cast<unsigned long long>(hours),
                  static_cast<unsigned long long>(minutes), static_cast<unsigned long long>(secs));
  } else {
    std::snprintf(text, sizeof(text), "%llu:%02llu", static_cast<unsigned long long>(minutes),
                  static_cast<unsigned long long>(secs));
  }
  return text;
}

std::string FormatProgress(std::string_view label, ProgressUnit unit, std::string_view noun,
                           std::uint64_t done, std::uint64_t total, double elapsed_seconds) {
  done = std::min(done, total);
  const double fraction = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
  const int filled = static_cast<int>(fraction * kBarWidth);
  const int percent = static_cast<int>(fraction * 100);
  char percent_text[8];
  std::snprintf(percent_text, sizeof(percent_text), "%3d%%", percent);
  std::string line(label);
  line += " [" + std::string(static_cast<std::size_t>(filled), '#') +
          std::string(static_cast<std::size_t>(kBarWidth - filled), '.') + "] " + percent_text +
          "  " + Amount(unit, done) + "/" + Amount(unit, total) +
          (unit == ProgressUnit::kBytes ? " MiB" : " " + std::string(noun));
  if (elapsed_seconds > 0 && done > 0) {
    const double rate = static_cast<double>(done) / elapsed_seconds;
    line +=
        "  " + Rate(unit, rate) + "  ETA " + FormatEta(static_cast<double>(total - done) / rate);
  }
  return line;
}

std::string Paint(std::string_view text, Tone tone, bool enabled) {
  if (!enabled) {
    return std::string(text);
  }
  const char* start = tone == Tone::kGood  ? "\x1b[32m"
                      : tone == Tone::kBad ? "\x1b[31m"
                                           : "\x1b[33m";
  return start + std::string(text) + "\x1b[0m";
}

std::string PaintVerdict(std::string_view line, bool enabled) {
  constexpr std::array<std::pair<std::string_view, Tone>, 3> kWords = {
      {{"ACCEPTED", Tone::kGood}, {"REJECTED", Tone::kBad}, {"MALFORMED", Tone::kBad}}};
  for (const auto& [word, tone] : kWords) {
    if (line.substr(0, word.size()) == word) {
      return Paint(word, tone, enabled) + std::string(line.substr(word.size()));
    }
  }
  return std::string(line);
}

}  // namespace enclavectl::core
