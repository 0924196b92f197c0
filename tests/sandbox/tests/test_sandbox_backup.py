"""Azure Backup for VMs (RecoveryServicesBackup 2026-11-01): policies, refreshContainers, protectable and
protected items with their long-running operations, on-demand backups and jobs, backupStatus."""

import json
import os
import urllib.parse

from sandbox_testlib import VAULT_API, rg_fixture

SUB = "33333333-3333-3333-3333-333333333333"
VAULT = f"/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.RecoveryServices/vaults/rsv1"
OTHER = VAULT.replace("rsv1", "rsv2")
API = "2026-11-01"
SPECS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "examples")  # carried copies of the spec examples


def V1():
    with open(os.path.join(SPECS, "ProtectionPolicies_CreateOrUpdate_Simple.json"),
              encoding="utf-8") as handle:
        return json.load(handle)["parameters"]["parameters"]


def V2():
    with open(os.path.join(SPECS, "IaaS_v2_daily.json"), encoding="utf-8") as handle:
        return json.load(handle)["parameters"]["parameters"]


def _setup(sandbox, vms=None, vault_props=None):
    sandbox.control.load_fixtures(rg_fixture("rg1", "rg-app"))
    vault = {"resource_group": "rg1", "name": "rsv1"}
    if vault_props:
        vault["properties"] = vault_props
    sandbox.control.load_fixtures({"vaults": [vault, {"resource_group": "rg1", "name": "rsv2"}]})
    sandbox.control.load_fixtures({"virtual_machines": vms or [{"resource_group": "rg-app", "name": "vm1"}]})


def _vm(name="vm1"):
    return f"/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/{name}"


def _item(vault=VAULT, name="vm1"):
    cname = f"iaasvmcontainerv2;rg-app;{name}"
    return f"{vault}/backupFabrics/Azure/protectionContainers/IaasVMContainer;{cname}/protectedItems/VM;{cname}"


def _wait(arm, headers, key="Azure-AsyncOperation"):
    url = headers[key].split("://", 1)[1].split("/", 1)[1]
    for _unused in range(50):
        status, out_headers, body = arm.send("GET", "/" + url)
        if key == "Location" and status != 202:
            return status, body
        if key != "Location" and body["status"] != "InProgress":
            return status, body
    raise AssertionError("operation did not finish")


def _refresh(arm, vault=VAULT):
    status, headers, body = arm.send("POST", f"{vault}/backupFabrics/Azure/refreshContainers", api_version=API)
    assert status == 202 and "Location" in headers, body
    assert _wait(arm, headers, "Location")[0] == 204


def _policy(arm, name="p1", body=None, vault=VAULT):
    status, _unused, out = arm.send("PUT", f"{vault}/backupPolicies/{name}", body or V1(), api_version=API)
    assert status == 200, out
    return out


def _protect(arm, policy="p1", vault=VAULT, name="vm1", extra=None):
    props = {"protectedItemType": "Microsoft.Compute/virtualMachines", "sourceResourceId": _vm(name),
             "policyId": f"{vault}/backupPolicies/{policy}" if policy else "", **(extra or {})}
    return arm.send("PUT", _item(vault, name), {"properties": props}, api_version=API)


