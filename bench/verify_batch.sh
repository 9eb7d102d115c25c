#!/usr/bin/env bash
# Batch verification (issue 18): documents per second for 1,000 documents on 1 and 2 jobs.
#   CLI:     `enclavectl verify --docs-from LIST --jobs N` over the 14 genuine AWS documents of
#            tests/data cycled to 1,000 paths, each at its own time: one process, its
#            chain cache empty at the start and shared by the threads (the first document of
#            each chain pays 5 P-384 verifications, the rest 1). Wall-clock time of the process.
#   library: bench/verify_bench BM_VerifyBatch, 1,000 development-CA documents through
#            VerifyBatch: cache:0 no cache (every document cold, 5 verifications), cache:1
#            a shared cache that starts empty, cache:2 a primed cache (warm).
# Three alternating rounds; medians. Usage: bench/verify_batch.sh [ROUNDS]   (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
scripts/bootstrap.sh
cmake --preset release >/dev/null
cmake --build --preset release --target enclavectl verify_bench -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
bin=build/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
docs=(tests/data/attestation/*.cbor)
for i in $(seq 0 999); do
  echo "${docs[$((i % ${#docs[@]}))]}"
done >"$work/list.txt"

results=$work/results.txt
for round in $(seq 1 "$rounds"); do
  echo "round $round of $rounds" >&2
  for jobs in 1 2; do
    # Into a file, not a pipe: a reader process would take CPU from the 2 cores measured.
    "$bin/cli/enclavectl" verify --docs-from "$work/list.txt" --at doc --any-image \
      --insecure-allow-debug --jobs "$jobs" --json >"$work/out.jsonl"
    tail -n1 "$work/out.jsonl" |
      python3 -c "import json,sys; s=json.load(sys.stdin); assert s['accepted']==1000, s; \
print('cli jobs=$jobs', s['documents_per_second'])" >>"$results"
  done
  "$bin/bench/verify_bench" --benchmark_filter=BM_VerifyBatch --benchmark_format=json 2>/dev/null |
    python3 -c '
import json, sys
for b in json.load(sys.stdin)["benchmarks"]:
    jobs, cache = b["name"].split("/")[1:3]
    print("library", jobs.replace(":", "="), cache.replace(":", "="), b["items_per_second"])' >>"$results"
done
python3 - "$results" <<'PY'
import statistics, sys
rates = {}
for line in open(sys.argv[1]):
    name, value = line.rsplit(" ", 1)
    rates.setdefault(name, []).append(float(value))
print(f"{'run':<28} {'docs/s (median)':>16}   rounds")
for name in sorted(rates):
    print(f"{name:<28} {statistics.median(rates[name]):>16.0f}   " +
          ", ".join(f"{r:.0f}" for r in rates[name]))
for prefix in ("cli", "library"):
    for suffix in ("", " cache=0", " cache=1", " cache=2"):
        one, two = f"{prefix} jobs=1{suffix}", f"{prefix} jobs=2{suffix}"
        if one in rates and two in rates:
            print(f"{prefix}{suffix}: 2 jobs / 1 job = "
                  f"{statistics.median(rates[two]) / statistics.median(rates[one]):.2f}")
PY
