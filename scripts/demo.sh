#!/usr/bin/env bash
# make demo: start the local ARM sandbox (and, when podman works, two local systemd containers as VMs), run
# playbooks/prepare_backup_environment.yml against them, and say where the readiness report is.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${VENV:-$ROOT/.venv}/bin
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
started=$(date +%s)

step "1/4 Building the collection and installing it from its tarball"
ANSIBLE_COLLECTIONS_PATH=$(scripts/collection.sh install "$ROOT/build/demo-collections" 2>/dev/null)
export ANSIBLE_COLLECTIONS_PATH

step "2/4 Starting the local ARM sandbox (HTTPS, seeded with a demo estate of 7 VMs in 2 regions)"
eval "$(scripts/sandbox-env.sh)"
if [ -n "${DEMO_RESET:-}" ]; then
  # Back to the seeded estate (a running sandbox otherwise keeps what earlier demo runs did).
  "$BIN/python" - <<'PY'
import json, os, ssl, urllib.request
ctx = ssl.create_default_context(cafile=os.environ["REQUESTS_CA_BUNDLE"])
req = urllib.request.Request(os.environ["AZBACKUP_SANDBOX_URL"] + "/_sandbox/reset", method="POST",
                             data=json.dumps({"reload_fixtures": True}).encode(), headers={"Content-Type": "application/json"})
urllib.request.urlopen(req, context=ctx).read()
PY
fi
echo "sandbox: $AZBACKUP_SANDBOX_URL (state and log in .sandbox/; DEMO_RESET=1 make demo starts from the seed again)"

INVENTORY=(-i inventories/demo/hosts.yml)
EXTRA=(-e azbackup_network_mode=service_tags)
step "3/4 Local test VMs"
start_guests() {
  tests/roles/build-images.sh 12 | sed 's/^/  /' || return 1
  podman network exists azb-demo || podman network create --subnet 10.89.90.0/24 azb-demo >/dev/null || return 1
  local spec name ip state
  for spec in azb-demo-proxy:10.89.90.5 azb-demo-app:10.89.90.10; do
    name=${spec%%:*} ip=${spec#*:}
    if ! podman container exists "$name"; then
      podman run -d --name "$name" --hostname "$name" --network azb-demo --ip "$ip" --systemd=always \
        --cap-add NET_ADMIN localhost/azbackup-debian:12 /sbin/init >/dev/null || return 1
    fi
  done
  for name in azb-demo-proxy azb-demo-app; do
    state=unknown
    for _ in $(seq 1 60); do
      state=$(podman exec "$name" systemctl is-system-running 2>/dev/null || true)
      case "$state" in running|degraded) break ;; esac
      sleep 1
    done
    echo "  $name: systemd $state"
  done
}

if [ "${DEMO_CONTAINERS:-auto}" != "no" ] && command -v podman >/dev/null 2>&1 && podman info >/dev/null 2>&1 \
   && command -v debootstrap >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  echo "podman works: building (or reusing) the Debian 12 image and booting two containers"
  if start_guests; then
    INVENTORY+=(-i inventories/demo/guests.yml)
    EXTRA=(-e azbackup_network_mode=proxy -e azbackup_proxy_host=10.89.90.5 -e azbackup_vnet_cidrs=10.89.90.0/24
           -e '{"azbackup_readiness_proxy_vms": ["vm-web-weu-01", "vm-app-weu-02", "vm-sql-weu-01"]}')
    echo "network option 2 (HTTP proxy): vm-proxy-weu = azb-demo-proxy, vm-web-weu-01 = azb-demo-app"
    echo "remove them with: podman rm -f azb-demo-proxy azb-demo-app && podman network rm azb-demo"
  else
    echo "the test VMs could not be started: the demo runs the Azure-side steps only (network option 1)."
  fi
else
  echo "podman (as root, with debootstrap) is not available here: the demo runs the Azure-side steps only"
  echo "(network option 1, service tags). scripts/system-deps.sh installs what the guest steps need."
fi

step "4/4 Running playbooks/prepare_backup_environment.yml"
export ANSIBLE_PYTHON_INTERPRETER=$BIN/python ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_HOST_KEY_CHECKING=false
# shellcheck disable=SC2086 # DEMO_ARGS holds several ansible-playbook arguments: split on purpose
"$BIN/ansible-playbook" "${INVENTORY[@]}" playbooks/prepare_backup_environment.yml "${EXTRA[@]}" ${DEMO_ARGS:-}

step "Done in $(( $(date +%s) - started )) s"
echo "Readiness report: $ROOT/reports/readiness.html (and readiness.md)"
echo "Run it again: every task reports ok, nothing changes."