def test_policies_v1_v2_hourly_and_delete_in_use(sandbox, arm):
    _setup(sandbox)
    out = _policy(arm)
    assert out["id"] == f"{VAULT}/backupPolicies/p1" and out["type"] == "Microsoft.RecoveryServices/vaults/backupPolicies"
    assert out["properties"]["protectedItemsCount"] == 0
    assert out["properties"]["schedulePolicy"]["schedulePolicyType"] == "SimpleSchedulePolicy"
    v2 = _policy(arm, "v2", V2())
    assert v2["properties"]["policyType"] == "V2"
    hourly = V2()
    hourly["properties"]["schedulePolicy"] = {
        "schedulePolicyType": "SimpleSchedulePolicyV2", "scheduleRunFrequency": "Hourly",
        "hourlySchedule": {"interval": 4, "scheduleWindowStartTime": "2021-12-17T08:00:00Z",
                           "scheduleWindowDuration": 16}}
    _policy(arm, "hourly", hourly)
    bad = V1()
    bad["properties"]["schedulePolicy"]["scheduleRunFrequency"] = "Hourly"
    status, _unused, body = arm.send("PUT", f"{VAULT}/backupPolicies/bad", bad, api_version=API)
    assert (status, body["error"]["code"]) == (400, "BMSUserErrorInvalidPolicyInput")
    weekly = V1()
    weekly["properties"]["schedulePolicy"].update(scheduleRunFrequency="Weekly", scheduleRunDays=["Sunday"])
    status, _unused, body = arm.send("PUT", f"{VAULT}/backupPolicies/weekly", weekly, api_version=API)
    assert (status, body["error"]["code"]) == (400, "BMSUserErrorInvalidPolicyInput")
    assert "weekly retention" in body["error"]["message"]
    retention = weekly["properties"]["retentionPolicy"]
    retention["weeklySchedule"] = {"daysOfTheWeek": ["Sunday"], "retentionTimes": ["2018-01-24T02:00:00Z"],
                                   "retentionDuration": {"count": 12, "durationType": "Weeks"}}
    del retention["dailySchedule"]
    _policy(arm, "weekly", weekly)
    listed = arm.send("GET", f"{VAULT}/backupPolicies", api_version=API)[2]["value"]
    assert sorted(p["name"] for p in listed) == ["hourly", "p1", "v2", "weekly"]
    assert arm.send("GET", f"{VAULT}/backupPolicies/v2", api_version=API)[2]["properties"]["timeZone"] \
        == "India Standard Time"
    _refresh(arm)
    status, headers, _unused = _protect(arm)
    assert status == 202
    _wait(arm, headers)
    assert arm.send("GET", f"{VAULT}/backupPolicies/p1", api_version=API)[2]["properties"]["protectedItemsCount"] == 1
    status, _unused, body = arm.send("DELETE", f"{VAULT}/backupPolicies/p1", api_version=API)
    assert (status, body["error"]["code"]) == (400, "BMSUserErrorPolicyInUse")
    assert "1 protected item" in body["error"]["message"]
    assert arm.send("DELETE", f"{VAULT}/backupPolicies/hourly", api_version=API)[0] == 200
    assert arm.send("GET", f"{VAULT}/backupPolicies/hourly", api_version=API)[0] == 404


def test_protectable_items_appear_after_refresh_only(sandbox, arm):
    _setup(sandbox, vms=[{"resource_group": "rg-app", "name": "vm1"},
                         {"resource_group": "rg-app", "name": "vm-east", "location": "eastus"}])
    listed = arm.send("GET", f"{VAULT}/backupProtectableItems", api_version=API)[2]["value"]
    assert listed == []
    _policy(arm)
    status, _unused, body = _protect(arm)
    assert (status, body["error"]["code"]) == (400, "BMSUserErrorNeedsRefresh")
    _refresh(arm)
    listed = arm.send("GET", f"{VAULT}/backupProtectableItems", api_version=API)[2]["value"]
    assert [i["properties"]["friendlyName"] for i in listed] == ["vm1"]
    assert listed[0]["name"] == "VM;iaasvmcontainerv2;rg-app;vm1"
    assert listed[0]["properties"]["protectionState"] == "NotProtected"


