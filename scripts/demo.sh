#!/usr/bin/env bash
# The whole local flow, each step printed: start the local KMS, build a small EIF holding
# enclave-app, create a P-256 key-agreement key, lock its policy to that EIF's PCR0, start
# enclave-app --dev with the NSM simulator measuring that EIF (and see another image refused),
# set the key up, sign a message, verify the signatures, every response signature, a Confidential
# Script verify-and-sign of an emulated spend (checked in Python) and a fresh
# attestation document, audit the live enclave with verify --url (evidence bundle re-verified
# offline, a fleet of two), create two wallet accounts sealed by the enclave and sign a
# transaction whose sender ethers recovers, migrate a key from a V1 image to a V2 image (V1
# stops signing, V2 serves the same key bound in PCR16), then stop everything. No AWS account,
# no Nitro hardware.
# Usage: scripts/demo.sh   (runs on a fresh machine: scripts/bootstrap.sh installs what it needs)
#        DEMO_BIN=build/dev scripts/demo.sh   uses an existing build instead of the release one
set -euo pipefail
cd "$(dirname "$0")/.."
# kms (one SigV4-signed local KMS call) and kms_enclave_only_key
source scripts/lib/local_kms.sh

scripts/bootstrap.sh
jobs=$(nproc 2>/dev/null || echo 2)
work=$(mktemp -d "${TMPDIR:-/tmp}/enclavectl-demo.XXXXXX")
stack=$work/stack
app_pid=
other_pid=
second_pid=
wallet_pid=
v1_pid=
v2_pid=
started_pid=
step=0
step_title=
step() {
  step=$((step + 1))
  step_title=$*
  echo
  echo "== [$step] $*"
}
fail() {  # fail MESSAGE... : the demo stops here, loudly
  echo "demo: $*" >&2
  exit 1
}
stop_pid() {  # stop_pid PID : SIGTERM, then wait until it has exited
  [ -n "$1" ] || return 0
  kill "$1" 2>/dev/null || return 0
  wait "$1" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  set +e
  if [ "$rc" -ne 0 ]; then
    echo >&2
    echo "demo: FAILED (exit $rc) at step [$step] $step_title" >&2
    local logs=("$stack/kms.log" "$work/enclave.log")
    [ "$step" -eq 1 ] && logs=("$work/build.log")
    [ "$step" -eq 7 ] && logs+=("$work/other.log")
    for log in "${logs[@]}"; do
      [ -s "$log" ] && { echo "--- last lines of $log" >&2; tail -15 "$log" >&2; }
    done
  fi
  stop_pid "$app_pid"
  stop_pid "$other_pid"
  stop_pid "$second_pid"
  stop_pid "$wallet_pid"
  stop_pid "$v1_pid"
  stop_pid "$v2_pid"
  [ -n "${enclavectl:-}" ] && [ -x "$enclavectl" ] && [ -e "$stack/kms.pid" ] &&
    "$enclavectl" dev down --state "$stack" >/dev/null 2>&1
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "build enclavectl and enclave-app (release preset)"
if [ -n "${DEMO_BIN:-}" ]; then  # DEMO_BIN=build/dev: an existing build (development of the demo)
  enclavectl=$DEMO_BIN/cli/enclavectl
  enclave_app=$DEMO_BIN/enclave-app/enclave-app
  [ -x "$enclavectl" ] && [ -x "$enclave_app" ] || fail "DEMO_BIN=$DEMO_BIN has no enclavectl/enclave-app"
else
  cmake --preset release >"$work/build.log" 2>&1 || fail "cmake --preset release failed"
  cmake --build --preset release --target enclavectl enclave-app -j "$jobs" >>"$work/build.log" 2>&1 ||
    fail "the release build failed"
  enclavectl=build/release/cli/enclavectl
  enclave_app=build/release/enclave-app/enclave-app
fi
echo "built $enclavectl and $enclave_app"

step "start the local KMS and the development CA (enclavectl dev up)"
stack_env=$("$enclavectl" dev up --state "$stack" --listen 127.0.0.1:0 --background --quiet)
eval "$stack_env"
echo "local KMS at $AWS_ENDPOINT_URL_KMS (region $AWS_REGION); development root $stack/nsm/root.pem"

step "build a small EIF holding enclave-app (reproducible: fixed build time) and measure it"
mkdir -p "$work/eif/rootfs/usr/bin"
printf 'demo kernel: not bootable, measured like a real one\n' >"$work/eif/bzImage"
printf '#!/bin/sh\nexec /usr/bin/enclave-app\n' >"$work/eif/init"
printf 'demo nsm.ko\n' >"$work/eif/nsm.ko"
cp "$enclave_app" "$work/eif/rootfs/usr/bin/enclave-app"
"$enclavectl" eif build --kernel "$work/eif/bzImage" --cmdline "console=ttyS0 quiet" \
  --init "$work/eif/init" --nsm-ko "$work/eif/nsm.ko" --rootfs "$work/eif/rootfs" \
  --cmd /usr/bin/enclave-app --name enclave-app-demo --version 1.0 \
  --build-time 2025-01-01T00:00:00Z --out "$work/enclave-app.eif" >/dev/null
"$enclavectl" eif measure "$work/enclave-app.eif" --out "$work/pcr.json"
pcr0=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Measurements"]["PCR0"])' "$work/pcr.json")

step "create a P-256 key-agreement key in the local KMS (CreateKey, SigV4-signed by curl)"
key_arn=$(kms CreateKey '{"KeySpec":"ECC_NIST_P256","KeyUsage":"KEY_AGREEMENT","Description":"enclavectl demo"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["KeyMetadata"]["Arn"])')
echo "key $key_arn"
account=$(echo "$key_arn" | cut -d: -f5)
role="arn:aws:iam::$account:role/enclave"

step "lock the key policy to this EIF's PCR0 (enclavectl lock-policy --apply --yes)"
# The local administrator stays an auditor (read-only) so that lock-policy can read the lock back.
"$enclavectl" lock-policy --key-id "$key_arn" --enclave-role "$role" --eif "$work/enclave-app.eif" \
  --auditor "arn:aws:iam::$account:user/local-admin" --endpoint-url "$AWS_ENDPOINT_URL_KMS" \
  --apply --yes | tail -3
# The enclave calls KMS as the enclave role (an access key of that principal in the local KMS).
role_env=$("$enclavectl" kms access-key --state "$stack" --principal "$role")

start_app() {  # start_app NAME ARGS... : runs enclave-app --dev as the enclave role; sets started_pid
  local name=$1
  shift
  (eval "$role_env" && exec "$enclave_app" --dev --nsm-state "$stack/nsm" --listen 127.0.0.1:0 \
    --vsock-port 0 --sealed-store "file:$work/$name-sealed.json" "$@") \
    >"$work/$name.out" 2>"$work/$name.log" &
  started_pid=$!
}
wait_url() {  # wait_url NAME : prints the URL once enclave-app listens
  for _ in $(seq 1 100); do
    if grep -q "listening on" "$work/$1.out" 2>/dev/null; then
      sed -n 's/^enclave-app: listening on \(http:[^ ]*\).*/\1/p' "$work/$1.out"
      return 0
    fi
    sleep 0.1
  done
  echo "enclave-app ($1) did not start listening within 10 s" >&2
  return 1
}

step "start enclave-app --dev: the NSM simulator measures the EIF (PCR0 ${pcr0:0:16}...)"
start_app enclave --eif "$work/enclave-app.eif"
app_pid=$started_pid
url=$(wait_url enclave)
echo "enclave-app (pid $app_pid) at $url"
grep -m1 "DEVELOPMENT MODE" "$work/enclave.log" | sed 's/^[^ ]* //'

step "another image (different PCR0) is refused by the locked key policy"
start_app other --pcr "0=$(printf 'ee%.0s' $(seq 1 48))" --pcr "1=$(printf 'b1%.0s' $(seq 1 48))"
other_pid=$started_pid
other_url=$(wait_url other)
refused=$(curl -s -X POST "$other_url/v1/setup" -d "{\"key_id\":\"$key_arn\"}")
echo "setup on the other image: $refused"
echo "$refused" | grep -q KMS_ACCESS_DENIED || fail "the other image was not refused with KMS_ACCESS_DENIED"
stop_pid "$other_pid"
other_pid=
second_pid=

step "set the key up (POST /v1/setup: NUMS key + DeriveSharedSecret with a Recipient)"
curl -sSf -D "$work/setup.h" -o "$work/setup.json" -X POST "$url/v1/setup" -d "{\"key_id\":\"$key_arn\"}"
python3 -m json.tool "$work/setup.json"
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }
public_key=$(field "$work/setup.json" public_key)
# The enclave resolved the key to its ARN, fetched the key policy itself and linted it for its
# own PCR0: both verdicts must hold for the policy lock-policy applied.
[ "$(field "$work/setup.json" kms_key_arn)" = "$key_arn" ] || fail "/v1/info names another KMS key"
python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["key_policy"]; print("key policy as the enclave judged it:", p); sys.exit(0 if p["checked"] and p["enclave_only"] and p["locked"] else 1)' \
  "$work/setup.json" || fail "the enclave does not judge its key policy enclave-only and locked"
