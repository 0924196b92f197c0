"""backup_readiness_info sees the whole network path, against the sandbox: the checks route, outbound_path and
outbound (Storage.<region> AND AzureBackup through NIC and subnet NSGs) in pass, warn and fail; NSGs found from the
NIC only, the subnet only, both and neither; reads denied (403) on the virtual networks or the vaults: every VM is
still reported and the checks that needed the read say 'unknown', naming the permission and the scope; the request
plan stays a fixed set of lists."""

import json

import pytest
from conftest import arm_requests

RG = "rg-path"          # VMs and NICs (the application team's)
NET = "rg-path-net"     # VNet, NSGs, route tables, NAT gateway, load balancer (the network team's)
REGION = "westeurope"


def net_id(sub, kind, name):
    return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/%s/%s" % (sub, NET, kind, name)


def _rule(name, priority, access, dest, port="443"):
    return {"name": name, "properties": {"protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": port,
                                         "sourceAddressPrefix": "*", "destinationAddressPrefix": dest,
                                         "access": access, "priority": priority, "direction": "Outbound"}}


# vm name -> (subnet, NIC NSG, extra NIC keys)
VMS = {
    "vm-open": ("snet-open", None, {}),
    "vm-fw": ("snet-fw", None, {}),
    "vm-bypass": ("snet-bypass", None, {}),
    "vm-drop": ("snet-drop", None, {}),
    "vm-nat": ("snet-nat", None, {}),
    "vm-private": ("snet-private", None, {}),
    "vm-lbrule": ("snet-private", None, {"load_balancer_backend_pools": ["pool-out"]}),
    "vm-lbnorule": ("snet-open", None, {"load_balancer_backend_pools": ["pool-in"]}),
    "vm-nsg-nic": ("snet-open", "nsg-storage-only", {}),
    "vm-nsg-subnet": ("snet-guarded", None, {}),
    "vm-nsg-both": ("snet-guarded", "nsg-nic-allow", {}),
    "vm-nsg-range": ("snet-open", "nsg-range", {}),
}


