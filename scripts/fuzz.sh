#!/usr/bin/env bash
# Time-boxed libFuzzer runs of the fuzz targets on the clang-fuzz preset (clang 14, RelWithDebInfo,
# AddressSanitizer with leak detection, UndefinedBehaviorSanitizer, libFuzzer).
#
# For each target: runs it for SECONDS on tests/fuzz/corpus/<target>/ plus a scratch directory,
# then merges into the committed corpus only the new inputs that add coverage (libFuzzer -merge=1:
# the corpus stays minimised, existing seeds are kept). A crash, leak or timeout is written to
# tests/fuzz/corpus/<target>/ as crash-*/leak-*/timeout-*, so the CTest replay (label fuzz-replay,
# run by scripts/test.sh) keeps it as a regression test, and the script exits 1.
# One summary line per target (target, seconds, executions, exec/s, coverage, features, corpus
# files, result) goes to stdout and to build/clang-fuzz/fuzz-summary.tsv; full logs to
# build/clang-fuzz/fuzz-logs/<target>.log.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default 60 s, all targets)
#   scripts/fuzz.sh 900                 every target 15 minutes (the campaign of docs/fuzzing.md)
#   scripts/fuzz.sh 60 attestation cose two targets, one minute each
#   FUZZ_NO_BUILD=1 scripts/fuzz.sh 900 eif tar   a second lane beside a running one (no build)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
case $seconds in
  '' | *[!0-9]*) echo "fuzz.sh: SECONDS must be a positive integer, got '$seconds'" >&2; exit 64 ;;
esac
if [ -z "${FUZZ_NO_BUILD:-}" ]; then  # FUZZ_NO_BUILD=1: a second lane uses the existing build
  scripts/bootstrap.sh
  cmake --preset clang-fuzz >/dev/null
  cmake --build --preset clang-fuzz -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
fi
out=build/clang-fuzz
mkdir -p "$out/fuzz-logs"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for bin in "$out"/tests/fuzz/*_fuzzer; do
    targets+=("$(basename "$bin" _fuzzer)")
  done
fi
summary=$out/fuzz-summary.tsv
[ -s "$summary" ] || printf 'date\ttarget\tseconds\texecutions\texec_per_s\tcov\tft\tcorpus_files\tresult\n' >"$summary"
status=0
for target in "${targets[@]}"; do
  bin=$out/tests/fuzz/${target}_fuzzer
  [ -x "$bin" ] || { echo "fuzz.sh: no fuzz target '$target' ($bin)" >&2; exit 64; }
  corpus=tests/fuzz/corpus/$target
  mkdir -p "$corpus"
  scratch=$(mktemp -d)
  log=$out/fuzz-logs/$target.log
  echo "== $target: ${seconds}s" >&2
  result=ok
  if ! "$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=30 -rss_limit_mb=2048 \
      -artifact_prefix="$corpus/" "$scratch" "$corpus" >"$log" 2>&1; then
    result=FAILED
    status=1
  fi
  # Keep what added coverage (the corpus directory first: only new inputs are copied into it).
  "$bin" -merge=1 -artifact_prefix="$corpus/" "$corpus" "$scratch" >>"$log" 2>&1 || true
  rm -rf "$scratch"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | grep -v 'MERGE' | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  files=$(find "$corpus" -maxdepth 1 -type f | wc -l)
  line=$(printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s' "$(date -u +%FT%TZ)" "$target" "$seconds" \
    "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$files" "$result")
  echo "$line" | tee -a "$summary"
  [ "$result" = ok ] || grep -E 'ERROR|SUMMARY' "$log" | head -5 >&2
done
exit $status
