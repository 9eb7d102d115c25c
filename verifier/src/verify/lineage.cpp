#include "enclavectl/verifier/lineage.hpp"

#include <algorithm>
#include <set>
#include <string>

namespace enclavectl::verifier {
namespace {

using core::ErrorCode;

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

bool IsPcr0Hex(std::string_view lower) {
  return lower.size() == 96 && std::all_of(lower.begin(), lower.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

core::Error At(ErrorCode code, std::string detail, std::size_t index) {
  return core::Error{code, std::move(detail), static_cast<int>(index)};
}

}  // namespace

core::Status CheckPreviousPcr0(std::string_view claimed, std::string_view expected) {
  const std::string want = Lower(expected);
  const std::string got = Lower(claimed);
  if (got != want) {
    return core::Fail(ErrorCode::kPreviousPcr0Mismatch,
                      "previous_pcr0 is " +
                          (got.empty() ? std::string("(none)")
                                       : got.substr(0, 16) + (got.size() > 16 ? "..." : "")) +
                          ", not " + want.substr(0, 16) + (want.size() > 16 ? "..." : ""));
  }
  return core::Ok();
}

core::Status VerifyLineage(std::span<const LineageStep> chain) {
  if (chain.empty()) {
    return core::Fail(ErrorCode::kLineageInvalid, "a lineage needs at least one step");
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    const LineageStep& step = chain[i];
    const std::string pcr0 = Lower(step.pcr0_hex);
    const std::string previous = Lower(step.previous_pcr0);
    if (!IsPcr0Hex(pcr0)) {
      return tl::unexpected(
          At(ErrorCode::kLineageInvalid, step.name + ": PCR0 is not 96 hex digits", i));
    }
    if (previous != "genesis" && !IsPcr0Hex(previous)) {
      return tl::unexpected(At(ErrorCode::kLineageInvalid,
                               step.name + ": previous_pcr0 is neither genesis nor 96 hex digits",
                               i));
    }
    const std::string want = i == 0 ? std::string("genesis") : Lower(chain[i - 1].pcr0_hex);
    if (previous != want) {
      return tl::unexpected(
          At(ErrorCode::kLineageBroken,
             step.name + " names previous_pcr0 " + previous.substr(0, 16) + "..., not " +
                 (i == 0 ? std::string("genesis (the first step)")
                         : chain[i - 1].name + "'s PCR0 " + want.substr(0, 16) + "..."),
             i));
    }
    if (!seen.insert(pcr0).second) {
      return tl::unexpected(
          At(ErrorCode::kLineageBroken, step.name + ": PCR0 appears twice in the lineage", i));
    }
  }
  return core::Ok();
}

}  // namespace enclavectl::verifier
