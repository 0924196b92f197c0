#!/usr/bin/env bash
# Role test bed: build the Debian systemd images if needed, then run every scenario on booted podman
# containers: converge, idempotence (changed=0), check mode (changed=0), verify, and for scenarios that have
# one, a cleanup phase (state=absent) with its own idempotence and verify. Ends with "N passed, M failed".
#
# Usage: tests/roles/run.sh [SCENARIO ...]   (default: all; names as printed in the summary)
# Env:   KEEP=1 keeps the containers of the last scenario for debugging.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
VENV=${VENV:-$ROOT/.venv}
OUT=${OUT:-$ROOT/tests/output/roles}
# Containers and podman networks are named and addressed per checkout, so two checkouts on one machine never
# drive (or remove) each other's: a short hash of the checkout path in the names, and a second octet of
# 10.X.0.0/16 derived from it (scenarios are written with 10.89.*; they run from a copy rewritten to 10.X.*).
CHECKOUT_ID=$(printf '%s' "$ROOT" | sha1sum | cut -c1-6)
PREFIX=azb-roles-$CHECKOUT_ID
NET_OCTET=${AZB_ROLES_NET_OCTET:-$(( 100 + 0x${CHECKOUT_ID:0:4} % 120 ))}
ALL_SCENARIOS=(static-windows vm_agent@12 vm_agent@13 proxy_client@12 proxy_client@13 proxy_firewall@12 e2e-network@12+13)

if [ "$(id -u)" != 0 ]; then echo "run.sh: must run as root (podman systemd containers, debootstrap)" >&2; exit 2; fi
# shellcheck disable=SC1091
. "$VENV/bin/activate" || { echo "run.sh: no virtualenv at $VENV (scripts/venv.sh)" >&2; exit 2; }
export PATH="$VENV/bin:$PATH"

mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/azb-roles-XXXXXX)
cleanup() {
  local c n
  if [ "${KEEP:-0}" != 1 ]; then
    for c in $(podman ps -a --format '{{.Names}}' | grep "^$PREFIX-" || true); do podman rm -f -t 0 "$c" >/dev/null 2>&1; done
    for n in $(podman network ls --format '{{.Name}}' | grep "^$PREFIX-" || true); do podman network rm -f "$n" >/dev/null 2>&1; done
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$ROOT/scripts/podman-setup.sh" >/dev/null || exit 2

# --- images -------------------------------------------------------------------------------------------------
t0=$(date +%s)
"$HERE/build-images.sh" all 2>&1 | grep -v -e '^Copying' -e '^Getting image' -e '^Writing manifest' -e '^Storing signatures' \
  || { echo "run.sh: image build failed" >&2; exit 2; }
echo "images ready in $(( $(date +%s) - t0 ))s"

# --- the collection, as users get it ------------------------------------------------------------------------
SRC=$WORK/src
mkdir -p "$SRC" "$WORK/dist" "$WORK/collections"
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$ROOT" && git ls-files -co --exclude-standard -z | grep -zv '^\.venv$' | tar --null -T - -cf -) | tar -C "$SRC" -xf -
else
  tar -C "$ROOT" --exclude=./.venv --exclude=./.cache --exclude=./build --exclude=./tests/output -cf - . | tar -C "$SRC" -xf -
fi
[ -f "$SRC/README.md" ] || printf '# azbackup.vmprep\n' > "$SRC/README.md"
ansible-galaxy collection build "$SRC" --output-path "$WORK/dist" >"$OUT/collection-build.log" 2>&1 \
  || { cat "$OUT/collection-build.log"; exit 2; }
ansible-galaxy collection install --offline --no-deps -p "$WORK/collections" "$WORK"/dist/azbackup-vmprep-*.tar.gz \
  >>"$OUT/collection-build.log" 2>&1 || { cat "$OUT/collection-build.log"; exit 2; }
SITE=$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
export ANSIBLE_COLLECTIONS_PATH="$WORK/collections:$SITE"
export ANSIBLE_PIPELINING=1 ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_HOST_KEY_CHECKING=0
export ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0 ANSIBLE_SYSTEM_WARNINGS=0
# The scenarios, readdressed to this checkout's 10.$NET_OCTET.0.0/16 (see NET_OCTET above).
SCENARIOS=$WORK/scenarios
cp -r "$HERE/scenarios" "$SCENARIOS"
# (also the regex-escaped form 10\.89\. that verify playbooks use)
find "$SCENARIOS" -type f -exec sed -E -i "s/\b10(\\\\*)\.89(\\\\*)\./10\1.$NET_OCTET\2./g" {} +
export AZB_TESTS="$HERE" AZB_WORK="$WORK" AZB_SCENARIOS="$SCENARIOS"

# --- helpers ------------------------------------------------------------------------------------------------
# recap_ok LOG MODE: MODE=run -> no failed/unreachable host; MODE=idem -> also changed=0 on every host.
recap_ok() {
  awk -v mode="$2" '
    /^PLAY RECAP/ { inrecap = 1; next }
    inrecap && /ok=[0-9]+/ {
      hosts++
      for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      if (v["failed"] + 0 > 0 || v["unreachable"] + 0 > 0) bad = 1
      if (mode == "idem" && v["changed"] + 0 > 0) bad = 1
    }
    END { exit (hosts > 0 && !bad) ? 0 : 1 }' "$1"
}
changed_summary() { awk '/^PLAY RECAP/ {r=1; next} r && /ok=/ {printf "%s%s:%s", sep, $1, $4; sep=" "}' "$1"; }

# boot_hosts SCENARIO DEBIAN: start the containers listed in scenarios/<s>/hosts; writes $WORK/inventory.ini.
# hosts line: NAME GROUP IMAGE_VERSION NETWORK IP [extra podman run args]   ("@" = the scenario's Debian version)
boot_hosts() {
  local scen=$1 deb=$2 name group ver net ip extra cname
  : > "$WORK/inventory.ini"
  declare -A groups=()
  while read -r name group ver net ip extra; do
    [ -z "$name" ] || [ "${name:0:1}" = "#" ] && continue
    [ "$ver" = "@" ] && ver=$deb
    cname="$PREFIX-$name"
    local args=(-d --name "$cname" --hostname "$name" --systemd=always --cap-add NET_ADMIN --cap-add NET_RAW)
    if [ "$net" != "-" ]; then
      if ! podman network exists "$PREFIX-$net"; then
        podman network create --subnet "${ip%.*}.0/24" "$PREFIX-$net" >/dev/null || return 1
      fi
      args+=(--network "$PREFIX-$net" --ip "$ip")
    fi
    # shellcheck disable=SC2206
    [ -n "$extra" ] && args+=($extra)
    podman rm -f -t 0 "$cname" >/dev/null 2>&1
    podman run "${args[@]}" "localhost/azbackup-debian:$ver" /sbin/init >/dev/null || return 1
    groups[$group]+="$cname ansible_connection=containers.podman.podman ansible_python_interpreter=/usr/bin/python3 azb_ip=$ip azb_debian=$ver"$'\n'
  done < "$SCENARIOS/$scen/hosts"
  for group in "${!groups[@]}"; do printf '[%s]\n%s\n' "$group" "${groups[$group]}" >> "$WORK/inventory.ini"; done
  # wait for systemd in every container
  local c state i
  for c in $(podman ps --format '{{.Names}}' | grep "^$PREFIX-"); do
    for i in $(seq 1 60); do
      state=$(podman exec "$c" systemctl is-system-running 2>/dev/null)
      case "$state" in running|degraded) break ;; esac
      sleep 1
    done
    case "$state" in running|degraded) ;; *) echo "container $c did not boot (state '$state')"; return 1 ;; esac
  done
}

stop_hosts() {
  local c n
  for c in $(podman ps -a --format '{{.Names}}' | grep "^$PREFIX-" || true); do podman rm -f -t 0 "$c" >/dev/null 2>&1; done
  for n in $(podman network ls --format '{{.Name}}' | grep "^$PREFIX-" || true); do podman network rm -f "$n" >/dev/null 2>&1; done
}

