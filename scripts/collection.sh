#!/usr/bin/env bash
# Build the collection as users get it and install it from the tarball.
#   scripts/collection.sh build     -> build/dist/azbackup-vmprep-<version>.tar.gz
#   scripts/collection.sh install   -> build/collections/ansible_collections/azbackup/vmprep (from that tarball)
#   scripts/collection.sh tree DIR  -> copy of the tracked files in DIR/ansible_collections/azbackup/vmprep (for ansible-test)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${VENV:-$ROOT/.venv}/bin
case "${1:-install}" in
  build)
    rm -rf build/dist && mkdir -p build/dist
    "$BIN/ansible-galaxy" collection build --force --output-path build/dist . >/dev/null
    ls build/dist/*.tar.gz
    ;;
  install)
    tarball=$("$0" build)
    rm -rf build/collections && mkdir -p build/collections
    "$BIN/ansible-galaxy" collection install --no-deps --force -p build/collections "$tarball" >/dev/null
    echo "$ROOT/build/collections"
    ;;
  tree)
    dest="${2:?tree needs a directory}/ansible_collections/azbackup/vmprep"
    rm -rf "$dest" && mkdir -p "$dest"
    git ls-files -z --cached --others --exclude-standard | \
      (cd "$ROOT" && xargs -0 -I{} sh -c 'test -e "{}" && echo "{}"') | \
      tar -C "$ROOT" -cf - -T - | tar -C "$dest" -xf -
    echo "$dest"
    ;;
  *) echo "usage: $0 build|install|tree DIR" >&2; exit 2 ;;
esac
