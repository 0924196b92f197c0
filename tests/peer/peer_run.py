"""Run azure.azcollection's own integration targets (tests/peer/integration/targets) against the ARM sandbox.

Started by tests/peer/run.sh inside a private mount and network namespace whose /etc/hosts maps
management.azure.com and login.microsoftonline.com to 127.0.0.1. The sandbox serves HTTPS on 127.0.0.1:443 with a
certificate for those names, so azure.azcollection (which cannot use a custom Resource Manager URL) runs with
cloud_environment AzureCloud against it. The peer collection comes from the `ansible` bundle of the project venv and
runs in a venv of its own with its requirements: the one `make bench` builds (tests/bench/bench_env.py), reused.

Each target runs as the role of a one-play playbook with `ignore_errors: true`, so every task is recorded; the
result is a per-task PASS/FAIL/SKIP table with counts. Exit status 1 when a task fails for a reason other than a
module missing from the bundled azure.azcollection.
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
TARGETS_DIR = os.path.join(HERE, "integration", "targets")
TARGETS = ("azure_rm_securitygroup", "azure_rm_recoveryservicesvault")
for path in (os.path.join(ROOT, "tests", "bench"), os.path.join(ROOT, "tests", "sandbox")):
    if path not in sys.path:
        sys.path.insert(0, path)

import bench_arm  # noqa: E402  # pylint: disable=import-error,wrong-import-position
import bench_env  # noqa: E402  # pylint: disable=import-error,wrong-import-position
from bench_common import CACHE  # noqa: E402  # pylint: disable=import-error,wrong-import-position

# The groups the targets get as resource_group / resource_group_secondary (seeded, like setup_azure's on Azure).
GROUPS = {"resource_group": "rg-peer-primary", "resource_group_secondary": "rg-peer-secondary"}
LOCATION = "eastus"
# Operations take 2 x 0.5 s on the clock; a write arriving meanwhile gets 409 AnotherOperationInProgress.
PROFILES = {
    "local": {"latency_ms": 0, "lro_polls": 2, "lro_retry_after": 0.5, "lro_max_seconds": 60.0},
    "realistic": {"latency_ms": 50, "lro_polls": 3, "lro_retry_after": 1, "lro_max_seconds": 60.0},
}
MISSING_MODULE = ("couldn't resolve module/action", "was not found in configured module paths")


def log(message):
    print("peer: %s" % message, flush=True)


def use_venvs():
    """The project venv (VENV, as the Makefile passes it) and the peer's venv (PEER_VENV, default: the bench's)."""
    bench_env.OURS_VENV = os.path.abspath(os.environ.get("VENV") or os.path.join(ROOT, ".venv"))
    if os.environ.get("PEER_VENV"):
        bench_env.THEIRS_VENV = os.path.abspath(os.environ["PEER_VENV"])
    bench_arm.THEIRS_VENV = bench_env.THEIRS_VENV
    core = bench_env.installed_version(bench_env.OURS_VENV, "ansible-core")
    if not core:
        raise SystemExit("peer: no ansible-core in %s (set VENV to the project venv)" % bench_env.OURS_VENV)
    bench_env.prepare_theirs_venv(core)
    return bench_arm.Side("theirs", "azure.azcollection", bench_env.THEIRS_VENV, bench_env.THEIRS_COLLECTIONS)


def start_sandbox(strict):
    from armsandbox.client import start_sandbox as _start  # pylint: disable=import-error

    state = os.path.join(CACHE, "peer-sandbox")
    os.makedirs(state, exist_ok=True)
    return _start(state, port=443, host="127.0.0.1", strict=strict, log_path=os.path.join(state, "sandbox.log"))


def playbook(path, target):
    play = [{
        "name": "peer target %s" % target,
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "ignore_errors": True,
        "vars": dict(GROUPS),
        "roles": [{"role": os.path.join(TARGETS_DIR, target)}],
    }]
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(play, fh, indent=1)


def classify(result):
    """PASS / FAIL / SKIP and a short reason for one task result of the ansible.posix.json callback."""
    if not result:
        return "SKIP", ""
    items = result.get("results") if isinstance(result.get("results"), list) else None
    if result.get("failed") or (items and any(i.get("failed") for i in items)):
        failed = [i for i in items if i.get("failed")] if items else [result]
        message = " ".join(str(f.get("msg") or f.get("message") or f.get("exception") or "")
                           for f in failed).replace("\n", " ")
        return "FAIL", message
    if result.get("skipped") or (items and all(i.get("skipped") for i in items)):
        return "SKIP", ""
    return "PASS", ""


def _seconds(duration):
    """Task duration from the json callback's {"start": ISO, "end": ISO}, or None."""
    import datetime

    try:
        start, end = (datetime.datetime.fromisoformat(duration[k].replace("Z", "+00:00")) for k in ("start", "end"))
    except (KeyError, TypeError, ValueError):
        return None
    return round((end - start).total_seconds(), 1)


