#!/usr/bin/env bash
# need-system.sh [roles|demo]: the system packages that the role tests and the demo's test VMs need (podman, runc,
# debootstrap, nftables and the rest of scripts/system-deps.sh), checked FIRST, before anything long runs.
#   as root:     runs scripts/system-deps.sh, which installs what is missing and skips what is present (the package
#                list lives there only), then sets podman up. Well under a second when all is installed.
#   not root:    checks the commands; when one is missing, exits 1 and says what to run: sudo scripts/system-deps.sh.
#   roles        (make test, make roles): the role tests boot systemd containers with podman and need root as well,
#                so not being root is an error here too (exit 2), before 40 minutes of other suites.
#   demo         (make demo): the test VMs are optional; exit 3 means "not available", and the demo runs the
#                Azure-side steps only.
# Tests: AZB_ASSUME_NONROOT=1 acts as a non-root user; AZB_SYSTEM_DEPS names another script to run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
purpose=${1:-roles}
case "$purpose" in roles|demo) ;; *) echo "need-system: unknown purpose '$purpose' (roles or demo)" >&2; exit 64 ;; esac
COMMANDS=(podman runc debootstrap nft)
# (debootstrap, runc and nft live in /usr/sbin, which a normal user's PATH may lack)
missing=()
for cmd in "${COMMANDS[@]}"; do
  PATH="$PATH:/usr/sbin:/sbin" command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
done
if [ "$(id -u)" -eq 0 ] && [ -z "${AZB_ASSUME_NONROOT:-}" ]; then
  if [ ${#missing[@]} -gt 0 ]; then
    echo "need-system: missing ${missing[*]}; installing the system packages with scripts/system-deps.sh (running as root)"
  fi
  "${AZB_SYSTEM_DEPS:-scripts/system-deps.sh}"
  exit
fi
nonroot_exit=2
[ "$purpose" = demo ] && nonroot_exit=3
if [ ${#missing[@]} -gt 0 ]; then
  echo "need-system: missing ${missing[*]} (the role tests and the demo's test VMs run Debian systemd containers with podman)." >&2
  echo "need-system: install the system packages as root, run: sudo scripts/system-deps.sh" >&2
  if [ "$purpose" = demo ]; then
    echo "need-system: then run make demo as root for the test VMs." >&2
    exit 3
  fi
  echo "need-system: then run make test as root (the role tests need root)." >&2
  exit 1
fi
if [ "$purpose" = roles ]; then
  echo "need-system: the role tests boot systemd containers with podman and need root: run sudo make test (or sudo make roles)" >&2
else
  echo "need-system: the demo's test VMs need root (podman systemd containers): run sudo make demo for them" >&2
fi
exit "$nonroot_exit"