curl -sSf -D "$work/enclave-info.h" -o "$work/enclave-info.json" "$url/v1/enclave-info"
attestation_key=$(field "$work/enclave-info.json" attestation_pubkey)
echo "attestation key of this boot: $attestation_key"

step "sign a message with each scheme (POST /v1/sign)"
message_hex=$(printf 'hello from the enclavectl demo' | od -An -tx1 | tr -d ' \n')
for scheme in bip340 ecdsa-secp256k1 ecdsa-p256; do
  curl -sSf -D "$work/$scheme.h" -o "$work/$scheme.json" -X POST "$url/v1/sign" \
    -d "{\"scheme\":\"$scheme\",\"message\":\"$message_hex\"}"
  signature=$(field "$work/$scheme.json" signature)
  echo "$scheme: $signature"
done

step "verify the signatures (enclavectl signature verify)"
for scheme in bip340 ecdsa-secp256k1 ecdsa-p256; do
  signing_key=$(field "$work/$scheme.json" public_key)
  signature=$(field "$work/$scheme.json" signature)
  "$enclavectl" signature verify --scheme "$scheme" --message "$message_hex" \
    --public-key "$signing_key" --signature "$signature"
done

step "verify every response's X-Attestation-Signature (enclavectl signature response)"
header() { grep -i "^$2:" "$1" | cut -d' ' -f2 | tr -d '\r\n'; }
for name in setup enclave-info bip340 ecdsa-secp256k1 ecdsa-p256; do
  response_signature=$(header "$work/$name.h" X-Attestation-Signature)
  response_key=$(header "$work/$name.h" X-Attestation-Pubkey)
  "$enclavectl" signature response --body "$work/$name.json" --expect-pubkey "$attestation_key" \
    --signature "$response_signature" --public-key "$response_key"
