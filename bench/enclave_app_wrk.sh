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

scripts/bootstrap.sh
echo "== building the release preset (enclavectl, enclave-app)"
cmake --preset release >/dev/null
cmake --build --preset release --target enclavectl enclave-app -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
bin=build/release
work=$(mktemp -d)
app_pid=
cleanup() {
  [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null || true
  "$bin/cli/enclavectl" dev down --state "$work/stack" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== local KMS (enclavectl dev up)"
eval "$("$bin/cli/enclavectl" dev up --state "$work/stack" --listen 127.0.0.1:0 --background --quiet)"
key_arn=$(curl -sf --aws-sigv4 "aws:amz:$AWS_REGION:kms" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
  -H 'Content-Type: application/x-amz-json-1.1' -H 'X-Amz-Target: TrentService.CreateKey' \
  -d '{"KeySpec":"ECC_NIST_P256","KeyUsage":"KEY_AGREEMENT"}' "$AWS_ENDPOINT_URL_KMS/" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["KeyMetadata"]["Arn"])')

echo "== enclave-app --dev (release), one I/O thread per core"
"$bin/enclave-app/enclave-app" --dev --nsm-state "$work/stack/nsm" --listen 127.0.0.1:0 \
  --vsock-port 0 --sealed-store "file:$work/sealed.json" >"$work/app.out" 2>"$work/app.log" &
app_pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$work/app.out" 2>/dev/null && break
  sleep 0.1
done
url=$(sed -n 's/^enclave-app: listening on \(http:[^ ]*\).*/\1/p' "$work/app.out")
[ -n "$url" ] || { cat "$work/app.log" >&2; exit 1; }
curl -sf -X POST "$url/generate-secret" -d "{\"key_id\":\"$key_arn\"}" >/dev/null

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
