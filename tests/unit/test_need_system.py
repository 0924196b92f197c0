"""scripts/need-system.sh, the first prerequisite of `make test`, `make roles` and the demo's test VMs: on a machine
without podman it must stop within seconds and name the script to run (issue 13: `make test` ran 42 minutes and
then failed with "podman-setup: missing command 'podman'")."""

import os
import subprocess
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(ROOT, "scripts", "need-system.sh")


def _fake_path(tmp_path, commands):
    """A PATH of the shell tools the script uses plus stubs of `commands` (and none of the real system tools)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("bash", "id", "dirname", "env", "cat"):
        real = subprocess.run(["bash", "-c", "command -v %s" % tool], capture_output=True, text=True,
                              check=False).stdout.strip()
        os.symlink(real, bindir / tool)
    for name in commands:
        stub = bindir / name
        stub.write_text("#!/bin/sh\nexit 0\n")
        stub.chmod(0o755)
    return str(bindir)


def _run(tmp_path, args, commands, **env):
    path = _fake_path(tmp_path, commands)
    full = {"PATH": path, "HOME": str(tmp_path)}
    full.update(env)
    started = time.monotonic()
    proc = subprocess.run([os.path.join(path, "bash"), SCRIPT] + args, env=full, capture_output=True, text=True,
                          timeout=30, check=False)
    return proc, time.monotonic() - started


def _has_podman_in_sbin():
    return any(os.path.exists(os.path.join(d, "podman")) for d in ("/usr/sbin", "/sbin"))


@pytest.mark.skipif(_has_podman_in_sbin(), reason="podman is installed in an sbin directory the check also searches")
@pytest.mark.parametrize("purpose", ["roles", "demo"])
def test_non_root_without_podman_names_the_script(tmp_path, purpose):
    proc, seconds = _run(tmp_path, [purpose], ["runc", "debootstrap", "nft"], AZB_ASSUME_NONROOT="1")
    assert seconds < 10
    assert proc.returncode == (1 if purpose == "roles" else 3), proc
    assert "missing podman" in proc.stderr
    assert "run: sudo scripts/system-deps.sh" in proc.stderr
    assert "apt-get install podman" not in proc.stderr + proc.stdout  # the script, not one package


def test_non_root_with_everything_installed_still_needs_root_for_roles(tmp_path):
    proc = _run(tmp_path, ["roles"], ["podman", "runc", "debootstrap", "nft"], AZB_ASSUME_NONROOT="1")[0]
    assert proc.returncode == 2 and "sudo make test" in proc.stderr, proc


@pytest.mark.skipif(os.getuid() != 0, reason="the root path needs root")
def test_root_runs_system_deps(tmp_path):
    marker = tmp_path / "called"
    fake = tmp_path / "system-deps.sh"
    fake.write_text("#!/bin/sh\necho called > %s\necho 'system-deps: ok'\n" % marker)
    fake.chmod(0o755)
    proc, seconds = _run(tmp_path, ["roles"], ["runc", "debootstrap", "nft"], AZB_SYSTEM_DEPS=str(fake))
    assert proc.returncode == 0 and marker.exists(), proc
    assert "missing podman" in proc.stdout and "scripts/system-deps.sh" in proc.stdout
    assert seconds < 10


def test_unknown_purpose_is_refused(tmp_path):
    proc = _run(tmp_path, ["tests"], [], AZB_ASSUME_NONROOT="1")[0]
    assert proc.returncode == 64 and "roles or demo" in proc.stderr


@pytest.mark.parametrize("target", ["test", "roles"])
def test_make_checks_the_system_first(target):
    """`make -n` lists the recipes in the order make runs them: the system check comes before every suite."""
    proc = subprocess.run(["make", "-n", "-C", ROOT, target], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    commands = [line for line in proc.stdout.splitlines() if line.strip() and not line.startswith("make")]
    assert "need-system.sh" in commands[0], commands[:3]