done
echo "and a tampered body (one byte changed) must fail:"
cp "$work/bip340.json" "$work/tampered.json"
sed -i 's/"scheme":"bip340"/"scheme":"bip341"/' "$work/tampered.json"
cmp -s "$work/bip340.json" "$work/tampered.json" && fail "could not tamper with the body"
response_signature=$(header "$work/bip340.h" X-Attestation-Signature)
response_key=$(header "$work/bip340.h" X-Attestation-Pubkey)
tampered_rc=0
"$enclavectl" signature response --body "$work/tampered.json" \
  --signature "$response_signature" --public-key "$response_key" || tampered_rc=$?
# 1 is "invalid"; anything else (0 accepted, 2/64/74 unreadable or usage) is a failure here.
[ "$tampered_rc" -eq 1 ] || fail "the tampered body gave exit $tampered_rc, expected 1 (invalid)"

step "Confidential Script: derive a real output's address offline (enclavectl bitcoin address), POST an emulated spend of it to /verify-and-sign and check the returned key-path signature independently (BIP-341 sighash and BIP-340 in Python); a wrong preimage is refused"
cs=scripts/demo_confidential_script.py
curl -sSf -o "$work/cs-public-key.json" "$url/public-key"
"$enclavectl" bitcoin address --parent-key "$(field "$work/cs-public-key.json" public_key)" \
  --emulated-root "$(python3 "$cs" root)" --network regtest --json >"$work/cs-address.json"
echo "real output (emulated tree: OP_SHA256 <hash> OP_EQUAL): $(field "$work/cs-address.json" address)"
preimage=$(printf "the demo's hash lock" | od -An -tx1 | tr -d ' \n')
python3 "$cs" request "$work/cs-address.json" "$preimage" >"$work/cs-request.json"
cs_status=$(curl -sS -o "$work/cs-signed.json" -w '%{http_code}' -X POST "$url/verify-and-sign" \
  -H 'Content-Type: application/json' --data-binary @"$work/cs-request.json")