def test_protect_switch_stop_delete_soft_delete_and_vault_lock(sandbox, arm):
    _setup(sandbox)
    _policy(arm)
    _policy(arm, "p2")
    _refresh(arm)
    status, headers, _unused = _protect(arm)
    assert status == 202 and "Location" in headers
    assert _wait(arm, headers)[1]["status"] == "Succeeded"
    item = arm.send("GET", _item(), api_version=API)[2]
    assert item["properties"]["protectionState"] == "IRPending"
    assert item["properties"]["policyId"] == f"{VAULT}/backupPolicies/p1"
    assert (item["properties"]["policyName"], item["properties"]["vaultId"]) == ("p1", VAULT)
    assert arm.send("GET", f"{VAULT}/backupProtectableItems", api_version=API)[2]["value"] == []
    # the vault's storage redundancy is now locked and the vault cannot be deleted
    change = {"properties": {"redundancySettings": {"standardTierStorageRedundancy": "LocallyRedundant"}}}
    status, _unused, body = arm.send("PATCH", VAULT, change, api_version=VAULT_API)
    assert (status, body["error"]["code"]) == (400, "StorageModelModifyError")
    config = arm.send("GET", f"{VAULT}/backupconfig/vaultconfig", api_version=API)[2]
    assert config["properties"]["storageTypeState"] == "Locked"
    status, _unused, body = arm.send("DELETE", VAULT, api_version=VAULT_API)
    assert (status, body["error"]["code"]) == (400, "ServiceResourceNotEmpty")
    # another vault cannot protect it
    _policy(arm, vault=OTHER)
    _refresh(arm, OTHER)
    status, _unused, body = _protect(arm, vault=OTHER)
    assert (status, body["error"]["code"]) == (400, "UserErrorBackupItemAlreadyProtectedWithOtherVault")
    assert VAULT in body["error"]["message"]
    # switch policy
    _wait(arm, _protect(arm, "p2")[1])
    assert arm.send("GET", _item(), api_version=API)[2]["properties"]["policyId"].endswith("/p2")
    # stop protection, keep data
    _wait(arm, _protect(arm, None, extra={"protectionState": "ProtectionStopped"})[1])
    item = arm.send("GET", _item(), api_version=API)[2]
    assert item["properties"]["protectionState"] == "ProtectionStopped"
    # resume
    _wait(arm, _protect(arm, "p1")[1])
    assert arm.send("GET", _item(), api_version=API)[2]["properties"]["protectionState"] == "IRPending"
    # delete: soft delete (the vault default), the item stays listed
    status, headers, _unused = arm.send("DELETE", _item(), api_version=API)
    assert status == 202 and f"{VAULT}/backupOperations/" in headers["Azure-AsyncOperation"]
    assert _wait(arm, headers)[1]["status"] == "Succeeded"
    assert _wait(arm, headers, "Location")[0] == 204
    items = arm.send("GET", f"{VAULT}/backupProtectedItems", api_version=API)[2]["value"]
    assert items[0]["properties"]["isScheduledForDeferredDelete"] is True
    assert items[0]["properties"]["protectionState"] == "ProtectionStopped"
    status, _unused, body = arm.send("DELETE", _item(), api_version=API)
    assert (status, body["error"]["code"]) == (400, "UserErrorBackupItemAlreadySoftDeleted")
    status, _unused, body = _protect(arm)
    assert (status, body["error"]["code"]) == (400, "UserErrorBackupItemSoftDeleted")
    # undelete (isRehydrate), disable soft delete, delete for good: the vault is empty and unlocked
    status, headers, _unused = _protect(arm, None, extra={"protectionState": "ProtectionStopped", "isRehydrate": True})
    assert status == 202 and _wait(arm, headers)[1]["status"] == "Succeeded"
    item = arm.send("GET", _item(), api_version=API)[2]["properties"]
    assert item["protectionState"] == "ProtectionStopped" and "isScheduledForDeferredDelete" not in item
    change = {"properties": {"softDeleteFeatureState": "Disabled"}}
    assert arm.send("PATCH", f"{VAULT}/backupconfig/vaultconfig", change, api_version=API)[0] == 200
    _wait(arm, arm.send("DELETE", _item(), api_version=API)[1])
    assert arm.send("GET", f"{VAULT}/backupProtectedItems", api_version=API)[2]["value"] == []
    jobs = arm.send("GET", f"{VAULT}/backupJobs", api_version=API)[2]["value"]
    operations = {j["properties"]["operation"] for j in jobs}
    assert operations >= {"ConfigureBackup", "DisableBackup", "DeleteBackupData", "Undelete"}
    assert arm.send("DELETE", VAULT, api_version=VAULT_API)[0] == 202


