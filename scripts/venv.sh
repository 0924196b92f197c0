#!/usr/bin/env bash
# Create (or refresh) the project's virtualenv in .venv with the newest Python the machine offers.
# ansible-core >= 2.20 needs Python >= 3.12; with only 3.11 the `ansible` 12.x bundle (core 2.19) is used.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
pick_python() {
  for v in 3.13 3.12; do
    for cand in "python$v" "${PYENV_ROOT:-$HOME/.pyenv}/versions/$v"*/bin/python$v; do
      if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import venv, ssl' 2>/dev/null; then
        command -v "$cand"; return
      fi
    done
  done
  command -v python3
}
if [ ! -x "$VENV/bin/python" ]; then
  PY=$(pick_python)
  echo "venv: creating $VENV with $PY ($($PY --version))"
  "$PY" -m venv "$VENV"
fi
stamp="$VENV/.req-stamp"
if [ ! -f "$stamp" ] || [ requirements.txt -nt "$stamp" ] || [ requirements-dev.txt -nt "$stamp" ]; then
  # (this machine's pip configuration names local wheel folders that may not exist: drop those warnings)
  { "$VENV/bin/python" -m pip install --quiet --upgrade pip &&
    "$VENV/bin/python" -m pip install --quiet -r requirements-dev.txt; } 2>&1 | { grep -v "is ignored: it is neither" || true; }
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "venv: pip install failed" >&2; exit 1; }
  touch "$stamp"
fi
echo "venv: $("$VENV/bin/python" --version), $("$VENV/bin/ansible" --version 2>/dev/null | sed -n 1p)"
