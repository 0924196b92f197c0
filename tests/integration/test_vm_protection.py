"""vm_protection and vm_protection_info against the ARM sandbox's Azure Backup: protect (with refreshContainers only
when needed, once per task), idempotent re-runs costing one list, policy switch, stop with data kept, resume,
delete with and without soft delete, undelete, another vault named, 50 VMs in one task, check mode, diff, input
errors before any request, the info module, and the hostile fault profiles."""

import json
import os

import pytest
from conftest import FAULT_PROFILES, ROOT, arm_requests

SPECS = os.path.join(ROOT, "tests", "sandbox", "tests", "examples")
VAULT = {"vault_name": "rsv1", "vault_resource_group": "rg1"}


def _policy_body(name, example="ProtectionPolicies_CreateOrUpdate_Simple.json"):
    with open(os.path.join(SPECS, example), encoding="utf-8") as handle:
        body = json.load(handle)["parameters"]["parameters"]
    return dict(body, name=name)


def setup(sandbox, vms=1, soft_delete=True, discovered=False, policies=("p1", "p2")):
    """rg1 with vaults rsv1 (policies p1, p2) and rsv2 (policy other); VMs vm1..vmN in rg-app (westeurope)."""
    ctl = sandbox.control
    ctl.load_fixtures({"resource_groups": [{"name": "rg1", "location": "westeurope"},
                                           {"name": "rg-app", "location": "westeurope"}]})
    props = {} if soft_delete else {"securitySettings": {"softDeleteSettings": {"softDeleteState": "Disabled"}}}
    ctl.load_fixtures({"vaults": [{"resource_group": "rg1", "name": "rsv1", "properties": props},
                                  {"resource_group": "rg1", "name": "rsv2"}]})
    names = ["vm%d" % i for i in range(1, vms + 1)]
    ctl.load_fixtures({"virtual_machines": [{"resource_group": "rg-app", "name": n} for n in names]})
    ids = [vm_id(sandbox, n) for n in names]
    ctl.load_fixtures({"backup": [
        {"resource_group": "rg1", "vault": "rsv1", "policies": [_policy_body(p) for p in policies],
         "discovered": ids if discovered else []},
        {"resource_group": "rg1", "vault": "rsv2", "policies": [_policy_body("other")]}]})
    ctl.clear_requests()
    return names


def vm_id(sandbox, name):
    return "/subscriptions/%s/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/%s" % (
        sandbox.subscription_id, name)


def vault_id(sandbox, name="rsv1"):
    return "/subscriptions/%s/resourceGroups/rg1/providers/Microsoft.RecoveryServices/vaults/%s" % (
        sandbox.subscription_id, name)


def vms(*names, **extra):
    return [dict({"name": n, "resource_group": "rg-app"}, **extra) for n in names]


def calls(sandbox, polls=False):
    """The ARM requests of the log as (method, what) pairs (faulted requests left out: their retries count)."""
    out = []
    for entry in arm_requests(sandbox):
        path = entry["path"]
        if entry["kind"] == "lro-poll" or any(part in path for part in (
                "/operationsStatus/", "/operationResults/", "/backupOperations/", "/backupOperationResults/")):
            if not polls:
                continue
            what = "poll"
        elif path.endswith("/backupProtectedItems"):
            what = "items"
        elif path.endswith("/backupProtectableItems"):
            what = "protectable"
        elif path.endswith("/refreshContainers"):
            what = "refresh"
        elif "/backupPolicies/" in path:
            what = "policy"
        elif "/protectedItems/" in path:
            what = "item"
        elif path.endswith("/backupStatus"):
            what = "status"
        elif path.rstrip("/").split("/")[-2].lower() == "vaults":
            what = "vault"
        else:
            what = path
        out.append((entry["method"], what))
    return out


def info(run, **args):
    result = run.module("vm_protection_info", dict(VAULT, **args))
    assert not result.get("failed"), result
    return {i["name"]: i for i in result["vms"]}


def protect(run, names, check=False, diff=False, **args):
    return run.module("vm_protection", dict(VAULT, vms=vms(*names), **args), check=check, diff=diff)


