"""Filters protection_plan and protection_results: the decisions of playbooks/protect.yml (step 6) without Azure."""

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.azbackup.vmprep.plugins.filter.protection_plan import FilterModule as PlanFilters
from ansible_collections.azbackup.vmprep.plugins.filter.protection_plan import protection_plan
from ansible_collections.azbackup.vmprep.plugins.filter.protection_results import FilterModule as ResultFilters
from ansible_collections.azbackup.vmprep.plugins.filter.protection_results import protection_results

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"


def vm_id(rg, name):
    return "%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/%s" % (SUB, rg, name)


def plugin_host(name, rg="rg-a", region="westeurope", verdict="pass", tags=None, checks=None):
    return {"azure_name": name, "azure_resource_group": rg, "azure_location": region, "azure_id": vm_id(rg, name),
            "azure_tags": tags or {}, "azure_os_type": "linux", "azure_power_state": "running",
            "azure_agent": {"version": "2.13.1.1"},
            "azure_readiness": {"result": verdict,
                                "checks": checks or [{"check": "agent", "result": verdict,
                                                      "reason": "agent says %s" % verdict}]}}


def plan(hostvars, **kwargs):
    kwargs.setdefault("vault_resource_group", "rg-backup")
    return protection_plan(sorted(hostvars), hostvars, **kwargs)


def test_filters_are_registered():
    assert PlanFilters().filters()["protection_plan"] is protection_plan
    assert ResultFilters().filters()["protection_results"] is protection_results


def test_tag_default_policy_vault_per_region_and_gate():
    hv = {"a": plugin_host("vm-a", tags={"AzBackup-Policy": "gold"}),
          "b": plugin_host("vm-b", region="North Europe"),
          "c": plugin_host("vm-c", verdict="fail"),
          "d": plugin_host("vm-d", verdict="warn")}
    out = plan(hv, default_policy="silver")
    by = {v["name"]: v for v in out["vms"]}
    assert by["vm-a"]["policy"] == "gold" and by["vm-a"]["protect"]
    assert by["vm-b"]["policy"] == "silver" and by["vm-b"]["vault_name"] == "rsv-backup-northeurope"
    assert not by["vm-c"]["protect"] and by["vm-c"]["reasons"] == ["agent (fail) - agent says fail"]
    assert by["vm-c"]["skip_reason"].startswith("readiness fail")
    assert by["vm-d"]["protect"]
    assert [(v["name"], [m["name"] for m in v["vms"]]) for v in out["vaults"]] == [
        ("rsv-backup-northeurope", ["vm-b"]), ("rsv-backup-westeurope", ["vm-a", "vm-d"])]
    assert [v["name"] for v in out["skipped"]] == ["vm-c"]
    # Built from the hosts' verdicts: a report in backup_readiness_info's form.
    assert out["report"]["summary"]["vms"] == 4 and out["report"]["summary"]["fail"] == 1
    assert out["report"]["summary"]["checks"]["agent"]["pass"] == 2


def test_no_policy_and_allowed_verdicts():
    hv = {"a": plugin_host("vm-a", verdict="unknown")}
    assert plan(hv)["vms"][0]["skip_reason"].startswith("readiness unknown")
    out = plan(hv, allowed=["pass", "warn", "unknown"])
    assert out["vms"][0]["skip_reason"] == "no policy: no azbackup-policy tag and no azbackup_default_policy"
    assert out["vaults"][0]["vms"] == []
    with pytest.raises(AnsibleFilterError, match="among"):
        plan(hv, allowed=["ok"])
    with pytest.raises(AnsibleFilterError, match="vault_resource_group"):
        protection_plan(["a"], hv)


def test_report_given_static_hosts_get_resource_group_by_name():
    readiness = {"vms": [{"name": "vm-a", "id": vm_id("rg-x", "vm-a"), "resource_group": "rg-x",
                          "location": "westeurope", "result": "warn", "checks": []},
                         {"name": "vm-b", "id": vm_id("rg-x", "vm-b"), "resource_group": "rg-x",
                          "location": "westeurope", "result": "pass", "checks": []}]}
    hv = {"vm-a": {"location": "westeurope"}, "vm-b": {}, "ghost": {}}
    out = plan(hv, readiness=readiness, default_policy="p", vault_regions=["westeurope"])
    by = {v["name"]: v for v in out["vms"]}
    assert by["vm-a"]["resource_group"] == "rg-x" and by["vm-a"]["protect"]
    assert by["vm-b"]["region"] == "westeurope" and by["vm-b"]["protect"]
    assert by["ghost"]["skip_reason"].startswith("no resource group")
    assert out["report"] == {}