def test_delete_without_soft_delete_unlocks_vault(sandbox, arm):
    _setup(sandbox, vault_props={"securitySettings": {"softDeleteSettings": {"softDeleteState": "Disabled"}}})
    _policy(arm)
    _refresh(arm)
    _wait(arm, _protect(arm)[1])
    _wait(arm, arm.send("DELETE", _item(), api_version=API)[1])
    assert arm.send("GET", f"{VAULT}/backupProtectedItems", api_version=API)[2]["value"] == []
    assert arm.send("GET", _item(), api_version=API)[0] == 404
    config = arm.send("GET", f"{VAULT}/backupconfig/vaultconfig", api_version=API)[2]
    assert config["properties"]["storageTypeState"] == "Unlocked"
    assert arm.send("DELETE", VAULT, api_version=VAULT_API)[0] == 202


def test_backup_status_names_the_protecting_vault(sandbox, arm):
    _setup(sandbox)
    url = f"/subscriptions/{SUB}/providers/Microsoft.RecoveryServices/locations/westeurope/backupStatus"
    status, _unused, body = arm.send("POST", url, {"resourceId": _vm(), "resourceType": "VM"}, api_version=API)
    assert (status, body["protectionStatus"]) == (200, "NotProtected")
    _policy(arm)
    _refresh(arm)
    _wait(arm, _protect(arm)[1])
    body = arm.send("POST", url, {"resourceId": _vm(), "resourceType": "VM"}, api_version=API)[2]
    assert body["protectionStatus"] == "Protected" and body["vaultId"] == VAULT
    assert body["policyName"] == "p1" and body["protectedItemName"] == "vm;iaasvmcontainerv2;rg-app;vm1"


def _backup(arm, name="vm1"):
    body = {"properties": {"objectType": "IaasVMBackupRequest",
                           "recoveryPointExpiryTimeInUTC": "2027-01-01T00:00:00Z"}}
    status, headers, out = arm.send("POST", f"{_item(name=name)}/backup", body, api_version=API)
    assert status == 202 and "Azure-AsyncOperation" in headers, out
    op_status = _wait(arm, headers)[1]
    assert op_status["status"] == "Succeeded"
    assert op_status["properties"]["objectType"] == "OperationStatusJobExtendedInfo"
    job = {"name": op_status["properties"]["jobId"]}
    for _unused in range(50):
        job = arm.send("GET", f"{VAULT}/backupJobs/{job['name']}", api_version=API)[2]
        if job["properties"]["status"] != "InProgress":
            return job
    raise AssertionError("job did not end")


