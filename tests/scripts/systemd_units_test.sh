#!/usr/bin/env bash
# The parent-instance units of share/systemd pass `systemd-analyze verify` (systemd, the
# Debian package) in a scratch root: systemd's own units copied in, stub executables where
# the units' programs will be installed (the package puts enclavectl and the watchdog there;
# vsock-proxy comes with aws-nitro-enclaves-cli), and the built man pages on MANPATH for the
# units' Documentation=man: references. A unit whose program is missing must fail the same
# check, so the check is known to bite.
# Usage: systemd_units_test.sh SOURCE_DIR MAN_DIR
set -euo pipefail
source_dir=$1
man_dir=$(realpath "$2")
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "SKIP: systemd-analyze not installed (Debian package systemd)"
  exit 0
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/lib/systemd" "$root/etc/systemd/system" "$root/etc/enclavectl"
cp -r /lib/systemd/system "$root/lib/systemd/"
units=(enclavectl-enclave@.service enclavectl-vsock-proxy.service enclavectl-monitor.service)
failures=0
for unit in "${units[@]}"; do
  cp "$source_dir/share/systemd/$unit" "$root/etc/systemd/system/"
  # Every absolute program the unit runs gets a stub.
  # shellcheck disable=SC2013  # paths have no spaces
  for program in $(sed -n 's/^Exec[A-Za-z]*=[-@+!]*\(\/[^ ]*\).*/\1/p' "$source_dir/share/systemd/$unit"); do
    mkdir -p "$root$(dirname "$program")"
    printf '#!/bin/sh\nexit 0\n' >"$root$program"
    chmod +x "$root$program"
  done
done
for unit in "${units[@]}"; do
  if ! out=$(MANPATH="$man_dir" systemd-analyze verify --root="$root" \
      "$root/etc/systemd/system/$unit" 2>&1) || [ -n "$out" ]; then
    echo "FAIL: systemd-analyze verify $unit: $out" >&2
    failures=$((failures + 1))
  fi
done
# The check bites: without its program, the monitor unit fails.
rm "$root/usr/bin/enclavectl"
if MANPATH="$man_dir" systemd-analyze verify --root="$root" \
    "$root/etc/systemd/system/enclavectl-monitor.service" >/dev/null 2>&1; then
  echo "FAIL: systemd-analyze verify accepts a unit whose program is missing" >&2
  failures=$((failures + 1))
fi
[ "$failures" -eq 0 ] || exit 1
echo "systemd units: ok"
