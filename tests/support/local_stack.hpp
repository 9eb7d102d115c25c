// The local stack of `enclavectl dev up` (local KMS, development CA, NSM simulator state) for
// integration tests that run real binaries against it: one start and stop instead of a copy per
// test file.
#pragma once

#include <map>
#include <string>

#include "subprocess.hpp"

namespace enclavectl::testing {

struct LocalStack {
  std::string state;    // the --state directory
  std::string nsm;      // state/nsm: the NSM simulator's state for enclave-app --nsm-state
  std::string root;     // state/nsm/root.pem: the development root for --root
  std::string account;  // the local KMS's account id (from its principal)
  std::string
      secret;  // the local administrator's secret access key (tests check it is never printed)
  // AWS_* for the local KMS as the local administrator (AWS_PROFILE and AWS_SESSION_TOKEN
  // removed, instance metadata disabled): pass through Environment().
  std::map<std::string, std::string> env;
};

// `enclavectl dev up --state STATE --listen 127.0.0.1:0 --background --json`. On failure
// returns false with `error` set (and nothing to stop).
bool StartLocalStack(const std::string& enclavectl, const std::string& state, LocalStack& stack,
                     std::string& error);

// `enclavectl dev down --state ...` (nothing when the stack never started).
void StopLocalStack(const std::string& enclavectl, const LocalStack& stack);

// The key policy of an enclave-only key: the account root may DescribeKey and GetKeyPolicy;
// GenerateDataKey and Decrypt need a Recipient attestation whose PCR0 is `pcr0`.
std::string EnclaveOnlyKeyPolicy(const std::string& account, const std::string& pcr0);

// `aws kms create-key ARGS... --output json` against the stack; the key's ARN, or "" with
// `error` set.
std::string CreateKmsKey(const LocalStack& stack, const std::vector<std::string>& args,
                         std::string& error);

}  // namespace enclavectl::testing
