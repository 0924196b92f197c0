#!/usr/bin/env bash
# Make podman usable for the role test bed on this kind of host (also called from CI).
# Writes settings to /etc/containers/containers.conf only when they are missing:
#   [containers] default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
#   [engine]     runtime = "runc"
# Existing values are never changed. Needs root.
set -euo pipefail
CONF=${CONTAINERS_CONF_PATH:-/etc/containers/containers.conf}

need() {
  command -v "$1" >/dev/null 2>&1 && return
  echo "podman-setup: missing command '$1'; install the system packages, run: sudo scripts/system-deps.sh" >&2
  exit 1
}
need podman
need runc

mkdir -p "$(dirname "$CONF")"
[ -f "$CONF" ] || : > "$CONF"

# add_setting SECTION KEY VALUE: add KEY = VALUE to [SECTION] unless KEY is already set there.
add_setting() {
  local section=$1 key=$2 value=$3 tmp
  if awk -v s="[$section]" -v k="$key" '
      /^[[:space:]]*\[/ { insec = ($0 ~ "^[[:space:]]*\\[" substr(s, 2, length(s) - 2) "\\][[:space:]]*$") }
      insec && $0 ~ "^[[:space:]]*" k "[[:space:]]*=" { found = 1 }
      END { exit found ? 0 : 1 }' "$CONF"; then
    echo "podman-setup: [$section] $key already set, left as is"
    return
  fi
  tmp=$(mktemp)
  if grep -Eq "^[[:space:]]*\[$section\][[:space:]]*$" "$CONF"; then
    awk -v s="$section" -v line="$key = $value" '
      { print }
      $0 ~ "^[[:space:]]*\\[" s "\\][[:space:]]*$" && !done { print line; done = 1 }' "$CONF" > "$tmp"
  else
    cat "$CONF" > "$tmp"
    [ -s "$tmp" ] && [ -n "$(tail -c1 "$tmp")" ] && echo >> "$tmp"
    printf '[%s]\n%s = %s\n' "$section" "$key" "$value" >> "$tmp"
  fi
  cat "$tmp" > "$CONF"
  rm -f "$tmp"
  echo "podman-setup: set [$section] $key = $value in $CONF"
}

add_setting containers default_ulimits '["nofile=1024:1024", "nproc=4096:4096"]'
add_setting engine runtime '"runc"'
