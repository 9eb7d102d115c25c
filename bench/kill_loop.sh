#!/usr/bin/env bash
# The kill -9 loops of issue 18 at full length: 200 kills of `enclavectl kms serve` during a
# burst of CreateKey/PutKeyPolicy, and 200 kills of enclave-app during sealed-mode setup, each
# followed by a restart that checks every state file parses and no acknowledged write was
# lost. CI runs the same tests with 3 and 8 rounds (tests/localkms/localkms_server_test.cpp
# KillNineLosesNothingAcknowledged, tests/app/enclave_app_e2e_test.cpp
# KillNineDuringSealedSetupLosesNothingAcknowledged).
# Usage: bench/kill_loop.sh [ROUNDS]     (default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-200}
scripts/bootstrap.sh
cmake --preset dev >/dev/null
cmake --build --preset dev --target localkms_server_test enclave_app_e2e_test \
  -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
export ENCLAVECTL_KILL_ROUNDS=$rounds
TIMEFORMAT='%R s'
echo "== kms serve: $rounds kills during CreateKey/PutKeyPolicy"
time build/dev/tests/localkms/localkms_server_test --gtest_filter='*KillNineLosesNothingAcknowledged'
echo "== enclave-app: $rounds kills during sealed-mode setup"
time build/dev/tests/app/enclave_app_e2e_test --gtest_filter='*KillNineDuringSealedSetup*'
