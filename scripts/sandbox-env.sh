#!/usr/bin/env bash
# Start the ARM sandbox in the background (if not running) and print the environment that points the collection at
# it, AWX-credential style:   eval "$(scripts/sandbox-env.sh)"
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${VENV:-$ROOT/.venv}/bin
STATE=${SANDBOX_STATE:-$ROOT/.sandbox}
mkdir -p "$STATE"
alive() { [ -f "$STATE/sandbox.json" ] && kill -0 "$("$BIN/python" -c 'import json,sys;print(json.load(open(sys.argv[1]))["pid"])' "$STATE/sandbox.json")" 2>/dev/null; }
if ! alive; then
  rm -f "$STATE/sandbox.json"
  # shellcheck disable=SC2086 # SANDBOX_ARGS holds several run.py arguments: split on purpose
  nohup "$BIN/python" tests/sandbox/run.py --state-dir "$STATE" --fixtures tests/sandbox/fixtures/seed.json \
    ${SANDBOX_ARGS:-} >"$STATE/server.log" 2>&1 &
  for _ in $(seq 1 100); do [ -f "$STATE/sandbox.json" ] && break; sleep 0.1; done
  [ -f "$STATE/sandbox.json" ] || { echo "sandbox did not start; see $STATE/server.log" >&2; exit 1; }
fi
"$BIN/python" - "$STATE/sandbox.json" <<'PY'
import json, shlex, sys
d = json.load(open(sys.argv[1]))
for k, v in (("AZURE_CLIENT_ID", d["client_id"]), ("AZURE_SECRET", d["client_secret"]), ("AZURE_TENANT", d["tenant_id"]),
             ("AZURE_SUBSCRIPTION_ID", d["subscription_id"]), ("AZURE_CLOUD_ENVIRONMENT", d["url"]),
             ("REQUESTS_CA_BUNDLE", d["ca_bundle"]), ("AZBACKUP_SANDBOX_URL", d["url"])):
    print("export %s=%s" % (k, shlex.quote(v)))
PY