# ---- protect, re-run, switch, stop, resume, delete ------------------------------------------------------------

def test_protect_one_vm_refresh_once_and_rerun_costs_one_list(run, sandbox):
    sandbox.control.clear_faults()
    setup(sandbox)
    result = protect(run, ["vm1"], policy="p1")
    assert not result.get("failed"), result
    assert result["changed"] is True and result["refreshed"] is True
    entry = result["vms"][0]
    assert entry["id"] == vm_id(sandbox, "vm1") and entry["state"] == "protected" and entry["policy"] == "p1"
    assert entry["changed"] is True and entry["failed"] is False and entry["protection_state"] == "IRPending"
    assert entry["job_id"] and entry["item_id"].endswith("/protectedItems/VM;iaasvmcontainerv2;rg-app;vm1")
    assert calls(sandbox) == [("GET", "items"), ("GET", "policy"), ("GET", "protectable"), ("POST", "refresh"),
                              ("GET", "protectable"), ("PUT", "item")]
    print("\nprotect 1 VM (needs refresh): %d requests + %d polls"
          % (len(calls(sandbox)), len(calls(sandbox, polls=True)) - len(calls(sandbox))))
    found = info(run, vms=vms("vm1"))["vm1"]
    assert found["policy"] == "p1" and found["protection_state"] in ("IRPending", "Protected")
    sandbox.control.clear_requests()
    again = protect(run, ["vm1"], policy="p1")
    assert again["changed"] is False and not again.get("failed"), again
    assert again["vms"][0]["state"] == "protected" and again["vms"][0]["changed"] is False
    assert calls(sandbox, polls=True) == [("GET", "items")]
    assert again["refreshed"] is False


def test_already_discovered_vm_needs_no_refresh(run, sandbox):
    sandbox.control.clear_faults()
    setup(sandbox, discovered=True)
    result = protect(run, ["vm1"], policy="p1")
    assert result["changed"] is True and result["refreshed"] is False, result
    assert calls(sandbox) == [("GET", "items"), ("GET", "policy"), ("GET", "protectable"), ("PUT", "item")]


def test_switch_policy_stop_keeps_data_resume(run, sandbox):
    sandbox.control.clear_faults()
    setup(sandbox, discovered=True)
    assert protect(run, ["vm1"], policy="p1")["changed"] is True
    sandbox.control.clear_requests()
    switched = protect(run, ["vm1"], policy="p2", diff=True)
    assert switched["changed"] is True and switched["vms"][0]["policy"] == "p2", switched
    key = vm_id(sandbox, "vm1")
    assert switched["diff"]["before"][key] == {"state": "protected", "policy": "p1"}
    assert switched["diff"]["after"][key] == {"state": "protected", "policy": "p2"}
    assert calls(sandbox) == [("GET", "items"), ("GET", "policy"), ("PUT", "item")]
    assert info(run, vms=vms("vm1"))["vm1"]["policy"] == "p2"

    stopped = run.module("vm_protection", dict(VAULT, vms=vms("vm1"), state="stopped"))
    assert stopped["changed"] is True and stopped["vms"][0]["state"] == "stopped", stopped
    assert stopped["vms"][0]["policy"] is None and stopped["vms"][0]["protection_state"] == "ProtectionStopped"
    found = info(run, vms=vms("vm1"))["vm1"]
    assert found["protection_state"] == "ProtectionStopped" and found["soft_deleted"] is False
    assert found["item_id"], "stop keeps the item and its data"
    again = run.module("vm_protection", dict(VAULT, vms=vms("vm1"), state="stopped"))
    assert again["changed"] is False and again["vms"][0]["state"] == "stopped", again

    resumed = protect(run, ["vm1"], policy="p1")
    assert resumed["changed"] is True and resumed["vms"][0]["state"] == "protected", resumed
    assert resumed["vms"][0]["policy"] == "p1" and resumed["refreshed"] is False
    assert info(run, vms=vms("vm1"))["vm1"]["policy"] == "p1"


