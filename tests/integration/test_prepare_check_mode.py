"""The whole prepare playbook with --check, in both network modes: the sandbox sees reads only, not one write,
and the report directory is not written either."""

import json
import os

import pytest

from conftest import ROOT, SEED, arm_requests


@pytest.mark.parametrize("mode", ["service_tags", "proxy"])
def test_check_mode_of_the_main_playbook_writes_nothing(mode, run, sandbox, tmp_path):
    with open(SEED, encoding="utf-8") as handle:
        sandbox.control.load_fixtures(json.load(handle))
    sandbox.control.clear_requests()
    report_dir = tmp_path / "reports"
    proc = run.ansible_playbook(
        "--check", "--diff", "-i", os.path.join(ROOT, "inventories", "demo", "hosts.yml"),
        "-e", "azbackup_network_mode=%s azbackup_report_dir=%s" % (mode, report_dir),
        os.path.join(ROOT, "playbooks", "prepare_backup_environment.yml"))
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "changed=" in proc.stdout
    writes = arm_requests(sandbox, writes=True)
    assert writes == [], writes
    assert arm_requests(sandbox, writes=False), "check mode still reads the current state"
    assert not report_dir.exists()
    print("check_mode %s: %d reads, 0 writes" % (mode, len(arm_requests(sandbox, writes=False))))
