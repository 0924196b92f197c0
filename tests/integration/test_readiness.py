"""backup_readiness_info against the sandbox: every check passes, warns and fails on a purpose-built estate; the request
plan is lists per resource group or subscription plus at most one GET per VM; bad input sends no request."""

import json

import pytest
from conftest import arm_requests
from readiness_fixtures import EXPECTED, RG, estate

VAULT = [{"name": "rsv-weu", "resource_group": "rg-backup"}]


def by_name(result):
    return {vm["name"]: vm for vm in result["vms"]}


def check_of(vm, name):
    return next(c for c in vm["checks"] if c["check"] == name)


@pytest.fixture
def loaded(sandbox):
    sandbox.control.load_fixtures(estate(sandbox.subscription_id))
    sandbox.control.clear_requests()
    return sandbox


def test_every_check_passes_warns_and_fails(run, loaded):
    result = run.module("backup_readiness_info", {"resource_group": RG, "vaults": VAULT})
    assert not result.get("failed"), result
    assert result["changed"] is False
    vms = by_name(result)
    for (vm_name, check), expected in EXPECTED.items():
        vm = vms[vm_name]
        for name in [c["check"] for c in vm["checks"]] if check == "*" else [check]:
            got = check_of(vm, name)
            assert got["result"] == expected, (vm_name, got)
    # Every check is seen passing, warning and failing.
    outcomes = {(c["check"], c["result"]) for vm in result["vms"] for c in vm["checks"]}
    for name in ("agent", "backup_extension", "power_state", "region", "disks", "os", "network_config", "outbound"):
        assert {(name, "pass"), (name, "warn"), (name, "fail")} <= outcomes, name
    # Reasons are one line and quote what matters.
    assert "DenyInternetOut" in check_of(vms["vm-blocked"], "outbound")["reason"]
    assert "4000" in check_of(vms["vm-blocked"], "outbound")["reason"]
    assert "could not reach Storage" in check_of(vms["vm-oldagent"], "backup_extension")["reason"]
    assert "2.2.10" in check_of(vms["vm-oldagent"], "agent")["reason"]
    assert "rsv-neu" in check_of(vms["vm-neu"], "region")["reason"]
    assert all("\n" not in c["reason"] for vm in result["vms"] for c in vm["checks"])
    # Worst result per VM, and the summary counts.
    assert vms["vm-good"]["result"] == "pass" and vms["vm-dealloc"]["result"] == "warn"
    assert vms["vm-blocked"]["result"] == "fail"
    summary = result["summary"]
    assert summary["vms"] == len(vms) == 19
    assert summary["pass"] + summary["warn"] + summary["fail"] == summary["vms"]
    assert summary["fail"] == sum(1 for v in vms.values() if v["result"] == "fail")
    assert result["vaults"] == [{"name": "rsv-weu", "resource_group": "rg-backup", "location": "westeurope"}]
    assert "Traceback" not in json.dumps(result)


def test_resource_group_scope_request_plan(run, loaded):
    result = run.module("backup_readiness_info", {"resource_group": RG})
    assert not result.get("failed"), result
    reads = arm_requests(loaded)
    assert arm_requests(loaded, writes=True) == []
    n_vms = result["summary"]["vms"]
    per_vm = [r for r in reads if r["path"].lower().endswith("/instanceview")]
    lists = [r for r in reads if not r["path"].lower().endswith("/instanceview")]
    # The group's VM list carries the instance views ($expand=instanceView): no GET per VM.
    assert n_vms == 19 and per_vm == []
    # VMs, NICs (2 groups), VNets (1), NSGs (2 groups), vaults, and the load balancers of the group whose backend
    # pool decides a VM's outbound path: lists only, no GET of a single NIC/NSG/VNet.
    paths = sorted(r["path"].lower().rsplit("/providers/", 1)[-1] for r in lists)
    assert paths == sorted(["microsoft.compute/virtualmachines", "microsoft.network/networkinterfaces",
                            "microsoft.network/networkinterfaces", "microsoft.network/virtualnetworks",
                            "microsoft.network/networksecuritygroups", "microsoft.network/networksecuritygroups",
                            "microsoft.network/loadbalancers", "microsoft.recoveryservices/vaults"]), paths
    # The module counts what it sent, retries of injected faults included.
    assert result["requests"] == len([r for r in loaded.control.requests() if r.get("kind") == "arm"])
    # Without a vault selection every vault of the subscription counts: vm-neu passes its region check.
    assert check_of(by_name(result)["vm-neu"], "region")["result"] == "pass"


def test_subscription_scope_uses_only_list_calls(run, loaded):
    result = run.module("backup_readiness_info", {"names": ["vm-good", "vm-b*"], "vault_regions": ["West Europe"]})
    assert not result.get("failed"), result
    assert [v["name"] for v in result["vms"]] == ["vm-blocked", "vm-good"]
    reads = arm_requests(loaded)
    # The VM list with $expand=instanceView carries the instance views: 5 lists (VMs, NICs, VNets, NSGs, vaults), no
    # statusOnly list, no per-VM GET.
    assert not any(r["path"].lower().endswith("/instanceview") for r in reads)
    assert len(reads) == 5, [r["path"] for r in reads]
    vm_lists = [r for r in reads if r["path"].lower().endswith("/microsoft.compute/virtualmachines")]
    assert [(r.get("query") or {}).get("$expand") for r in vm_lists] == ["instanceView"]
    assert check_of(by_name(result)["vm-blocked"], "outbound")["result"] == "fail"