def test_absent_soft_delete_then_undelete_and_protect(run, sandbox):
    sandbox.control.clear_faults()
    setup(sandbox, discovered=True)
    assert protect(run, ["vm1"], policy="p1")["changed"] is True
    sandbox.control.clear_requests()
    gone = run.module("vm_protection", dict(VAULT, vms=vms("vm1"), state="absent"), diff=True)
    assert gone["changed"] is True and gone["vms"][0]["state"] == "soft_deleted", gone
    assert gone["diff"]["after"][vm_id(sandbox, "vm1")] == {"state": "soft_deleted", "policy": None}
    assert calls(sandbox) == [("GET", "items"), ("GET", "vault"), ("DELETE", "item")]
    found = info(run, vms=vms("vm1"))["vm1"]
    assert found["soft_deleted"] is True and found["protection_state"] == "ProtectionStopped"
    sandbox.control.clear_requests()
    again = run.module("vm_protection", dict(VAULT, vms=vms("vm1"), state="absent"))
    assert again["changed"] is False and again["vms"][0]["state"] == "soft_deleted", again
    assert calls(sandbox, polls=True) == [("GET", "items")]
    # A soft-deleted item to protect: undelete, then protect with the policy (two writes, no refresh).
    sandbox.control.clear_requests()
    back = protect(run, ["vm1"], policy="p2")
    assert back["changed"] is True and back["vms"][0]["state"] == "protected", back
    assert back["vms"][0]["policy"] == "p2" and back["refreshed"] is False
    assert calls(sandbox) == [("GET", "items"), ("GET", "policy"), ("PUT", "item"), ("PUT", "item")]
    found = info(run, vms=vms("vm1"))["vm1"]
    assert found["soft_deleted"] is False and found["policy"] == "p2"


def test_stopped_undeletes_a_soft_deleted_item(run, sandbox):
    setup(sandbox, discovered=True)
    assert protect(run, ["vm1"], policy="p1")["changed"] is True
    assert run.module("vm_protection", dict(VAULT, vms=vms("vm1"), state="absent"))["changed"] is True
    kept = run.module("vm_protection", dict(VAULT, vms=vms("vm1"), state="stopped"))
    assert kept["changed"] is True and kept["vms"][0]["state"] == "stopped", kept
    found = info(run, vms=vms("vm1"))["vm1"]
    assert found["soft_deleted"] is False and found["protection_state"] == "ProtectionStopped"


def test_absent_without_soft_delete_removes_the_item(run, sandbox):
    setup(sandbox, discovered=True, soft_delete=False)
    assert protect(run, ["vm1"], policy="p1")["changed"] is True
    gone = run.module("vm_protection", dict(VAULT, vms=vms("vm1"), state="absent"))
    assert gone["changed"] is True and gone["vms"][0]["state"] == "absent", gone
    assert gone["vms"][0]["item_id"] is None
    found = info(run, vms=vms("vm1"))["vm1"]
    assert found["protection_state"] == "NotProtected" and found["item_id"] is None
    again = run.module("vm_protection", dict(VAULT, vms=vms("vm1"), state="absent"))
    assert again["changed"] is False and again["vms"][0]["state"] == "absent", again


def test_stopped_and_absent_leave_a_vm_without_item_alone(run, sandbox):
    sandbox.control.clear_faults()
    setup(sandbox)
    for state in ("stopped", "absent"):
        sandbox.control.clear_requests()
        result = run.module("vm_protection", dict(VAULT, vms=vms("vm1"), state=state))
        assert result["changed"] is False and result["vms"][0]["state"] == "absent", result
        assert calls(sandbox, polls=True) == [("GET", "items")]


# ---- another vault ------------------------------------------------------------------------------------------------