def test_vm_missing_from_the_report_is_not_protected():
    hv = {"a": plugin_host("vm-a")}
    out = plan(hv, readiness={"vms": []}, default_policy="p")
    assert out["vms"][0]["verdict"] == "unchecked" and not out["vms"][0]["protect"]


def test_results_join_protection_and_first_backup():
    hv = {"a": plugin_host("vm-a"), "b": plugin_host("vm-b"), "c": plugin_host("vm-c", verdict="fail")}
    p = plan(hv, default_policy="p")
    vault = p["vaults"][0]
    protection = {"results": [{"item": vault, "vms": [
        {"name": "vm-a", "state": "protected", "protection_state": "IRPending", "policy": "p", "changed": True},
        {"name": "vm-b", "state": "failed", "failed": True, "msg": "protected by vault X", "changed": False}]}]}
    out = protection_results(p, protection=protection)
    assert out["backup_vaults"] == [{"name": vault["name"], "resource_group": "rg-backup",
                                     "vms": [{"name": "vm-a", "resource_group": "rg-a"}]}]
    assert protection_results(p, protection=protection, check_mode=True)["backup_vaults"] == []
    backups = {"results": [{"item": out["backup_vaults"][0], "jobs": [
        {"name": "vm-a", "status": "Failed", "error_code": "UserErrorGuestAgentStatusUnavailable",
         "duration_seconds": 42.0, "triggered": True}]}]}
    out = protection_results(p, protection=protection, backups=backups)
    rows = out["vms"]
    assert rows["rg-a/vm-a"]["state"] == "protected" and rows["rg-a/vm-a"]["first_backup"]["error_code"] == \
        "UserErrorGuestAgentStatusUnavailable"
    assert rows["rg-a/vm-b"]["failed"] and out["failures"] == ["vm-b (rg-a): protected by vault X"]
    assert rows["rg-a/vm-c"]["state"] == "not protected"
    assert out["summary"] == {"vms": 3, "protected": 1, "skipped": 1, "planned_new_vault": 0, "failed": 1,
                              "backup_completed": 0,
                              "backup_failed": 1, "backup_other": 0, "jobs_completed": 0, "jobs_failed": 0,
                              "jobs_other": 0}


def test_results_of_a_task_that_failed_as_a_whole():
    p = plan({"a": plugin_host("vm-a")}, default_policy="p")
    protection = {"results": [{"item": p["vaults"][0], "failed": True, "msg": "AuthorizationFailed"}]}
    out = protection_results(p, protection=protection)
    assert out["vms"]["rg-a/vm-a"]["failed"] and out["failures"] == ["vm-a (rg-a): AuthorizationFailed"]
    skipped = {"results": [{"item": p["vaults"][0], "skipped": True}]}
    assert protection_results(p, protection=skipped)["vms"]["rg-a/vm-a"]["state"] == "not run"
    assert protection_results(p)["vms"]["rg-a/vm-a"]["state"] == "planned"


def test_items_keep_a_failed_first_backup_from_being_retried():
    hv = {"a": plugin_host("vm-a"), "b": plugin_host("vm-b"), "c": plugin_host("vm-c")}
    p = plan(hv, default_policy="p")
    vault = p["vaults"][0]
    assert vault["targets"] == [{"name": n, "resource_group": "rg-a"} for n in ("vm-a", "vm-b", "vm-c")]
    protection = {"results": [{"item": vault, "vms": [{"name": n, "state": "protected", "changed": False}
                                                      for n in ("vm-a", "vm-b", "vm-c")]}]}
    items = {"results": [{"item": vault, "vms": [
        {"name": "vm-a", "protection_state": "IRPending", "last_backup_status": None},
        {"name": "vm-b", "protection_state": "IRPending", "last_backup_status": "Failed",
         "last_backup_time": "2026-11-30T08:00:00Z"},
        {"name": "vm-c", "protection_state": "Protected", "last_backup_status": "Completed",
         "last_recovery_point": "2026-11-30T08:00:00Z"}]}]}
    out = protection_results(p, protection=protection, items=items)
    assert [v["name"] for v in out["backup_vaults"][0]["vms"]] == ["vm-a"]
    assert out["vms"]["rg-a/vm-b"]["last_backup"] == {"status": "Failed", "time": "2026-11-30T08:00:00Z"}
    # No item read for the vault (its info task did not run): nothing is triggered.
    assert protection_results(p, protection=protection, items={"results": []})["backup_vaults"] == []


