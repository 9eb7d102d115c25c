#!/usr/bin/env bash
# EIF measurement throughput, all figures from one run on one machine:
#   1. openssl speed -evp sha384 -bytes 16384 (one core, the issue's baseline)
#   2. eif_bench (Google Benchmark): SHA-384 baselines and InspectImage, two threads / inline
#   3. `enclavectl eif measure` on the same generated image, timed end to end
# Usage: bench/eif_measure.sh [MiB]   (default 1024). Needs the release preset built:
#   cmake --preset release && cmake --build --preset release --target eif_bench enclavectl
set -euo pipefail
cd "$(dirname "$0")/.."
mib=${1:-1024}
build=build/release
image=$(mktemp -d)/bench.eif
trap 'rm -rf "$(dirname "$image")"' EXIT

echo "== openssl speed -evp sha384 -bytes 16384 (one core)"
openssl speed -evp sha384 -bytes 16384 -seconds 3 2>/dev/null | tail -1

echo "== eif_bench ($mib MiB image)"
EIF_BENCH_MIB=$mib EIF_BENCH_IMAGE=$image "$build/bench/eif_bench" --benchmark_counters_tabular=true

echo "== enclavectl eif measure $mib MiB image (wall clock, best of 3)"
size=$(stat -c %s "$image")
best=
for _ in 1 2 3; do
  start=$(date +%s.%N)
  "$build/cli/enclavectl" eif measure "$image" >/dev/null
  end=$(date +%s.%N)
  best=$(awk -v s="$start" -v e="$end" -v b="$best" 'BEGIN { t = e - s; print (b == "" || t < b) ? t : b }')
done
awk -v t="$best" -v n="$size" 'BEGIN { printf "measure: %.3f s, %.1f MB/s\n", t, n / t / 1e6 }'