def test_vm_of_another_vault_fails_naming_it_others_protected(run, sandbox):
    setup(sandbox, vms=3, discovered=True)
    other = run.module("vm_protection", {"vault_name": "rsv2", "vault_resource_group": "rg1", "policy": "other",
                                         "vms": vms("vm2")})
    assert other["changed"] is True, other
    sandbox.control.clear_requests()
    result = protect(run, ["vm1", "vm2", "vm3"], policy="p1")
    made = calls(sandbox)
    # The other vault's id comes from Azure's backupStatus of the VM, asked in the vault's region (one vault GET).
    assert made.count(("POST", "status")) == 1 and made.count(("GET", "vault")) == 1, made
    status = [e for e in arm_requests(sandbox) if e["path"].endswith("/backupStatus")][0]
    assert "/locations/westeurope/" in status["path"]
    assert result.get("failed") is True, result
    by_name = {e["name"]: e for e in result["vms"]}
    assert by_name["vm1"]["state"] == "protected" and by_name["vm3"]["state"] == "protected"
    assert by_name["vm1"]["failed"] is False and by_name["vm3"]["changed"] is True
    assert by_name["vm2"]["failed"] is True and by_name["vm2"]["vault_id"].lower() == vault_id(sandbox, "rsv2").lower()
    assert vault_id(sandbox, "rsv2").lower() in by_name["vm2"]["msg"].lower()
    assert "1 of 3 VMs failed" in result["msg"] and "vm2" in result["msg"]
    assert vault_id(sandbox, "rsv2").lower() in result["msg"].lower()
    assert result["changed"] is True
    found = info(run, vms=vms("vm1", "vm2", "vm3"))
    assert found["vm2"]["protection_state"] == "NotProtected" and found["vm1"]["policy"] == "p1"


def test_vm_in_another_region_is_not_protectable(run, sandbox):
    sandbox.control.clear_faults()
    setup(sandbox)
    sandbox.control.load_fixtures({"resource_groups": [{"name": "rg-north", "location": "northeurope"}]})
    sandbox.control.load_fixtures({"virtual_machines": [{"resource_group": "rg-north", "name": "vmn"}]})
    sandbox.control.clear_requests()
    targets = [{"name": "vmn", "resource_group": "rg-north"}, {"name": "vm1", "resource_group": "rg-app"}]
    result = run.module("vm_protection", dict(VAULT, policy="p1", vms=targets))
    assert result.get("failed") is True, result
    bad, good = result["vms"]
    assert bad["failed"] is True and "not protectable" in bad["msg"] and "westeurope" in bad["msg"]
    assert good["state"] == "protected" and good["changed"] is True
    assert [c for c in calls(sandbox) if c == ("POST", "refresh")] == [("POST", "refresh")]


# ---- many VMs, check mode, diff ------------------------------------------------------------------------------

def test_fifty_vms_one_task_request_counts(run, sandbox):
    sandbox.control.clear_faults()
    names = setup(sandbox, vms=50)
    args = dict(VAULT, policy="p1", vms=vms(*names), max_concurrency=16)
    result = run.module("vm_protection", args)
    assert not result.get("failed") and result["changed"] is True, result.get("msg")
    assert result["summary"] == {"total": 50, "changed": 50, "unchanged": 0, "failed": 0}
    assert [e["name"] for e in result["vms"]] == names
    made = calls(sandbox)
    # 1 list + 1 policy + protectable, refresh, protectable again + one PUT per VM.
    assert made.count(("PUT", "item")) == 50 and made.count(("POST", "refresh")) == 1
    assert made.count(("GET", "items")) == 1 and made.count(("GET", "policy")) == 1
    assert made.count(("GET", "protectable")) == 2 and len(made) == 55, made
    polls = len(calls(sandbox, polls=True)) - len(made)
    print("\n50 VMs: %d requests + %d polls" % (len(made), polls))
    assert polls <= 51 * 2
    sandbox.control.clear_requests()
    again = run.module("vm_protection", args)
    assert again["changed"] is False and again["summary"]["unchanged"] == 50, again.get("msg")
    assert calls(sandbox, polls=True) == [("GET", "items")]
    assert len(info(run)) == 50