def run_target(bench, side, target):
    path = os.path.join(bench.tmp, "peer-%s.yml" % target)
    playbook(path, target)
    env = bench.env(side)
    started = time.monotonic()
    proc = subprocess.run([side.ansible_playbook, "-i", "localhost,", path], env=env, cwd=bench.tmp,
                          capture_output=True, text=True, timeout=1800, check=False)
    seconds = time.monotonic() - started
    try:
        report = json.loads(proc.stdout[proc.stdout.index("{"):])
    except ValueError:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit("peer: %s did not produce a JSON report (exit %d)" % (target, proc.returncode))
    rows = []
    for play in report.get("plays", []):
        for task in play.get("tasks", []):
            name = task["task"]["name"].rsplit(" : ", 1)[-1]
            duration = task["task"].get("duration") or {}
            status, reason = classify((task.get("hosts") or {}).get("localhost"))
            peer_only = status == "FAIL" and any(m in reason for m in MISSING_MODULE)
            rows.append({"target": target, "task": name, "status": status, "peer_only": peer_only,
                         "reason": reason[:300], "seconds": _seconds(duration)})
    return rows, seconds


def print_table(rows):
    width = max(len(r["task"]) for r in rows)
    numbers = {}
    for row in rows:
        numbers[row["target"]] = index = numbers.get(row["target"], 0) + 1
        note = ""
        if row["status"] == "FAIL":
            prefix = "peer-only (module missing from the bundled azure.azcollection): " if row["peer_only"] else ""
            note = prefix + row["reason"][:160]
        seconds = "%5.1f s" % row["seconds"] if row.get("seconds") is not None else "       "
        line = "%-32s %3d  %-*s  %-4s %s  %s" % (row["target"], index, width, row["task"], row["status"], seconds, note)
        print(line.rstrip())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--target", action="append", choices=TARGETS, help="run only this target (repeatable)")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="local")
    parser.add_argument("--no-strict", action="store_true", help="do not validate request bodies against the specs")
    parser.add_argument("--report", default=os.path.join(CACHE, "peer-report.json"))
    parser.add_argument("--prepare-only", action="store_true",
                        help="build or check the peer venv and stop (run.sh does this before leaving the network)")
    args = parser.parse_args(argv)
    if args.prepare_only:
        use_venvs()
        return 0
    if not bench_arm.hosts_mapped():
        raise SystemExit("peer: /etc/hosts does not map %s to 127.0.0.1; start tests/peer/run.sh instead"
                         % " and ".join(bench_arm.ARM_HOSTS))
    started = time.monotonic()
    side = use_venvs()
    sandbox = start_sandbox(strict=not args.no_strict)
    bench = bench_arm.Bench(sandbox, {"theirs": side})
    all_rows, timings = [], {}
    try:
        for target in args.target or TARGETS:
            bench.reset({"resource_groups": [{"name": g, "location": LOCATION} for g in GROUPS.values()]},
                        PROFILES[args.profile])
            log("running %s (profile %s, strict %s)" % (target, args.profile, not args.no_strict))
            rows, seconds = run_target(bench, side, target)
            timings[target] = round(seconds, 1)
            all_rows.extend(rows)
    finally:
        bench.close()
        sandbox.stop()
    print_table(all_rows)
    print()
    summary = {}
    for target in args.target or TARGETS:
        mine = [r for r in all_rows if r["target"] == target]
        counts = {s: sum(1 for r in mine if r["status"] == s) for s in ("PASS", "FAIL", "SKIP")}
        counts["peer_only"] = sum(1 for r in mine if r["peer_only"])
        summary[target] = dict(counts, tasks=len(mine), seconds=timings[target])
        print("%-32s %d tasks: %d passed, %d failed (%d peer-only), %d skipped, %.1f s"
              % (target, len(mine), counts["PASS"], counts["FAIL"], counts["peer_only"], counts["SKIP"],
                 timings[target]))
    total = time.monotonic() - started
    print("total %.1f s" % total)
    os.makedirs(os.path.dirname(args.report), exist_ok=True)
    with open(args.report, "w", encoding="utf-8") as fh:
        json.dump({"summary": summary, "tasks": all_rows, "seconds": round(total, 1), "profile": args.profile,
                   "strict": not args.no_strict}, fh, indent=1)
    return 1 if any(r["status"] == "FAIL" and not r["peer_only"] for r in all_rows) else 0


if __name__ == "__main__":
    sys.exit(main())
