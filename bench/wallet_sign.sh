#!/usr/bin/env bash
# `enclavectl wallet sign` latency against the local stack: the release build's enclave-app
# --dev with its accounts listener (--accounts-listen, KMS Decrypt with a Recipient on every
# sign) and the local KMS of `enclavectl dev up`; one account in SQLite. Runs N sequential
# `wallet sign --digest` commands (a new digest each; each one is a whole process: start, store
# read, one framed exchange, recovery check) and prints p50/p90/p99/max latency, and the same
# for N/10 `wallet create`. Other work on the machine inflates the figures: the load average
# is printed with them.
# Usage: bench/wallet_sign.sh [N]   (default 200)
#   BENCH_BIN=build/dev bench/wallet_sign.sh 50   uses an existing build, skips the release build
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}

source bench/stack.sh
if [ -n "${BENCH_BIN:-}" ]; then
  bin=$(cd "$BENCH_BIN" && pwd)
else
  bench_build
fi
bench_stack_up
# The enclave uses only keys whose policy is enclave-only for its PCR0 (the image measured here).
pcr0=$(printf '5c%.0s' $(seq 1 48))
key_arn=$(kms_enclave_only_key "wallet bench" "$pcr0")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "== enclave-app --dev --accounts-listen 127.0.0.1:$port"
"$bin/enclave-app/enclave-app" --dev --nsm-state "$work/stack/nsm" --pcr "0=$pcr0" \
  --listen 127.0.0.1:0 \
  --vsock-port 0 --sealed-store "file:$work/sealed.json" --accounts-listen "127.0.0.1:$port" \
  >"$work/app.out" 2>"$work/app.log" &
app_pid=$!
for _ in $(seq 1 100); do
  python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1)' \
    "$port" 2>/dev/null && break
  sleep 0.1
done

wallet=("$bin/cli/enclavectl" wallet)
common=(--store "sqlite:$work/wallet.db" --enclave-tcp "127.0.0.1:$port" --key-id "$key_arn")
"${wallet[@]}" create "${common[@]}" --name bench >/dev/null

# time_runs LABEL COUNT COMMAND... : COMMAND is run COUNT times with $i set; prints percentiles.
time_runs() {
  local label=$1 count=$2
  shift 2
  : >"$work/times"
  for i in $(seq 1 "$count"); do
    local t0 t1
    t0=$(date +%s%N)
    "$@" "$i" >/dev/null
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000)) >>"$work/times"
  done
  python3 - "$label" "$work/times" <<'PY'
import sys
label, path = sys.argv[1], sys.argv[2]
t = sorted(int(x) for x in open(path))
pick = lambda q: t[min(len(t) - 1, int(q * len(t)))] / 1000
print(f"{label}: n={len(t)} p50={pick(0.5):.1f} ms p90={pick(0.9):.1f} ms "
      f"p99={pick(0.99):.1f} ms max={t[-1] / 1000:.1f} ms")
PY
}
sign_one() {
  "${wallet[@]}" sign "${common[@]}" --name bench --digest "$(printf '%064x' "$1")"
}
create_one() {
  "${wallet[@]}" create "${common[@]}" --name "bench-$1"
}
echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== command: enclavectl wallet sign ${common[*]} --name bench --digest <64 hex>"
time_runs "wallet sign" "$n" sign_one
time_runs "wallet create" "$(((n + 9) / 10))" create_one
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