def estate(sub):
    nics = []
    for i, (name, (subnet, nsg, extra)) in enumerate(sorted(VMS.items())):
        nic = {"resource_group": RG, "name": "nic-" + name, "location": REGION, "private_ip": "10.30.0.%d" % (10 + i),
               "subnet": {"id": net_id(sub, "virtualNetworks", "vnet-path") + "/subnets/" + subnet}}
        if nsg:
            nic["network_security_group"] = net_id(sub, "networkSecurityGroups", nsg)
        for pool in extra.get("load_balancer_backend_pools", []):
            nic.setdefault("load_balancer_backend_pools", []).append(
                net_id(sub, "loadBalancers", "lb-path") + "/backendAddressPools/" + pool)
        nics.append(nic)
    appliance = {"name": "to-firewall", "address_prefix": "0.0.0.0/0", "next_hop_type": "VirtualAppliance",
                 "next_hop_ip_address": "10.30.100.4"}
    subnets = [
        {"name": "snet-open", "address_prefix": "10.30.1.0/24"},
        {"name": "snet-fw", "address_prefix": "10.30.2.0/24", "route_table": "rt-fw"},
        {"name": "snet-bypass", "address_prefix": "10.30.3.0/24", "route_table": "rt-bypass"},
        {"name": "snet-drop", "address_prefix": "10.30.4.0/24", "route_table": "rt-drop"},
        {"name": "snet-nat", "address_prefix": "10.30.5.0/24", "nat_gateway": "ng-path", "default_outbound_access": False},
        {"name": "snet-private", "address_prefix": "10.30.6.0/24", "default_outbound_access": False},
        {"name": "snet-guarded", "address_prefix": "10.30.7.0/24", "network_security_group": "nsg-subnet-allow"},
    ]
    return {
        "resource_groups": [{"name": RG, "location": REGION}, {"name": NET, "location": REGION},
                            {"name": "rg-path-backup", "location": REGION}],
        "network_security_groups": [
            {"resource_group": NET, "name": "nsg-storage-only", "location": REGION,
             "security_rules": [_rule("AllowStorage", 100, "Allow", "Storage.WestEurope"),
                                _rule("DenyInternet", 200, "Deny", "Internet")]},
            {"resource_group": NET, "name": "nsg-subnet-allow", "location": REGION,
             "security_rules": [_rule("AllowStorage", 100, "Allow", "Storage.WestEurope"),
                                _rule("AllowBackup", 110, "Allow", "AzureBackup"),
                                _rule("DenyInternet", 200, "Deny", "Internet")]},
            {"resource_group": NET, "name": "nsg-nic-allow", "location": REGION,
             "security_rules": [_rule("AllowHttpsOut", 300, "Allow", "Internet")]},
            {"resource_group": NET, "name": "nsg-range", "location": REGION,
             "security_rules": [_rule("DenySomeRange", 300, "Deny", "20.38.0.0/16")]},
        ],
        "route_tables": [
            {"resource_group": NET, "name": "rt-fw", "location": REGION, "routes": [appliance]},
            {"resource_group": NET, "name": "rt-bypass", "location": REGION, "routes": [
                appliance,
                {"name": "storage-direct", "address_prefix": "Storage.WestEurope", "next_hop_type": "Internet"},
                {"name": "backup-direct", "address_prefix": "AzureBackup", "next_hop_type": "Internet"}]},
            {"resource_group": NET, "name": "rt-drop", "location": REGION, "routes": [
                {"name": "blackhole", "address_prefix": "0.0.0.0/0", "next_hop_type": "None"}]},
        ],
        "public_ip_addresses": [
            {"resource_group": NET, "name": "pip-nat", "location": REGION, "ip_address": "203.0.113.20", "sku": "Standard"},
            {"resource_group": NET, "name": "pip-lb", "location": REGION, "ip_address": "203.0.113.21", "sku": "Standard"}],
        "nat_gateways": [{"resource_group": NET, "name": "ng-path", "location": REGION, "public_ip_addresses": ["pip-nat"]}],
        "load_balancers": [{"resource_group": NET, "name": "lb-path", "location": REGION,
                            "backend_address_pools": ["pool-out", "pool-in"],
                            "frontend_ip_configurations": [{"name": "fe", "public_ip": "pip-lb"}],
                            "outbound_rules": [{"name": "out-all", "backend_pool": "pool-out",
                                                "frontend_ip_configurations": ["fe"]}]}],
        "virtual_networks": [{"resource_group": NET, "name": "vnet-path", "location": REGION,
                              "address_prefixes": ["10.30.0.0/16"], "subnets": subnets}],
        "network_interfaces": nics,
        "virtual_machines": [{"resource_group": RG, "name": name, "location": REGION, "os_type": "Linux",
                              "nics": ["nic-" + name]} for name in sorted(VMS)],
        "vaults": [{"resource_group": "rg-path-backup", "name": "rsv-path", "location": REGION}],
    }


EXPECTED = {
    # route: forced tunnelling
    ("vm-open", "route"): "pass",
    ("vm-bypass", "route"): "pass",
    ("vm-fw", "route"): "warn",
    ("vm-drop", "route"): "fail",
    # outbound_path
    ("vm-open", "outbound_path"): "pass",
    ("vm-nat", "outbound_path"): "pass",
    ("vm-lbrule", "outbound_path"): "pass",
    ("vm-fw", "outbound_path"): "pass",
    ("vm-lbnorule", "outbound_path"): "warn",
    ("vm-private", "outbound_path"): "fail",
    # outbound: TCP 443 to Storage.<region> and AzureBackup
    ("vm-open", "outbound"): "pass",
    ("vm-nsg-subnet", "outbound"): "pass",
    ("vm-nsg-both", "outbound"): "pass",
    ("vm-nsg-range", "outbound"): "warn",
    ("vm-nsg-nic", "outbound"): "fail",
}


def by_name(result):
    return {vm["name"]: vm for vm in result["vms"]}


def check_of(vm, name):
    return next(c for c in vm["checks"] if c["check"] == name)


@pytest.fixture
def loaded(sandbox):
    sandbox.control.load_fixtures(estate(sandbox.subscription_id))
    sandbox.control.clear_requests()
    return sandbox


def lists_of(sandbox):
    """The list paths the module sent (provider part), sorted; a GET of one resource would show as such."""
    return sorted(r["path"].lower().split("/providers/", 1)[-1] for r in arm_requests(sandbox))


