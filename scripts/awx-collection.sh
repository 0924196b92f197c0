#!/usr/bin/env bash
# awx.awx (used only by awx/configure_awx.yml) is not in the current `ansible` bundle; Galaxy is out of reach here.
# Take it from the ansible 12.x wheel on PyPI, which ships awx.awx, into .cache/collections (lint and syntax checks).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-$PWD/.venv}/bin
dest=.cache/collections/ansible_collections
if [ ! -f "$dest/awx/awx/MANIFEST.json" ]; then
  tmp=$(mktemp -d)
  "$BIN/python" -m pip download --quiet --no-deps --only-binary=:all: --dest "$tmp" "ansible==12.3.0" 2>/dev/null
  mkdir -p "$dest"
  "$BIN/python" - "$tmp"/ansible-12.3.0-*.whl "$dest" <<'PY'
import sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith("ansible_collections/awx/awx/"):
            z.extract(name, dest.rsplit("ansible_collections", 1)[0])
PY
  rm -rf "$tmp"
fi
echo "$PWD/.cache/collections"
