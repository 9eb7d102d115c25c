# Sourced by the bench scripts that run the local stack (enclave_app_wrk.sh, soak.sh):
#   bench_build                  the release preset's enclavectl and enclave-app
#   bench_stack_up               `enclavectl dev up` in $work/stack (exports the AWS_* variables)
#   kms TARGET JSON              one SigV4-signed call to the local KMS (curl)
#   kms_enclave_only_key D PCR0  a symmetric key usable only with an attestation of PCR0
#   bench_agreement_key          creates an ECC_NIST_P256 KEY_AGREEMENT key, prints its ARN
#   bench_app_up KEY_ARN         enclave-app --dev (release) set up with that key; sets $url
# Sets $bin, $work and $app_pid; an EXIT trap stops what it started and removes $work.
# shellcheck shell=bash
bin=$PWD/build/release
work=$(mktemp -d)
app_pid=
bench_cleanup() {
  [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null || true
  "$bin/cli/enclavectl" dev down --state "$work/stack" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap bench_cleanup EXIT

bench_build() {
  scripts/bootstrap.sh
  echo "== building the release preset (enclavectl, enclave-app)"
  cmake --preset release >/dev/null
  cmake --build --preset release --target enclavectl enclave-app \
    -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
}

bench_stack_up() {
  echo "== local KMS (enclavectl dev up)"
  eval "$("$bin/cli/enclavectl" dev up --state "$work/stack" --listen 127.0.0.1:0 --background --quiet)"
}

# kms and kms_enclave_only_key (scripts/lib/local_kms.sh)
source scripts/lib/local_kms.sh

bench_agreement_key() {
  kms CreateKey '{"KeySpec":"ECC_NIST_P256","KeyUsage":"KEY_AGREEMENT"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["KeyMetadata"]["Arn"])'
}

bench_app_up() {
  echo "== enclave-app --dev (release)"
  "$bin/enclave-app/enclave-app" --dev --nsm-state "$work/stack/nsm" --listen 127.0.0.1:0 \
    --vsock-port 0 --sealed-store "file:$work/sealed.json" >"$work/app.out" 2>"$work/app.log" &
  app_pid=$!
  for _ in $(seq 1 100); do
    grep -q "listening on" "$work/app.out" 2>/dev/null && break
    sleep 0.1
  done
  url=$(sed -n 's/^enclave-app: listening on \(http:[^ ]*\).*/\1/p' "$work/app.out")
  [ -n "$url" ] || { cat "$work/app.log" >&2; exit 1; }
  curl -sf -X POST "$url/generate-secret" -d "{\"key_id\":\"$1\"}" >/dev/null
}