[ "$cs_status" = 200 ] || fail "/verify-and-sign answered $cs_status: $(cat "$work/cs-signed.json")"
python3 "$cs" check "$work/cs-address.json" "$work/cs-request.json" "$work/cs-signed.json" ||
  fail "the verify-and-sign signature does not verify"
python3 "$cs" request "$work/cs-address.json" 00 >"$work/cs-wrong.json"
cs_status=$(curl -sS -o "$work/cs-refused.txt" -w '%{http_code}' -X POST "$url/verify-and-sign" \
  -H 'Content-Type: application/json' --data-binary @"$work/cs-wrong.json")
echo "wrong preimage: $cs_status $(cat "$work/cs-refused.txt")"
[ "$cs_status" = 400 ] || fail "a wrong preimage was not refused"

step "verify a fresh attestation document: chain to the development root, PCRs of the EIF, PCR16 = the signing key, appKeyHash = the attestation key, the nonce"
nonce=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')
curl -sSf -o "$work/attestation.b64" "$url/enclave/attestation?nonce=$nonce"
"$enclavectl" verify --doc "$work/attestation.b64" --root "$stack/nsm/root.pem" \
  --expect-pcrs "$work/pcr.json" --expect-key "$public_key" --expect-app-key "$attestation_key" \
  --expect-nonce "$nonce" --max-age 5m

step "audit the live enclave in one command (enclavectl verify --url): the image measured from the EIF, the signing key against PCR16, the response key against appKeyHash, every response signed, our nonce, the KMS key it was derived from, and that key's policy fetched with our own credentials (enclave-only for the attested PCR0, locked); the evidence kept in a bundle"
"$enclavectl" verify --url "$url" --root "$stack/nsm/root.pem" \
  --verify-build "$work/enclave-app.eif" --expect-kms-key "$key_arn" --check-key-policy \
  --bundle "$work/evidence.zip"

step "re-verify the evidence bundle offline, at the time it was captured, against the image and KMS key we expect (enclavectl verify --bundle: a bundle never sets its own expectations)"
"$enclavectl" verify --bundle "$work/evidence.zip" --root "$stack/nsm/root.pem" \
  --verify-build "$work/enclave-app.eif" --expect-kms-key "$key_arn"

step "a fleet audit (enclavectl verify --targets): a second enclave of the same image, set up, then both checked concurrently"
start_app second --eif "$work/enclave-app.eif"
second_pid=$started_pid
second_url=$(wait_url second)
curl -sSf -o /dev/null -X POST "$second_url/v1/setup" -d "{\"key_id\":\"$key_arn\"}"
printf '# the demo fleet\n%s\n%s\n' "$url" "$second_url" >"$work/fleet.txt"
"$enclavectl" verify --targets "$work/fleet.txt" --root "$stack/nsm/root.pem" \
  --verify-build "$work/enclave-app.eif"
stop_pid "$second_pid"
second_pid=

step "wallet: two Ethereum accounts generated and sealed inside the enclave (GenerateDataKey with a Recipient, under a key only this image can use), a transaction signed, and ethers recovering the signer"
# The wallet key: GenerateDataKey and Decrypt only with an attestation of this EIF's PCR0.
wallet_key=$(kms_enclave_only_key "enclavectl demo wallet" "$pcr0")
echo "wallet key $wallet_key (GenerateDataKey/Decrypt only for PCR0 ${pcr0:0:16}...)"
wallet_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_app wallet --eif "$work/enclave-app.eif" --accounts-listen "127.0.0.1:$wallet_port"
wallet_pid=$started_pid
wait_url wallet >/dev/null
# The parent's credentials (the local administrator's) travel inside each request; rows in SQLite.
wallet_args=(--store "sqlite:$work/wallet.db" --key-id "$wallet_key")
enclave_args=(--enclave-tcp "127.0.0.1:$wallet_port")
"$enclavectl" wallet create "${wallet_args[@]}" "${enclave_args[@]}" --name alice
"$enclavectl" wallet create "${wallet_args[@]}" "${enclave_args[@]}" --name bob
"$enclavectl" wallet list --store "sqlite:$work/wallet.db"
alice=$("$enclavectl" wallet address "${wallet_args[@]}" --name alice)
bob=$("$enclavectl" wallet address "${wallet_args[@]}" --name bob)
printf '{"chain_id": 1, "nonce": 0, "max_priority_fee_per_gas": "1500000000",
 "max_fee_per_gas": "30000000000", "gas_limit": 21000, "to": "%s",
 "value": "1000000000000000", "from": "%s"}\n' "$bob" "$alice" >"$work/tx.json"
