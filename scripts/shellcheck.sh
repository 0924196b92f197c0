#!/usr/bin/env bash
# Run ShellCheck over every tracked shell script (*.sh and .ci/run), at shellcheck's default severity (notes included).
# Unlike ansible-test sanity, which skips its shellcheck test when the program is missing, this fails loudly.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v shellcheck >/dev/null 2>&1; then
  echo "shellcheck: the shellcheck program is missing; run scripts/system-deps.sh as root (Debian: apt-get install shellcheck)" >&2
  exit 1
fi
mapfile -t files < <(git ls-files -co --exclude-standard -- '*.sh' .ci/run | while read -r f; do [ -f "$f" ] && echo "$f"; done)
[ ${#files[@]} -gt 0 ] || { echo "shellcheck: no shell scripts found" >&2; exit 1; }
shellcheck "${files[@]}"
echo "shellcheck: ${#files[@]} scripts clean ($(shellcheck --version | sed -n 's/^version: //p'))"