def test_route_outbound_path_and_outbound_pass_warn_fail(run, loaded):
    result = run.module("backup_readiness_info", {"resource_group": RG})
    assert not result.get("failed"), result
    vms = by_name(result)
    assert len(vms) == len(VMS)
    got = {(vm, check): check_of(vms[vm], check)["result"] for vm, check in EXPECTED}
    assert got == EXPECTED
    reason = {(vm, check): check_of(vms[vm], check)["reason"] for vm, check in EXPECTED}
    remedy = {(vm, check): check_of(vms[vm], check)["remedy"] for vm, check in EXPECTED}
    # route names the table, the route and the next hop; the remedy names the concrete steps.
    assert "rt-fw" in reason["vm-fw", "route"] and "to-firewall" in reason["vm-fw", "route"]
    assert "VirtualAppliance 10.30.100.4" in reason["vm-fw", "route"]
    assert "az network route-table route create -g %s --route-table-name rt-fw" % NET in remedy["vm-fw", "route"]
    assert "blackhole" in reason["vm-drop", "route"] and "None" in reason["vm-drop", "route"]
    assert "storage-direct" in reason["vm-bypass", "route"] and "backup-direct" in reason["vm-bypass", "route"]
    # outbound_path names the way out, or its absence and the fix.
    assert "ng-path" in reason["vm-nat", "outbound_path"] and "out-all" in reason["vm-lbrule", "outbound_path"]
    assert "snet-private" in reason["vm-private", "outbound_path"]
    assert "az network vnet subnet update -g %s --vnet-name vnet-path -n snet-private" % NET in remedy["vm-private", "outbound_path"]
    assert "pool-in" in reason["vm-lbnorule", "outbound_path"] and "lb-path" in reason["vm-lbnorule", "outbound_path"]
    # outbound: Storage is allowed but AzureBackup is not: the blocking rule and the service are named.
    blocked = reason["vm-nsg-nic", "outbound"]
    assert "nsg-storage-only" in blocked and "DenyInternet" in blocked and "200" in blocked and "AzureBackup" in blocked
    assert "Storage.westeurope" not in blocked
    assert "Storage.westeurope and AzureBackup" in remedy["vm-nsg-nic", "outbound"]
    # NSGs from the NIC only, the subnet only, both, and neither, as the outbound reasons name them.
    assert "nsg-subnet-allow" in reason["vm-nsg-subnet", "outbound"] and "AllowBackup" in reason["vm-nsg-subnet", "outbound"]
    both = reason["vm-nsg-both", "outbound"]
    assert "nsg-nic-allow" in both and "nsg-subnet-allow" in both
    assert both.index("nsg-nic-allow") < both.index("nsg-subnet-allow")
    assert "No NSG" in reason["vm-open", "outbound"]
    assert "nsg-storage-only" in blocked and "nsg-subnet" not in blocked
    # Every new check is seen passing, warning and failing; nothing is unknown when every read is allowed.
    outcomes = {(c["check"], c["result"]) for vm in result["vms"] for c in vm["checks"]}
    for name in ("route", "outbound_path", "outbound"):
        assert {(name, "pass"), (name, "warn"), (name, "fail")} <= outcomes, name
    assert result["summary"]["unknown"] == 0 and result["unreadable"] == []
    assert "Traceback" not in json.dumps(result)
    # A fixed set of lists: VMs (with instance views), NICs, VNets, NSGs, route tables, NAT gateways, load balancers
    # and vaults - one each, whatever the number of VMs; no public IPs (the checks do not need them), no GET per VM.
    assert lists_of(loaded) == sorted([
        "microsoft.compute/virtualmachines", "microsoft.network/networkinterfaces",
        "microsoft.network/virtualnetworks", "microsoft.network/networksecuritygroups",
        "microsoft.network/routetables", "microsoft.network/natgateways", "microsoft.network/loadbalancers",
        "microsoft.recoveryservices/vaults"])
    assert result["requests"] == 8


def test_subscription_scope_same_verdicts_same_list_count(run, loaded):
    result = run.module("backup_readiness_info", {})
    assert not result.get("failed"), result
    vms = by_name(result)
    assert {(vm, check): check_of(vms[vm], check)["result"] for vm, check in EXPECTED} == EXPECTED
    assert len(lists_of(loaded)) == 8 and result["requests"] == 8