"$enclavectl" wallet sign "${wallet_args[@]}" "${enclave_args[@]}" --name alice --tx "$work/tx.json" \
  --json >"$work/signed.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
print("enclavectl: signed by", d["from"], "hash", d["hash"])
print("raw", d["raw"][:72] + "...")' "$work/signed.json"
# ethers 6 (npm) as the independent judge: parse the raw transaction and recover its sender.
mkdir -p "$work/npm"
npm install --prefix "$work/npm" --no-audit --no-fund --save-exact ethers@6.17.0 \
  >"$work/npm.log" 2>&1 || fail "npm install ethers failed: $(tail -3 "$work/npm.log")"
printf '%s\n' 'import { readFileSync } from "node:fs";' \
  'import { Transaction, getAddress } from "ethers";' \
  'const signed = JSON.parse(readFileSync(process.argv[2], "utf8"));' \
  'const tx = Transaction.from(signed.raw);' \
  'const eip55 = getAddress(tx.from.toLowerCase()) === tx.from ? "EIP-55 ok" : "EIP-55 BAD";' \
  'console.log(`ethers:     signed by ${tx.from} (${eip55}) hash ${tx.hash}`);' \
  'process.exit(tx.from === process.argv[3] && tx.hash === signed.hash ? 0 : 1);' \
  >"$work/npm/recover.mjs"
node "$work/npm/recover.mjs" "$work/signed.json" "$alice" || fail "ethers does not recover alice ($alice)"
echo "ethers recovers alice's address $alice from the signed transaction"
stop_pid "$wallet_pid"
wallet_pid=

step "key migration V1 -> V2 (docs/migration.md): V1's image names a maintainer key, V2's image names V1's PCR0 as its predecessor; V2 proves itself to V1 with fresh attestations, the maintainer's signed authorization and the cooldown run out (3 s here, 24 h outside --dev), V1 encrypts its key to V2's attested key and stops signing, V2 seals it under its own enclave-only KMS key and binds it in PCR16"
wait_log() {  # wait_log NAME PATTERN SECONDS : until enclave-app NAME logs PATTERN
  for _ in $(seq 1 $((${3} * 10))); do
    grep -q "$2" "$work/$1.log" "$work/$1.out" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "enclave-app ($1) did not log '$2' within $3 s: $(tail -5 "$work/$1.log")"
}
od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$work/maintainer.hex"  # never printed
maintainer_pub=$("$enclavectl" migration pubkey --key "$work/maintainer.hex")
build_eif() {  # build_eif NAME CONFIG : $work/NAME.eif with CONFIG as its measured image config
  "$enclavectl" eif build --kernel "$work/eif/bzImage" --cmdline "console=ttyS0 quiet" \
    --init "$work/eif/init" --nsm-ko "$work/eif/nsm.ko" --rootfs "$work/eif/rootfs" \
    --cmd /usr/bin/enclave-app --name "enclave-app-$1" --version 1.0 --config "$2" \
    --build-time 2025-01-01T00:00:00Z --out "$work/$1.eif" >/dev/null
  "$enclavectl" eif measure "$work/$1.eif" --out "$work/$1-pcr.json" >/dev/null
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Measurements"]["PCR0"])' \
    "$work/$1-pcr.json"
}
printf '{"previous_pcr0":"genesis","maintainer_pubkey":"%s"}' "$maintainer_pub" >"$work/v1.json"
v1_pcr0=$(build_eif v1 "$work/v1.json")
printf '{"previous_pcr0":"%s","maintainer_pubkey":"%s"}' "$v1_pcr0" "$maintainer_pub" >"$work/v2.json"
v2_pcr0=$(build_eif v2 "$work/v2.json")
echo "maintainer key $maintainer_pub; V1 PCR0 ${v1_pcr0:0:16}... (genesis), V2 PCR0 ${v2_pcr0:0:16}... (names V1)"
v1_key=$(kms_enclave_only_key "demo migration V1" "$v1_pcr0")
v2_key=$(kms_enclave_only_key "demo migration V2" "$v2_pcr0")
start_app v1 --eif "$work/v1.eif" --image-config "$work/v1.json" --key-mode sealed \
  --key-id "$v1_key" --migration-listen 127.0.0.1:0 --migration-store "file:$work/migration" \
  --migration-cooldown 3
