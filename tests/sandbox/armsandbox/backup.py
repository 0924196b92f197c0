"""Azure Backup for Azure VMs under a Recovery Services vault (RecoveryServicesBackup, api-version 2026-11-01).

Backup policies (V1 SimpleSchedulePolicy and V2 SimpleSchedulePolicyV2, LongTermRetentionPolicy), the
refreshContainers discovery operation, protectable items (VMs of the vault's subscription and region, listed only
after a refresh), protected items with their long-running operations (protect, switch policy, stop protection,
delete with soft delete), on-demand backups that create jobs running on the sandbox clock, and the
location-level backupStatus API. See docs/sandbox.md ("Azure Backup").

State lives on the vault dict (`_backup`), so a vault delete or a reset removes it; the vault's
`_protectedItems` counter (redundancy lock, delete block) counts real protected items too.
"""

import copy
import datetime
import re
import uuid

from . import compute, vaults
from .common import ArmError, Response, bad_request, iso_now, new_guid, page, retry_after_headers, strip_internal

API_VERSIONS = vaults.API_VERSIONS

FABRIC = "Azure"
ITEM_TYPE = "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems"
PROTECTABLE_TYPE = "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectableItems"
POLICY_TYPE = "Microsoft.RecoveryServices/vaults/backupPolicies"
JOB_TYPE = "Microsoft.RecoveryServices/vaults/backupJobs"
_VM_ID = re.compile(r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.Compute/"
                    r"virtualMachines/([^/]+)$", re.IGNORECASE)
# AzureIaaSVMErrorInfo.errorCode is an int32 in the spec; Azure's numbers are not published, so these are the
# sandbox's own. The symbolic code (what the portal shows as "Error Code") is in errorTitle and in the job's
# extendedInfo.dynamicErrorMessage.
ERROR_NUMBERS = {"UserErrorGuestAgentStatusUnavailable": 400001, "ExtensionSnapshotFailedNoNetwork": 400002,
                 "UserErrorVmNotFoundV2": 400003}
_FREQUENCIES = {"SimpleSchedulePolicy": ("Daily", "Weekly"), "SimpleSchedulePolicyV2": ("Hourly", "Daily", "Weekly")}


# ---- helpers ---------------------------------------------------------------------------------------

def _vault(sandbox, sub, rg, name):
    sandbox.require_group(sub, rg)
    sandbox.lro.sweep()
    found = sandbox.state.get(vaults.KIND, sub, rg, name)
    if found is None:
        raise vaults._not_found(rg, name)
    return found


def _data(vault):
    return vault.setdefault("_backup", {"policies": {}, "discovered": {}, "items": {}, "jobs": {}})


def _headers(sandbox):
    return retry_after_headers(sandbox.faults.settings["lro_retry_after"])


def container_name(vm):
    _sub, rg, name = _VM_ID.match(vm["id"]).groups()
    return f"iaasvmcontainerv2;{rg.lower()};{name.lower()}"


def _item_key(name):
    """'VM;iaasvmcontainerv2;rg;vm' -> 'iaasvmcontainerv2;rg;vm' (case-insensitive key)."""
    parts = name.split(";", 1)
    return (parts[1] if len(parts) == 2 and parts[0].lower() == "vm" else name).lower()


def _op_status_body(req, op):
    body = {"id": req.path, "name": op.id, "status": op.status, "startTime": op.start_time}
    if op.end_time:
        body["endTime"] = op.end_time
    if op.error:
        body["error"] = op.error
    if op.info.get("job_id"):
        body["properties"] = {"objectType": "OperationStatusJobExtendedInfo", "jobId": op.info["job_id"]}
    return body


def _find_op(sandbox, op_id):
    op = sandbox.lro.poll(op_id)
    if op is None:
        raise ArmError(404, "OperationNotFound", f"The operation '{op_id}' could not be found.")
    return op


_TERM = re.compile(r"^\s*(\w+)\s+(eq|ge|le|gt|lt)\s+'([^']*)'\s*$", re.IGNORECASE)


def _filter_terms(req):
    """$filter "a eq 'x' and b eq 'y'" -> [(a, op, x)] (the OData subset Azure Backup's lists take)."""
    text = req.q("$filter") or ""
    terms = []
    for part in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE) if text.strip() else []:
        match = _TERM.match(part)
        if match is None:
            raise bad_request("BMSUserErrorInvalidFilter", f"The $filter term '{part}' is not valid.")
        terms.append((match.group(1).lower(), match.group(2).lower(), match.group(3)))
    return terms


