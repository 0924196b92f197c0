"""vm_info against the sandbox: the inventory plugin's host variables for playbooks on static inventories; scope
options, check mode, a fixed set of list requests, denied reads reported, bad options before any request."""

import json
import os

import pytest
from conftest import arm_requests


def names(result):
    return [vm["azure_name"] for vm in result["vms"]]


def test_every_vm_with_its_network_path(run, seeded):
    result = run.module("vm_info")
    assert not result.get("failed"), result
    assert result["changed"] is False
    # Sorted by resource group, then name.
    assert names(result) == ["vm-app-neu-01", "vm-legacy-neu-01", "vm-win-neu-01",
                             "vm-app-weu-02", "vm-proxy-weu", "vm-sql-weu-01", "vm-web-weu-01"]
    vms = {vm["azure_name"]: vm for vm in result["vms"]}
    assert [(n["name"], n["attached_to"]) for n in vms["vm-web-weu-01"]["azure_nsgs"]] == [("nsg-app", "subnet")]
    assert vms["vm-sql-weu-01"]["azure_os_type"] == "windows"
    assert sorted(vms["vm-sql-weu-01"]["azure_private_ips"]) == ["10.0.2.4", "10.0.2.5"]
    assert vms["vm-win-neu-01"]["azure_power_state"] == "deallocated"
    assert result["unreadable"] == []
    reads = arm_requests(seeded)
    assert arm_requests(seeded, writes=True) == []
    # Lists only, each once; the module counts what it sent.
    paths = [r["path"].lower().split("?")[0] for r in reads]
    assert len(paths) == len(set(paths)), paths
    assert result["requests"] == len([r for r in seeded.control.requests() if r.get("kind") == "arm"])
    assert "Traceback" not in json.dumps(result)


def test_same_variables_as_the_inventory_plugin(run, seeded):
    """One home for discovery: vm_info returns exactly the plugin's host variables."""
    import subprocess
    import sys

    import yaml

    result = run.module("vm_info")
    path = run.tmp_path / "same.azure_vms.yml"
    path.write_text(yaml.safe_dump({"plugin": "azbackup.vmprep.azure_vms"}))
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-inventory"), "-i", str(path),
                           "--list"], env=run.env(), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    from test_inventory import plain

    hostvars = plain(json.loads(proc.stdout))["_meta"]["hostvars"]
    for vm in result["vms"]:
        assert hostvars[vm["azure_name"]] == vm


@pytest.mark.parametrize("args, expected", [
    ({"resource_group": "rg-backup-weu"}, ["vm-app-weu-02", "vm-proxy-weu", "vm-sql-weu-01", "vm-web-weu-01"]),
    ({"resource_groups": ["rg-backup-weu", "RG-BACKUP-NEU"], "exclude_resource_groups": ["rg-backup-weu"]},
     ["vm-app-neu-01", "vm-legacy-neu-01", "vm-win-neu-01"]),
    ({"names": ["VM-APP-*"]}, ["vm-app-neu-01", "vm-app-weu-02"]),
    ({"tags": {"backup": "daily"}}, ["vm-sql-weu-01", "vm-web-weu-01"]),
    ({"exclude_tags": {"role": ["app", "proxy"]}, "resource_group": "rg-backup-weu"},
     ["vm-sql-weu-01", "vm-web-weu-01"]),
    ({"power_states": ["stopped", "deallocated"]}, ["vm-win-neu-01", "vm-app-weu-02"]),
], ids=["resource-group", "include-exclude", "names", "tags", "exclude-tags", "power"])
def test_scope_options(run, seeded, args, expected):
    result = run.module("vm_info", args)
    assert not result.get("failed"), result
    assert names(result) == expected


def test_check_mode_reads_the_same(run, seeded):
    normal = run.module("vm_info", {"resource_group": "rg-backup-neu"})
    seeded.control.clear_requests()
    checked = run.module("vm_info", {"resource_group": "rg-backup-neu"}, check=True)
    assert not checked.get("failed"), checked
    assert checked["vms"] == normal["vms"] and checked["changed"] is False
    assert arm_requests(seeded, writes=True) == []


def test_denied_nsg_list_is_reported_not_fatal(run, seeded):
    scope = "/subscriptions/%s/resourceGroups/rg-backup-neu" % seeded.subscription_id
    seeded.control.set_faults(deny=[{"scope": scope, "actions": ["Microsoft.Network/networkSecurityGroups/read"]}])
    result = run.module("vm_info")
    assert not result.get("failed"), result
    assert len(result["vms"]) == 7
    denied = [u for u in result["unreadable"] if u["permission"] == "Microsoft.Network/networkSecurityGroups/read"]
    assert denied and denied[0]["scope"].lower() == scope.lower() and "authorization" in denied[0]["message"]
    vms = {vm["azure_name"]: vm for vm in result["vms"]}
    assert vms["vm-win-neu-01"]["azure_unreadable"]
    assert vms["vm-web-weu-01"]["azure_unreadable"] == []


@pytest.mark.parametrize("args, message", [
    ({"resource_groups": ["bad/rg"]}, "resource_groups 'bad/rg' is not a valid resource group name"),
    ({"names": [" "]}, "names must be VM names or shell-style patterns"),
    ({"tags": {"env": ["a", {"b": 1}]}}, "tags.env: tag values must be strings"),
    ({"power_states": ["asleep"]}, "power_states"),
    ({"max_concurrency": 65}, "max_concurrency must be a whole number from 1 to 64"),
    ({"subscription_id": "nope"}, "subscription_id must be a GUID"),
], ids=["rg", "names", "tags", "power", "concurrency", "subscription"])
def test_bad_options_fail_before_any_request(run, sandbox, args, message):
    result = run.module("vm_info", args)
    assert result.get("failed"), result
    assert message in result["msg"], result["msg"]
    assert "Traceback" not in json.dumps(result)
    assert sandbox.control.requests() == []
