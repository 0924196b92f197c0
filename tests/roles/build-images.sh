#!/usr/bin/env bash
# Build the Debian systemd test images localhost/azbackup-debian:12 and :13 (no registry needed).
# Root filesystems are made with debootstrap (variant minbase) and cached as tarballs under
# .cache/images/; the tarball name carries a hash of the package list and of this script, so a
# change to either rebuilds. The guest packages that the roles install (waagent, squid and their
# dependencies) are NOT installed: they are downloaded into /var/cache/apt/archives together with
# the apt lists, so the roles' install tasks really install them inside the containers, offline.
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE=.cache/images
mkdir -p "$CACHE"

# Installed in the image (what a minimal cloud VM has, plus what Ansible and the tests need).
BASE_PKGS=systemd,systemd-sysv,dbus,python3,python3-apt,ca-certificates,curl,openssl,nftables,iproute2,procps
# Downloaded only (installed by the roles under test; ufw by the proxy_firewall scenario).
CACHED_PKGS="waagent squid ufw"

mirror() {
  local uri
  uri=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | grep -v security | grep -oE 'https?://[^ ]+' | head -1 || true)
  echo "${uri:-http://deb.debian.org/debian}"
}
MIRROR=${DEBIAN_MIRROR:-$(mirror)}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}
HASH=$( { echo "$BASE_PKGS $CACHED_PKGS"; cat "$0"; } | sha256sum | cut -c1-12)

build_one() {
  local ver=$1 suite=$2; local tag="localhost/azbackup-debian:$ver" tarball="$CACHE/debian-$2-$HASH.tar"
  local label
  label=$(podman image inspect --format '{{ index .Config.Labels "azb.hash" }}' "$tag" 2>/dev/null || true)
  if [ "$label" = "$HASH" ]; then echo "image $tag is current ($HASH)"; return; fi
  if [ ! -s "$tarball" ]; then
    local dir
    dir=$(mktemp -d /var/tmp/azb-rootfs-XXXXXX)
    echo "debootstrap $suite from $MIRROR into $dir"
    debootstrap --variant=minbase --include="$BASE_PKGS" "$suite" "$dir" "$MIRROR" > "$CACHE/debootstrap-$suite.log" 2>&1 \
      || { tail -20 "$CACHE/debootstrap-$suite.log"; exit 1; }
    cat > "$dir/etc/apt/sources.list" <<SRC
deb $MIRROR $suite main
deb $MIRROR $suite-updates main
deb $SECURITY_MIRROR $suite-security main
SRC
    chroot "$dir" apt-get -q update > "$CACHE/apt-$suite.log" 2>&1
    # shellcheck disable=SC2086
    chroot "$dir" apt-get -q -y --download-only install $CACHED_PKGS >> "$CACHE/apt-$suite.log" 2>&1 \
      || { tail -20 "$CACHE/apt-$suite.log"; exit 1; }
    # A container-friendly systemd: no gettys, no udev triggers, empty machine-id (set at boot).
    : > "$dir/etc/machine-id"
    rm -f "$dir/etc/hostname"
    chroot "$dir" systemctl mask getty.target console-getty.service systemd-udevd.service \
      systemd-udev-trigger.service systemd-modules-load.service >/dev/null 2>&1 || true
    tar --numeric-owner -C "$dir" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    # drop tarballs of older package lists
    find "$CACHE" -maxdepth 1 -name "debian-$suite-*.tar" ! -name "debian-$suite-$HASH.tar" -delete
    rm -rf "$dir"
  fi
  local old_id
  old_id=$(podman image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
  podman import --change 'CMD=["/sbin/init"]' --change "LABEL=azb.hash=$HASH" "$tarball" "$tag" >/dev/null
  # remove our previous image for this tag (now untagged); ignore it when a container still uses it
  if [ -n "$old_id" ]; then podman rmi "$old_id" >/dev/null 2>&1 || true; fi
  echo "image $tag imported from $tarball"
}

case "${1:-all}" in
  12) build_one 12 bookworm ;;
  13) build_one 13 trixie ;;
  all)
    build_one 12 bookworm &
    p1=$!
    build_one 13 trixie &
    p2=$!
    rc=0
    wait $p1 || rc=1
    wait $p2 || rc=1
    exit $rc ;;
  *) echo "usage: $0 [12|13|all]" >&2; exit 2 ;;
esac