def test_on_demand_backup_jobs_end_by_readiness(sandbox, arm):
    _setup(sandbox, vms=[{"resource_group": "rg-app", "name": "vm1"},
                         {"resource_group": "rg-app", "name": "vm-noagent", "agent_status": "NotReady"},
                         {"resource_group": "rg-app", "name": "vm-nonet", "backup_network_path": False}])
    _policy(arm)
    _refresh(arm)
    for name in ("vm1", "vm-noagent", "vm-nonet"):
        _wait(arm, _protect(arm, name=name)[1])
    job = _backup(arm)
    assert job["properties"]["status"] == "Completed" and job["type"] == "Microsoft.RecoveryServices/vaults/backupJobs"
    item = arm.send("GET", _item(), api_version=API)[2]["properties"]
    assert (item["protectionState"], item["lastBackupStatus"]) == ("Protected", "Completed")
    assert "extendedInfo" not in item and item["lastRecoveryPoint"] == item["lastBackupTime"]
    expanded = arm.send("GET", _item() + "?$filter=" + urllib.parse.quote("expand eq 'extendedinfo'"),
                        api_version=API)[2]["properties"]["extendedInfo"]
    assert expanded["recoveryPointCount"] == 1 and expanded["oldestRecoveryPoint"] == item["lastBackupTime"]
    job = _backup(arm, "vm-noagent")
    assert job["properties"]["status"] == "Failed"
    assert job["properties"]["errorDetails"][0]["errorTitle"] == "UserErrorGuestAgentStatusUnavailable"
    assert job["properties"]["extendedInfo"]["dynamicErrorMessage"].startswith("UserErrorGuestAgentStatusUnavailable")
    job = _backup(arm, "vm-nonet")
    assert job["properties"]["errorDetails"][0]["errorTitle"] == "ExtensionSnapshotFailedNoNetwork"
    assert arm.send("GET", f"{VAULT}/backupJobs/nope", api_version=API)[0] == 404
    failed = arm.send("GET", f"{VAULT}/backupJobs?$filter=" + urllib.parse.quote(
        "operation eq 'Backup' and status eq 'Failed' and startTime eq '2020-01-01 01:00:00 AM' and "
        "endTime eq '2100-01-01 01:00:00 PM'"), api_version=API)[2]["value"]
    assert sorted(j["properties"]["entityFriendlyName"] for j in failed) == ["vm-noagent", "vm-nonet"]
    assert arm.send("GET", f"{VAULT}/backupJobs?$filter=" + urllib.parse.quote("startTime eq '2100-01-01T00:00:00Z'"),
                    api_version=API)[2]["value"] == []
    by_policy = arm.send("GET", f"{VAULT}/backupProtectedItems?$filter=" + urllib.parse.quote(
        "backupManagementType eq 'AzureIaasVM' and policyName eq 'p1'"), api_version=API)[2]["value"]
    assert len(by_policy) == 3
    status, _unused, body = arm.send("GET", f"{VAULT}/backupJobs?$filter=" + urllib.parse.quote("status = 1"),
                                     api_version=API)
    assert (status, body["error"]["code"]) == (400, "BMSUserErrorInvalidFilter")


def test_answers_match_the_spec_definitions(sandbox, arm):
    """Backup answers against the compact schemas of their spec subtypes (ProtectionPolicy, SchedulePolicy,
    ProtectedItem, ProtectableItem and Job are polymorphic in the spec; each `properties` is checked against the
    subtype the discriminator names)."""
    from armsandbox.compactschema import CompactValidator

    ref = "RecoveryServicesBackup.bms-extract.json#/definitions/"
    validator = CompactValidator()
    _setup(sandbox, vms=[{"resource_group": "rg-app", "name": "vm1"},
                         {"resource_group": "rg-app", "name": "vm2", "agent_status": "NotReady"}])
    _policy(arm)
    _policy(arm, "v2", V2())
    _refresh(arm)
    for item in arm.send("GET", f"{VAULT}/backupProtectableItems", api_version=API)[2]["value"]:
        validator.validate(ref + "AzureIaaSComputeVMProtectableItem", item["properties"])
    _wait(arm, _protect(arm)[1])
    _wait(arm, _protect(arm, "v2", name="vm2")[1])
    _backup(arm)
    _backup(arm, "vm2")
    for policy in arm.send("GET", f"{VAULT}/backupPolicies", api_version=API)[2]["value"]:
        props = dict(policy["properties"])
        schedule, retention = props.pop("schedulePolicy"), props.pop("retentionPolicy")
        validator.validate(ref + "AzureIaaSVMProtectionPolicy", props)
        validator.validate(ref + schedule["schedulePolicyType"], schedule)
        validator.validate(ref + "LongTermRetentionPolicy", retention)
    for item in arm.send("GET", f"{VAULT}/backupProtectedItems", api_version=API)[2]["value"]:
        validator.validate(ref + "AzureIaaSComputeVMProtectedItem", item["properties"])
    expanded = arm.send("GET", _item() + "?$filter=" + urllib.parse.quote("expand eq 'extendedinfo'"),
                        api_version=API)[2]
    validator.validate(ref + "AzureIaaSComputeVMProtectedItem", expanded["properties"])
    jobs = arm.send("GET", f"{VAULT}/backupJobs", api_version=API)[2]["value"]
    for job in jobs:
        validator.validate(ref + "AzureIaaSVMJob", job["properties"])
    url = f"/subscriptions/{SUB}/providers/Microsoft.RecoveryServices/locations/westeurope/backupStatus"
    status = arm.send("POST", url, {"resourceId": _vm(), "resourceType": "VM"}, api_version=API)[2]
    validator.validate(ref + "BackupStatusResponse", status)
    assert validator.validated == 2 + 2 * 3 + 2 + 1 + len(jobs) + 1


