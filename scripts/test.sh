#!/usr/bin/env bash
# The whole test suite: bootstrap, configure, build and run every CTest test with the dev
# preset, then again under AddressSanitizer + UndefinedBehaviorSanitizer. Non-zero on any
# failure. Usage: scripts/test.sh [--quick]   (--quick: dev preset only)
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[ "${1:-}" = "--quick" ] && quick=1

scripts/bootstrap.sh

# The real test data is the repository's own copy (tests/data): check it is intact (and, when
# ../shared/testdata is beside the clone, that it matches it).
scripts/testdata.sh --check

jobs=$(nproc 2>/dev/null || echo 2)
run_preset() {
  local preset=$1
  echo "== $preset: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "== $preset: test"
  ctest --preset "$preset" -j "$jobs" --timeout 600
}

run_preset dev
if [ $quick -eq 0 ]; then
  run_preset asan-ubsan
fi
echo "== all tests passed"
