#!/usr/bin/env bash
# azure.azcollection's own integration targets for azure_rm_securitygroup and azure_rm_recoveryservicesvault, run
# against the ARM sandbox (see tests/peer/README.md).
#
# The sandbox serves 127.0.0.1:443 with a certificate for management.azure.com and login.microsoftonline.com, inside
# a private mount and network namespace whose /etc/hosts (a bind-mounted copy) maps those names to 127.0.0.1: the
# machine's /etc/hosts and port 443 are never touched. Needs root (unshare).
#
#   VENV=/path/to/.venv tests/peer/run.sh [--target azure_rm_securitygroup] [--profile local|realistic] [--no-strict]
#   PEER_VENV=...  the peer's venv (default: .cache/bench-venv-azcollection, built on first use as make bench does)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${VENV:-$ROOT/.venv}/bin

if [ "${AZB_PEER_NAMESPACE:-}" != "1" ]; then
  if [ "$(id -u)" != "0" ]; then
    echo "peer: needs root (a private mount and network namespace with the sandbox on 127.0.0.1:443)" >&2
    exit 1
  fi
  # The peer venv is built (or found current) here: inside the private network namespace there is no index.
  "$BIN/python" tests/peer/peer_run.py --prepare-only
  mkdir -p .cache
  HOSTS=$ROOT/.cache/peer-hosts
  { cat /etc/hosts; echo; echo "# azbackup.vmprep peer targets: the ARM sandbox"; \
    echo "127.0.0.1 management.azure.com login.microsoftonline.com"; } > "$HOSTS"
  export AZB_PEER_NAMESPACE=1
  # shellcheck disable=SC2016
  exec unshare --mount --net --propagation private \
    sh -c 'mount --bind "$0" /etc/hosts && ip link set lo up && exec "$@"' "$HOSTS" "$0" "$@"
fi

exec "$BIN/python" tests/peer/peer_run.py "$@"
