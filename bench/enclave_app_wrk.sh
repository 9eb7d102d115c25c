#!/usr/bin/env bash
# enclave-app under load: the release build of enclave-app --dev (NSM simulator) set up with a
# key from the local KMS, then wrk on the same machine with keep-alive against POST /v1/sign
# (bip340 and ecdsa-secp256k1, a different message each request) and GET /v1/info. Prints
# requests/s, p50/p99 latency and errors for each, the CPU that enclave-app, wrk and everything
# else used meanwhile, and the exact wrk command.
# Usage: bench/enclave_app_wrk.sh [SECONDS] [CONNECTIONS] [WRK_THREADS]   (default 20 64 2)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
connections=${2:-64}
wrk_threads=${3:-2}

source bench/stack.sh
bench_build
bench_stack_up
key_arn=$(bench_agreement_key)
bench_app_up "$key_arn"

# Other work on this machine (a build, say) depresses the figures: each run also reports the
# CPU that enclave-app, wrk and everything else used, in cores (from /proc, in clock ticks).
hz=$(getconf CLK_TCK)
busy_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }  # incl. steal
app_ticks() { awk '{print $14 + $15}' "/proc/$app_pid/stat"; }
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for case in sign_bip340 sign_ecdsa info; do
  cat "bench/wrk/$case.lua" bench/wrk/report.lua >"$work/$case.lua"
  cmd="wrk -t$wrk_threads -c$connections -d${seconds}s --latency -s bench/wrk/$case.lua $url"
  echo "== $case: $cmd"
  busy0=$(busy_ticks)
  app0=$(app_ticks)
  TIMEFORMAT='%U %S'
  { time wrk -t"$wrk_threads" -c"$connections" -d"${seconds}s" --latency -s "$work/$case.lua" \
    "$url" >"$work/wrk.out"; } 2>"$work/wrk.time"
  app1=$(app_ticks)
  busy1=$(busy_ticks)
  grep -E "Requests/sec|Non-2xx|Socket errors|RESULT" "$work/wrk.out"
  read -r wrk_user wrk_sys <"$work/wrk.time"
  python3 -c 'import sys
hz, secs, busy, app, wrk_user, wrk_sys = map(float, sys.argv[1:])
app, wrk, busy = app / hz, wrk_user + wrk_sys, busy / hz
print(f"CPU cores used: enclave-app {app / secs:.2f}, wrk {wrk / secs:.2f}, "
      f"everything else (other processes, steal) {max(busy - app - wrk, 0) / secs:.2f}")' \
    "$hz" "$seconds" "$((busy1 - busy0))" "$((app1 - app0))" "$wrk_user" "$wrk_sys"
done
