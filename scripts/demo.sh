#!/usr/bin/env bash
# make demo: start the local ARM sandbox (and test hosts when available), run the main playbook against it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${VENV:-$ROOT/.venv}/bin
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
step "Building and installing the collection from its tarball"
export ANSIBLE_COLLECTIONS_PATH=$(scripts/collection.sh install)
step "Starting the local ARM sandbox (HTTPS, seeded with a demo estate)"
eval "$(scripts/sandbox-env.sh)"
echo "sandbox: $AZBACKUP_SANDBOX_URL (state in .sandbox/, stop with: kill \$(jq .pid .sandbox/sandbox.json))"
export ANSIBLE_PYTHON_INTERPRETER=$BIN/python ANSIBLE_LOCALHOST_WARNING=false
PLAYBOOK=${DEMO_PLAYBOOK:-}
if [ -z "$PLAYBOOK" ]; then
  for candidate in playbooks/prepare_backup_environment.yml playbooks/service_tags.yml; do
    [ -f "$candidate" ] && { PLAYBOOK=$candidate; break; }
  done
fi
step "Running $PLAYBOOK against the sandbox"
"$BIN/ansible-playbook" -i inventories/demo/hosts.yml "$PLAYBOOK" ${DEMO_ARGS:-}
step "Done"
if [ -d reports ]; then echo "Reports: $ROOT/reports/"; ls reports; fi
