#!/usr/bin/env bash
# The main job on the local stack. For now: build enclavectl, then verify every genuine AWS
# Nitro attestation document in ../shared/testdata/attestation against the pinned AWS root at
# the document's own time, one line per document. Usage: scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
if [ ! -d ../shared/testdata/attestation ]; then
  echo "demo.sh: ../shared (test data) must sit beside this repository" >&2
  exit 1
fi

echo "== building enclavectl (release preset)"
cmake --preset release >/dev/null
cmake --build --preset release --target enclavectl -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
bin=build/release/cli/enclavectl

echo "== verifying every genuine document at its own timestamp (enclavectl verify --doc X --at doc)"
printf '%-34s %-9s %-24s %-4s %s\n' DOCUMENT VERDICT "TIMESTAMP (UTC)" PCRS PCR0
failures=0
for doc in ../shared/testdata/attestation/*.cbor; do
  name=$(basename "$doc" .cbor)
  flags=()
  # Debug-mode enclaves (PCR0-2 all zero) are refused unless explicitly allowed.
  if grep -q '"debug_mode_pcr0_2_zero": true' "../shared/testdata/attestation/$name.json"; then
    flags+=(--insecure-allow-debug)
  fi
  set +e
  json=$("$bin" verify --doc "$doc" --at doc --json "${flags[@]}")
  rc=$?
  set -e
  line=$(python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
d = r.get("document") or {}
pcr0 = d.get("pcrs", {}).get("0", "")
note = "debug mode, --insecure-allow-debug" if r.get("insecure") else ""
verdict = r["verdict"].upper() if r["verdict"] != "accepted" else "verified"
if r.get("error"): note = r["error"]["code"]
print("%-9s %-24s %-4s %s %s" % (verdict, d.get("timestamp", "")[:24], len(d.get("pcrs", {})),
      (pcr0[:16] + "...") if pcr0 else "-", ("(" + note + ")") if note else ""))
' <<<"$json")
  printf '%-34s %s\n' "$name" "$line"
  [ $rc -eq 0 ] || failures=$((failures + 1))
done

echo
echo "== the same documents at the current time: every leaf certificate has expired"
"$bin" verify --doc ../shared/testdata/attestation/turnkey_2025-09-16_indef.cbor | head -1 || true
echo
if [ $failures -ne 0 ]; then
  echo "demo: $failures document(s) did not verify" >&2
  exit 1
fi
echo "demo: all genuine documents verified (details: $bin verify --doc FILE --at doc)"