def test_check_mode_sends_no_write_and_predicts(run, sandbox):
    sandbox.control.clear_faults()
    setup(sandbox, vms=2)
    result = protect(run, ["vm1", "vm2"], policy="p1", check=True, diff=True)
    assert result["changed"] is True and not result.get("failed"), result
    assert all(e["state"] == "protected" and e["changed"] for e in result["vms"])
    assert result["refreshed"] is False
    # No write; backupStatus (a read, sent as POST) of each VM to protect predicts another vault's protection.
    assert [c for c in calls(sandbox, polls=True) if c[0] != "GET"] == [("POST", "status")] * 2
    assert result["diff"]["after"][vm_id(sandbox, "vm1")] == {"state": "protected", "policy": "p1"}
    assert result["diff"]["before"][vm_id(sandbox, "vm1")] == {"state": "absent", "policy": None}
    assert info(run, vms=vms("vm1"))["vm1"]["protection_state"] == "NotProtected"
    # A real run, then check mode for stop and delete: still no write.
    assert protect(run, ["vm1", "vm2"], policy="p1")["changed"] is True
    for state, expected in (("stopped", "stopped"), ("absent", "soft_deleted")):
        sandbox.control.clear_requests()
        result = run.module("vm_protection", dict(VAULT, vms=vms("vm1"), state=state), check=True)
        assert result["changed"] is True and result["vms"][0]["state"] == expected, result
        assert [c for c in calls(sandbox, polls=True) if c[0] != "GET"] == []
    assert info(run, vms=vms("vm1"))["vm1"]["policy"] == "p1"


def test_missing_policy_fails_its_vms_only_naming_policy_and_entry(run, sandbox):
    sandbox.control.clear_faults()
    setup(sandbox, vms=3, discovered=True)
    targets = vms("vm1") + vms("vm2", policy="nope") + vms("vm3", policy="p2")
    result = run.module("vm_protection", dict(VAULT, policy="p1", vms=targets))
    assert result.get("failed") is True and "1 of 3 VMs failed" in result["msg"], result
    assert "vm2 (rg-app)" in result["msg"] and "'nope'" in result["msg"]
    one, two, three = result["vms"]
    assert two["failed"] is True and two["changed"] is False and two["error_code"] == "PolicyNotFound"
    assert "'nope'" in two["msg"] and "vms[1] (vm2)" in two["msg"]
    assert one["state"] == "protected" and one["policy"] == "p1" and one["changed"] is True
    assert three["state"] == "protected" and three["policy"] == "p2" and three["changed"] is True
    assert result["changed"] is True
    puts = [e["path"] for e in arm_requests(sandbox) if e["method"] == "PUT"]
    assert len(puts) == 2 and not any(p.lower().endswith(";vm2") for p in puts), puts
    assert info(run, vms=vms("vm2"))["vm2"]["protection_state"] == "NotProtected"


@pytest.mark.parametrize("args,words", [
    ({"vms": []}, "vms must list at least one VM"),
    ({"vms": vms("vm1")}, "needs a backup policy"),
    ({"vms": vms("vm1"), "policy": "bad/name"}, "policy must be a backup policy name"),
    ({"vms": vms("vm1", policy="x y"), "policy": "p1"}, "vms[0].policy"),
    ({"vms": ["not-an-id"], "policy": "p1"}, "vms[0]"),
    ({"vms": vms("vm1") + vms("VM1"), "policy": "p1"}, "same VM"),
    ({"vms": vms("vm1"), "policy": "p1", "max_concurrency": 0}, "max_concurrency"),
    ({"vms": vms("vm1"), "policy": "p1", "vault_name": "1bad"}, "vault_name"),
    ({"vms": vms("vm1"), "policy": "p1", "state": "gone"}, "state"),
    ({"vms": vms("vm1"), "policy": "p1", "wait_timeout": 0}, "wait_timeout"),
    ({"vms": [{"name": "vm1", "resource_group": "rg-app", "color": "red"}], "policy": "p1"}, "unknown keys"),
])
def test_invalid_input_fails_before_any_request(run, sandbox, args, words):
    result = run.module("vm_protection", dict(VAULT, **args))
    assert result.get("failed") is True and words in result["msg"], result
    assert "Traceback" not in json.dumps(result)
    assert arm_requests(sandbox) == []


