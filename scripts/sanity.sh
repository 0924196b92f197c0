#!/usr/bin/env bash
# ansible-test sanity on a copy of the collection placed in an ansible_collections/azbackup/vmprep tree.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${VENV:-$ROOT/.venv}/bin
PY=$("$BIN/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
# ansible-test bootstraps pip in its venvs with a script from a host that is out of reach here: put a stand-in in
# its cache that uses ensurepip and PyPI instead.
pipver=$("$BIN/python" -c 'import re,ansible_test,os;p=os.path.join(os.path.dirname(ansible_test.__file__),"_internal/python_requirements.py");print(re.search(r"pip=.([0-9.]+).",open(p).read()).group(1))')
cache="$HOME/.ansible/test/cache/get_pip_${pipver//./_}.py"
[ -f "$cache" ] || { mkdir -p "$(dirname "$cache")"; cp scripts/ansible-test-pip-shim.py "$cache"; }
dest=$(scripts/collection.sh tree "$ROOT/build/sanity")
cd "$dest"
git init -q . && git add -A >/dev/null 2>&1
# --venv: ansible-test makes its own virtualenvs with the exact tool versions its sanity tests pin.
PATH="$BIN:$PATH" "$BIN/ansible-test" sanity --venv --python "$PY" --color no "$@"