def test_the_most_recent_backup_job_per_vm():
    p = plan({"a": plugin_host("vm-a"), "b": plugin_host("vm-b")}, default_policy="p")
    jobs = {"results": [{"item": p["vaults"][0], "jobs": [
        {"container": "iaasvmcontainerv2;rg-a;vm-a", "status": "Failed", "error_code": "X", "start_time": "2026-11-29"},
        {"container": "iaasvmcontainerv2;rg-a;vm-a", "status": "Completed", "start_time": "2026-11-30",
         "duration_seconds": 61.0},
        {"container": "iaasvmcontainerv2;rg-other;vm-b", "status": "Failed", "start_time": "2026-11-30"}]}]}
    out = protection_results(p, jobs=jobs)
    assert out["vms"]["rg-a/vm-a"]["backup_job"]["status"] == "Completed"
    assert out["vms"]["rg-a/vm-b"]["backup_job"] is None  # another VM of that name
    assert (out["summary"]["jobs_completed"], out["summary"]["jobs_failed"]) == (1, 0)


def test_a_vm_left_alone_shows_its_protection_in_azure():
    hv = {"a": plugin_host("vm-a"), "c": plugin_host("vm-c", verdict="fail"), "d": plugin_host("vm-d", verdict="fail")}
    p = plan(hv, default_policy="p")
    vault = p["vaults"][0]
    assert vault["scope"] == [{"name": n, "resource_group": "rg-a"} for n in ("vm-a", "vm-c", "vm-d")]
    assert vault["targets"] == [{"name": "vm-a", "resource_group": "rg-a"}]
    items = {"results": [{"item": vault, "vms": [
        {"name": "vm-a", "protection_state": "NotProtected"},
        {"name": "vm-c", "protection_state": "Protected", "policy": "gold", "last_backup_status": "Completed"},
        {"name": "vm-d", "protection_state": "NotProtected"}]}]}
    out = protection_results(p, items=items)
    assert out["vms"]["rg-a/vm-c"]["state"] == "protected (left alone)" and out["vms"]["rg-a/vm-c"]["policy"] == "gold"
    assert out["vms"]["rg-a/vm-d"]["state"] == "not protected"
    assert out["summary"]["skipped"] == 2 and out["failures"] == []


def test_a_first_backup_not_triggered_is_a_failure_a_failed_job_is_not():
    hv = {n: plugin_host(n) for n in ("vm-a", "vm-b", "vm-c", "vm-d")}
    p = plan(hv, default_policy="p")
    vault = p["vaults"][0]
    protection = {"results": [{"item": vault, "vms": [{"name": n, "state": "protected", "changed": True}
                                                      for n in ("vm-a", "vm-b", "vm-c", "vm-d")]}]}
    backups = {"results": [{"item": vault, "failed": True, "msg": "3 of 4 VMs failed", "jobs": [
        {"name": "vm-a", "status": "Failed", "error_code": "UserErrorGuestAgentStatusUnavailable", "failed": False},
        {"name": "vm-b", "triggered": False, "failed": True, "error_code": "AuthorizationFailed", "msg": "HTTP 403"},
        {"name": "vm-c", "triggered": False, "failed": True, "error_code": "NotProtected", "msg": "not protected"},
        {"name": "vm-d", "triggered": True, "status": "InProgress", "failed": True, "error_code": "OperationTimedOut",
         "msg": "still running"}]}]}
    out = protection_results(p, protection=protection, backups=backups)
    assert out["failures"] == ["vm-b (rg-a): first backup: AuthorizationFailed: HTTP 403",
                               "vm-c (rg-a): first backup: NotProtected: not protected",
                               "vm-d (rg-a): first backup: OperationTimedOut: still running"]
    assert out["summary"]["backup_failed"] == 1


def test_check_mode_vault_that_does_not_exist_yet():
    hv = {"a": plugin_host("vm-a"), "n": plugin_host("vm-n", region="northeurope"),
          "c": plugin_host("vm-c", verdict="fail")}
    p = plan(hv, default_policy="p", existing_vaults=["RSV-BACKUP-WESTEUROPE"])
    by_name = {v["name"]: v for v in p["vaults"]}
    new = by_name["rsv-backup-northeurope"]
    assert new["new"] and new["vms"] == [] and new["scope"] == [] and new["targets"] == []
    assert new["planned"] == [{"name": "vm-n", "resource_group": "rg-a", "policy": "p"}]
    assert not by_name["rsv-backup-westeurope"]["new"] and len(by_name["rsv-backup-westeurope"]["vms"]) == 1
    out = protection_results(p)
    assert out["vms"]["rg-a/vm-n"]["state"] == "planned (vault created by this run)"
    assert out["summary"]["planned_new_vault"] == 1
    assert all(not v["new"] for v in plan(hv, default_policy="p")["vaults"])
