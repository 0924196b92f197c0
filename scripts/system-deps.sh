#!/usr/bin/env bash
# Debian packages the tests need: podman (runtime runc) and debootstrap for the role tests' booted systems,
# nftables for the firewall role's host checks, and the ShellCheck program for `make shellcheck` (ansible-test
# sanity silently skips its shellcheck test without it). Runs as root on CI and developer machines; skips what is present.
set -euo pipefail
need=()
for pkg in podman runc debootstrap nftables uidmap slirp4netns iproute2 git make rsync shellcheck; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "system-deps: missing ${need[*]}; install them as root (apt-get install ${need[*]})" >&2
    exit 1
  fi
  echo "system-deps: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [ -x scripts/podman-setup.sh ]; then scripts/podman-setup.sh; fi
echo "system-deps: ok"
