#!/usr/bin/env bash
# Static checks: the rooms' layering (scripts/check-layers.py: includes point down, no source
# file over 900 lines), clang-format (dry run) and clang-tidy 14 (.clang-tidy) on the given
# files, or on every tracked C++ file. Uses build/dev/compile_commands.json.
# Usage: scripts/lint.sh [FILE...]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/dev/compile_commands.json ] || cmake --preset dev >/dev/null
if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files '*.cpp' | grep -v '^tests/fuzz/corpus/')
fi
status=0
python3 scripts/check-layers.py || status=1
for f in "${files[@]}"; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || { echo "not clang-formatted: $f"; status=1; }
done
sources=()
for f in "${files[@]}"; do
  case "$f" in *.cpp) sources+=("$f") ;; esac
done
if [ ${#sources[@]} -gt 0 ]; then
  clang-tidy -p build/dev --quiet "${sources[@]}" 2>/dev/null | grep -E "warning:|error:" || true
fi
exit $status
