#!/usr/bin/env bash
# Create (or refresh) the project's virtualenv in .venv with the newest Python the machine offers.
# ansible-core >= 2.20 needs Python >= 3.12; with only 3.11 the `ansible` 12.x bundle (core 2.19) is used.
#
# LOWEST=1 scripts/venv.sh creates .venv-lowest instead, for `make integration-lowest`: every Azure SDK at the lower
# bound of requirements.txt (tests/constraints/lowest.txt) and the lowest ansible-core that requires_ansible claims
# (2.16, tests/constraints/lowest-tools.txt), on Python 3.12 (ansible-core 2.16's newest controller Python).
# Both are idempotent: pip runs only when a requirements or constraints file is newer than the venv's stamp.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${LOWEST:-0}" = 1 ]; then
  VENV=${VENV_LOWEST:-.venv-lowest}
  constraints=(-c tests/constraints/lowest.txt)
  requirements=(-r requirements.txt -r tests/constraints/lowest-tools.txt)
  pythons=(3.12)
  inputs=(requirements.txt tests/constraints/lowest-tools.txt tests/constraints/lowest.txt)
else
  VENV=${VENV:-.venv}
  constraints=()
  requirements=(-r requirements-dev.txt)
  pythons=(3.13 3.12)
  inputs=(requirements.txt requirements-dev.txt)
fi
pick_python() { scripts/find-python.sh "${pythons[@]}" || command -v python3; }
venv_started=$(date +%s)
elapsed() { echo "$(( $(date +%s) - venv_started )) s"; }
# A venv on a Python this pass does not use (say .venv-lowest from before it moved to 3.12) is made again.
if [ -x "$VENV/bin/python" ] && [ "${LOWEST:-0}" = 1 ]; then
  have=$("$VENV/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  case " ${pythons[*]} " in *" $have "*) ;; *) echo "venv: $VENV has Python $have, this pass wants ${pythons[*]}: making it again"; rm -rf "$VENV" ;; esac
fi
if [ ! -x "$VENV/bin/python" ]; then
  PY=$(pick_python)
  echo "venv: [1/3] creating $VENV with $PY ($($PY --version))"
  "$PY" -m venv "$VENV"
fi
stamp="$VENV/.req-stamp"
stale=0
[ -f "$stamp" ] || stale=1
for f in "${inputs[@]}"; do [ "$f" -nt "$stamp" ] && stale=1; done
if [ $stale = 1 ]; then
  # pip is quiet for minutes on a fresh machine (about 3 minutes for ansible-core, ansible-lint and the Azure
  # SDKs): say which step runs, and every 20 s that pip is still working and for how long.
  # (the ticker's own sleep is ended with it, so nothing holds the output open afterwards)
  ( trap 'kill "$nap" 2>/dev/null; exit 0' TERM
    while :; do sleep 20 & nap=$!; wait "$nap"; echo "venv:       pip is still working ($(elapsed) so far)"; done ) &
  ticker=$!
  trap 'kill "$ticker" 2>/dev/null || true' EXIT
  # (this machine's pip configuration names local wheel folders that may not exist: drop those warnings)
  set +e
  { echo "venv: [2/3] upgrading pip" &&
    "$VENV/bin/python" -m pip install --quiet --upgrade pip &&
    echo "venv: [3/3] installing ${requirements[*]}${constraints[*]:+ with ${constraints[*]}} ($(elapsed) so far; a few minutes on a fresh machine)" &&
    "$VENV/bin/python" -m pip install --quiet "${requirements[@]}" "${constraints[@]}"; } 2>&1 |
    { grep --line-buffered -v "is ignored: it is neither" || true; }
  rc=${PIPESTATUS[0]}
  set -e
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  trap - EXIT
  [ "$rc" -eq 0 ] || { echo "venv: pip install failed after $(elapsed)" >&2; exit 1; }
  echo "venv: packages installed in $(elapsed)"
  if [ "${LOWEST:-0}" = 1 ]; then
    # The lower bounds must install together and import on this Python, or the pass is meaningless.
    "$VENV/bin/python" -m pip check >/dev/null || { "$VENV/bin/python" -m pip check >&2; exit 1; }
    "$VENV/bin/python" - <<'PY' || { echo "venv: the lowest SDKs do not import" >&2; exit 1; }
import azure.identity, azure.mgmt.core, azure.mgmt.network, azure.mgmt.recoveryservices, azure.mgmt.recoveryservicesbackup, azure.mgmt.compute, jmespath  # noqa
PY
  fi
  touch "$stamp"
fi
if [ "${LOWEST:-0}" = 1 ]; then
  echo "venv: $VENV $("$VENV/bin/python" --version), $("$VENV/bin/ansible" --version 2>/dev/null | sed -n 1p), lowest SDKs: $("$VENV/bin/python" -m pip list --format=freeze 2>/dev/null |
    grep -iE '^(azure-(identity|core|mgmt-core|mgmt-network|mgmt-recoveryservices|mgmt-recoveryservicesbackup|mgmt-compute)|jmespath|msal)==' | tr '\n' ' ')"
else
  echo "venv: $("$VENV/bin/python" --version), $("$VENV/bin/ansible" --version 2>/dev/null | sed -n 1p)"
fi
