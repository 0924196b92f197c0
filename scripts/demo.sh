#!/usr/bin/env bash
# make demo: start the local ARM sandbox (and, when podman works, two local systemd containers as VMs), run
# playbooks/prepare_backup_environment.yml against them (step 6 protects the ready VMs and backs each up once), and
# say where the readiness report is.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${VENV:-$ROOT/.venv}/bin
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
started=$(date +%s)
# The test VMs and their podman network are named and addressed per checkout (like tests/roles/run.sh), so the
# demos of two checkouts on one machine never drive or remove each other's containers.
CHECKOUT_ID=$(printf '%s' "$ROOT" | sha1sum | cut -c1-6)
DEMO_PREFIX=azb-demo-$CHECKOUT_ID
NET_OCTET=${AZB_ROLES_NET_OCTET:-$(( 100 + 0x${CHECKOUT_ID:0:4} % 120 ))}
DEMO_SUBNET=10.$NET_OCTET.90.0/24 PROXY_IP=10.$NET_OCTET.90.5 APP_IP=10.$NET_OCTET.90.10
export AZB_DEMO_PREFIX=$DEMO_PREFIX  # read by inventories/demo/guests.yml
STATE=${SANDBOX_STATE:-$ROOT/.sandbox}

# scripts/demo.sh stop (make sandbox-stop, make clean): stop this checkout's background sandbox and remove its VMs.
stop_demo() {
  local pid=""
  if [ -f "$STATE/sandbox.json" ]; then
    pid=$(sed -n 's/.*"pid": *\([0-9][0-9]*\).*/\1/p' "$STATE/sandbox.json" | head -n1)
  fi
  # Only a process that is this checkout's sandbox (its command line names run.py and this state directory).
  if [ -n "$pid" ] && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--state-dir $STATE"; then
    kill "$pid" && echo "sandbox: stopped (pid $pid)"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  else
    echo "sandbox: not running"
  fi
  rm -f "$STATE/sandbox.json"
  if command -v podman >/dev/null 2>&1; then
    local name removed=0
    for name in "$DEMO_PREFIX-proxy" "$DEMO_PREFIX-app"; do
      if podman container exists "$name" 2>/dev/null; then podman rm -f -t 0 "$name" >/dev/null && removed=1; fi
    done
    if podman network exists "$DEMO_PREFIX" 2>/dev/null; then podman network rm "$DEMO_PREFIX" >/dev/null && removed=1; fi
    [ $removed = 1 ] && echo "test VMs: removed $DEMO_PREFIX-proxy, $DEMO_PREFIX-app and the network $DEMO_PREFIX"
  fi
  return 0
}
if [ "${1:-}" = stop ]; then stop_demo; exit 0; fi

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

# The VMs come from the sandbox through the collection's own inventory plugin (region, OS, NSGs on each VM's path,
# readiness); hosts.yml adds localhost and the demo's variables. azbackup_nsgs is emptied so that the network step
# opens the NSGs it finds from the VMs (hosts.yml's list stays for the tests that use that file alone).
INVENTORY=(-i inventories/demo/hosts.yml -i inventories/demo/sandbox.azure_vms.yml)
EXTRA=(-e azbackup_network_mode=service_tags)
FROM_VMS=(-e '{"azbackup_nsgs": []}')
step "3/4 Local test VMs"
start_guests() {
  tests/roles/build-images.sh 12 | sed 's/^/  /' || return 1
  podman network exists "$DEMO_PREFIX" || podman network create --subnet "$DEMO_SUBNET" "$DEMO_PREFIX" >/dev/null || return 1
  local spec name ip state
  for spec in "$DEMO_PREFIX-proxy:$PROXY_IP" "$DEMO_PREFIX-app:$APP_IP"; do
    name=${spec%%:*} ip=${spec#*:}
    if ! podman container exists "$name"; then
      podman run -d --name "$name" --hostname "$name" --network "$DEMO_PREFIX" --ip "$ip" --systemd=always \
        --cap-add NET_ADMIN localhost/azbackup-debian:12 /sbin/init >/dev/null || return 1
    fi
  done
  for name in "$DEMO_PREFIX-proxy" "$DEMO_PREFIX-app"; do
    state=unknown
    for _ in $(seq 1 60); do
      state=$(podman exec "$name" systemctl is-system-running 2>/dev/null || true)
      case "$state" in running|degraded) break ;; esac
      sleep 1
    done
    echo "  $name: systemd $state"
  done
}

guests=no
if [ "${DEMO_CONTAINERS:-auto}" = "no" ]; then
  echo "DEMO_CONTAINERS=no: the demo runs the Azure-side steps only (network option 1, service tags)."
else
  # The system packages first: installed here when root (scripts/system-deps.sh), otherwise it says what to run.
  set +e; scripts/need-system.sh demo 2>&1 | sed 's/^/  /'; rc=${PIPESTATUS[0]}; set -e
  if [ "$rc" -eq 0 ] && podman info >/dev/null 2>&1; then
    echo "podman works: building (or reusing) the Debian 12 image and booting two containers"
    if start_guests; then
      guests=yes
    else
      echo "the test VMs could not be started: the demo runs the Azure-side steps only (network option 1)."
    fi
  else
    echo "no test VMs here: the demo runs the Azure-side steps only (network option 1, service tags)."
  fi
fi
if [ $guests = yes ]; then
  INVENTORY+=(-i inventories/demo/guests.yml)
  EXTRA=(-e azbackup_network_mode=proxy -e "azbackup_proxy_host=$PROXY_IP" -e "azbackup_vnet_cidrs=$DEMO_SUBNET"
         -e '{"azbackup_readiness_proxy_vms": ["vm-web-weu-01", "vm-app-weu-02", "vm-sql-weu-01"]}')
  echo "network option 2 (HTTP proxy): vm-proxy-weu = $DEMO_PREFIX-proxy, vm-web-weu-01 = $DEMO_PREFIX-app"
  echo "(if an earlier run used service tags, the network step removes their NSG rules: docs/network-options.md)"
fi

PLAYBOOK=${DEMO_PLAYBOOK:-playbooks/prepare_backup_environment.yml}  # or one step playbook (docs/getting-started.md)
step "4/4 Running $PLAYBOOK"
echo "inventory: the azbackup.vmprep.azure_vms plugin against the sandbox (inventories/demo/sandbox.azure_vms.yml)"
export ANSIBLE_PYTHON_INTERPRETER=$BIN/python ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_HOST_KEY_CHECKING=false
read -r -a demo_args <<< "${DEMO_ARGS:-}"  # extra ansible-playbook arguments, split on blanks
"$BIN/ansible-playbook" "${INVENTORY[@]}" "$PLAYBOOK" "${EXTRA[@]}" "${FROM_VMS[@]}" "${demo_args[@]}"

step "Done in $(( $(date +%s) - started )) s"
echo "Readiness report: $ROOT/reports/readiness.html (and readiness.md), with each VM's protection and first backup"
echo "Run it again: every task reports ok, nothing changes."
echo
echo "Still running in the background, for fast re-runs:"
echo "  the ARM sandbox at $AZBACKUP_SANDBOX_URL (state and log in $STATE/)"
# (also the VMs of an earlier run, when this one ran without them)
if [ $guests = yes ] || { command -v podman >/dev/null 2>&1 && podman container exists "$DEMO_PREFIX-proxy" 2>/dev/null; }; then
  echo "  the test VMs $DEMO_PREFIX-proxy and $DEMO_PREFIX-app (podman network $DEMO_PREFIX, $DEMO_SUBNET)"
fi
echo "Stop them with: make sandbox-stop   (make clean also stops them)"