def test_checks_option_takes_the_new_checks_and_refuses_unknown_ones(run, loaded):
    result = run.module("backup_readiness_info", {"resource_group": RG, "checks": ["route"]})
    assert not result.get("failed"), result
    assert {c["check"] for vm in result["vms"] for c in vm["checks"]} == {"route"}
    assert list(result["summary"]["checks"]) == ["route"]
    # route needs no vault: no vault list.
    assert "microsoft.recoveryservices/vaults" not in lists_of(loaded)
    loaded.control.clear_requests()
    result = run.module("backup_readiness_info", {"resource_group": RG, "checks": ["route", "tunnel"]})
    assert result.get("failed") and "tunnel" in result["msg"] and "checks" in result["msg"]
    assert arm_requests(loaded) == []


def deny(sandbox, scope, action):
    sandbox.control.set_faults(deny=[{"scope": scope, "actions": [action]}])


@pytest.mark.parametrize("scope_args", [{"resource_group": RG}, {}], ids=["resource-group", "subscription"])
def test_virtual_network_list_denied(run, loaded, scope_args):
    sub = loaded.subscription_id
    net_scope = "/subscriptions/%s/resourceGroups/%s" % (sub, NET)
    deny(loaded, net_scope, "Microsoft.Network/virtualNetworks/read")
    result = run.module("backup_readiness_info", scope_args)
    assert not result.get("failed"), result
    vms = by_name(result)
    assert len(vms) == len(VMS) == result["summary"]["vms"]
    permission = "Microsoft.Network/virtualNetworks/read"
    assert [(u["what"], u["permission"], u["scope"]) for u in result["unreadable"]] == [
        ("virtual networks", permission, net_scope)]
    assert "does not have authorization" in result["unreadable"][0]["message"]
    for name, vm in vms.items():
        assert vm["unreadable"] == result["unreadable"], name
        for check in ("route", "outbound_path"):
            got = check_of(vm, check)
            assert got["result"] == "unknown", (name, got)
            assert permission in got["reason"] and net_scope in got["reason"] and net_scope in got["remedy"]
        # What did not need the subnet stands.
        assert check_of(vm, "region")["result"] == "pass" and check_of(vm, "network_config")["result"] in ("pass", "warn")
    # The NIC's own NSG is still read: the one that blocks AzureBackup still fails; the others cannot be told.
    assert check_of(vms["vm-nsg-nic"], "outbound")["result"] == "fail"
    assert check_of(vms["vm-open"], "outbound")["result"] == "unknown"
    assert result["summary"]["unknown"] == len(VMS) - 1 and result["summary"]["fail"] == 1
    assert result["summary"]["checks"]["route"]["unknown"] == len(VMS)
    # Still a fixed set of lists: the subscription-wide VNet list (refused), then the group's (refused); the NSGs of
    # the NICs; no route tables or NAT gateways, since no subnet could be read.
    paths = lists_of(loaded)
    assert paths.count("microsoft.network/virtualnetworks") == (2 if not scope_args else 1), paths
    assert len(paths) == (5 if scope_args else 6), paths
    assert result["requests"] == len(paths)


def test_load_balancer_and_nat_gateway_lists_denied_make_the_path_unknown(run, loaded):
    # The subnet of vm-lbnorule leaves default outbound access on, but a Standard load balancer's backend pool
    # changes the path: unreadable, it is unknown. vm-nat's NAT gateway decides the path, but its public IPs cannot
    # be told.
    sub = loaded.subscription_id
    net_scope = "/subscriptions/%s/resourceGroups/%s" % (sub, NET)
    loaded.control.set_faults(deny=[{"scope": net_scope, "actions": ["Microsoft.Network/loadBalancers/read",
                                                                     "Microsoft.Network/natGateways/read"]}])
    result = run.module("backup_readiness_info", {"resource_group": RG})
    assert not result.get("failed"), result
    vms = by_name(result)
    for name, permission in (("vm-lbnorule", "Microsoft.Network/loadBalancers/read"),
                             ("vm-lbrule", "Microsoft.Network/loadBalancers/read"),
                             ("vm-nat", "Microsoft.Network/natGateways/read")):
        got = check_of(vms[name], "outbound_path")
        assert got["result"] == "unknown", (name, got)
        assert permission in got["reason"] and net_scope in got["remedy"]
        assert [(u["permission"], u["scope"]) for u in vms[name]["unreadable"]] == [(permission, net_scope)]
    assert check_of(vms["vm-open"], "outbound_path")["result"] == "pass" and vms["vm-open"]["unreadable"] == []