def _filter_time(value):
    """'2026-11-30 07:00:00 AM' (az backup), '2026-11-30T07:00:00Z', ... -> '2026-11-30T07:00:00'."""
    text = value.strip().rstrip("Z")
    for fmt in ("%Y-%m-%d %I:%M:%S %p", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f"):
        try:
            return datetime.datetime.strptime(text, fmt).strftime("%Y-%m-%dT%H:%M:%S")
        except ValueError:
            continue
    raise bad_request("BMSUserErrorInvalidFilter", f"The time '{value}' in $filter is not valid.")


# ---- policies --------------------------------------------------------------------------------------

def _policy_count(vault, policy_id):
    return sum(1 for item in _data(vault)["items"].values()
               if (item["properties"].get("policyId") or "").lower() == policy_id.lower()
               and item["properties"]["protectionState"] != "ProtectionStopped")


def _render_policy(vault, policy):
    body = strip_internal(policy)
    body["properties"]["protectedItemsCount"] = _policy_count(vault, policy["id"])
    return body


def _validate_policy(props):
    if not isinstance(props, dict) or props.get("backupManagementType") != "AzureIaasVM":
        raise bad_request("BMSUserErrorInvalidInput", "Only backupManagementType 'AzureIaasVM' policies are supported "
                          "by the sandbox.")
    schedule = props.get("schedulePolicy") or {}
    kind = schedule.get("schedulePolicyType")
    policy_type = props.get("policyType", "V1")
    if kind not in _FREQUENCIES:
        raise bad_request("BMSUserErrorInvalidInput", f"Invalid schedulePolicyType '{kind}'.")
    if (kind == "SimpleSchedulePolicyV2") != (policy_type == "V2"):
        raise bad_request("BMSUserErrorInvalidPolicyInput", f"schedulePolicyType '{kind}' does not match policyType "
                          f"'{policy_type}': Enhanced (V2) policies use SimpleSchedulePolicyV2, Standard (V1) ones "
                          "SimpleSchedulePolicy.")
    frequency = schedule.get("scheduleRunFrequency")
    if frequency not in _FREQUENCIES[kind]:
        raise bad_request("BMSUserErrorInvalidPolicyInput", f"scheduleRunFrequency '{frequency}' is not valid for "
                          f"{kind}; allowed: {', '.join(_FREQUENCIES[kind])}.")
    if kind == "SimpleSchedulePolicyV2" and not schedule.get(f"{frequency.lower()}Schedule"):
        raise bad_request("BMSUserErrorInvalidPolicyInput", f"{kind} with frequency {frequency} needs "
                          f"'{frequency.lower()}Schedule'.")
    retention = props.get("retentionPolicy") or {}
    if retention.get("retentionPolicyType") != "LongTermRetentionPolicy":
        raise bad_request("BMSUserErrorInvalidPolicyInput", "retentionPolicy must be a LongTermRetentionPolicy.")
    if frequency == "Weekly":
        days = schedule.get("scheduleRunDays") if kind == "SimpleSchedulePolicy" else \
            (schedule.get("weeklySchedule") or {}).get("scheduleRunDays")
        if not days:
            raise bad_request("BMSUserErrorInvalidPolicyInput", "A weekly schedule needs its scheduleRunDays.")
        if not retention.get("weeklySchedule") or retention.get("dailySchedule"):
            raise bad_request("BMSUserErrorInvalidPolicyInput", "A weekly schedule needs a weekly retention "
                              "(weeklySchedule) and takes no daily retention.")
    elif not retention.get("dailySchedule"):
        raise bad_request("BMSUserErrorInvalidPolicyInput", f"A {frequency.lower()} schedule needs a daily "
                          "retention (retentionPolicy.dailySchedule).")
    instant = props.get("instantRpRetentionRangeInDays")
    if frequency == "Weekly" and instant != 5:
        # Azure keeps the snapshots of weekly backups exactly 5 days, V1 and V2 (the portal says so; the API answers
        # only its generic BMSUserErrorInvalidPolicyInput, named here for the tests).
        raise bad_request("BMSUserErrorInvalidPolicyInput", "Input for create or update policy is not in proper "
                          f"format: a weekly schedule needs instantRpRetentionRangeInDays 5 (got {instant}).")
    if instant is not None and not (1 <= instant <= (30 if policy_type == "V2" else 5)):
        raise bad_request("BMSUserErrorInvalidPolicyInput", f"instantRpRetentionRangeInDays {instant} is out of "
                          f"range (1-{30 if policy_type == 'V2' else 5} for {policy_type}).")


def put_policy(sandbox, req, sub, rg, vault, policy):
    target = _vault(sandbox, sub, rg, vault)
    props = dict((req.body or {}).get("properties") or {})
    _validate_policy(props)
    props.pop("protectedItemsCount", None)
    props.setdefault("resourceGuardOperationRequests", None)
    if props.get("schedulePolicy", {}).get("schedulePolicyType") == "SimpleSchedulePolicy":
        props["schedulePolicy"].setdefault("scheduleWeeklyFrequency", 0)
    pid = f"{target['id']}/backupPolicies/{policy}"
    body = {"id": pid, "name": policy, "type": POLICY_TYPE, "properties": props}
    _data(target)["policies"][policy.lower()] = body
    return Response(200, _render_policy(target, body))


def get_policy(sandbox, req, sub, rg, vault, policy):
    target = _vault(sandbox, sub, rg, vault)
    found = _data(target)["policies"].get(policy.lower())
    if found is None:
        raise ArmError(404, "BMSUserErrorPolicyNotFound", f"Policy '{policy}' was not found in vault '{vault}'.")
    return Response(200, _render_policy(target, found))


def list_policies(sandbox, req, sub, rg, vault):
    target = _vault(sandbox, sub, rg, vault)
    items = list(_data(target)["policies"].values())
    return Response(200, page(req, items, sandbox.page_size, lambda p: _render_policy(target, p)))


def delete_policy(sandbox, req, sub, rg, vault, policy):
    target = _vault(sandbox, sub, rg, vault)
    found = _data(target)["policies"].get(policy.lower())
    if found is None:
        return Response(204)
    count = _policy_count(target, found["id"])
    if count:
        raise bad_request("BMSUserErrorPolicyInUse",
                          f"Policy '{found['name']}' cannot be deleted because it is associated with {count} "
                          "protected item(s). Associate the items with another policy or stop their protection, "
                          "then retry.")
    del _data(target)["policies"][policy.lower()]
    return Response(200)


# ---- refreshContainers and protectable items ------------------------------------------------------

def refresh_containers(sandbox, req, sub, rg, vault, fabric):
    target = _vault(sandbox, sub, rg, vault)

    def finish(op):
        found = _data(target)["discovered"]
        for vm in sandbox.state.list(compute.KIND, sub):
            if vm["location"] == target["location"]:
                found[vm["id"].lower()] = vm["id"]

    op = sandbox.lro.start(on_done=finish, result=None, kind="refresh-containers", resource=target["id"])
    location = req.url(f"{target['id']}/backupFabrics/{fabric}/operationResults/{op.id}")
    return Response(202, None, {"Location": location, **_headers(sandbox)})


def fabric_operation_result(sandbox, req, sub, rg, vault, fabric, op_id):
    _vault(sandbox, sub, rg, vault)
    op = _find_op(sandbox, op_id)
    if not op.done:
        return Response(202, None, {"Location": req.url(req.path), **_headers(sandbox)})
    return Response(204)


def fabric_operation_status(sandbox, req, sub, rg, vault, fabric, op_id):
    _vault(sandbox, sub, rg, vault)
    op = _find_op(sandbox, op_id)
    return Response(200, _op_status_body(req, op), {} if op.done else _headers(sandbox))


def _vm_by_id(sandbox, vm_id):
    return sandbox.state.by_id(compute.KIND, vm_id)


def list_protectable(sandbox, req, sub, rg, vault):
    target = _vault(sandbox, sub, rg, vault)
    data = _data(target)
    out = [strip_internal(p) for p in data.get("protectable", [])]
    for vm_id in data["discovered"].values():
        vm = _vm_by_id(sandbox, vm_id)
        if vm is None or container_name(vm) in data["items"]:
            continue
        cname = container_name(vm)
        out.append({
            "id": f"{target['id']}/backupFabrics/{FABRIC}/protectionContainers/IaasVMContainer;{cname}"
                  f"/protectableItems/VM;{cname}",
            "name": f"VM;{cname}", "type": PROTECTABLE_TYPE,
            "properties": {"backupManagementType": "AzureIaasVM", "friendlyName": vm["name"],
                           "protectableItemType": "Microsoft.Compute/virtualMachines",
                           "protectionState": "NotProtected", "virtualMachineId": vm["id"],
                           "workloadType": "VM"},
        })
    return Response(200, page(req, out, sandbox.page_size))


# ---- protected items -------------------------------------------------------------------------------

def _protector(sandbox, vm_id):
    """(vault, item) of the vault protecting vm_id (soft-deleted items excluded), else (None, None)."""
    for vault in sandbox.state.table(vaults.KIND).values():
        for item in (vault.get("_backup") or {}).get("items", {}).values():
            if item["properties"]["sourceResourceId"].lower() == vm_id.lower() \
                    and not item["properties"].get("isScheduledForDeferredDelete"):
                return vault, item
    return None, None


def _item_urls(req, item, op):
    return {"Location": req.url(f"{item['id']}/operationResults/{op.id}"),
            "Azure-AsyncOperation": req.url(f"{item['id']}/operationsStatus/{op.id}")}


def _get_item(target, container, item_name):
    item = _data(target)["items"].get(_item_key(item_name))
    if item is None or _item_key(container.split(";", 1)[-1]) != _item_key(item_name):
        raise ArmError(404, "BMSUserErrorItemNotFound", f"Protected item '{item_name}' was not found in vault "
                       f"'{target['name']}'.")
    return item


def put_item(sandbox, req, sub, rg, vault, fabric, container, item_name):
    target = _vault(sandbox, sub, rg, vault)
    data = _data(target)
    props = (req.body or {}).get("properties") or {}
    source = props.get("sourceResourceId") or props.get("virtualMachineId") or ""
    key = _item_key(item_name)
    existing = data["items"].get(key)
    if existing is None:
        vm = _vm_by_id(sandbox, source) if source else None
        if vm is None or container_name(vm) != key:
            raise bad_request("BMSUserErrorInvalidSourceResourceId", f"sourceResourceId '{source}' does not name "
                              f"the virtual machine of protected item '{item_name}'.")
        if vm["id"].lower() not in data["discovered"]:
            raise bad_request("BMSUserErrorNeedsRefresh", f"Virtual machine '{vm['name']}' is not a protectable "
                              "item of this vault yet; refresh the containers (refreshContainers) and retry.")
        other, _unused = _protector(sandbox, vm["id"])
        if other is not None and other is not target:
            raise bad_request("UserErrorBackupItemAlreadyProtectedWithOtherVault",
                              f"Virtual machine '{vm['name']}' is already protected by vault '{other['id']}'.")
    stopping = props.get("protectionState") == "ProtectionStopped"
    policy_id = props.get("policyId") or ""
    if not stopping:
        policy = data["policies"].get(policy_id.rstrip("/").split("/")[-1].lower()) if policy_id else None
        if policy is None or policy["id"].lower() != policy_id.lower():
            raise bad_request("BMSUserErrorPolicyNotFound", f"Policy '{policy_id}' was not found in vault "
                              f"'{vault}'.")
    if existing is None:
        cname = container_name(vm)
        existing = {
            "id": f"{target['id']}/backupFabrics/{FABRIC}/protectionContainers/IaasVMContainer;{cname}"
                  f"/protectedItems/VM;{cname}",
            "name": f"VM;{cname}", "type": ITEM_TYPE,
            "properties": {"backupManagementType": "AzureIaasVM", "containerName": cname,
                           "friendlyName": vm["name"], "healthStatus": "Passed",
                           "lastBackupStatus": "", "policyId": "",
                           "protectedItemDataId": str(uuid.uuid5(uuid.NAMESPACE_URL, vm["id"].lower()).int % 10**18),
                           "protectedItemType": "Microsoft.Compute/virtualMachines",
                           "protectionState": "IRPending", "protectionStatus": "Healthy",
                           "sourceResourceId": vm["id"], "virtualMachineId": vm["id"], "workloadType": "VM",
                           "sourceLocation": vm["location"], "vaultId": target["id"]},
        }
        data["items"][key] = existing
        target["_protectedItems"] = target.get("_protectedItems", 0) + 1
    item_props = existing["properties"]
    if item_props.get("isScheduledForDeferredDelete") and props.get("isRehydrate") is True:
        def undelete(op):  # as az backup protection undelete: the item comes back ProtectionStopped, data kept
            for field in ("isScheduledForDeferredDelete", "deferredDeleteTimeInUTC", "deferredDeleteTimeRemaining"):
                item_props.pop(field, None)
            op.info["job_id"] = _job(sandbox, target, existing, "Undelete", outcome=None)["name"]

        op = sandbox.lro.start(on_done=undelete, result=lambda: strip_internal(existing), kind="undelete",
                               resource=existing["id"])
        return Response(202, None, {**_item_urls(req, existing, op), **_headers(sandbox)})
    if item_props.get("isScheduledForDeferredDelete"):
        raise bad_request("UserErrorBackupItemSoftDeleted", f"Protected item '{item_name}' is soft deleted; "
                          "undelete it before changing its protection.")

    def finish(op):
        if stopping:
            item_props["protectionState"] = "ProtectionStopped"
            item_props["policyId"] = ""
            item_props.pop("policyName", None)
        else:
            policy = next((p for p in data["policies"].values() if p["id"].lower() == policy_id.lower()), None)
            item_props["policyId"] = policy["id"] if policy else policy_id
            item_props["policyName"] = policy["name"] if policy else policy_id.split("/")[-1]
            if "extendedProperties" in props:  # what the body gives (the spec allows it) is kept, as Azure does
                item_props["extendedProperties"] = copy.deepcopy(props["extendedProperties"])
            if item_props["protectionState"] in ("ProtectionStopped", "ProtectionPaused"):
                item_props["protectionState"] = "Protected" if item_props.get("lastBackupTime") else "IRPending"
        op.info["job_id"] = _job(sandbox, target, existing, "DisableBackup" if stopping else "ConfigureBackup",
                                 outcome=None)["name"]

    op = sandbox.lro.start(on_done=finish, result=lambda: strip_internal(existing), kind="protect",
                           resource=existing["id"])
    return Response(202, None, {**_item_urls(req, existing, op), **_headers(sandbox)})


def get_item(sandbox, req, sub, rg, vault, fabric, container, item_name):
    target = _vault(sandbox, sub, rg, vault)
    item = _get_item(target, container, item_name)
    body = strip_internal(item)
    if ("expand", "eq", "extendedinfo") in [(k, o, v.lower()) for k, o, v in _filter_terms(req)]:
        points = item.get("_recoveryPoints", [])
        body["properties"]["extendedInfo"] = {"recoveryPointCount": len(points), "policyInconsistent": False}
        if points:
            body["properties"]["extendedInfo"].update(oldestRecoveryPoint=points[0], oldestRecoveryPointInVault=points[0])
    return Response(200, body)


def list_items(sandbox, req, sub, rg, vault):
    target = _vault(sandbox, sub, rg, vault)
    items = list(_data(target)["items"].values())
    for key, _op, value in _filter_terms(req):
        if key == "policyname":
            items = [i for i in items if (i["properties"].get("policyId") or "").split("/")[-1].lower()
                     == value.lower()]
        elif key == "friendlyname":
            items = [i for i in items if i["properties"].get("friendlyName", "").lower() == value.lower()]
        # backupManagementType / itemType: every item here is an AzureIaasVM VM.
    return Response(200, page(req, items, sandbox.page_size, strip_internal))


def delete_item(sandbox, req, sub, rg, vault, fabric, container, item_name):
    target = _vault(sandbox, sub, rg, vault)
    item = _get_item(target, container, item_name)
    soft_delete = target["properties"]["securitySettings"]["softDeleteSettings"]
    soft = soft_delete["softDeleteState"] in ("Enabled", "AlwaysON")
    if item["properties"].get("isScheduledForDeferredDelete"):
        raise bad_request("UserErrorBackupItemAlreadySoftDeleted",
                          f"Protected item '{item_name}' is already soft deleted; it is purged when its retention "
                          "ends. To delete it now, undelete it, disable soft delete on the vault and delete it again.")

    def finish(op):
        props = item["properties"]
        if soft:
            props.pop("policyName", None)
            props.update(protectionState="ProtectionStopped", policyId="", isScheduledForDeferredDelete=True,
                         deferredDeleteTimeInUTC=iso_now(),
                         deferredDeleteTimeRemaining=f"{target['properties']['securitySettings']['softDeleteSettings']['softDeleteRetentionPeriodInDays']}.00:00:00")  # noqa: E501
        else:
            _data(target)["items"].pop(_item_key(item_name), None)
            target["_protectedItems"] = max(0, target.get("_protectedItems", 0) - 1)
        op.info["job_id"] = _job(sandbox, target, item, "DeleteBackupData", outcome=None)["name"]

    op = sandbox.lro.start(on_done=finish, result=None, kind="unprotect", resource=item["id"])
    # As az backup reads it: the status monitor of a protected-item delete is the vault's backupOperations.
    return Response(202, None, {"Location": req.url(f"{target['id']}/backupOperationResults/{op.id}"),
                                "Azure-AsyncOperation": req.url(f"{target['id']}/backupOperations/{op.id}"),
                                **_headers(sandbox)})


def item_operation_result(sandbox, req, sub, rg, vault, fabric, container, item_name, op_id):
    _vault(sandbox, sub, rg, vault)
    op = _find_op(sandbox, op_id)
    if not op.done:
        return Response(202, None, {"Location": req.url(req.path), **_headers(sandbox)})
    if op.result is None:
        return Response(204)
    return Response(200, op.result())


def item_operation_status(sandbox, req, sub, rg, vault, fabric, container, item_name, op_id):
    _vault(sandbox, sub, rg, vault)
    op = _find_op(sandbox, op_id)
    return Response(200, _op_status_body(req, op), {} if op.done else _headers(sandbox))


def vault_operation_result(sandbox, req, sub, rg, vault, op_id):
    _vault(sandbox, sub, rg, vault)
    op = _find_op(sandbox, op_id)
    if not op.done:
        return Response(202, None, {"Location": req.url(req.path), **_headers(sandbox)})
    return Response(204)


def vault_operation_status(sandbox, req, sub, rg, vault, op_id):
    _vault(sandbox, sub, rg, vault)
    op = _find_op(sandbox, op_id)
    return Response(200, _op_status_body(req, op), {} if op.done else _headers(sandbox))


# ---- jobs and on-demand backup ---------------------------------------------------------------------

def _readiness_error(sandbox, item):
    """The error a backup of this item's VM would end with, from the VM's readiness fixtures (None: it succeeds)."""
    vm = _vm_by_id(sandbox, item["properties"]["sourceResourceId"])
    if vm is None:
        return {"errorCode": ERROR_NUMBERS["UserErrorVmNotFoundV2"], "errorTitle": "UserErrorVmNotFoundV2",
                "errorString": "The virtual machine doesn't exist anymore.",
                "recommendations": ["Stop protection of the item, or restore the VM."]}
    view = vm.get("_instanceView") or {}
    agent = [s.get("displayStatus") for s in (view.get("vmAgent") or {}).get("statuses", [])]
    if agent != ["Ready"]:
        return {"errorCode": ERROR_NUMBERS["UserErrorGuestAgentStatusUnavailable"],
                "errorTitle": "UserErrorGuestAgentStatusUnavailable",
                "errorString": "VM Agent unable to communicate with Azure Backup.",
                "recommendations": ["Ensure the VM agent is installed, running and up to date."]}
    failed_ext = any(s.get("level") == "Error" for ext in view.get("extensions", []) for s in ext.get("statuses", []))
    if vm.get("_noNetworkPath") or failed_ext or _subnet_without_outbound(sandbox, vm):
        return {"errorCode": ERROR_NUMBERS["ExtensionSnapshotFailedNoNetwork"],
                "errorTitle": "ExtensionSnapshotFailedNoNetwork",
                "errorString": "Snapshot operation failed due to no network connectivity on the virtual machine.",
                "recommendations": ["Allow outbound access to the AzureBackup, Storage and AzureActiveDirectory "
                                    "service tags, or through a proxy."]}
    return None


def _subnet_without_outbound(sandbox, vm):
    """True when the VM's primary NIC sits in a subnet with defaultOutboundAccess false and no NAT gateway, and the
    NIC has neither a public IP nor a load-balancer backend pool (an approximation of "no path to Azure Backup")."""
    nics = vm["properties"].get("networkProfile", {}).get("networkInterfaces", [])
    nic = sandbox.state.by_id("networkInterfaces", nics[0]["id"]) if nics else None
    if nic is None:
        return False
    for config in nic["properties"].get("ipConfigurations", []):
        props = config.get("properties") or {}
        if props.get("primary") is False and len(nic["properties"]["ipConfigurations"]) > 1:
            continue
        if props.get("publicIPAddress") or props.get("loadBalancerBackendAddressPools"):
            return False
        subnet_id = (props.get("subnet") or {}).get("id", "")
        vnet = sandbox.state.by_id("virtualNetworks", subnet_id.split("/subnets/")[0])
        for subnet in (vnet or {}).get("properties", {}).get("subnets", []):
            if subnet.get("id", "").lower() == subnet_id.lower():
                sub_props = subnet.get("properties") or {}
                return sub_props.get("defaultOutboundAccess") is False and not sub_props.get("natGateway")
        return False
    return False


def _duration(start, end):
    """ISO 8601 duration between two iso_now() stamps, e.g. PT0.153207S."""
    def parse(stamp):
        return datetime.datetime.strptime(stamp.rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f")
    return f"PT{(parse(end) - parse(start)).total_seconds():.6f}S"


def _job(sandbox, vault, item, operation, outcome):
    """Record a job; `outcome` None: ends Completed now; else a callable run when the job ends on the clock."""
    job_id = new_guid()
    now = iso_now()
    job = {"id": f"{vault['id']}/backupJobs/{job_id}", "name": job_id, "type": JOB_TYPE,
           "properties": {"activityId": new_guid(), "backupManagementType": "AzureIaasVM", "duration": "PT0S",
                          "entityFriendlyName": item["properties"]["friendlyName"], "jobType": "AzureIaaSVMJob",
                          "operation": operation, "startTime": now, "isUserTriggered": operation == "Backup",
                          "containerName": item["properties"]["containerName"], "status": "InProgress",
                          "virtualMachineVersion": "Compute"}}
    _data(vault)["jobs"][job_id] = job
    if outcome is None:
        job["properties"].update(status="Completed", endTime=now)
        return job

    def finish(op):
        outcome(job)

    op = sandbox.lro.start(on_done=finish, result=None, kind="backup-job", resource=job["id"])
    job["_op"] = op.id
    return job


def trigger_backup(sandbox, req, sub, rg, vault, fabric, container, item_name):
    target = _vault(sandbox, sub, rg, vault)
    item = _get_item(target, container, item_name)
    props = (req.body or {}).get("properties") or {}
    if props.get("objectType") not in (None, "IaasVMBackupRequest"):
        raise bad_request("BMSUserErrorInvalidInput", "Azure VM backups take an IaasVMBackupRequest.")
    if item["properties"]["protectionState"] == "ProtectionStopped":
        raise bad_request("UserErrorBackupOperationNotAllowedForStoppedProtection",
                          f"Protection of '{item['properties']['friendlyName']}' is stopped; resume it first.")
    error = _readiness_error(sandbox, item)

    def outcome(job):
        end = iso_now()
        job["properties"].update(endTime=end, duration=_duration(job["properties"]["startTime"], end))
        item_props = item["properties"]
        item_props["lastBackupTime"] = end
        if error is None:
            job["properties"]["status"] = "Completed"
            item_props.update(lastBackupStatus="Completed", healthStatus="Passed", protectionState="Protected")
            item.setdefault("_recoveryPoints", []).append(end)
            item_props["lastRecoveryPoint"] = end
        else:
            job["properties"]["status"] = "Failed"
            job["properties"]["errorDetails"] = [dict(error)]
            job["properties"]["extendedInfo"] = {"dynamicErrorMessage": f"{error['errorTitle']}: "
                                                                        f"{error['errorString']}"}
            item_props.update(lastBackupStatus="Failed", healthStatus="ActionRequired")

    job = _job(sandbox, target, item, "Backup", outcome)
    job["_retainUntil"] = props.get("recoveryPointExpiryTimeInUTC")
    op = sandbox.lro.start(on_done=None, result=None, kind="trigger-backup", resource=item["id"], job_id=job["name"])
    sandbox.lro._finish(op)  # the request is accepted at once; the job carries the work
    return Response(202, None, {**_item_urls(req, item, op), **_headers(sandbox)})


def _render_job(sandbox, job):
    if job.get("_op"):
        sandbox.lro.poll(job["_op"])
    return strip_internal(job)


def list_jobs(sandbox, req, sub, rg, vault):
    target = _vault(sandbox, sub, rg, vault)
    jobs = sorted(_data(target)["jobs"].values(), key=lambda j: j["properties"]["startTime"], reverse=True)
    for job in jobs:
        _render_job(sandbox, job)  # a job that has ended on the clock shows its final status to the filter
    for key, _op, value in _filter_terms(req):
        if key in ("status", "operation", "backupmanagementtype"):
            field = {"status": "status", "operation": "operation", "backupmanagementtype": "backupManagementType"}[key]
            jobs = [j for j in jobs if j["properties"].get(field, "").lower() == value.lower()]
        elif key in ("starttime", "endtime"):  # the window of the jobs' start times, as az backup job list sends it
            bound = _filter_time(value)
            jobs = [j for j in jobs if (j["properties"]["startTime"][:19] >= bound if key == "starttime"
                                        else j["properties"]["startTime"][:19] <= bound)]
    return Response(200, page(req, jobs, sandbox.page_size, lambda j: _render_job(sandbox, j)))


def get_job(sandbox, req, sub, rg, vault, job):
    target = _vault(sandbox, sub, rg, vault)
    found = _data(target)["jobs"].get(job)
    if found is None:
        raise ArmError(404, "BMSUserErrorJobNotFound", f"Job '{job}' was not found in vault '{vault}'.")
    return Response(200, _render_job(sandbox, found))


# ---- backupStatus ----------------------------------------------------------------------------------

def backup_status(sandbox, req, sub, location):
    sandbox.lro.sweep()
    body = req.body or {}
    vm_id = body.get("resourceId") or ""
    if body.get("resourceType", "VM") != "VM" or not _VM_ID.match(vm_id):
        raise bad_request("BMSUserErrorInvalidInput", "backupStatus takes resourceType 'VM' and the resourceId of a "
                          "virtual machine.")
    vault, item = _protector(sandbox, vm_id)
    if vault is None:
        return Response(200, {"protectionStatus": "NotProtected", "errorCode": "Success"})
    cname = item["properties"]["containerName"]
    return Response(200, {
        "containerName": f"iaasvmcontainer;{cname}", "errorCode": "Success", "fabricName": FABRIC,
        "policyName": (item["properties"].get("policyId") or "").split("/")[-1] or None,
        "protectedItemName": f"vm;{cname}",
        "protectionStatus": "Protected" if item["properties"]["protectionState"] != "ProtectionStopped"
        else "NotProtected",
        "vaultId": vault["id"],
    })


_V = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.RecoveryServices/vaults/{vault}"
_POLICY = _V + "/backupPolicies/{policy}"
_FABRIC = _V + "/backupFabrics/{fabric}"
_ITEM = _FABRIC + "/protectionContainers/{container}/protectedItems/{item_name}"
# Request bodies strict mode validates (polymorphic ones against the subtype their discriminator names).
_SPEC = "RecoveryServicesBackup.bms-extract.json#/definitions/"
ROUTES = [
    ("PUT", _POLICY, put_policy, _SPEC + "ProtectionPolicyResource"),
    ("GET", _POLICY, get_policy, None),
    ("DELETE", _POLICY, delete_policy, None),
    ("GET", _V + "/backupPolicies", list_policies, None),
    ("POST", _FABRIC + "/refreshContainers", refresh_containers, None),
    ("GET", _FABRIC + "/operationResults/{op_id}", fabric_operation_result, None),
    ("GET", _FABRIC + "/operationsStatus/{op_id}", fabric_operation_status, None),
    ("GET", _V + "/backupProtectableItems", list_protectable, None),
    ("GET", _V + "/backupProtectedItems", list_items, None),
    ("PUT", _ITEM, put_item, _SPEC + "ProtectedItemResource"),
    ("GET", _ITEM, get_item, None),
    ("DELETE", _ITEM, delete_item, None),
    ("POST", _ITEM + "/backup", trigger_backup, _SPEC + "BackupRequestResource"),
    ("GET", _ITEM + "/operationResults/{op_id}", item_operation_result, None),
    ("GET", _ITEM + "/operationsStatus/{op_id}", item_operation_status, None),
    ("GET", _V + "/backupOperationResults/{op_id}", vault_operation_result, None),
    ("GET", _V + "/backupOperations/{op_id}", vault_operation_status, None),
    ("GET", _V + "/backupJobs", list_jobs, None),
    ("GET", _V + "/backupJobs/{job}", get_job, None),
    ("POST", "/subscriptions/{sub}/providers/Microsoft.RecoveryServices/locations/{location}/backupStatus",
     backup_status, _SPEC + "BackupStatusRequest"),
]


def _load_backup(sandbox, spec, sub):
    """`backup` fixture entries: {resource_group, vault, policies, protected_items, protectable_items, jobs,
    discovered}; bodies are taken as they are (spec shapes), `discovered` lists VM ids a refresh already found."""
    vault = sandbox.state.get(vaults.KIND, sub, spec["resource_group"], spec["vault"])
    if vault is None:
        vault = vaults.new_vault(sandbox, sub, spec["resource_group"], spec["vault"],
                                 {"location": sandbox.group_location(sub, spec["resource_group"])},
                                 sandbox.state.subscription(sub)["tenantId"])
        sandbox.state.put(vaults.KIND, sub, spec["resource_group"], spec["vault"], vault)
    data = _data(vault)
    for body in spec.get("policies", []):
        body = copy.deepcopy(body)
        body.setdefault("id", f"{vault['id']}/backupPolicies/{body['name']}")
        body.setdefault("type", POLICY_TYPE)
        data["policies"][body["name"].lower()] = body
    for body in spec.get("protected_items", []):
        body = copy.deepcopy(body)
        cname = _item_key(body["name"])
        body.setdefault("id", f"{vault['id']}/backupFabrics/{FABRIC}/protectionContainers/IaasVMContainer;{cname}"
                              f"/protectedItems/{body['name']}")
        body.setdefault("type", ITEM_TYPE)
        data["items"][cname] = body
        vault["_protectedItems"] = vault.get("_protectedItems", 0) + 1
    data.setdefault("protectable", []).extend(copy.deepcopy(spec.get("protectable_items", [])))
    for body in spec.get("jobs", []):
        data["jobs"][body["name"] if body["name"] not in data["jobs"] else new_guid()] = copy.deepcopy(body)
    for vm_id in spec.get("discovered", []):
        data["discovered"][vm_id.lower()] = vm_id


LOADERS = (("backup", _load_backup),)