def test_proxy_declared_by_name_and_subset_of_checks(run, loaded):
    result = run.module("backup_readiness_info", {"resource_group": RG, "names": ["vm-blocked", "vm-proxied"],
                                                  "proxy_vms": ["vm-bl*"], "proxy_tag": "", "checks": ["outbound"]})
    assert not result.get("failed"), result
    vms = by_name(result)
    assert [c["check"] for c in vms["vm-blocked"]["checks"]] == ["outbound"]
    assert check_of(vms["vm-blocked"], "outbound")["result"] == "pass"
    # The tag is ignored with proxy_tag: "".
    assert check_of(vms["vm-proxied"], "outbound")["result"] == "fail"


def test_thresholds(run, loaded):
    result = run.module("backup_readiness_info", {"resource_group": RG, "names": ["vm-oldagent", "vm-good"],
                                                  "min_agent_version": {"linux": "2.2.0"}, "max_data_disks": 1,
                                                  "checks": ["agent", "disks"]})
    assert not result.get("failed"), result
    vms = by_name(result)
    assert check_of(vms["vm-oldagent"], "agent")["result"] == "pass"
    assert check_of(vms["vm-good"], "disks")["result"] == "fail"


def test_check_mode_is_the_same_read(run, loaded):
    result = run.module("backup_readiness_info", {"resource_group": RG, "names": ["vm-good"]}, check=True)
    assert not result.get("failed") and result["vms"][0]["result"] == "pass"
    assert arm_requests(loaded, writes=True) == []


def test_unknown_vault_is_a_clear_error(run, loaded):
    result = run.module("backup_readiness_info", {"resource_group": RG,
                                                  "vaults": [{"name": "rsv-nope", "resource_group": "rg-backup"}]})
    assert result.get("failed") and "rsv-nope" in result["msg"] and "vaults" in result["msg"]
    assert "Traceback" not in json.dumps(result)


@pytest.mark.parametrize("args, word", [
    ({"resource_group": "bad group!"}, "resource_group"),
    ({"min_agent_version": {"linux": "latest"}}, "min_agent_version.linux"),
    ({"max_concurrency": 0}, "max_concurrency"),
    ({"vault_regions": ["west europe!"]}, "vault_regions"),
    ({"vaults": VAULT, "vault_regions": ["westeurope"]}, "mutually exclusive"),
    ({"checks": ["agent", "nope"]}, "checks"),
])
def test_invalid_input_sends_no_request(run, sandbox, args, word):
    result = run.module("backup_readiness_info", args)
    assert result.get("failed") and word in result["msg"], result
    assert arm_requests(sandbox) == []


def test_missing_resource_group_is_a_clear_error(run, sandbox):
    result = run.module("backup_readiness_info", {"resource_group": "rg-absent"})
    assert result.get("failed") and result.get("status_code") == 404
    assert "rg-absent" in result["msg"] and "Traceback" not in json.dumps(result)


def test_throttling_is_retried(run, loaded):
    loaded.control.set_faults(fault_rate=0.3, fault_statuses=[429], retry_after=0, seed=3)
    result = run.module("backup_readiness_info", {"resource_group": RG})
    assert not result.get("failed"), result
    assert result["summary"]["vms"] == 19
    assert any(r.get("fault") for r in loaded.control.requests())


def test_report_playbook_writes_markdown_and_html(run, loaded, tmp_path):
    import os
    import re
    import subprocess
    import sys

    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    report_dir = tmp_path / "reports"
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
           os.path.join(root, "playbooks", "readiness_report.yml"),
           "-e", json.dumps({"azbackup_report_dir": str(report_dir), "azbackup_readiness_resource_group": RG,
                             "azbackup_readiness_vaults": VAULT})]
    env = dict(run.env(), ANSIBLE_STDOUT_CALLBACK="default")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    md = (report_dir / "readiness.md").read_text()
    html = (report_dir / "readiness.html").read_text()
    # One row per VM in each, with colour-coded results, and the summary.
    for name in ("vm-good", "vm-blocked", "vm-eus", "vm-dealloc"):
        assert md.count("| %s |" % name) == 1, name
        assert html.count("<tr><td>%s</td>" % name) == 1, name
    assert "🔴 fail" in md and "🟡 warn" in md and "🟢 pass" in md
    assert "| 19 |" in md
    assert re.search(r'<td class="fail">fail</td>', html) and 'class="check warn"' in html and 'class="check pass"' in html
    assert "DenyInternetOut" in md and "DenyInternetOut" in html
    # Self-contained: no external script, stylesheet or image.
    assert not re.search(r'<(script|link|img)\b', html) and "http://" not in html and "https://" not in html
    # Reasons are HTML-escaped.
    assert "<td>NSG nsg-deny rule DenyInternetOut" in html
    # The run fails when asked to and a VM will fail.
    failing = cmd + ["-e", "azbackup_readiness_fail_on_fail=true"]
    proc = subprocess.run(failing, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode != 0 and "vm-blocked" in proc.stdout