v1_pid=$started_pid
v1_url=$(wait_url v1)
wait_log v1 "migration listener on http://" 30
v1_migration=$(sed -n 's/.*migration listener on http:\/\/\([0-9.:]*\).*/\1/p' "$work/v1.log" "$work/v1.out" | head -1)
v1_signer=$(curl -sSf "$v1_url/v1/info" | python3 -c 'import json,sys; print(json.load(sys.stdin)["public_key"])')
echo "V1 at $v1_url signs with $v1_signer; its migration listener: $v1_migration"
activation=$(($(date +%s) + 5))
maintainer_sig=$("$enclavectl" migration sign --key "$work/maintainer.hex" --target-pcr0 "$v2_pcr0" \
  --activation-time "$activation")
echo "maintainer: migration to ${v2_pcr0:0:16}... authorized from $(date -u -d "@$activation" +%TZ)"
start_app v2 --eif "$work/v2.eif" --image-config "$work/v2.json" --key-mode sealed \
  --key-id "$v2_key" --migrate-from-tcp "$v1_migration" --migration-poll 1 \
  --maintainer-sig "$maintainer_sig" --activation-time "$activation"
v2_pid=$started_pid
wait_log v2 "setup done" 60
v2_url=$(wait_url v2)
v2_signer=$(curl -sSf "$v2_url/v1/info" | python3 -c 'import json,sys; print(json.load(sys.stdin)["public_key"])')
echo "V2 at $v2_url signs with $v2_signer"
[ "$v2_signer" = "$v1_signer" ] || fail "V2 does not serve V1's signer key"
"$enclavectl" migration status --url "$v1_url" --root "$stack/nsm/root.pem" --expect-pcr0 "$v1_pcr0"
echo "V2, audited with Introspector's --check-migration checks and its lineage pinned:"
"$enclavectl" verify --url "$v2_url" --root "$stack/nsm/root.pem" --verify-build "$work/v2.eif" \
  --expect-previous-pcr0 "$v1_pcr0" --check-migration
refused_status=$(curl -s -o "$work/v1-refused.json" -w '%{http_code}' -X POST "$v1_url/v1/sign" \
  -d "{\"scheme\":\"bip340\",\"message\":\"$message_hex\"}")
echo "V1 asked to sign: $refused_status $(cat "$work/v1-refused.json")"
[ "$refused_status" = 410 ] && grep -q KEY_MIGRATED "$work/v1-refused.json" ||
  fail "V1 still signs after the migration"
printf '# oldest first\n%s pcr0=%s\n%s pcr0=%s\n' "$v1_url" "$v1_pcr0" "$v2_url" "$v2_pcr0" >"$work/lineage.txt"
"$enclavectl" verify lineage --targets "$work/lineage.txt" --root "$stack/nsm/root.pem"
stop_pid "$v1_pid"
v1_pid=
stop_pid "$v2_pid"
v2_pid=

step "the same verifier on real AWS documents: every genuine attestation in tests/data/attestation at its own timestamp, against the pinned AWS root"
genuine_failures=0
for doc in tests/data/attestation/*.cbor; do
  name=$(basename "$doc" .cbor)
  flags=(--at doc)
  # Debug-mode enclaves (PCR0-2 all zero) are refused unless explicitly allowed.
  grep -q '"debug_mode_pcr0_2_zero": true' "${doc%.cbor}.json" && flags+=(--insecure-allow-debug)
  # Genuineness only: these documents come from other people's images (--any-image says so).
  verdict=$("$enclavectl" verify --doc "$doc" --any-image "${flags[@]}" | head -1 | cut -d' ' -f1) || true
  printf '  %-9s %s%s\n' "$verdict" "$name" \
    "$([ "${#flags[@]}" -gt 2 ] && echo ' (debug mode, --insecure-allow-debug)')"
  [ "$verdict" = ACCEPTED ] || genuine_failures=$((genuine_failures + 1))
done
[ "$genuine_failures" -eq 0 ] || fail "$genuine_failures genuine document(s) did not verify"

step "stop everything"
stop_pid "$app_pid"
app_pid=
"$enclavectl" dev down --state "$stack"
echo
echo "demo: done (key $public_key, bound to PCR16 of an enclave whose PCR0 is $pcr0)"