def test_info_module_every_item_and_states(run, sandbox):
    setup(sandbox, vms=4, discovered=True)
    assert protect(run, ["vm1", "vm2", "vm3"], policy="p1")["changed"] is True
    assert run.module("vm_protection", dict(VAULT, vms=vms("vm2"), state="stopped"))["changed"] is True
    assert run.module("vm_protection", dict(VAULT, vms=vms("vm3"), state="absent"))["changed"] is True
    sandbox.control.clear_requests()
    every = info(run)
    assert sorted(every) == ["vm1", "vm2", "vm3"]
    assert calls(sandbox) and set(calls(sandbox)) == {("GET", "items")}
    assert every["vm1"]["policy"] == "p1" and every["vm1"]["health_status"] == "Passed"
    assert every["vm1"]["protection_status"] == "Healthy" and every["vm1"]["last_backup_time"] is None
    assert every["vm2"]["protection_state"] == "ProtectionStopped" and every["vm2"]["policy"] is None
    assert every["vm3"]["soft_deleted"] is True
    assert every["vm1"]["id"] == vm_id(sandbox, "vm1") and every["vm1"]["resource_group"] == "rg-app"
    asked = run.module("vm_protection_info", dict(VAULT, vms=vms("vm4", "vm1")))
    assert [i["name"] for i in asked["vms"]] == ["vm4", "vm1"]
    assert asked["vms"][0]["protection_state"] == "NotProtected" and asked["vms"][0]["soft_deleted"] is False
    bad = run.module("vm_protection_info", dict(VAULT, vms=["nope"]))
    assert bad.get("failed") is True and "vms[0]" in bad["msg"]


def test_info_last_backup_from_a_backed_up_item(run, sandbox):
    setup(sandbox)
    cname = "iaasvmcontainerv2;rg-app;vm1"
    sandbox.control.load_fixtures({"backup": [{"resource_group": "rg1", "vault": "rsv1", "protected_items": [{
        "name": "VM;" + cname,
        "properties": {"protectedItemType": "Microsoft.Compute/virtualMachines", "backupManagementType": "AzureIaasVM",
                       "sourceResourceId": vm_id(sandbox, "vm1"), "virtualMachineId": vm_id(sandbox, "vm1"),
                       "friendlyName": "vm1", "containerName": cname, "protectionState": "Protected",
                       "protectionStatus": "Healthy", "healthStatus": "Passed", "lastBackupStatus": "Completed",
                       "lastBackupTime": "2026-11-29T02:00:00Z", "lastRecoveryPoint": "2026-11-29T02:00:00Z",
                       "policyId": vault_id(sandbox) + "/backupPolicies/p1", "policyName": "p1",
                       "workloadType": "VM"}}]}]})
    found = info(run, vms=vms("vm1"))["vm1"]
    assert found["last_backup_status"] == "Completed" and found["last_backup_time"] == "2026-11-29T02:00:00Z"
    assert found["last_recovery_point"] == "2026-11-29T02:00:00Z" and found["protection_state"] == "Protected"
    assert found["policy"] == "p1"
    # Already protected with p1: nothing to do, one list.
    sandbox.control.clear_requests()
    result = protect(run, ["vm1"], policy="p1")
    assert result["changed"] is False and result["vms"][0]["protection_state"] == "Protected", result


# ---- hostile profiles ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("profile", ["transient", "busy", "lost-answer"])
def test_many_vms_converge_under_faults(run, sandbox, profile):
    """12 VMs, 6 at a time, protected then stopped under each hostile profile: every VM ends as asked, each change
    reported (a lost answer that landed included), and a fault-free re-run costs one list."""
    names = setup(sandbox, vms=12)
    sandbox.control.set_faults(seed=11, **FAULT_PROFILES[profile])
    args = dict(VAULT, policy="p1", vms=vms(*names), max_concurrency=6)
    result = run.module("vm_protection", args)
    assert not result.get("failed"), result.get("msg")
    assert all(e["changed"] and e["state"] == "protected" for e in result["vms"]), result["vms"]
    stopped = run.module("vm_protection", dict(args, state="stopped", vms=vms(*names[:6])))
    assert not stopped.get("failed"), stopped.get("msg")
    assert all(e["changed"] and e["state"] == "stopped" for e in stopped["vms"]), stopped["vms"]
    faults = [e for e in sandbox.control.requests() if e.get("fault")]
    print("\n%s: %d faults over %d requests" % (profile, len(faults), len(sandbox.control.requests())))
    assert faults, "the profile injected nothing; the test proves nothing"
    sandbox.control.clear_faults()
    found = info(run, vms=vms(*names))
    assert all(found[n]["policy"] == "p1" for n in names[6:])
    assert all(found[n]["protection_state"] == "ProtectionStopped" for n in names[:6])
    sandbox.control.clear_requests()
    again = run.module("vm_protection", dict(args, vms=vms(*names[6:])))
    assert again["changed"] is False, again
    assert calls(sandbox, polls=True) == [("GET", "items")]


