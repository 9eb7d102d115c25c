#!/usr/bin/env bash
# The enclave side of wallet accounts under load: enclave-app --dev (NSM simulator) with
# --accounts-listen, against the local KMS (enclavectl dev up), driven by a Python client that
# speaks seed (b)'s frames (u64 little-endian length + JSON) directly, one connection per
# request as the seed does. Prints accounts created per second and signatures per second (each
# with its p50/p99 latency), sequential requests (one client), and the exact command.
# Every request runs the policy gate (DescribePCR, DescribeKey, GetKeyPolicy) and one KMS
# GenerateDataKey or Decrypt with a Recipient (a fresh RSA-2048 key and attestation document).
# Usage: bench/wallet_accounts.sh [ACCOUNTS] [SIGNATURES]   (default 50 200)
#   BIN=build/dev bench/wallet_accounts.sh   uses an existing build tree instead of release
set -euo pipefail
cd "$(dirname "$0")/.."
accounts=${1:-50}
signatures=${2:-200}

source bench/stack.sh
if [ -n "${BIN:-}" ]; then
  bin=$PWD/$BIN
else
  bench_build
fi
bench_stack_up

pcr0=$(printf 'a0%.0s' $(seq 1 48))
key_arn=$(kms_enclave_only_key "wallet accounts bench" "$pcr0")

echo "== enclave-app --dev --accounts-listen ($bin)"
"$bin/enclave-app/enclave-app" --dev --nsm-state "$work/stack/nsm" --pcr "0=$pcr0" \
  --listen 127.0.0.1:0 --vsock-port 0 --accounts-listen 127.0.0.1:0 \
  >"$work/app.out" 2>"$work/app.log" &
app_pid=$!
port=
for _ in $(seq 1 100); do
  port=$(sed -n 's/.*accounts listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/app.log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/app.log" >&2; exit 1; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
cmd="python3 (inline) $port $key_arn $accounts $signatures"
echo "== $cmd"
python3 - "$port" "$key_arn" "$accounts" "$signatures" <<'EOF'
import json, os, socket, struct, sys, time
port, key_arn, n_accounts, n_signatures = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
cred = {"aws_access_key_id": os.environ["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": os.environ["AWS_SECRET_ACCESS_KEY"],
        "aws_session_token": os.environ.get("AWS_SESSION_TOKEN", "")}

def call(request):
    body = json.dumps(request).encode()
    with socket.create_connection(("127.0.0.1", int(port))) as s:
        s.sendall(struct.pack("<Q", len(body)) + body)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    (length,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + length])

def run(label, requests):
    latencies, errors, results = [], 0, []
    start = time.monotonic()
    for request in requests:
        t0 = time.monotonic()
        answer = call(request)
        latencies.append(time.monotonic() - t0)
        if answer.get("apiResponse") == "error":
            errors += 1
        results.append(answer)
    elapsed = time.monotonic() - start
    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000
    print(f"RESULT {label}: {len(requests) / elapsed:.1f}/s over {len(requests)} requests, "
          f"p50 {pct(0.50):.1f} ms, p99 {pct(0.99):.1f} ms, errors {errors}")
    return results

made = run("generateAccount", [{"apiRequest": "generateAccount", "credential": cred,
                                "key_id": key_arn, "name": f"bench{i}"} for i in range(n_accounts)])
rows = [(f"bench{i}", r["content"]) for i, r in enumerate(made) if r["apiResponse"] != "error"]
if not rows:
    sys.exit("no account was created")
run("sign", [{"apiRequest": "sign", "credential": cred, "key_id": key_arn, "name": name,
              "address": row["address"], "encryptedDataKey": row["encryptedDataKey"],
              "encryptedPrivateKey": row["encryptedPrivateKey"],
              "message": os.urandom(32).hex()}
             for i in range(n_signatures) for name, row in [rows[i % len(rows)]]])
EOF
