// The invariants every verification report keeps (VerificationReport, LiveReport): a check
// fails iff it carries an error; the verdict is "accepted" iff there is no error; there is an
// error iff some check failed.
#pragma once

#include "enclavectl/verifier/verify.hpp"
#include "fuzz_check.hpp"

namespace enclavectl::fuzz {

template <typename Report>
void CheckReportInvariants(const Report& report) {
  bool any_failed = false;
  for (const verifier::Check& check : report.checks) {
    FUZZ_CHECK((check.status == verifier::CheckStatus::kFail) == check.error.has_value());
    any_failed = any_failed || check.status == verifier::CheckStatus::kFail;
  }
  FUZZ_CHECK((report.verdict == verifier::Verdict::kAccepted) == !report.error.has_value());
  FUZZ_CHECK(any_failed == report.error.has_value());
}

}  // namespace enclavectl::fuzz