def test_backup_fails_without_an_outbound_path_from_the_subnet(sandbox, arm):
    """A VM in a subnet with defaultOutboundAccess false, no NAT gateway, no public IP and no load balancer."""
    sandbox.control.load_fixtures({
        "resource_groups": [{"name": "rg-app", "location": "westeurope"}],
        "virtual_networks": [{"resource_group": "rg-app", "name": "vnet", "address_prefixes": ["10.0.0.0/16"],
                              "subnets": [{"name": "private", "address_prefix": "10.0.1.0/24",
                                           "default_outbound_access": False},
                                          {"name": "open", "address_prefix": "10.0.2.0/24"}]}],
        "network_interfaces": [{"resource_group": "rg-app", "name": "nic-private", "subnet": "vnet/private"},
                               {"resource_group": "rg-app", "name": "nic-open", "subnet": "vnet/open"}],
    })
    _setup(sandbox, vms=[{"resource_group": "rg-app", "name": "vm-private", "nics": ["nic-private"]},
                         {"resource_group": "rg-app", "name": "vm-open", "nics": ["nic-open"]}])
    _policy(arm)
    _refresh(arm)
    for name in ("vm-private", "vm-open"):
        _wait(arm, _protect(arm, name=name)[1])
    job = _backup(arm, "vm-private")
    assert job["properties"]["errorDetails"][0]["errorTitle"] == "ExtensionSnapshotFailedNoNetwork"
    assert _backup(arm, "vm-open")["properties"]["status"] == "Completed"


def test_busy_final_state_undoes_a_protection(sandbox, arm):
    """The busy-final-state fault accepts the protected-item PUT, undoes it and ends the operation Failed."""
    _setup(sandbox)
    _policy(arm)
    _refresh(arm)
    sandbox.control.set_faults(busy_lro_rate=1.0)
    status, headers, _unused = _protect(arm)
    assert status == 202
    sandbox.control.set_faults(busy_lro_rate=0.0)
    final = _wait(arm, headers)[1]
    assert final["status"] == "Failed"
    assert final["error"]["code"] in ("BMSUserErrorObjectLocked", "BMSUserErrorConflictingProtectionOperation")
    assert arm.send("GET", f"{VAULT}/backupProtectedItems", api_version=API)[2]["value"] == []
    config = arm.send("GET", f"{VAULT}/backupconfig/vaultconfig", api_version=API)[2]
    assert config["properties"]["storageTypeState"] == "Unlocked"
    _wait(arm, _protect(arm)[1])
    assert arm.send("GET", _item(), api_version=API)[2]["properties"]["policyId"].endswith("/p1")


