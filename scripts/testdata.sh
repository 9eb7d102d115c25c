#!/usr/bin/env bash
# Keeps tests/data (the repository's own copy of the real test data) true.
#   scripts/testdata.sh --check   verify tests/data against tests/data/SHA256SUMS and, when
#                                 ../shared/testdata is present, against the shared originals
#   scripts/testdata.sh --sync    copy ../shared/testdata into tests/data, rewrite SHA256SUMS
# Exit 0 when the copy is intact (or synced), 1 when a file differs or is missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data=$root/tests/data
shared=$root/../shared/testdata

sums() {
  (cd "$data" && find . -type f ! -path ./SHA256SUMS ! -path ./README.md -print0 | sort -z |
    xargs -0 sha256sum)
}

case "${1:-}" in
  --check)
    (cd "$data" && sha256sum --quiet --strict -c SHA256SUMS)
    listed=$(cut -c67- "$data/SHA256SUMS" | sort)
    present=$(sums | cut -c67- | sort)
    if [ "$listed" != "$present" ]; then
      echo "testdata.sh: tests/data holds files SHA256SUMS does not list, or lacks listed ones:" >&2
      diff <(echo "$listed") <(echo "$present") >&2 || true
      exit 1
    fi
    if [ -d "$shared" ]; then
      differences=$(diff -rq "$shared" "$data" 2>&1 |
        grep -v -x -e "Only in $data: README.md" -e "Only in $data: SHA256SUMS" || true)
      if [ -n "$differences" ]; then
        echo "testdata.sh: tests/data differs from ../shared/testdata (run --sync and review):" >&2
        echo "$differences" >&2
        exit 1
      fi
    fi
    echo "tests/data: $(wc -l <"$data/SHA256SUMS") files intact"
    ;;
  --sync)
    [ -d "$shared" ] || { echo "testdata.sh: no ../shared/testdata to copy from" >&2; exit 1; }
    cp -r "$shared/." "$data/"
    sums >"$data/SHA256SUMS"
    echo "tests/data: synced $(wc -l <"$data/SHA256SUMS") files from ../shared/testdata"
    ;;
  *)
    echo "usage: scripts/testdata.sh --check | --sync" >&2
    exit 64
    ;;
esac
