#!/usr/bin/env bash
# Endurance (issue 18): wrk for DURATION seconds, at the same time, against
#   - enclave-app --dev (release): POST /v1/sign ecdsa-secp256k1, keep-alive, 64 connections;
#   - enclavectl kms serve (the local stack, release): DeriveSharedSecret with a Recipient
#     (an attestation document from the NSM simulator carrying an RSA key), 16 connections;
# sampling each server's resident memory and open descriptors every 10 s. The KMS load renews
# its attestation document and signature every SOAK_KMS_SEGMENT seconds (default 240; documents
# older than five minutes are refused, as by AWS), one wrk run per segment. Passes when every
# run had 0 errors (an error: a failed connection, read or write, a non-2xx answer, or no answer
# within 10 s; wrk's default of 2 s would count slow answers on a loaded machine), each server's
# RSS grew less than 5 % from the one-minute sample to the last, and its descriptor count after
# the first minute stayed within +-2 of the first post-minute sample (KMS samples taken between
# two segments left out). The samples go to SOAK_OUT (default build/release/soak.csv).
# Usage: bench/soak.sh [DURATION_SECONDS]        (default 600)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-600}
interval=10

source bench/stack.sh
bench_build
out=${SOAK_OUT:-$bin/soak.csv}
bench_stack_up
kms_pid=$(head -n1 "$work/stack/kms.pid" | tr -cd '0-9')
key_arn=$(bench_agreement_key)

# kms_request: a fresh Recipient (RSA key, attestation document from the NSM simulator) and a
# freshly signed DeriveSharedSecret request for wrk ($work/kms_derive.lua), checked once with curl.
# The local KMS, like AWS, refuses documents older than five minutes, so the soak renews both
# every $kms_segment seconds (a new wrk run each time) as a long-running client would.
kms_segment=${SOAK_KMS_SEGMENT:-240}
kms_request() {
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/rsa.pem" 2>/dev/null
  openssl pkey -in "$work/rsa.pem" -pubout -outform DER -out "$work/rsa.spki.der"
  "$bin/cli/enclavectl" nsm attest --state "$work/stack" --pcr "0=$(printf 'ab%.0s' $(seq 48))" \
    --public-key "$work/rsa.spki.der" --out "$work/doc.cbor" >/dev/null
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/peer.pem" 2>/dev/null
  openssl pkey -in "$work/peer.pem" -pubout -outform DER -out "$work/peer.spki.der"
  # One signed request, replayed by wrk for one segment (signatures are good for 15 minutes).
  python3 - "$work" "$key_arn" <<'PY' >"$work/kms_derive.lua"
import base64, json, os, sys
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
work, key_arn = sys.argv[1], sys.argv[2]
b64 = lambda path: base64.b64encode(open(os.path.join(work, path), "rb").read()).decode()
body = json.dumps({"KeyId": key_arn, "KeyAgreementAlgorithm": "ECDH",
                   "PublicKey": b64("peer.spki.der"),
                   "Recipient": {"KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256",
                                 "AttestationDocument": b64("doc.cbor")}})
endpoint = os.environ["AWS_ENDPOINT_URL_KMS"].rstrip("/") + "/"
request = AWSRequest(method="POST", url=endpoint, data=body, headers={
    "Content-Type": "application/x-amz-json-1.1",
    "X-Amz-Target": "TrentService.DeriveSharedSecret"})
SigV4Auth(Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]),
          "kms", os.environ["AWS_REGION"]).add_auth(request)
headers = ", ".join(f'["{k}"] = {json.dumps(v)}' for k, v in request.headers.items()
                    if k.lower() != "content-length")
print(f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\nwrk.headers = {{{headers}}}')
# The same request once with curl first, to fail early with the server's answer.
with open(os.path.join(work, "curl.cfg"), "w") as cfg:
    cfg.write(f'url = "{endpoint}"\nrequest = "POST"\n')
    for k, v in request.headers.items():
        if k.lower() != "content-length":
            cfg.write(f'header = "{k}: {v}"\n')
    cfg.write(f"data-binary = {json.dumps(body)}\n")
PY
  cat bench/wrk/report.lua >>"$work/kms_derive.lua"
  status=$(curl -s -o "$work/first.json" -w '%{http_code}' -K "$work/curl.cfg")
  [ "$status" = 200 ] || { echo "DeriveSharedSecret with a Recipient failed ($status):" >&2; cat "$work/first.json" >&2; exit 1; }
}
echo "== a Recipient: RSA key, attestation document from the NSM simulator, a peer key"
kms_request