def test_sixty_vms_protected_with_paged_lists(sandbox, arm):
    """Protectable and protected items page like every ARM list (page_size 50): 60 VMs need two pages."""
    names = [f"vm{i:02d}" for i in range(60)]
    _setup(sandbox, vms=[{"resource_group": "rg-app", "name": n} for n in names])
    _policy(arm)
    _refresh(arm)

    def all_pages(path):
        out, url = [], path
        while url:
            body = arm.send("GET", url, api_version=None if "?" in url else API)[2]
            out += body["value"]
            url = body.get("nextLink", "").split("://", 1)[-1].split("/", 1)[-1]
            url = "/" + url if url else None
        return out

    assert len(all_pages(f"{VAULT}/backupProtectableItems")) == 60
    ops = [_protect(arm, name=n)[1] for n in names]
    assert all(_wait(arm, headers)[1]["status"] == "Succeeded" for headers in ops)
    items = all_pages(f"{VAULT}/backupProtectedItems")
    assert sorted(i["properties"]["friendlyName"] for i in items) == names
    assert all_pages(f"{VAULT}/backupProtectableItems") == []
    assert arm.send("GET", f"{VAULT}/backupPolicies/p1", api_version=API)[2]["properties"]["protectedItemsCount"] == 60
    status, _unused, body = arm.send("DELETE", VAULT, api_version=VAULT_API)
    assert "60 backup items" in body["error"]["message"]


def test_backup_job_runs_on_the_clock(sandbox, arm):
    """With lro_polls 3 a job is InProgress for two reads (status `InProgress`, no endTime), then ends."""
    _setup(sandbox)
    _policy(arm)
    _refresh(arm)
    _wait(arm, _protect(arm)[1])
    sandbox.control.set_faults(lro_polls=3, lro_retry_after=5, lro_max_seconds=30)
    body = {"properties": {"objectType": "IaasVMBackupRequest"}}
    headers = arm.send("POST", f"{_item()}/backup", body, api_version=API)[1]
    job_id = _wait(arm, headers)[1]["properties"]["jobId"]
    seen = [arm.send("GET", f"{VAULT}/backupJobs/{job_id}", api_version=API)[2]["properties"] for _unused in range(3)]
    assert [p["status"] for p in seen] == ["InProgress", "InProgress", "Completed"]
    assert "endTime" not in seen[0] and seen[2]["endTime"]
    assert seen[2]["duration"].startswith("PT") and seen[2]["duration"].endswith("S")
    assert arm.send("GET", _item(), api_version=API)[2]["properties"]["lastBackupStatus"] == "Completed"


def test_a_lost_answer_of_a_trigger_leaves_its_job_and_busy_refuses_before_any_effect(sandbox, arm):
    """POST actions that change state are writes for the fault profiles: a trigger whose answer is lost still
    started a job (a blind replay would start a second one); a busy answer started none."""
    _setup(sandbox)
    _policy(arm)
    _refresh(arm)
    _wait(arm, _protect(arm)[1])
    body = {"properties": {"objectType": "IaasVMBackupRequest"}}
    sandbox.control.set_faults(lost_answer_rate=1.0, lost_answer_kinds=[500])
    assert arm.send("POST", f"{_item()}/backup", body, api_version=API)[0] == 500
    sandbox.control.set_faults(lost_answer_rate=0.0, busy_rate=1.0)
    status, _headers, out = arm.send("POST", f"{_item()}/backup", body, api_version=API)
    assert status == 400 and out["error"]["code"] == "BMSUserErrorObjectLocked"  # Azure Backup's own busy answer
    status, _headers, out = arm.send("POST", f"{VAULT}/backupFabrics/Azure/refreshContainers", api_version=API)
    assert status == 400 and out["error"]["code"] == "BMSUserErrorObjectLocked"
    sandbox.control.set_faults(busy_rate=0.0)
    jobs = arm.send("GET", f"{VAULT}/backupJobs", api_version=API)[2]["value"]
    assert [j["properties"]["operation"] for j in jobs].count("Backup") == 1