def test_virtual_network_list_denied_elsewhere_falls_back_to_the_groups(run, loaded):
    # Reader on the VMs' and the network's groups, not on a third group: ARM refuses the subscription-wide VNet list,
    # the groups' own lists answer, and nothing is unknown.
    sub = loaded.subscription_id
    deny(loaded, "/subscriptions/%s/resourceGroups/rg-secret" % sub, "Microsoft.Network/*/read")
    result = run.module("backup_readiness_info", {})
    assert not result.get("failed"), result
    vms = by_name(result)
    assert {(vm, check): check_of(vms[vm], check)["result"] for vm, check in EXPECTED} == EXPECTED
    assert result["unreadable"] == [] and result["summary"]["unknown"] == 0
    paths = lists_of(loaded)
    # Each network list twice (refused subscription-wide, then the referenced group's), VMs and vaults once.
    for kind in ("networkinterfaces", "virtualnetworks", "networksecuritygroups", "routetables", "natgateways",
                 "loadbalancers"):
        assert paths.count("microsoft.network/" + kind) == 2, (kind, paths)
    assert len(paths) == 14 and result["requests"] == 14


def test_vault_list_denied(run, loaded):
    sub = loaded.subscription_id
    deny(loaded, "/subscriptions/%s" % sub, "Microsoft.RecoveryServices/vaults/read")
    result = run.module("backup_readiness_info", {"resource_group": RG})
    assert not result.get("failed"), result
    vms = by_name(result)
    assert len(vms) == len(VMS)
    permission = "Microsoft.RecoveryServices/vaults/read"
    assert [(u["what"], u["permission"], u["scope"]) for u in result["unreadable"]] == [
        ("Recovery Services vaults", permission, "/subscriptions/%s" % sub)]
    for vm in vms.values():
        got = check_of(vm, "region")
        assert got["result"] == "unknown" and permission in got["reason"] and "/subscriptions/%s" % sub in got["remedy"]
    assert {(vm, check): check_of(vms[vm], check)["result"] for vm, check in EXPECTED} == EXPECTED
    assert result["vaults"] == [] and result["summary"]["checks"]["region"]["unknown"] == len(VMS)
    assert len(lists_of(loaded)) == 8


def test_vault_list_denied_with_named_vaults_is_unknown_not_an_error(run, loaded):
    sub = loaded.subscription_id
    deny(loaded, "/subscriptions/%s" % sub, "Microsoft.RecoveryServices/vaults/read")
    result = run.module("backup_readiness_info", {"resource_group": RG, "checks": ["region"],
                                                  "vaults": [{"name": "rsv-path", "resource_group": "rg-path-backup"}]})
    assert not result.get("failed"), result
    assert {check_of(vm, "region")["result"] for vm in result["vms"]} == {"unknown"}


def test_vm_list_denied_still_fails_clearly(run, loaded):
    sub = loaded.subscription_id
    deny(loaded, "/subscriptions/%s/resourceGroups/%s" % (sub, RG), "Microsoft.Compute/virtualMachines/read")
    result = run.module("backup_readiness_info", {"resource_group": RG})
    assert result.get("failed") and result.get("status_code") == 403
    assert "Microsoft.Compute/virtualMachines/read" in result["msg"] and "Traceback" not in json.dumps(result)