bench_app_up "$key_arn"
cat bench/wrk/sign_ecdsa.lua bench/wrk/report.lua >"$work/app_sign.lua"

rss_kib() { awk '/^VmRSS/{print $2}' "/proc/$1/status"; }
fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
echo "== soak: ${duration}s; wrk -t1 -c64 on enclave-app, wrk -t1 -c16 on the local KMS"
wrk -t1 -c64 -d"${duration}s" --timeout 10s -s "$work/app_sign.lua" "$url" >"$work/wrk_app.out" 2>&1 &
wrk_app=$!
kms_runs=$(((duration + kms_segment - 1) / kms_segment))
# Between two segments the KMS's client connections are closed: $work/kms_gap marks that time,
# and the descriptor samples taken then are left out of the flatness check.
(
  left=$duration
  first=1
  while [ "$left" -gt 0 ]; do
    segment=$((left < kms_segment ? left : kms_segment))
    [ "$first" = 1 ] || { touch "$work/kms_gap"; kms_request; }
    first=0
    wrk -t1 -c16 -d"${segment}s" --timeout 10s -s "$work/kms_derive.lua" "$AWS_ENDPOINT_URL_KMS/" 2>&1 &
    sleep 1
    rm -f "$work/kms_gap"
    wait $!
    touch "$work/kms_gap"
    left=$((left - segment))
  done
) >"$work/wrk_kms.out" 2>&1 &
wrk_kms=$!
echo "seconds,app_rss_kib,app_fds,kms_rss_kib,kms_fds,kms_gap" >"$out"
start=$(date +%s)
# Sampled while both loads run (a sample after one has stopped sees its connections closed).
while kill -0 "$wrk_app" 2>/dev/null && kill -0 "$wrk_kms" 2>/dev/null; do
  now=$(($(date +%s) - start))
  echo "$now,$(rss_kib "$app_pid"),$(fds "$app_pid"),$(rss_kib "$kms_pid"),$(fds "$kms_pid"),$([ -e "$work/kms_gap" ] && echo 1 || echo 0)" >>"$out"
  sleep "$interval"
done
wait "$wrk_app" "$wrk_kms"
grep RESULT "$work/wrk_app.out" | sed 's/^/enclave-app sign: /'
grep RESULT "$work/wrk_kms.out" | sed 's/^/kms DeriveSharedSecret (one line per segment): /'
python3 - "$out" "$work/wrk_app.out" "$work/wrk_kms.out" "$kms_runs" <<'PY'
import csv, re, sys
rows = [{k: int(v) for k, v in row.items()} for row in csv.DictReader(open(sys.argv[1]))]
ok = True
for path, name, expected in ((sys.argv[2], "enclave-app", 1), (sys.argv[3], "kms", int(sys.argv[4]))):
    runs = re.findall(r"RESULT requests=(\d+) .* errors=(\d+) non2xx=(\d+)", open(path).read())
    requests = sum(int(r[0]) for r in runs)
    errors = sum(int(r[1]) + int(r[2]) for r in runs) if runs else -1
    print(f"{name}: {requests} requests, {errors} errors ({len(runs)} of {expected} wrk runs)")
    ok &= errors == 0 and len(runs) == expected
after = [r for r in rows if r["seconds"] >= 60] or rows
for name in ("app", "kms"):
    first, last = after[0][f"{name}_rss_kib"], after[-1][f"{name}_rss_kib"]
    growth = 100.0 * (last - first) / first
    fd_values = [r[f"{name}_fds"] for r in after if name == "app" or not r["kms_gap"]]
    flat = max(abs(v - fd_values[0]) for v in fd_values) <= 2
    print(f"{name}: RSS {first} KiB at {after[0]['seconds']} s -> {last} KiB at "
          f"{after[-1]['seconds']} s ({growth:+.1f} %), descriptors {min(fd_values)}..{max(fd_values)}")
    ok &= growth < 5.0 and flat
print("soak: PASS" if ok else "soak: FAIL")
sys.exit(0 if ok else 1)
PY
