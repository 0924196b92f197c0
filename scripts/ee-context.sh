#!/usr/bin/env bash
# The execution environment's build context from this checkout, with no Galaxy lookup for azbackup.vmprep:
#   scripts/ee-context.sh [CONTEXT_DIR]    (default build/ee; `make ee-context`)
# builds the collection tarball, copies execution-environment/ to build/ee-src with the tarball in
# collections/azbackup-vmprep.tar.gz, and runs `ansible-builder create`. Building the image needs a container
# engine and registry access: `podman build -f CONTEXT_DIR/Containerfile -t azbackup-vmprep-ee:VERSION CONTEXT_DIR`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${VENV:-$ROOT/.venv}/bin
context=$(realpath -m "${1:-$ROOT/build/ee}")
src="$context-src"
rm -rf "$src" "$context"
mkdir -p "$src/collections"
tarball=$(scripts/collection.sh build "$src.dist")
cp -r execution-environment/. "$src/"
cp "$tarball" "$src/collections/azbackup-vmprep.tar.gz"
rm -rf "$src.dist"
"$BIN/ansible-builder" create -f "$src/execution-environment.yml" -c "$context" --output-filename Containerfile >/dev/null
test -f "$context/_build/collections/azbackup-vmprep.tar.gz" || { echo "ee-context: the tarball is not in the build context" >&2; exit 1; }
echo "ee-context: $context (Containerfile; $(basename "$tarball") as _build/collections/azbackup-vmprep.tar.gz)"
