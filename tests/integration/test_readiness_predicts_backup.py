"""The readiness report predicts how a first backup ends: a VM whose agent check fails ends with
UserErrorGuestAgentStatusUnavailable, a VM whose outbound path check fails (a private subnet with no way out) ends
with ExtensionSnapshotFailedNoNetwork, and a VM that passes is backed up. All through the collection's modules:
backup_readiness_info, backup_policy, vm_protection (told to protect every VM, the readiness gate is the
playbook's) and backup_now."""

SUB = "33333333-3333-3333-3333-333333333333"
REGION = "westeurope"
RG, NET, VAULT_RG, VAULT = "rg-pred", "rg-pred-net", "rg-pred-backup", "rsv-pred"
VNET = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/virtualNetworks/vnet-pred" % (SUB, NET)
# vm -> (subnet, VM fixture keys)
VMS = {
    "vm-ok": ("snet-open", {}),
    "vm-noagent": ("snet-open", {"agent_status": "NotReady"}),
    "vm-private": ("snet-private", {}),
}
# The check that fails, and the error code of the first backup it predicts.
PREDICTED = {"vm-noagent": ("agent", "UserErrorGuestAgentStatusUnavailable"),
             "vm-private": ("outbound_path", "ExtensionSnapshotFailedNoNetwork")}


def estate():
    nics, vms = [], []
    for i, (name, (subnet, extra)) in enumerate(sorted(VMS.items())):
        nics.append({"resource_group": RG, "name": "nic-" + name, "location": REGION,
                     "private_ip": "10.40.%d.%d" % (1 if subnet == "snet-open" else 2, 10 + i),
                     "subnet": {"id": VNET + "/subnets/" + subnet}})
        vms.append(dict({"resource_group": RG, "name": name, "location": REGION, "os_type": "Linux",
                         "nics": ["nic-" + name]}, **extra))
    return {
        "resource_groups": [{"name": n, "location": REGION} for n in (RG, NET, VAULT_RG)],
        "virtual_networks": [{"resource_group": NET, "name": "vnet-pred", "location": REGION,
                              "address_prefixes": ["10.40.0.0/16"],
                              "subnets": [{"name": "snet-open", "address_prefix": "10.40.1.0/24"},
                                          {"name": "snet-private", "address_prefix": "10.40.2.0/24",
                                           "default_outbound_access": False}]}],
        "network_interfaces": nics,
        "virtual_machines": vms,
        "vaults": [{"resource_group": VAULT_RG, "name": VAULT, "location": REGION}],
    }


def vault(**kw):
    return dict({"vault_name": VAULT, "vault_resource_group": VAULT_RG}, **kw)


def test_readiness_predicts_the_first_backups_error_codes(sandbox, run):
    sandbox.control.load_fixtures(estate())
    readiness = run.module("backup_readiness_info", {"resource_group": RG})
    assert not readiness.get("failed"), readiness
    checks = {vm["name"]: {c["check"]: c["result"] for c in vm["checks"]} for vm in readiness["vms"]}
    assert set(checks) == set(VMS)
    assert "fail" not in checks["vm-ok"].values(), checks["vm-ok"]
    for name, (check, _code) in PREDICTED.items():
        assert checks[name][check] == "fail", (name, checks[name])

    policy = run.module("backup_policy", vault(name="daily", schedule={"frequency": "daily", "times": ["23:00"]},
                                               retention={"daily": {"count": 30}}))
    assert not policy.get("failed"), policy
    vms = [{"name": name, "resource_group": RG} for name in sorted(VMS)]
    protected = run.module("vm_protection", vault(vms=vms, policy="daily"))
    assert not protected.get("failed"), protected
    assert [v["changed"] for v in protected["vms"]] == [True, True, True]

    sandbox.control.set_faults(lro_polls=2, lro_retry_after=0.2, lro_max_seconds=30)
    result = run.module("backup_now", vault(vms=vms, fail_on_job_failure=False))
    assert not result.get("failed"), result
    jobs = {job["name"]: job for job in result["jobs"]}
    assert (jobs["vm-ok"]["status"], jobs["vm-ok"]["error_code"]) == ("Completed", None)
    for name, (_check, code) in PREDICTED.items():
        assert (jobs[name]["status"], jobs[name]["error_code"]) == ("Failed", code), jobs[name]
