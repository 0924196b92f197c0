#!/usr/bin/env bash
# galaxy-importer, with Automation Hub's settings (scripts/galaxy-importer.cfg), on the collection tarball:
#   scripts/galaxy-importer.sh [TARBALL]   (default: build it with scripts/collection.sh build)
# galaxy-importer lives in its own venv, .cache/venv-galaxy-importer (created from PyPI when missing: it pins its own
# ansible-core, ansible-lint and flake8). Fails when the import log has any ERROR line or the import fails.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
GI_VENV=${GI_VENV:-$ROOT/.cache/venv-galaxy-importer}
if [ ! -x "$GI_VENV/bin/python" ] || ! "$GI_VENV/bin/python" -c 'import galaxy_importer' 2>/dev/null; then
  PY=$(scripts/find-python.sh 3.12 3.11 3.13) || PY=""
  [ -n "$PY" ] || { echo "galaxy-importer: needs Python 3.11 - 3.13" >&2; exit 1; }
  echo "galaxy-importer: creating $GI_VENV with $PY and installing galaxy-importer from PyPI (about 2 minutes)"
  rm -rf "$GI_VENV"
  "$PY" -m venv "$GI_VENV"
  { "$GI_VENV/bin/python" -m pip install --quiet --upgrade pip &&
    "$GI_VENV/bin/python" -m pip install --quiet galaxy-importer; } 2>&1 | { grep -v "is ignored: it is neither" || true; }
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "galaxy-importer: pip install failed" >&2; exit 1; }
fi
tarball=$(realpath "${1:-$(scripts/collection.sh build "$ROOT/build/galaxy-importer/dist")}")
work="$ROOT/build/galaxy-importer"
mkdir -p "$work/tmp"
log="$work/import.log"
export GALAXY_IMPORTER_CONFIG="$ROOT/scripts/galaxy-importer.cfg"
export GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP="$work/tmp" GALAXY_IMPORTER_TMP_ROOT_DIR="$work/tmp"
# galaxy-importer calls ansible-doc, ansible-lint and flake8 from its own venv.
rc=0
# (run from $work: galaxy-importer writes importer_result.json into its working directory)
(cd "$work" && PATH="$GI_VENV/bin:$PATH" ANSIBLE_LOCAL_TEMP="$work/tmp" "$GI_VENV/bin/python" -m galaxy_importer.main "$tarball") >"$log" 2>&1 || rc=$?
errors=$(grep -cE '^ERROR|ERROR:|\bERROR\b' "$log" || true)
warnings=$(grep -cE '^WARNING|WARNING:' "$log" || true)
if [ "$rc" -ne 0 ] || [ "$errors" -ne 0 ]; then
  cat "$log" >&2
  echo "galaxy-importer: FAILED on $(basename "$tarball") (exit $rc, $errors error lines; log $log)" >&2
  exit 1
fi
echo "galaxy-importer: $(basename "$tarball") imported, 0 errors, $warnings warnings ($("$GI_VENV/bin/python" -m pip show galaxy-importer 2>/dev/null | sed -n 's/^Version: /galaxy-importer /p'); log $log)"
