#!/usr/bin/env bash
# Static checks for the Windows side of the guest roles (no Windows host is reachable here):
#   1. ansible-playbook --syntax-check of plays that import every Windows task file and call the roles;
#   2. argument checks: Windows inputs validated against meta/argument_specs.yml, invalid ones rejected, and the
#      roles' OS-independent input checks run on the controller;
#   3. ansible-doc can render every role's argument spec;
#   4. ansible-lint --profile production on the four roles (Windows tasks included).
# Needs ANSIBLE_COLLECTIONS_PATH to contain azbackup.vmprep (run.sh sets it; standalone it uses build/).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
if [ -z "${ANSIBLE_COLLECTIONS_PATH:-}" ]; then
  mkdir -p "$ROOT/build/ansible_collections/azbackup"
  ln -sfn ../../.. "$ROOT/build/ansible_collections/azbackup/vmprep"
  export ANSIBLE_COLLECTIONS_PATH="$ROOT/build"
fi
# shellcheck source=/dev/null # the venv is made by scripts/venv.sh
[ -n "${VIRTUAL_ENV:-}" ] || . "$ROOT/.venv/bin/activate"
export ANSIBLE_NOCOLOR=1
rc=0
step() { echo "== $1"; shift; if "$@"; then echo "   ok"; else echo "   FAILED"; rc=1; fi; }
step "syntax check (Windows task files and roles)" \
  ansible-playbook -i "$HERE/windows/inventory.ini" "$HERE/windows/syntax.yml" --syntax-check
step "argument checks with Windows inputs" \
  ansible-playbook -i "$HERE/windows/inventory.ini" "$HERE/windows/arguments.yml"
step "proxy_firewall input checks (Windows and invalid inputs)" \
  ansible-playbook -i "$HERE/windows/inventory.ini" "$HERE/windows/proxy_firewall_inputs.yml"
for r in vm_agent proxy_client proxy_server proxy_firewall; do
  step "ansible-doc renders azbackup.vmprep.$r" sh -c "ansible-doc -t role azbackup.vmprep.$r >/dev/null"
done
step "ansible-lint --profile production (roles)" \
  sh -c "cd '$ROOT' && ansible-lint --profile production --offline roles/vm_agent roles/proxy_client roles/proxy_server roles/proxy_firewall tests/roles"
exit $rc