# play LOGNAME PLAYBOOK [ansible-playbook args]: run a playbook against the scenario inventory.
play() {
  local log=$1 pb=$2
  shift 2
  ansible-playbook -i "$WORK/inventory.ini" "$pb" "$@" > "$LOGDIR/$log.log" 2>&1
}

# phase NAME: the converge/idempotence/check sequence for one playbook, then its verify playbook.
converge_sequence() {
  local tag=$1 conv=$2 ver=$3
  play "$tag-converge" "$conv" && recap_ok "$LOGDIR/$tag-converge.log" run \
    || { DETAIL+="$tag converge failed; "; return 1; }
  play "$tag-idempotence" "$conv"
  if recap_ok "$LOGDIR/$tag-idempotence.log" idem; then IDEM+="$tag:changed=0 "
  else IDEM+="$tag:$(changed_summary "$LOGDIR/$tag-idempotence.log") "; DETAIL+="$tag idempotence failed; "; return 1; fi
  play "$tag-check" "$conv" --check
  recap_ok "$LOGDIR/$tag-check.log" idem || { DETAIL+="$tag check mode failed or changed; "; return 1; }
  if [ -n "$ver" ]; then
    play "$tag-verify" "$ver" && recap_ok "$LOGDIR/$tag-verify.log" run || { DETAIL+="$tag verify failed; "; return 1; }
  fi
}

run_scenario() {
  local spec=$1 scen deb dir
  scen=${spec%@*}; deb=${spec#*@}; [ "$deb" = "$spec" ] && deb=12
  dir="$SCENARIOS/$scen"
  LOGDIR="$OUT/$spec"; rm -rf "$LOGDIR"; mkdir -p "$LOGDIR"
  DETAIL=""; IDEM=""
  if [ "$scen" = static-windows ]; then
    "$HERE/windows_check.sh" > "$LOGDIR/windows_check.log" 2>&1 || { DETAIL="see $LOGDIR/windows_check.log"; return 1; }
    return 0
  fi
  export AZB_DEBIAN=${deb%%+*}
  boot_hosts "$scen" "${deb%%+*}" > "$LOGDIR/boot.log" 2>&1 || { DETAIL="containers did not start (boot.log)"; return 1; }
  if [ -f "$dir/prepare.yml" ]; then
    play prepare "$dir/prepare.yml" && recap_ok "$LOGDIR/prepare.log" run || { DETAIL="prepare failed"; return 1; }
  fi
  converge_sequence main "$dir/converge.yml" "$dir/verify.yml" || return 1
  if [ -f "$dir/cleanup.yml" ]; then
    converge_sequence cleanup "$dir/cleanup.yml" "$dir/verify_cleanup.yml" || return 1
  fi
}

# --- run ----------------------------------------------------------------------------------------------------
SELECTED=("$@"); [ ${#SELECTED[@]} -eq 0 ] && SELECTED=("${ALL_SCENARIOS[@]}")
passed=0; failed=0; SUMMARY=()
for spec in "${SELECTED[@]}"; do
  start=$(date +%s)
  if run_scenario "$spec"; then result=PASS; passed=$((passed + 1)); else result=FAIL; failed=$((failed + 1)); fi
  secs=$(( $(date +%s) - start ))
  line=$(printf '%-22s %s %4ss  %s%s' "$spec" "$result" "$secs" "${IDEM:+idempotence: $IDEM}" "${DETAIL:+ -- $DETAIL}")
  echo "$line"; SUMMARY+=("$line")
  [ "$result" = FAIL ] && [ -n "$LOGDIR" ] && for f in "$LOGDIR"/*.log; do
    grep -qE 'fatal:|FAILED!|ERROR' "$f" 2>/dev/null && { echo "---- $f"; grep -E -B2 -A8 'fatal:|FAILED!|\[ERROR\]' "$f" | head -60; }
  done
  [ "${KEEP:-0}" = 1 ] || stop_hosts
done
echo "==== summary (logs under $OUT)"
printf '%s\n' "${SUMMARY[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
