#!/usr/bin/env bash
# Time-boxed libFuzzer runs of every fuzz target (clang-fuzz preset). New interesting inputs
# go to a scratch directory; crashers are written to tests/fuzz/<name>_corpus/ so that the
# CTest replay keeps them as regression tests.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default 60 s, all targets)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
scripts/bootstrap.sh
cmake --preset clang-fuzz >/dev/null
cmake --build --preset clang-fuzz -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for bin in build/clang-fuzz/tests/fuzz/*_fuzzer; do
    targets+=("$(basename "$bin" _fuzzer)")
  done
fi
status=0
for target in "${targets[@]}"; do
  scratch=$(mktemp -d)
  corpus=tests/fuzz/${target}_corpus
  mkdir -p "$corpus"
  echo "== $target: ${seconds}s"
  if ! build/clang-fuzz/tests/fuzz/${target}_fuzzer -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$corpus/crash-" -rss_limit_mb=2048 "$scratch" "$corpus" 2>&1 | tail -4; then
    status=1
  fi
  rm -rf "$scratch"
done
exit $status
