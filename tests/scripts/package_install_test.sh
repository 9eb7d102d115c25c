#!/usr/bin/env bash
# The Debian package, built with cpack from this build tree, installed into a scratch root
# with `dpkg --root ROOT -i` (an empty dpkg database there, so its dependencies are checked
# against the host's instead): the installed binaries run (--version names the package's version), the man
# pages are found by `man -w` on the installed manpath, the installed bash completion
# completes, `enclavectl completion bash` works, and every program the installed units run
# is installed by the package (or is nitro-cli's vsock-proxy); the installed units pass
# `systemd-analyze verify` in the scratch root.
# Usage: package_install_test.sh BUILD_DIR
set -euo pipefail
build=$(realpath "$1")
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

cpack --config "$build/CPackConfig.cmake" -B "$scratch/out" >"$scratch/cpack.log" 2>&1 \
  || { cat "$scratch/cpack.log" >&2; exit 1; }
debs=("$scratch"/out/enclavectl_*-1_*.deb)
[ -f "${debs[0]}" ] || { echo "FAIL: cpack made no enclavectl_*-1_*.deb" >&2; exit 1; }
deb=${debs[0]}
version=$(dpkg-deb -f "$deb" Version)
echo "package: $(basename "$deb") ($version)"
dpkg-deb -f "$deb" Depends | grep -q 'libssl3' || fail "Depends lacks libssl3 (shlibdeps)"
dpkg-deb -f "$deb" Depends | grep -q 'python3' || fail "Depends lacks python3 (the watchdog)"

root=$scratch/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
dpkg --root="$root" --force-depends --force-not-root --force-script-chrootless \
  --log="$scratch/dpkg.log" -i "$deb" >"$scratch/dpkg.out" 2>&1 \
  || { cat "$scratch/dpkg.out" >&2; exit 1; }
dpkg --root="$root" -s enclavectl | grep -q '^Status: install ok installed' \
  || fail "dpkg does not list enclavectl as installed in the scratch root"
# Its dependencies are those of the host that built it.
depends=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed -E 's/^ *([^ (]+).*/\1/')
for package in $depends; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || fail "dependency $package is not installed on this machine"
done
for file in usr/bin/enclavectl usr/bin/enclave-app usr/share/enclavectl/aws_nitro_root_g1.pem \
            usr/share/doc/enclavectl/copyright usr/share/doc/enclavectl/changelog.Debian.gz \
            usr/share/bash-completion/completions/enclavectl \
            usr/share/zsh/vendor-completions/_enclavectl \
            usr/share/fish/vendor_completions.d/enclavectl.fish \
            usr/libexec/enclavectl/enclavectl-enclave-watchdog \
            lib/systemd/system/enclavectl-enclave@.service \
            lib/systemd/system/enclavectl-vsock-proxy.service \
            lib/systemd/system/enclavectl-monitor.service \
            usr/share/enclavectl/examples/enclave.env; do
  [ -e "$root/$file" ] || fail "the package lacks /$file"
done
gzip -t "$root/usr/share/doc/enclavectl/changelog.Debian.gz" || fail "changelog.Debian.gz is not gzip"
cmp -s "$root/usr/share/enclavectl/aws_nitro_root_g1.pem" \
  "$(dirname "$0")/../../share/aws_nitro_root_g1.pem" || fail "the pinned root differs"

# The installed programs run.
upstream=${version%-*}
"$root/usr/bin/enclavectl" --version | grep -q "enclavectl $upstream" \
  || fail "installed enclavectl --version does not say $upstream"
"$root/usr/bin/enclave-app" --version | grep -q "enclave-app $upstream" \
  || fail "installed enclave-app --version does not say $upstream"

# man -w on the installed manpath.
for page in enclavectl enclavectl-verify enclavectl-eif enclave-app; do
  where=$(MANPATH="$root/usr/share/man" man -w "$page" 2>/dev/null) \
    || fail "man -w $page finds nothing in the installed manpath"
  [[ $where == "$root"/* ]] || fail "man -w $page: $where is not the installed page"
done
MANPATH="$root/usr/share/man" MANWIDTH=80 man enclavectl-verify 2>/dev/null \
  | grep -q -- "--expect-pcr0" || fail "man enclavectl-verify does not document --expect-pcr0"

# Completion: the command, and the installed script driven like bash does.
"$root/usr/bin/enclavectl" completion bash | grep -q "complete -F _enclavectl enclavectl" \
  || fail "enclavectl completion bash printed no completion"
(
  # shellcheck disable=SC1091
  source "$root/usr/share/bash-completion/completions/enclavectl"
  COMP_WORDS=(enclavectl policy lint --require "")
  COMP_CWORD=4
  _enclavectl enclavectl "" --require
  [[ " ${COMPREPLY[*]} " == *" enclave-only "* ]] || exit 1
) || fail "the installed bash completion does not complete --require values"

# Units: every program they run is in the package, except nitro-cli's vsock-proxy.
for unit in "$root"/lib/systemd/system/*.service; do
  # shellcheck disable=SC2013  # paths have no spaces
  for program in $(sed -n 's/^Exec[A-Za-z]*=[-@+!]*\(\/[^ ]*\).*/\1/p' "$unit"); do
    if [ "$program" = /usr/bin/vsock-proxy ]; then
      continue
    fi
    [ -x "$root$program" ] || fail "$(basename "$unit") runs $program, which is not installed"
  done
done
if command -v systemd-analyze >/dev/null 2>&1; then
  mkdir -p "$root/lib/systemd" "$root/usr/bin"
  cp -rn /lib/systemd/system/. "$root/lib/systemd/system/"
  printf '#!/bin/sh\nexit 0\n' >"$root/usr/bin/vsock-proxy"
  chmod +x "$root/usr/bin/vsock-proxy"
  for unit in enclavectl-enclave@.service enclavectl-vsock-proxy.service \
              enclavectl-monitor.service; do
    out=$(MANPATH="$root/usr/share/man" systemd-analyze verify --root="$root" \
      "$root/lib/systemd/system/$unit" 2>&1) || fail "systemd-analyze verify $unit: $out"
    [ -z "$out" ] || fail "systemd-analyze verify $unit: $out"
  done
else
  echo "SKIP: systemd-analyze not installed: installed units not verified"
fi

# Removal leaves none of the package's files behind.
rm -f "$root/usr/bin/vsock-proxy"
dpkg --root="$root" --force-not-root --force-script-chrootless --log="$scratch/dpkg.log" \
  -r enclavectl >"$scratch/dpkg.out" 2>&1 || fail "dpkg -r: $(cat "$scratch/dpkg.out")"
[ ! -e "$root/usr/bin/enclavectl" ] || fail "dpkg -r left /usr/bin/enclavectl"

[ "$failures" -eq 0 ] || exit 1
echo "package install test: ok"
