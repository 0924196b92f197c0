"""The ARM side of the benchmark: one sandbox on 127.0.0.1:443 that both collections believe is public Azure.

azure.azcollection cannot be pointed at a custom Resource Manager URL, so the sandbox serves HTTPS on 127.0.0.1:443
with a certificate for management.azure.com and login.microsoftonline.com, and the benchmark runs inside a private
mount namespace whose /etc/hosts maps those two names to 127.0.0.1 (scripts/bench.sh sets that up; the machine's
own /etc/hosts is never touched). Both collections then run with cloud_environment AzureCloud against the same
sandbox, with the same credentials, the same latency profile and the same request log.
"""

import json
import os
import shutil
import sys
import tempfile
import uuid

from bench_common import CACHE, ROOT, count_requests, describe_requests, timed_run
from bench_env import OURS_VENV, THEIRS_COLLECTIONS, THEIRS_VENV

SANDBOX_DIR = os.environ.get("BENCH_SANDBOX_DIR") or os.path.join(ROOT, "tests", "sandbox")
ARM_HOSTS = ("management.azure.com", "login.microsoftonline.com")


def hosts_mapped():
    """True inside the benchmark's mount namespace (its /etc/hosts maps the Azure names to 127.0.0.1)."""
    try:
        with open("/etc/hosts", encoding="utf-8") as fh:
            text = fh.read()
    except OSError:
        return False
    return all(any(line.split()[:1] == ["127.0.0.1"] and name in line.split()[1:]
                   for line in text.splitlines() if line.strip() and not line.startswith("#"))
               for name in ARM_HOSTS)


def start_sandbox(port=443):
    if not os.path.exists(os.path.join(SANDBOX_DIR, "armsandbox", "client.py")):
        raise SystemExit("bench: the ARM sandbox is missing (%s); merge branch `sandbox` first" % SANDBOX_DIR)
    if SANDBOX_DIR not in sys.path:
        sys.path.insert(0, SANDBOX_DIR)
    from armsandbox.client import start_sandbox as _start  # pylint: disable=import-error

    state = os.path.join(CACHE, "bench-sandbox")
    os.makedirs(state, exist_ok=True)
    _stop_stale_sandbox(state)
    return _start(state, port=port, host="127.0.0.1", strict=False, log_path=os.path.join(state, "sandbox.log"))


def _stop_stale_sandbox(state):
    """A sandbox left behind by an interrupted benchmark still holds port 443: stop it (by the pid it recorded,
    and only when that process is this state directory's run.py)."""
    import signal
    import time

    info_path = os.path.join(state, "sandbox.json")
    try:
        with open(info_path, encoding="utf-8") as fh:
            pid = int(json.load(fh)["pid"])
        with open("/proc/%d/cmdline" % pid, "rb") as fh:
            cmdline = fh.read().split(b"\0")
    except (OSError, ValueError, KeyError, TypeError):
        return
    if not any(arg.endswith(b"run.py") for arg in cmdline) or state.encode() not in cmdline:
        return
    print("bench: stopping the sandbox an earlier benchmark left running (pid %d)" % pid, flush=True)
    os.kill(pid, signal.SIGTERM)
    for dummy in range(100):
        if not os.path.exists("/proc/%d" % pid):
            break
        time.sleep(0.1)


class Side(object):
    """One collection: the controller that runs it, the interpreter its modules run in, its collections path."""

    def __init__(self, key, label, venv, collections_path):
        self.key = key
        self.label = label
        self.venv = venv
        self.collections_path = collections_path

    @property
    def ansible_playbook(self):
        return os.path.join(self.venv, "bin", "ansible-playbook")

    @property
    def python(self):
        return os.path.join(self.venv, "bin", "python")


def sides(ours_collections_path):
    return {
        "ours": Side("ours", "azbackup.vmprep", OURS_VENV, ours_collections_path),
        "theirs": Side("theirs", "azure.azcollection", THEIRS_VENV, THEIRS_COLLECTIONS),
    }