def test_a_vault_that_does_not_exist_fails_naming_it(run, sandbox):
    setup(sandbox)
    for name in ("vm_protection", "vm_protection_info"):
        sandbox.control.clear_requests()
        args = {"vault_name": "rsv-missing", "vault_resource_group": "rg1", "vms": vms("vm1")}
        result = run.module(name, dict(args, policy="p1") if name == "vm_protection" else args)
        assert result.get("failed") is True and "rsv-missing" in result["msg"], result
        assert "Traceback" not in json.dumps(result)
        assert [c for c in calls(sandbox, polls=True) if c[0] != "GET"] == []


@pytest.mark.parametrize("how", ["drop", 500])
def test_a_lost_answer_that_landed_is_a_change_and_not_sent_again(run, sandbox, how):
    """Every write's answer is lost after Azure applied it: the VM's item is read again (one GET), found as wanted,
    and the task reports the change - the write is not sent a second time."""
    sandbox.control.clear_faults()
    setup(sandbox, discovered=True)
    sandbox.control.set_faults(lost_answer_rate=1.0, lost_answer_kinds=[how])
    result = protect(run, ["vm1"], policy="p1")
    assert not result.get("failed") and result["changed"] is True, result
    assert result["vms"][0]["state"] == "protected" and result["vms"][0]["policy"] == "p1"
    log = [(e["method"], e.get("fault")) for e in sandbox.control.requests() if e.get("kind") == "arm"
           and "/protectedItems/" in e["path"] and "/operations" not in e["path"]]
    assert log == [("PUT", "lost-%s" % how if how != "drop" else "lost-drop"), ("GET", None)], log
    sandbox.control.clear_requests()
    gone = run.module("vm_protection", dict(VAULT, vms=vms("vm1"), state="absent"))
    assert not gone.get("failed") and gone["changed"] is True and gone["vms"][0]["state"] == "soft_deleted", gone
    log = [e["method"] for e in sandbox.control.requests() if e.get("kind") == "arm" and "/protectedItems/" in e["path"]]
    assert log == ["DELETE", "GET"], log
    sandbox.control.clear_faults()
    assert info(run, vms=vms("vm1"))["vm1"]["soft_deleted"] is True


def test_policy_names_compare_without_regard_to_case(run, sandbox):
    sandbox.control.clear_faults()
    setup(sandbox, discovered=True)
    first = protect(run, ["vm1"], policy="P1", diff=True)
    assert first["changed"] is True and first["vms"][0]["policy"] == "p1", first
    assert first["diff"]["after"][vm_id(sandbox, "vm1")] == {"state": "protected", "policy": "p1"}
    sandbox.control.clear_requests()
    again = protect(run, ["vm1"], policy="p1")
    assert again["changed"] is False and again["vms"][0]["policy"] == "p1", again
    assert calls(sandbox, polls=True) == [("GET", "items")]


# ---- review fixes: truthful changed of a failed VM, per-VM policy errors, check mode and backupStatus,
# ---- extendedProperties kept on a switch or resume ------------------------------------------------------------

def test_a_put_accepted_whose_operation_times_out_is_a_change_of_a_failed_vm(run, sandbox):
    sandbox.control.clear_faults()
    setup(sandbox, discovered=True)
    sandbox.control.set_faults(lro_polls=100, lro_retry_after=5, lro_max_seconds=30)
    result = protect(run, ["vm1"], policy="p1", wait_timeout=1)
    assert result.get("failed") is True and "still running" in result["msg"], result
    entry = result["vms"][0]
    assert entry["failed"] is True and entry["changed"] is True, entry
    assert result["changed"] is True and result["summary"]["changed"] == 1 and result["summary"]["failed"] == 1
    assert calls(sandbox).count(("PUT", "item")) == 1


