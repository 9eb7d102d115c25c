#!/usr/bin/env bash
# Builds the Debian package: configures the release preset (hardened, optimised), builds the
# two programs, their man pages and completions (not the tests), runs cpack (DEB), then
# lintian on the result.
#   build/release/enclavectl_<version>-1_<arch>.deb
# lintian's findings are printed; the script fails when lintian reports an error.
# Usage: scripts/package.sh [-jN]   (default: -j2)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:--j2}
scripts/bootstrap.sh
if [ -f /root/.ccache-env ]; then
  # shellcheck disable=SC1091
  source /root/.ccache-env
fi
cmake --preset release >/dev/null
cmake --build build/release "$jobs" --target enclavectl enclave-app enclavectl_docs \
  enclavectl_changelog
(cd build/release && cpack -G DEB)
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' build/release/CMakeCache.txt)
deb=build/release/enclavectl_${version}-1_$(dpkg --print-architecture).deb
[ -f "$deb" ] || { echo "package.sh: $deb was not produced" >&2; exit 1; }
echo "package.sh: $deb"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'
if command -v lintian >/dev/null 2>&1; then
  echo "package.sh: lintian --display-info $deb"
  lintian --display-info --fail-on error "$deb"
else
  echo "package.sh: lintian is not installed (scripts/bootstrap.sh installs it)" >&2
  exit 1
fi