def test_report_playbook_shows_unknown_and_what_could_not_be_read(run, loaded, tmp_path):
    import os
    import subprocess
    import sys

    sub = loaded.subscription_id
    net_scope = "/subscriptions/%s/resourceGroups/%s" % (sub, NET)
    deny(loaded, net_scope, "Microsoft.Network/virtualNetworks/read")
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    report_dir = tmp_path / "reports"
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
           os.path.join(root, "playbooks", "readiness_report.yml"),
           "-e", json.dumps({"azbackup_report_dir": str(report_dir), "azbackup_readiness_resource_group": RG})]
    env = dict(run.env(), ANSIBLE_STDOUT_CALLBACK="default")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "%d unknown" % (len(VMS) - 1) in proc.stdout
    md = (report_dir / "readiness.md").read_text()
    html = (report_dir / "readiness.html").read_text()
    assert "⚪ unknown" in md and "## What could not be read" in md
    assert "| virtual networks | Microsoft.Network/virtualNetworks/read | %s |" % net_scope in md
    assert "| route | 0 | 0 | %d | 0 |" % len(VMS) in md
    assert 'class="check unknown"' in html and "<h2>What could not be read</h2>" in html
    assert "<td>Microsoft.Network/virtualNetworks/read</td><td>%s</td>" % net_scope in html


def test_split_default_service_tag_routes_and_bgp(run, sandbox):
    # Split default routes to an appliance, a Storage route to None, an AzureBackup route to an appliance, and a
    # subnet with no route table in a virtual network that has a GatewaySubnet (a gateway may advertise 0.0.0.0/0).
    rg, sub = "rg-route2", sandbox.subscription_id
    names = {"vm-split": "snet-split", "vm-tag": "snet-tag", "vm-tagfw": "snet-tagfw", "vm-bgp": "snet-plain"}
    vnet_id = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/virtualNetworks/vnet-gw" % (sub, rg)
    fw = {"next_hop_type": "VirtualAppliance", "next_hop_ip_address": "10.40.100.4"}
    sandbox.control.load_fixtures({
        "resource_groups": [{"name": rg, "location": REGION}],
        "route_tables": [
            {"resource_group": rg, "name": "rt-split", "location": REGION, "routes": [
                dict(name="lo", address_prefix="0.0.0.0/1", **fw), dict(name="hi", address_prefix="128.0.0.0/1", **fw)]},
            {"resource_group": rg, "name": "rt-tag", "location": REGION, "routes": [
                {"name": "storage-drop", "address_prefix": "Storage", "next_hop_type": "None"}]},
            {"resource_group": rg, "name": "rt-tagfw", "location": REGION, "disable_bgp_route_propagation": True,
             "routes": [dict(name="backup-fw", address_prefix="AzureBackup", **fw)]}],
        "virtual_networks": [{"resource_group": rg, "name": "vnet-gw", "location": REGION,
                              "address_prefixes": ["10.40.0.0/16"], "subnets": [
                                  {"name": "GatewaySubnet", "address_prefix": "10.40.255.0/27"},
                                  {"name": "snet-split", "address_prefix": "10.40.1.0/24", "route_table": "rt-split"},
                                  {"name": "snet-tag", "address_prefix": "10.40.2.0/24", "route_table": "rt-tag"},
                                  {"name": "snet-tagfw", "address_prefix": "10.40.3.0/24", "route_table": "rt-tagfw"},
                                  {"name": "snet-plain", "address_prefix": "10.40.4.0/24"}]}],
        "network_interfaces": [{"resource_group": rg, "name": "nic-" + vm, "location": REGION,
                                "private_ip": "10.40.%d.4" % (i + 1), "subnet": {"id": vnet_id + "/subnets/" + snet}}
                               for i, (vm, snet) in enumerate(sorted(names.items()))],
        "virtual_machines": [{"resource_group": rg, "name": vm, "location": REGION, "os_type": "Linux",
                              "nics": ["nic-" + vm]} for vm in sorted(names)],
    })
    result = run.module("backup_readiness_info", {"resource_group": rg, "checks": ["route"]})
    assert not result.get("failed"), result
    got = {name: check_of(vm, "route") for name, vm in by_name(result).items()}
    assert got["vm-split"]["result"] == "warn" and "0.0.0.0/1" in got["vm-split"]["reason"], got["vm-split"]
    assert got["vm-tag"]["result"] == "fail" and "storage-drop" in got["vm-tag"]["reason"], got["vm-tag"]
    assert got["vm-tagfw"]["result"] == "warn" and "backup-fw" in got["vm-tagfw"]["reason"], got["vm-tagfw"]
    assert got["vm-bgp"]["result"] == "warn" and "GatewaySubnet" in got["vm-bgp"]["reason"], got["vm-bgp"]
    assert "show-effective-route-table" in got["vm-bgp"]["remedy"]
