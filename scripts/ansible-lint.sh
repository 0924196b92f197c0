#!/usr/bin/env bash
# ansible-lint (production profile) with the collection importable under its own name.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${VENV:-$ROOT/.venv}/bin
mkdir -p build/lint/ansible_collections/azbackup
ln -sfn "$ROOT" build/lint/ansible_collections/azbackup/vmprep
awx_path=$(scripts/awx-collection.sh)
export ANSIBLE_COLLECTIONS_PATH="$ROOT/build/lint:$awx_path"
export PATH="$BIN:$PATH"
export ANSIBLE_ROLES_PATH="$ROOT/roles"
"$BIN/ansible-lint" --profile production --offline
