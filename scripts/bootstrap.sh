#!/usr/bin/env bash
# Installs every Debian package enclavectl needs to build, test and demo. Idempotent: quiet
# when everything is already present. Needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config g++ clang-14 libclang-rt-14-dev
  # libraries (../shared/DESIGN.md: Debian packages only)
  libssl-dev libcbor-dev libsecp256k1-dev nettle-dev libgmp-dev libcurl4-openssl-dev libcli11-dev
  nlohmann-json3-dev libzip-dev zlib1g-dev libsqlite3-dev libexpected-dev libboost-dev libboost-system-dev
  # Prometheus metrics (enclavectl monitor, enclave-app --metrics)
  prometheus-cpp-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev wrk python3 cpio tar openssl curl
  # the monitor's end-to-end test and rule tests (prometheus, promtool)
  prometheus
  # man pages, completions, units and the Debian package (issue 17): groff checks the pages,
  # zsh and fish parse their completion scripts, systemd-analyze verifies the units,
  # dpkg-dev computes the package's dependencies (dpkg-shlibdeps), lintian judges the .deb
  groff-base man-db bash-completion zsh fish systemd dpkg-dev lintian
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
# Node.js and npm (the independent Bitcoin check installs @scure/btc-signer from npm): any
# installation on PATH will do; Debian's packages only when there is none.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "bootstrap: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo)
  else
    echo "bootstrap: missing packages and not root: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "bootstrap: done"
