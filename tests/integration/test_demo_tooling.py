"""The demo's own tooling (issue 13, the newcomer's path): no "Could not match supplied host pattern" warnings for
the guest plays, and `make sandbox-stop` (scripts/demo.sh stop) stops the background sandbox that the demo leaves
running - only that process."""

import json
import os
import shutil
import subprocess
import sys
import time

from conftest import ROOT
import pytest

pytestmark = pytest.mark.sdk_independent

PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
DEMO = os.path.join(ROOT, "inventories", "demo")


def _list_hosts(collections_path, *inventories):
    cmd = [PLAYBOOK]
    for name in inventories:
        cmd += ["-i", os.path.join(DEMO, name)]
    cmd += [os.path.join(ROOT, "playbooks", "prepare_backup_environment.yml"), "--list-hosts",
            "-e", "azbackup_network_mode=proxy"]
    env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_PATH=collections_path)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_demo_inventory_has_every_group_the_playbooks_target(collections_path):
    for inventories in (("hosts.yml",), ("hosts.yml", "guests.yml")):
        proc = _list_hosts(collections_path, *inventories)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        assert "Could not match supplied host pattern" not in proc.stdout + proc.stderr, (inventories, proc.stderr)
        assert "[WARNING]" not in proc.stderr, (inventories, proc.stderr)


def _tool_path(tmp_path):
    """A PATH with the shell tools scripts/demo.sh stop uses, and no podman (the demo's VMs stay untouched)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("bash", "sed", "tr", "grep", "head", "cut", "sha1sum", "seq", "sleep", "rm", "dirname", "id",
                 "printf", "cat", "date"):
        real = shutil.which(tool)
        if real:
            os.symlink(real, bindir / tool)
    return str(bindir)


def test_sandbox_stop_stops_this_sandbox_only(tmp_path):
    state = tmp_path / "sandbox-state"
    env = dict(os.environ, VENV=os.path.dirname(os.path.dirname(sys.executable)), SANDBOX_STATE=str(state))
    started = subprocess.run([os.path.join(ROOT, "scripts", "sandbox-env.sh")], env=env, capture_output=True,
                             text=True, timeout=120, check=False)
    assert started.returncode == 0, started.stderr
    pid = json.loads((state / "sandbox.json").read_text())["pid"]
    decoy = subprocess.Popen(["sleep", "60"])
    try:
        # A sandbox.json whose pid is another process (a stale file, a reused pid) is not killed.
        (state / "sandbox.json.real").write_text((state / "sandbox.json").read_text())
        (state / "sandbox.json").write_text(json.dumps({"pid": decoy.pid}))
        stop_env = dict(env, PATH=_tool_path(tmp_path))
        proc = subprocess.run([os.path.join(ROOT, "scripts", "demo.sh"), "stop"], env=stop_env, capture_output=True,
                              text=True, timeout=60, check=False)
        assert proc.returncode == 0 and "sandbox: not running" in proc.stdout, proc
        assert decoy.poll() is None
        os.kill(pid, 0)  # still running

        (state / "sandbox.json").write_text((state / "sandbox.json.real").read_text())
        proc = subprocess.run([os.path.join(ROOT, "scripts", "demo.sh"), "stop"], env=stop_env, capture_output=True,
                              text=True, timeout=60, check=False)
        assert proc.returncode == 0 and "sandbox: stopped (pid %d)" % pid in proc.stdout, proc
        for _attempt in range(50):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the sandbox (pid %d) is still running" % pid)
        assert not (state / "sandbox.json").exists()
    finally:
        decoy.kill()
        decoy.wait()
        try:
            os.kill(pid, 15)  # when an assertion failed before the stop
        except ProcessLookupError:
            pass
