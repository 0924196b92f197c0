#!/usr/bin/env bash
# make bench: azbackup.vmprep side by side with azure.azcollection against the local ARM sandbox.
#
# azure.azcollection cannot use a custom Resource Manager URL, so both collections run with cloud_environment
# AzureCloud against the sandbox served on 127.0.0.1:443 (certificate for management.azure.com and
# login.microsoftonline.com). Those two names map to 127.0.0.1 only inside a private mount namespace whose
# /etc/hosts is a bind-mounted copy; the machine's own /etc/hosts is never changed. Needs root (port 443, unshare).
#
#   scripts/bench.sh [--runs N] [--only footprint,imports,tasks,nsg50,prepare,scale,inventory,fleet,protect]
#   BENCH_SECTIONS=inventory,fleet scripts/bench.sh   # only the fleet sections (issue 14): our collection alone, the
#                                                     # sandbox on a local port; no root, no azure.azcollection venv
#   BENCH_SECTIONS=protect scripts/bench.sh           # vm_protection and backup_now over 200 VMs (issue 15), no root
#   .venv/bin/python tests/bench/report.py     # docs/performance.md and docs/performance.png from reports/bench.json
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${VENV:-$ROOT/.venv}/bin

# The fleet sections (and the readiness scale figures) run our collection alone against a sandbox on a local port.
only_local=1
for section in $(echo "${BENCH_SECTIONS:-all}" | tr ',' ' '); do
  case "$section" in inventory|fleet|scale|protect) ;; *) only_local=0 ;; esac
done
if [ "$only_local" = "1" ]; then
  exec "$BIN/python" tests/bench/bench_run.py "$@"
fi

if [ "${AZB_BENCH_NAMESPACE:-}" != "1" ]; then
  if [ "$(id -u)" != "0" ]; then
    echo "bench: needs root (it serves the sandbox on 127.0.0.1:443 and uses a private mount namespace)" >&2
    exit 1
  fi
  mkdir -p .cache
  HOSTS=$ROOT/.cache/bench-hosts
  { cat /etc/hosts; echo; echo "# azbackup.vmprep bench: the ARM sandbox"; \
    echo "127.0.0.1 management.azure.com login.microsoftonline.com"; } > "$HOSTS"
  export AZB_BENCH_NAMESPACE=1
  # shellcheck disable=SC2016
  exec unshare --mount --propagation private sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' \
    "$HOSTS" "$0" "$@"
fi

exec "$BIN/python" tests/bench/bench_run.py "$@"
