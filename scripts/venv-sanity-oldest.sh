#!/usr/bin/env bash
# Create (or refresh) the venv for sanity on the OLDEST ansible-core that meta/runtime.yml's requires_ansible claims.
#   scripts/venv-sanity-oldest.sh            -> .cache/venv-sanity-oldest (ansible-core <floor>.x on Python 3.12 or 3.11)
# The floor is read from meta/runtime.yml, so raising requires_ansible moves this venv with it.
# Idempotent: pip runs only when meta/runtime.yml is newer than the venv's stamp.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV_SANITY_OLDEST:-.cache/venv-sanity-oldest}
floor=$(sed -n "s/^requires_ansible: *['\"]>=\([0-9]*\.[0-9]*\).*/\1/p" meta/runtime.yml)
[ -n "$floor" ] || { echo "venv-sanity-oldest: no requires_ansible '>=X.Y' in meta/runtime.yml" >&2; exit 1; }
pick_python() {
  # ansible-core 2.16 and 2.17 run their controller on Python 3.10 - 3.12: take the newest of those.
  scripts/find-python.sh 3.12 3.11 ||
    { echo "venv-sanity-oldest: needs Python 3.12 or 3.11 (e.g. pyenv install 3.12)" >&2; return 1; }
}
if [ ! -x "$VENV/bin/python" ]; then
  PY=$(pick_python)
  echo "venv-sanity-oldest: creating $VENV with $PY ($($PY --version)), ansible-core ~=$floor.0"
  "$PY" -m venv "$VENV"
fi
stamp="$VENV/.req-stamp"
if [ ! -f "$stamp" ] || [ meta/runtime.yml -nt "$stamp" ]; then
  echo "venv-sanity-oldest: installing ansible-core ~=$floor.0"
  { "$VENV/bin/python" -m pip install --quiet --upgrade pip &&
    "$VENV/bin/python" -m pip install --quiet "ansible-core~=$floor.0"; } 2>&1 | { grep -v "is ignored: it is neither" || true; }
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "venv-sanity-oldest: pip install failed" >&2; exit 1; }
  touch "$stamp"
fi
echo "venv-sanity-oldest: $("$VENV/bin/python" --version), $("$VENV/bin/ansible" --version 2>/dev/null | sed -n 1p)"
