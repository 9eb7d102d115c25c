#!/usr/bin/env bash
# Man pages and shell completions of the built programs (cmddoc):
#   - every page `enclavectl man --out` and `enclave-app --man-page` write renders with
#     `groff -ww -man -Tutf8` without a warning, and has the sections it should;
#   - bash completion, driven as bash does (COMP_WORDS/COMP_CWORD, the function of
#     `complete -p`), completes a subcommand, a flag, an enum value and a file;
#   - the zsh and fish scripts parse (`zsh -n`, `fish --no-execute`), skipped with a message
#     when the shell is not installed.
# Usage: cmddoc_shell_test.sh ENCLAVECTL ENCLAVE_APP
set -euo pipefail
enclavectl=$(realpath "$1")
enclave_app=$(realpath "$2")
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# --- man pages ---
mkdir "$scratch/man"
"$enclavectl" man --out "$scratch/man"
"$enclave_app" --man-page "$scratch/man"
for page in enclavectl.1 enclavectl-verify.1 enclavectl-eif.1 enclavectl-policy.1 \
            enclavectl-completion.1 enclave-app.8; do
  [ -s "$scratch/man/$page" ] || fail "no man page $page"
done
for page in "$scratch"/man/*; do
  if ! groff -ww -man -Tutf8 -P-cbou "$page" >"$scratch/out.txt" 2>"$scratch/err.txt"; then
    fail "groff failed on $(basename "$page")"
  fi
  if [ -s "$scratch/err.txt" ]; then
    fail "groff warns on $(basename "$page"): $(head -3 "$scratch/err.txt")"
  fi
  for section in NAME SYNOPSIS DESCRIPTION OPTIONS "SEE ALSO"; do
    grep -q "^$section" "$scratch/out.txt" || fail "$(basename "$page") has no $section"
  done
done
for page in enclavectl.1 enclavectl-verify.1 enclavectl-policy.1; do
  groff -man -Tutf8 -P-cbou "$scratch/man/$page" 2>/dev/null >"$scratch/out.txt"
  for section in EXAMPLES "EXIT STATUS"; do
    grep -q "^$section" "$scratch/out.txt" || fail "$page has no $section"
  done
  grep -q "64" "$scratch/out.txt" || fail "$page does not list exit code 64"
done
groff -man -Tutf8 -P-cbou "$scratch/man/enclavectl-policy.1" 2>/dev/null \
  | grep -q "enclavectl policy lint policy.json" || fail "enclavectl-policy.1 lacks lint's example"
grep -q -- '--man-page' "$scratch/man/enclave-app.8" && fail "enclave-app.8 shows the hidden flag"
grep -q '^\.SS "enclavectl man' "$scratch/man/enclavectl.1" && fail "enclavectl.1 shows hidden man"

# --- bash completion ---
cd "$scratch"
touch policy.json pcr.json
mkdir states
complete_words() {  # the words typed; the last one is being completed
  COMP_WORDS=("$@")
  COMP_CWORD=$(($# - 1))
  COMP_LINE="$*"
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  local fn
  fn=$(complete -p enclavectl | sed -E 's/.*-F ([^ ]+).*/\1/')
  "$fn" enclavectl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
  printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}
expect() {  # expect "WANTED..." -- words...
  local wanted=$1
  shift 2
  local got
  got=$(complete_words "$@")
  for word in $wanted; do
    [[ " $got " == *" $word "* ]] || fail "completing '$*': want $word, got '$got'"
  done
}
refuse() {  # refuse "UNWANTED..." -- words...
  local unwanted=$1
  shift 2
  local got
  got=$(complete_words "$@")
  for word in $unwanted; do
    [[ " $got " == *" $word "* ]] && fail "completing '$*': did not want $word, got '$got'"
  done
  return 0
}
# shellcheck disable=SC1090
source <("$enclavectl" completion bash)
complete -p enclavectl >/dev/null || fail "bash: no completion registered for enclavectl"
expect "verify eif policy" -- enclavectl ""
expect "verify" -- enclavectl ver
refuse "man" -- enclavectl ""
expect "measure build describe" -- enclavectl eif ""
expect "--doc --expect-pcrs --max-age" -- enclavectl verify --
expect "--require --key-arn" -- enclavectl policy lint --re --
[ "$(complete_words enclavectl policy lint --re)" = "--require " ] \
  || fail "'policy lint --re' should complete to --require alone"
expect "enclave-only locked none" -- enclavectl policy lint --require ""
expect "bip340 ecdsa-p256 ecdsa-secp256k1" -- enclavectl signature verify --scheme ""
[ "$(complete_words enclavectl signature verify --scheme bi)" = "bip340 " ] \
  || fail "'--scheme bi' should complete to bip340"
expect "bash zsh fish" -- enclavectl completion ""
expect "policy.json" -- enclavectl policy lint po
expect "pcr.json" -- enclavectl verify --doc x --expect-pcrs pc
expect "policy.json pcr.json" -- enclavectl verify --json --expect-pcrs ""
expect "states" -- enclavectl kms serve --state st
refuse "policy.json" -- enclavectl policy lint --require ""

# --- zsh and fish parse ---
"$enclavectl" completion zsh >"$scratch/_enclavectl"
"$enclavectl" completion fish >"$scratch/enclavectl.fish"
if command -v zsh >/dev/null 2>&1; then
  zsh -n "$scratch/_enclavectl" || fail "zsh -n refuses the zsh script"
else
  echo "SKIP: zsh not installed (Debian package zsh): the zsh script was not parsed"
fi
if command -v fish >/dev/null 2>&1; then
  fish --no-execute "$scratch/enclavectl.fish" || fail "fish --no-execute refuses the fish script"
  # The fish script also runs: the walk finds the command of a typed line.
  got=$(fish -c "source $scratch/enclavectl.fish; complete -C 'enclavectl signature verify --scheme '" \
    | cut -f1 | sort | tr '\n' ' ')
  [[ $got == *bip340* ]] || fail "fish: '--scheme ' completes to '$got'"
  got=$(fish -c "source $scratch/enclavectl.fish; complete -C 'enclavectl eif '" | cut -f1 | tr '\n' ' ')
  [[ $got == *measure* ]] || fail "fish: 'eif ' completes to '$got'"
else
  echo "SKIP: fish not installed (Debian package fish): the fish script was not parsed"
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "cmddoc shell test: ok"
