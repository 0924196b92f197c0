#!/usr/bin/env bash
# The interpreter for a venv: the first of the given Python versions (X.Y, in order of preference), from PATH or
# pyenv, that has venv and ssl. Prints its path; exits 1 when none is found.
#   scripts/find-python.sh 3.13 3.12
# One home for the search that scripts/venv.sh, venv-sanity-oldest.sh, docsite.sh and galaxy-importer.sh share.
set -euo pipefail
for v in "$@"; do
  for cand in "python$v" "${PYENV_ROOT:-$HOME/.pyenv}/versions/$v"*/bin/"python$v"; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import venv, ssl' 2>/dev/null; then
      command -v "$cand"; exit 0
    fi
  done
done
exit 1
