#!/usr/bin/env bash
# The collection docsite's extra docs (docs/docsite/) from docs/*.md, then antsibull-docs' lint of the collection docs:
#   scripts/docsite.sh           regenerate docs/docsite/rst/*.rst and extra-docs.yml, then lint
#   scripts/docsite.sh --check   fail when they are out of date (make docsite, part of make test), then lint
# antsibull-docs and pandoc (pypandoc_binary) live in their own venv, .cache/venv-antsibull-docs, made from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
AD_VENV=${AD_VENV:-$ROOT/.cache/venv-antsibull-docs}
if ! "$AD_VENV/bin/python" -c 'import antsibull_docs, pypandoc' 2>/dev/null; then
  PY=$(scripts/find-python.sh 3.13 3.12 3.11) || PY=""
  [ -n "$PY" ] || { echo "docsite: needs Python 3.11 - 3.13" >&2; exit 1; }
  echo "docsite: creating $AD_VENV (antsibull-docs, pypandoc_binary from PyPI)"
  rm -rf "$AD_VENV" && "$PY" -m venv "$AD_VENV"
  "$AD_VENV/bin/python" -m pip install --quiet antsibull-docs pypandoc_binary 2>&1 | { grep -v "is ignored: it is neither" || true; }
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "docsite: pip install failed" >&2; exit 1; }
fi
"$AD_VENV/bin/python" scripts/docsite.py "$@"
# lint-collection-docs wants the collection under ansible_collections/<namespace>/<name>
dest=$(scripts/collection.sh tree "$ROOT/build/docsite")
# --plugin-docs runs ansible-doc: the ansible-core of $VENV (.venv)
(cd "$dest" && PATH="${VENV:-$ROOT/.venv}/bin:$PATH" "$AD_VENV/bin/antsibull-docs" lint-collection-docs --plugin-docs --skip-rstcheck .)
echo "docsite: antsibull-docs lint-collection-docs clean"
