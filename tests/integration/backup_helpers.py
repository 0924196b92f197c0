"""Protected VMs for the backup tests, made in-process with raw sandbox requests (refreshContainers, a V1 policy,
one protected-item PUT per VM), so the tests of backup_now do not depend on vm_protection."""

import contextlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sandbox", "tests"))

from sandbox_testlib import RawArm, rg_fixture  # noqa: E402

API = "2026-11-01"
SUB = "33333333-3333-3333-3333-333333333333"
EXAMPLES = os.path.join(HERE, "..", "sandbox", "tests", "examples")


def vault_path(rg="rg-backup", vault="rsv1"):
    return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.RecoveryServices/vaults/%s" % (SUB, rg, vault)


def vm_id(name, rg="rg-app"):
    return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/%s" % (SUB, rg, name)


def item_path(name, rg="rg-app", vault=None):
    cname = "iaasvmcontainerv2;%s;%s" % (rg.lower(), name.lower())
    return "%s/backupFabrics/Azure/protectionContainers/IaasVMContainer;%s/protectedItems/VM;%s" % (
        vault or vault_path(), cname, cname)


def policy_body():
    with open(os.path.join(EXAMPLES, "ProtectionPolicies_CreateOrUpdate_Simple.json"), encoding="utf-8") as handle:
        return json.load(handle)["parameters"]["parameters"]


def _wait(arm, headers, key):
    url = "/" + headers[key].split("://", 1)[1].split("/", 1)[1]
    for _unused in range(100):
        status, _headers, body = arm.send("GET", url)
        if key == "Location" and status != 202:
            return status, body
        if key != "Location" and body["status"] != "InProgress":
            return status, body
    raise AssertionError("operation did not finish: %s" % url)


def estate(sandbox, vms, vault="rsv1", vault_rg="rg-backup"):
    """Resource groups, the vault and the VMs (fixture dicts of virtual_machines, rg-app unless given)."""
    sandbox.control.load_fixtures(rg_fixture(vault_rg, "rg-app"))
    sandbox.control.load_fixtures({"vaults": [{"resource_group": vault_rg, "name": vault}]})
    sandbox.control.load_fixtures({"virtual_machines": [dict({"resource_group": "rg-app"}, **vm) for vm in vms]})


@contextlib.contextmanager
def without_faults(sandbox):
    """The session's fault profile set aside while a test sets up its estate with raw requests (which do not
    retry), then put back: the faults are for the modules under test."""
    settings = sandbox.control._call("GET", "faults")  # pylint: disable=protected-access
    sandbox.control.clear_faults()
    try:
        yield
    finally:
        sandbox.control._call("POST", "faults", settings)  # pylint: disable=protected-access


def protect(sandbox, names, policy="p1", vault="rsv1", vault_rg="rg-backup", rg="rg-app"):
    """Protect the VMs ``names`` with a V1 daily policy: policy PUT, refresh, one PUT per VM (each waited for), with
    the fault profile set aside."""
    with without_faults(sandbox):
        return _protect(sandbox, names, policy, vault, vault_rg, rg)


def _protect(sandbox, names, policy, vault, vault_rg, rg):
    arm = RawArm(sandbox)
    vpath = vault_path(vault_rg, vault)
    status, _headers, body = arm.send("PUT", "%s/backupPolicies/%s" % (vpath, policy), policy_body(), api_version=API)
    assert status == 200, body
    status, headers, body = arm.send("POST", "%s/backupFabrics/Azure/refreshContainers" % vpath, api_version=API)
    assert status == 202, body
    _wait(arm, headers, "Location")
    for name in names:
        props = {"protectedItemType": "Microsoft.Compute/virtualMachines", "sourceResourceId": vm_id(name, rg),
                 "policyId": "%s/backupPolicies/%s" % (vpath, policy)}
        status, headers, body = arm.send("PUT", item_path(name, rg, vpath), {"properties": props}, api_version=API)
        assert status == 202, body
        _status, body = _wait(arm, headers, "Azure-AsyncOperation")
        assert body["status"] == "Succeeded", body
    return arm


def item(arm, name, rg="rg-app"):
    return arm.send("GET", item_path(name, rg), api_version=API)[2]["properties"]


def job(arm, job_id):
    return arm.send("GET", "%s/backupJobs/%s" % (vault_path(), job_id), api_version=API)[2]
