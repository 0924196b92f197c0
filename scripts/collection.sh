#!/usr/bin/env bash
# Build the collection as users get it and install it from the tarball.
#   scripts/collection.sh build     -> build/dist/azbackup-vmprep-<version>.tar.gz
#   scripts/collection.sh install [DIR] -> DIR (default build/collections)/ansible_collections/azbackup/vmprep,
#                                      installed from that tarball
#   scripts/collection.sh tree DIR  -> copy of the tracked files in DIR/ansible_collections/azbackup/vmprep (for ansible-test)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${VENV:-$ROOT/.venv}/bin
case "${1:-install}" in
  build)
    out=${2:-build/dist}
    rm -rf "$out" && mkdir -p "$out"
    "$BIN/ansible-galaxy" collection build --force --output-path "$out" . >/dev/null
    ls "$out"/*.tar.gz
    ;;
  install)
    dest=$(realpath -m "${2:-$ROOT/build/collections}")
    tarball=$("$0" build "$dest.dist")
    rm -rf "$dest" && mkdir -p "$dest"
    "$BIN/ansible-galaxy" collection install --no-deps --force -p "$dest" "$tarball" >/dev/null
    rm -rf "$dest.dist"
    echo "$dest"
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