def test_check_mode_predicts_another_vaults_protection_like_a_real_run(run, sandbox):
    sandbox.control.clear_faults()
    setup(sandbox, vms=3, discovered=True)
    other = run.module("vm_protection", {"vault_name": "rsv2", "vault_resource_group": "rg1", "policy": "other",
                                         "vms": vms("vm2")})
    assert other["changed"] is True, other
    sandbox.control.clear_requests()
    predicted = protect(run, ["vm1", "vm2", "vm3"], policy="p1", check=True)
    assert [c for c in calls(sandbox, polls=True) if c[0] != "GET" and c != ("POST", "status")] == []
    real = protect(run, ["vm1", "vm2", "vm3"], policy="p1")
    for result in (predicted, real):
        assert result.get("failed") is True and "1 of 3 VMs failed" in result["msg"], result
        by_name = {e["name"]: e for e in result["vms"]}
        assert by_name["vm2"]["failed"] is True and by_name["vm2"]["changed"] is False
        assert by_name["vm2"]["vault_id"].lower() == vault_id(sandbox, "rsv2").lower()
        assert by_name["vm1"]["state"] == by_name["vm3"]["state"] == "protected"
        assert result["changed"] is True
    assert info(run, vms=vms("vm2"))["vm2"]["protection_state"] == "NotProtected"


def test_check_mode_predicts_a_vm_that_needs_a_refresh_protectable(run, sandbox):
    sandbox.control.clear_faults()
    setup(sandbox)
    result = protect(run, ["vm1"], policy="p1", check=True)
    assert result["changed"] is True and not result.get("failed") and result["refreshed"] is False, result
    assert result["vms"][0]["state"] == "protected"
    assert [c for c in calls(sandbox, polls=True) if c[0] != "GET"] == [("POST", "status")]


EXTENDED = {"diskExclusionProperties": {"diskLunList": [1], "isInclusionList": False}}


def _put_bodies(sandbox):
    return [e["body"] for e in arm_requests(sandbox) if e["method"] == "PUT" and "/protectedItems/" in e["path"]]


def test_switch_and_resume_keep_the_items_extended_properties(run, sandbox):
    sandbox.control.clear_faults()
    setup(sandbox, vms=2, discovered=True)
    assert protect(run, ["vm1", "vm2"], policy="p1")["changed"] is True
    # vm1's item gets extendedProperties (as a backup with excluded disks has): a PUT that gives them.
    state = sandbox.control.state()
    item = _find_item(state, "vm1")
    item["properties"]["extendedProperties"] = EXTENDED
    sandbox.control.load_fixtures({"backup": [{"resource_group": "rg1", "vault": "rsv1", "protected_items": [item]}]})
    sandbox.control.clear_requests()
    switched = protect(run, ["vm1", "vm2"], policy="p2")
    assert switched["changed"] is True and not switched.get("failed"), switched
    bodies = {b["properties"]["sourceResourceId"].rsplit("/", 1)[-1]: b for b in _put_bodies(sandbox)}
    assert bodies["vm1"]["properties"]["extendedProperties"] == EXTENDED
    assert "extendedProperties" not in bodies["vm2"]["properties"], "never a field the item did not have"
    assert _find_item(sandbox.control.state(), "vm1")["properties"]["extendedProperties"] == EXTENDED
    assert run.module("vm_protection", dict(VAULT, vms=vms("vm1"), state="stopped"))["changed"] is True
    sandbox.control.clear_requests()
    assert protect(run, ["vm1"], policy="p1")["changed"] is True
    (resumed,) = _put_bodies(sandbox)
    assert resumed["properties"]["extendedProperties"] == EXTENDED
    assert _find_item(sandbox.control.state(), "vm1")["properties"]["extendedProperties"] == EXTENDED


def _find_item(state, name):
    """The protected item of VM ``name`` in the sandbox's state (wherever the state keeps the vaults)."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict) and props.get("friendlyName") == name and props.get("protectedItemType"):
                found.append(node)
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(state)
    assert len(found) == 1, found
    return found[0]