class Bench(object):
    """Runs one-play playbooks on localhost for either side against the sandbox, and reads the request log."""

    def __init__(self, sandbox, sides_by_key):
        self.sandbox = sandbox
        self.control = sandbox.control
        self.sides = sides_by_key
        self.tmp = tempfile.mkdtemp(prefix="azb-bench-")
        self.profile = None

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- sandbox ----------------------------------------------------------------------------------------------
    def reset(self, fixtures, profile):
        self.control.reset()
        self.control.clear_faults()
        if fixtures:
            self.control.load_fixtures(fixtures)
        self.control.set_faults(**profile)
        self.profile = dict(profile)
        self.control.clear_requests()

    def requests(self):
        return self.control.requests()

    # ---- ansible ----------------------------------------------------------------------------------------------
    def env(self, side):
        sb = self.sandbox
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "ANSIBLE_"))}
        env.update({
            "HOME": self.tmp,
            "ANSIBLE_COLLECTIONS_PATH": side.collections_path,
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_PYTHON_INTERPRETER": side.python,
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            "ANSIBLE_LOCAL_TEMP": os.path.join(self.tmp, "ansible-tmp"),
            # The AWX "Microsoft Azure Resource Manager" credential's variables, for both collections alike.
            "AZURE_CLIENT_ID": sb.client_id,
            "AZURE_SECRET": sb.client_secret,
            "AZURE_TENANT": sb.tenant_id,
            "AZURE_SUBSCRIPTION_ID": sb.subscription_id,
            "AZURE_CLOUD_ENVIRONMENT": "AzureCloud",
            "REQUESTS_CA_BUNDLE": sb.ca_bundle,
            "PATH": os.path.join(side.venv, "bin") + os.pathsep + os.environ.get("PATH", ""),
        })
        return env

    def playbook(self, side_key, tasks, check=False):
        """Run one play; returns a dict with the wall time from process start to exit, task results and durations."""
        side = self.sides[side_key]
        play = [{"name": "bench", "hosts": "localhost", "gather_facts": False, "connection": "local", "tasks": tasks}]
        path = os.path.join(self.tmp, "play-%s.yml" % uuid.uuid4().hex[:8])
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(play, fh)
        cmd = [side.ansible_playbook, "-i", "localhost,", path]
        if check:
            cmd.append("--check")
        seconds, proc = timed_run(cmd, env=self.env(side), timeout=1800, cwd=self.tmp)
        os.remove(path)
        try:
            doc = json.loads(proc.stdout[proc.stdout.index("{"):])
        except ValueError:
            raise RuntimeError("ansible-playbook (%s) did not print JSON (rc %s):\n%s\n%s"
                               % (side.label, proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
        results = []
        for play_doc in doc.get("plays", []):
            for task in play_doc.get("tasks", []):
                result = task["hosts"].get("localhost", {})
                duration = (task.get("task") or {}).get("duration") or {}
                results.append({"name": task["task"]["name"], "result": result,
                                "seconds": _iso_seconds(duration.get("start"), duration.get("end"))})
        failed = [r for r in results if r["result"].get("failed")]
        if proc.returncode != 0 or failed:
            detail = failed[0]["result"] if failed else proc.stdout[-3000:]
            raise RuntimeError("%s playbook failed (rc %s): %s"
                               % (side.label, proc.returncode, json.dumps(detail, default=str)[:4000]))
        return {"wall": seconds, "tasks": results,
                "changed": any(r["result"].get("changed") for r in results)}

    def measured(self, side_key, tasks, check=False):
        """A playbook run with the sandbox log cleared before and read after: time, changed and request counts."""
        self.control.clear_requests()
        out = self.playbook(side_key, tasks, check=check)
        log = self.requests()
        out["requests"] = count_requests(log)
        out["request_lines"] = describe_requests(log)
        return out


def _iso_seconds(start, end):
    import datetime

    if not start or not end:
        return None
    try:
        a = datetime.datetime.fromisoformat(start.replace("Z", "+00:00"))
        b = datetime.datetime.fromisoformat(end.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (b - a).total_seconds()
