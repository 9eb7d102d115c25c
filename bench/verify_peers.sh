#!/usr/bin/env bash
# Peer comparison (issue 18): enclavectl's verifier against the two npm verifiers, on the same
# genuine document (evervault_2022-10-13_valid) at the same verification time, one core each
# (taskset), in alternating rounds; prints the median documents per second and the ratios.
#
#   enclavectl    bench/verify_bench BM_VerifyGenuineCold (no cache: 5 P-384 verifications)
#                 and BM_VerifyGenuineWarm (chain cached: the COSE signature only)
#   evervault     @evervault/attestation-bindings (Rust via napi): decode, chain, COSE; it
#                 checks the chain at the current clock only, so it runs under faketime at the
#                 document's time. It has no cache: its one figure is compared with both ours.
#   tee-verifier  @0xsequence/tee-verifier (TypeScript, pkijs + WebCrypto): signature and chain
#
# The peers are installed with npm into a scratch folder (build/release/peers); they are a
# benchmark dependency only, never a test dependency. faketime comes from Debian.
# Usage: bench/verify_peers.sh [ROUNDS [SECONDS_PER_RUN]]     (defaults 3 and 3)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-3}
per_run=${2:-3}
build=${BUILD_DIR:-$root/build/release}
scratch=$build/peers
doc=$root/tests/data/attestation/evervault_2022-10-13_valid.cbor
at=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verification_time"])' \
  "${doc%.cbor}.json")
at_utc=$(date -u -d "@$at" '+%Y-%m-%d %H:%M:%S')

command -v faketime >/dev/null || { echo "installing faketime (Debian)" >&2; \
  apt-get install -y -q faketime >/dev/null; }
command -v node >/dev/null || { echo "node is required (scripts/bootstrap.sh installs it)" >&2; exit 1; }
if [ ! -d "$scratch/node_modules/@evervault/attestation-bindings" ] ||
   [ ! -d "$scratch/node_modules/@0xsequence/tee-verifier" ]; then
  echo "installing the peers into $scratch (npm)" >&2
  mkdir -p "$scratch"
  npm install --prefix "$scratch" --no-audit --no-fund --silent \
    @evervault/attestation-bindings@1.0.0 @0xsequence/tee-verifier@0.1.2 >&2
fi
# Any parseable certificate serves as the evervault binding's "connection certificate": it
# compares it with the document only after the chain and the COSE signature were verified.
openssl x509 -in "$root/share/aws_nitro_root_g1.pem" -outform DER -out "$scratch/cert.der"

if [ ! -x "$build/bench/verify_bench" ]; then
  (cd "$root" && cmake --preset release >/dev/null && \
   cmake --build --preset release --target verify_bench >/dev/null)
fi

results=$scratch/results.jsonl
: >"$results"
for round in $(seq 1 "$rounds"); do
  echo "round $round of $rounds" >&2
  taskset -c 0 "$build/bench/verify_bench" --benchmark_filter='BM_VerifyGenuine(Cold|Warm)$' \
    --benchmark_min_time="$per_run" --benchmark_format=json 2>/dev/null |
    python3 -c '
import json, sys
for b in json.load(sys.stdin)["benchmarks"]:
    name = "enclavectl cold" if "Cold" in b["name"] else "enclavectl warm"
    print(json.dumps({"verifier": name, "per_second": b["items_per_second"]}))' >>"$results"
  taskset -c 0 faketime -f "@$at_utc" node "$root/bench/peers/evervault.js" "$scratch/node_modules" \
    "$doc" "$scratch/cert.der" "$per_run" 2>/dev/null >>"$results"
  taskset -c 0 node "$root/bench/peers/tee-verifier.mjs" "$scratch/node_modules" "$doc" "$at" \
    "$per_run" >>"$results"
done

python3 - "$results" <<'PY'
import json, statistics, sys
rates = {}
for line in open(sys.argv[1]):
    row = json.loads(line)
    rates.setdefault(row["verifier"], []).append(row["per_second"])
median = {k: statistics.median(v) for k, v in rates.items()}
ever = median["evervault"]
print(f"{'verifier':<18} {'docs/s (median)':>16} {'vs evervault':>13}   rounds")
for name in ["enclavectl cold", "enclavectl warm", "evervault", "tee-verifier"]:
    rounds = ", ".join(f"{r:.0f}" for r in rates[name])
    print(f"{name:<18} {median[name]:>16.0f} {median[name] / ever:>12.2f}x   {rounds}")
PY
