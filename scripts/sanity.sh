#!/usr/bin/env bash
# ansible-test sanity on a copy of the collection placed in an ansible_collections/azbackup/vmprep tree.
#   scripts/sanity.sh [ansible-test sanity args]            newest: the ansible-core of $VENV (.venv)
#   scripts/sanity.sh --oldest [ansible-test sanity args]   oldest: the ansible-core that meta/runtime.yml's
#                                                           requires_ansible names (scripts/venv-sanity-oldest.sh)
# The shellcheck test needs the ShellCheck program (scripts/system-deps.sh): ansible-test would skip it silently,
# so this script fails instead when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
tree="$ROOT/build/sanity"
if [ "${1:-}" = --oldest ]; then
  shift
  scripts/venv-sanity-oldest.sh
  VENV=${VENV_SANITY_OLDEST:-$ROOT/.cache/venv-sanity-oldest}
  tree="$ROOT/build/sanity-oldest"
fi
BIN=${VENV:-$ROOT/.venv}/bin
case " $* " in
  *" --test "*) wants_shellcheck=0; case " $* " in *" --test shellcheck "*) wants_shellcheck=1 ;; esac ;;
  *) wants_shellcheck=1 ;;
esac
if [ "$wants_shellcheck" = 1 ] && ! command -v shellcheck >/dev/null 2>&1; then
  echo "sanity: the ShellCheck program is missing, and ansible-test would skip its shellcheck test; run scripts/system-deps.sh as root" >&2
  exit 1
fi
PY=$("$BIN/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
echo "sanity: $("$BIN/ansible" --version | sed -n 1p) on Python $PY"
# ansible-test bootstraps pip in its venvs with a script from a host that is out of reach here: put a stand-in in
# its cache that uses ensurepip and PyPI instead.
pipver=$("$BIN/python" -c 'import re,ansible_test,os;p=os.path.join(os.path.dirname(ansible_test.__file__),"_internal/python_requirements.py");print(re.search(r"pip=.([0-9.]+).",open(p).read()).group(1))')
cache="$HOME/.ansible/test/cache/get_pip_${pipver//./_}.py"
[ -f "$cache" ] || { mkdir -p "$(dirname "$cache")"; cp scripts/ansible-test-pip-shim.py "$cache"; }
dest=$(scripts/collection.sh tree "$tree")
cd "$dest"
git init -q . && git add -A >/dev/null 2>&1
# --venv: ansible-test makes its own virtualenvs with the exact tool versions its sanity tests pin.
PATH="$BIN:$PATH" "$BIN/ansible-test" sanity --venv --python "$PY" --color no "$@"
