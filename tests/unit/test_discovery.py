"""_discovery: host variables from canned ARM answers (NSGs from the NIC, the subnet, both, neither; route tables;
every outbound path), the request plan (a fixed set of lists), and 403s degrading per item, never failing the run
(except the VM list itself)."""

import copy
import threading

import pytest

from ansible_collections.azbackup.vmprep.plugins.module_utils import _discovery as d
from ansible_collections.azbackup.vmprep.plugins.module_utils import _readiness as r

SUB = "44444444-4444-4444-4444-444444444444"
RG = "rg-app"
NET = "rg-net"
DENY_MESSAGE = ("The client 'c1' with object id 'o1' does not have authorization to perform action '%s' over scope "
                "'%s' or the scope is invalid. If access was recently granted, please refresh your credentials.")


def rid(kind, name, rg=RG, provider="Microsoft.Network"):
    return "/subscriptions/%s/resourceGroups/%s/providers/%s/%s/%s" % (SUB, rg, provider, kind, name)


def subnet_id(name="snet", vnet="vnet1", rg=NET):
    return rid("virtualNetworks", vnet, rg) + "/subnets/" + name


def vm(name, nic_names=None, rg=RG, location="West Europe", tags=None, view=True):
    nic_names = nic_names or ["nic-" + name]
    body = {
        "id": rid("virtualMachines", name, rg, "Microsoft.Compute"), "name": name, "location": location,
        "tags": tags or {"env": "test"}, "zones": ["1"],
        "properties": {
            "hardwareProfile": {"vmSize": "Standard_B2s"},
            "storageProfile": {"imageReference": {"publisher": "Canonical", "offer": "ubuntu-24_04-lts",
                                                  "sku": "server", "version": "latest"},
                               "osDisk": {"osType": "Linux", "name": name + "-os"}, "dataDisks": []},
            "osProfile": {"linuxConfiguration": {"provisionVMAgent": True}},
            "networkProfile": {"networkInterfaces": [{"id": rid("networkInterfaces", n, rg),
                                                      "properties": {"primary": i == 0}}
                                                     for i, n in enumerate(nic_names)]},
        },
    }
    if view:
        body["properties"]["instanceView"] = {
            "statuses": [{"code": "ProvisioningState/succeeded"}, {"code": "PowerState/running"}],
            "vmAgent": {"vmAgentVersion": "2.13.1.1", "statuses": [
                {"code": "ProvisioningState/succeeded", "displayStatus": "Ready", "message": "GuestAgent is running"}]},
            "extensions": [{"name": "VMSnapshotLinux", "type": "Microsoft.Azure.RecoveryServices.VMSnapshotLinux",
                            "statuses": [{"code": "ProvisioningState/succeeded", "level": "Info"}]}]}
    return body


def nic(name, subnet=None, nsg=None, pip=None, pool=None, ip="10.0.1.4", rg=RG):
    config = {"primary": True, "privateIPAddress": ip, "subnet": {"id": subnet or subnet_id()}}
    if pip:
        config["publicIPAddress"] = {"id": rid("publicIPAddresses", pip, NET)}
    if pool:
        config["loadBalancerBackendAddressPools"] = [{"id": rid("loadBalancers", pool[0], NET) + "/backendAddressPools/" + pool[1]}]
    body = {"id": rid("networkInterfaces", name, rg), "name": name, "location": "westeurope",
            "properties": {"ipConfigurations": [{"name": "ipconfig1", "id": rid("networkInterfaces", name, rg)
                                                 + "/ipConfigurations/ipconfig1", "properties": config}]}}
    if nsg:
        body["properties"]["networkSecurityGroup"] = {"id": rid("networkSecurityGroups", nsg, NET)}
    return body


def subnet(name, nsg=None, route_table=None, nat=None, default_outbound=None, vnet="vnet1"):
    p = {"addressPrefix": "10.0.1.0/24"}
    if nsg:
        p["networkSecurityGroup"] = {"id": rid("networkSecurityGroups", nsg, NET)}
    if route_table:
        p["routeTable"] = {"id": rid("routeTables", route_table, NET)}
    if nat:
        p["natGateway"] = {"id": rid("natGateways", nat, NET)}
    if default_outbound is not None:
        p["defaultOutboundAccess"] = default_outbound
    return {"id": subnet_id(name, vnet), "name": name, "properties": p}


def vnet(subnets, name="vnet1"):
    return {"id": rid("virtualNetworks", name, NET), "name": name, "location": "westeurope",
            "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}, "subnets": subnets}}


def nsg(name, rules=()):
    return {"id": rid("networkSecurityGroups", name, NET), "name": name, "location": "westeurope",
            "properties": {"securityRules": list(rules)}}


def route_table(name, routes):
    return {"id": rid("routeTables", name, NET), "name": name, "location": "westeurope",
            "properties": {"disableBgpRoutePropagation": False, "routes": [
                {"name": n, "id": rid("routeTables", name, NET) + "/routes/" + n,
                 "properties": dict({"addressPrefix": prefix, "nextHopType": hop, "provisioningState": "Succeeded"},
                                    **({"nextHopIpAddress": ip} if ip else {}))}
                for n, prefix, hop, ip in routes]}}


def nat_gateway(name, pips=("pip-nat",)):
    return {"id": rid("natGateways", name, NET), "name": name, "location": "westeurope", "sku": {"name": "Standard"},
            "properties": {"publicIpAddresses": [{"id": rid("publicIPAddresses", p, NET)} for p in pips]}}


def public_ip(name, address):
    return {"id": rid("publicIPAddresses", name, NET), "name": name, "location": "westeurope",
            "properties": {"ipAddress": address, "publicIPAllocationMethod": "Static"}}


def load_balancer(name, pool, rule=True):
    lb_id = rid("loadBalancers", name, NET)
    p = {"backendAddressPools": [{"id": lb_id + "/backendAddressPools/" + pool, "name": pool}]}
    if rule:
        p["outboundRules"] = [{"name": "out1", "id": lb_id + "/outboundRules/out1",
                               "properties": {"backendAddressPool": {"id": lb_id + "/backendAddressPools/" + pool},
                                              "frontendIPConfigurations": [{"id": lb_id + "/frontendIPConfigurations/fe"}],
                                              "protocol": "All"}}]
    return {"id": lb_id, "name": name, "location": "westeurope", "sku": {"name": "Standard"}, "properties": p}


def vault(name="rsv-weu"):
    return {"id": rid("vaults", name, "rg-backup", "Microsoft.RecoveryServices"), "name": name, "location": "westeurope"}


class Denied(Exception):
    """What the SDK raises for a 403 (status_code and ARM's error)."""

    def __init__(self, action, scope):
        super().__init__(DENY_MESSAGE % (action, scope))
        self.status_code = 403

        class Error:
            code = "AuthorizationFailed"
            message = DENY_MESSAGE % (action, scope)
        self.error = Error()


class CannedReader(d.Reader):
    """Serves lists from canned JSON, one call = one request; `deny` as the sandbox's deny scopes."""

    def __init__(self, data, deny=(), expand=True):
        super().__init__(clients=None, max_concurrency=8)
        self.data = data
        self.deny = list(deny)  # (scope, kind)
        self.expand = expand
        self.calls = []
        self.subscription_id = SUB
        self.lock = threading.Lock()

    def warm(self):
        return None

    def _count(self, *what):
        with self.lock:
            self.calls.append(what)
            self.requests += 1

    def list(self, kind, rg=None, **query):
        self._count(kind, rg, tuple(sorted(query)))
        namespace, kind_type, _v, _g = d.READS[kind]
        scope = "/subscriptions/%s" % SUB + ("/resourceGroups/%s" % rg if rg else "")
        for deny_scope, deny_kind in self.deny:
            inside = scope.lower().startswith(deny_scope.lower())
            subscription_list = rg is None and deny_scope.lower().startswith(scope.lower())
            if deny_kind == kind and (inside or subscription_list):
                raise Denied("%s/%s/read" % (namespace, kind_type), scope)
        items = [copy.deepcopy(i) for i in self.data.get(kind, [])
                 if rg is None or d.parse_id(i["id"])["resource_group"].lower() == rg.lower()]
        if kind == "vms" and not (self.expand and query.get("$expand") == "instanceView") and "statusOnly" not in query:
            for item in items:
                item["properties"].pop("instanceView", None)
        return items

    def instance_view(self, vm):
        self._count("instance_view", vm["name"])
        return copy.deepcopy(next(v for v in self.data["vms"] if v["id"] == vm["id"])["properties"]["instanceView"])


def estate_of(vms, nics, vnets, nsgs=(), **more):
    data = {"vms": vms, "nics": nics, "vnets": vnets, "nsgs": list(nsgs), "vaults": [vault()]}
    data.update(more)
    return data


def discover(data, deny=(), scope=None, need=("network", "views"), expand=True):
    reader = CannedReader(data, deny, expand)
    return d.discover(None, scope, 8, need=need, reader=reader), reader


def hv(estate, name):
    the_vm = next(v for v in estate.vms if v["name"] == name)
    return d.host_vars(estate, the_vm)


# ---- NSG discovery ------------------------------------------------------------------------------------

def nsg_estate():
    vms = [vm("vm-nic"), vm("vm-subnet"), vm("vm-both"), vm("vm-none")]
    nics = [nic("nic-vm-nic", subnet_id("plain"), nsg="nsg-a"), nic("nic-vm-subnet", subnet_id("guarded")),
            nic("nic-vm-both", subnet_id("guarded"), nsg="nsg-a"), nic("nic-vm-none", subnet_id("plain"))]
    vnets = [vnet([subnet("plain"), subnet("guarded", nsg="nsg-b")])]
    return estate_of(vms, nics, vnets, [nsg("nsg-a"), nsg("nsg-b")])


def test_nsgs_from_the_nic_only_the_subnet_only_both_and_neither():
    estate, reader = discover(nsg_estate())
    names = {n: [(g["name"], g["attached_to"]) for g in hv(estate, n)["azure_nsgs"]]
             for n in ("vm-nic", "vm-subnet", "vm-both", "vm-none")}
    assert names == {"vm-nic": [("nsg-a", "nic")], "vm-subnet": [("nsg-b", "subnet")],
                     "vm-both": [("nsg-a", "nic"), ("nsg-b", "subnet")], "vm-none": []}
    both = hv(estate, "vm-both")["azure_nsgs"]
    assert both[0]["via"].endswith("/networkInterfaces/nic-vm-both") and both[1]["via"].endswith("/subnets/guarded")
    assert both[0]["resource_group"] == NET and both[0]["subscription_id"] == SUB and both[0]["location"] == "westeurope"
    # A fixed set of lists: VMs (with views), NICs, VNets, NSGs; nothing per VM.
    assert sorted(c[0] for c in reader.calls) == ["nics", "nsgs", "vms", "vnets"]


def test_one_nsg_on_nic_and_subnet_is_listed_once():
    data = nsg_estate()
    data["vnets"] = [vnet([subnet("plain", nsg="nsg-a"), subnet("guarded", nsg="nsg-b")])]
    estate, _reader = discover(data)
    assert [(g["name"], g["attached_to"]) for g in hv(estate, "vm-nic")["azure_nsgs"]] == [("nsg-a", "nic")]


def test_host_vars_identity_placement_and_state():
    data = nsg_estate()
    data["public_ips"] = [public_ip("pip-1", "20.1.2.3")]
    data["nics"][0] = nic("nic-vm-nic", subnet_id("plain"), nsg="nsg-a", pip="pip-1")
    estate, _reader = discover(data)
    got = hv(estate, "vm-nic")
    assert got["azure_name"] == "vm-nic" and got["azure_resource_group"] == RG and got["azure_subscription_id"] == SUB
    assert got["azure_location"] == "westeurope" and got["azure_zones"] == ["1"] and got["azure_vm_size"] == "Standard_B2s"
    assert got["azure_os_type"] == "linux" and got["azure_image"]["offer"] == "ubuntu-24_04-lts"
    assert got["azure_image"]["id"] == ""
    assert got["azure_power_state"] == "running"
    assert got["azure_agent"] == {"version": "2.13.1.1", "status": "Ready", "message": "GuestAgent is running"}
    assert got["azure_backup_extension"]["status"] == "succeeded"
    assert got["azure_private_ips"] == ["10.0.1.4"] and got["azure_public_ips"] == ["20.1.2.3"]
    assert got["azure_nics"][0]["primary"] is True and got["azure_nics"][0]["nsg_id"].endswith("/nsg-a")
    assert got["azure_subnet_ids"] == [subnet_id("plain")] and got["azure_vnet_ids"] == [rid("virtualNetworks", "vnet1", NET)]
    assert got["azure_tags"] == {"env": "test"} and got["azure_unreadable"] == []
    assert got["azure_route_table"] is None


def test_public_ips_are_not_read_for_readiness():
    data = nsg_estate()
    data["public_ips"] = [public_ip("pip-1", "20.1.2.3")]
    data["nics"][0] = nic("nic-vm-nic", subnet_id("plain"), nsg="nsg-a", pip="pip-1")
    reader = CannedReader(data)
    estate = d.discover(None, None, 8, need=("network", "views"), reader=reader, public_ips=False)
    assert "public_ips" not in [c[0] for c in reader.calls]
    assert hv(estate, "vm-nic")["azure_public_ips"] == []
    assert hv(estate, "vm-nic")["azure_outbound"]["path"] == "public_ip"


# ---- route tables -------------------------------------------------------------------------------------

def routed(routes, **subnet_args):
    vms = [vm("vm1")]
    nics = [nic("nic-vm1", subnet_id("routed"))]
    vnets = [vnet([subnet("routed", route_table="rt-1", **subnet_args)])]
    return estate_of(vms, nics, vnets, route_tables=[route_table("rt-1", routes)], nat_gateways=[nat_gateway("nat-1")])


@pytest.mark.parametrize("hop", ["VirtualAppliance", "VirtualApplianceEcmp", "VirtualNetworkGateway", "None"])
def test_forced_tunnelling(hop):
    ip = "10.0.0.4" if hop.startswith("VirtualAppliance") else None
    estate, reader = discover(routed([("to-fw", "0.0.0.0/0", hop, ip), ("local", "10.1.0.0/16", "VnetLocal", None)]))
    got = hv(estate, "vm1")
    assert got["azure_route_table"]["name"] == "rt-1" and got["azure_route_table"]["forced_tunnelling"] is True
    assert got["azure_route_table"]["route"] == {"name": "to-fw", "address_prefix": "0.0.0.0/0", "next_hop_type": hop,
                                                 "next_hop_ip_address": ip or ""}
    assert got["azure_outbound"]["path"] == "forced_tunnelling"
    assert hop in got["azure_outbound"]["reason"] and "rt-1" in got["azure_outbound"]["reason"]
    assert "route_tables" in [c[0] for c in reader.calls]


def test_route_table_without_forced_tunnelling():
    estate, _reader = discover(routed([("inet", "0.0.0.0/0", "Internet", None), ("fw", "10.9.0.0/16", "VirtualAppliance", "10.0.0.4")]))
    got = hv(estate, "vm1")
    assert got["azure_route_table"]["forced_tunnelling"] is False
    assert got["azure_route_table"]["route"]["next_hop_type"] == "Internet"
    assert got["azure_outbound"]["path"] == "default_outbound_access"
    estate, _reader = discover(routed([("fw", "10.9.0.0/16", "VirtualAppliance", "10.0.0.4")]))
    assert hv(estate, "vm1")["azure_route_table"]["route"] is None


def test_no_route_table_no_route_table_list():
    estate, reader = discover(nsg_estate())
    assert hv(estate, "vm-nic")["azure_route_table"] is None
    assert not {"route_tables", "nat_gateways", "load_balancers", "public_ips"} & {c[0] for c in reader.calls}


# ---- outbound paths -------------------------------------------------------------------------------------

def path_estate():
    vms = [vm(n) for n in ("vm-nat", "vm-pip", "vm-lb", "vm-lb-norule", "vm-default", "vm-private", "vm-explicit")]
    nics = [nic("nic-vm-nat", subnet_id("natted")), nic("nic-vm-pip", subnet_id("private"), pip="pip-1"),
            nic("nic-vm-lb", subnet_id("private"), pool=("lb-1", "pool")),
            nic("nic-vm-lb-norule", subnet_id("private"), pool=("lb-2", "pool")),
            nic("nic-vm-default", subnet_id("plain")), nic("nic-vm-private", subnet_id("private")),
            nic("nic-vm-explicit", subnet_id("open"))]
    vnets = [vnet([subnet("natted", nat="nat-1", default_outbound=False), subnet("private", default_outbound=False),
                   subnet("plain"), subnet("open", default_outbound=True)])]
    return estate_of(vms, nics, vnets, nat_gateways=[nat_gateway("nat-1")], public_ips=[public_ip("pip-1", "20.0.0.1")],
                     load_balancers=[load_balancer("lb-1", "pool"), load_balancer("lb-2", "pool", rule=False)])


def test_every_outbound_path_kind():
    estate, reader = discover(path_estate())
    paths = {v["name"]: hv(estate, v["name"])["azure_outbound"] for v in estate.vms}
    assert {n: p["path"] for n, p in paths.items()} == {
        "vm-nat": "nat_gateway", "vm-pip": "public_ip", "vm-lb": "load_balancer", "vm-lb-norule": "none",
        "vm-default": "default_outbound_access", "vm-private": "none", "vm-explicit": "default_outbound_access"}
    assert paths["vm-nat"]["resource_id"] == rid("natGateways", "nat-1", NET)
    assert paths["vm-pip"]["resource_id"] == rid("publicIPAddresses", "pip-1", NET)
    assert paths["vm-lb"]["resource_id"] == rid("loadBalancers", "lb-1", NET) + "/outboundRules/out1"
    assert "lb-1" in paths["vm-lb"]["reason"] and paths["vm-private"]["resource_id"] == subnet_id("private")
    assert "private" in paths["vm-private"]["reason"] and "defaultOutboundAccess false" in paths["vm-private"]["reason"]
    assert "not set" in paths["vm-default"]["reason"]
    # NAT gateways, public IPs and load balancers: one list each, because something references them.
    kinds = sorted(c[0] for c in reader.calls)
    assert kinds == ["load_balancers", "nat_gateways", "nics", "nsgs", "public_ips", "vms", "vnets"]


def test_nat_gateway_beats_public_ip_and_load_balancer():
    data = path_estate()
    data["nics"][0] = nic("nic-vm-nat", subnet_id("natted"), pip="pip-1", pool=("lb-1", "pool"))
    estate, _reader = discover(data)
    assert hv(estate, "vm-nat")["azure_outbound"]["path"] == "nat_gateway"


# ---- request plan ---------------------------------------------------------------------------------------

def test_views_come_with_the_vm_list_else_status_only_else_per_vm():
    estate, reader = discover(nsg_estate())
    assert [c for c in reader.calls if c[0] == "vms"] == [("vms", None, ("$expand",))]
    assert all(estate.view(v) for v in estate.vms)
    estate, reader = discover(nsg_estate(), expand=False)
    assert ("vms", None, ("statusOnly",)) in reader.calls and not [c for c in reader.calls if c[0] == "instance_view"]
    estate, reader = discover(nsg_estate(), scope={"resource_groups": [RG]}, expand=False)
    assert len([c for c in reader.calls if c[0] == "instance_view"]) == 4
    assert all(c[1] is not None for c in reader.calls if c[0] in ("vms", "nics", "vnets", "nsgs"))


def test_scope_filters_before_the_per_vm_work():
    data = nsg_estate()
    data["vms"].append(vm("vm-other", rg="rg-other"))
    data["nics"].append(nic("nic-vm-other", rg="rg-other"))
    estate, reader = discover(data, scope={"names": ["vm-n*"], "exclude_resource_groups": ["RG-OTHER"]}, expand=False)
    assert sorted(v["name"] for v in estate.vms) == ["vm-nic", "vm-none"]
    estate, reader = discover(data, scope={"resource_groups": ["RG-APP"]}, expand=False)
    assert len(estate.vms) == 4 and ("vms", "RG-APP", ("$expand",)) in reader.calls
    assert ("nics", "rg-app", ()) in reader.calls and ("vnets", "rg-net", ()) in reader.calls


def test_need_unknown_is_refused():
    with pytest.raises(ValueError):
        d.discover(None, None, need=("network", "everything"), reader=CannedReader({}))


# ---- 403: degrade per item ------------------------------------------------------------------------------

def sub_scope(rg):
    return "/subscriptions/%s/resourceGroups/%s" % (SUB, rg)


def test_subscription_wide_403_falls_back_to_the_referenced_groups():
    # Reader on rg-app and rg-net only: every subscription-wide network list is refused, the groups' lists are not.
    deny = [(sub_scope("rg-secret"), k) for k in ("nics", "vnets", "nsgs")]
    estate, reader = discover(nsg_estate(), deny=deny)
    assert estate.unreadable == []
    assert [(g["name"]) for g in hv(estate, "vm-both")["azure_nsgs"]] == ["nsg-a", "nsg-b"]
    assert ("vnets", None, ()) in reader.calls and ("vnets", "rg-net", ()) in reader.calls
    assert ("nics", "rg-app", ()) in reader.calls and ("nsgs", "rg-net", ()) in reader.calls


def test_vnet_list_denied_makes_the_path_unknown_naming_permission_and_scope():
    estate, _reader = discover(nsg_estate(), deny=[(sub_scope(NET), "vnets")])
    assert len(estate.vms) == 4
    assert estate.unreadable == [{
        "what": "virtual networks", "permission": "Microsoft.Network/virtualNetworks/read",
        "scope": sub_scope(NET), "message": DENY_MESSAGE % ("Microsoft.Network/virtualNetworks/read", sub_scope(NET))}]
    got = hv(estate, "vm-subnet")
    assert got["azure_outbound"]["path"] == "unknown"
    assert "Microsoft.Network/virtualNetworks/read" in got["azure_outbound"]["reason"]
    assert sub_scope(NET) in got["azure_outbound"]["reason"]
    assert got["azure_unreadable"] == estate.unreadable
    # The NIC's own NSG is still known; the subnet's cannot be.
    assert [g["name"] for g in hv(estate, "vm-both")["azure_nsgs"]] == ["nsg-a"]
    # Readiness: the checks that needed the subnet say unknown; the others stand.
    facts = estate.facts(next(v for v in estate.vms if v["name"] == "vm-both"))
    opts = {"min_agent_version": dict(r.DEFAULT_MIN_AGENT), "max_data_disks": 32, "vaults": [vault()],
            "all_vaults": [vault()]}
    results = {c["check"]: c for c in r.run_checks(facts, opts)}
    for name in ("outbound", "route", "outbound_path"):
        assert results[name]["result"] == "unknown", results[name]
        assert "Microsoft.Network/virtualNetworks/read" in results[name]["reason"]
        assert sub_scope(NET) in results[name]["remedy"]
    assert results["agent"]["result"] == "pass" and results["network_config"]["result"] == "pass"


def test_a_blocking_nic_nsg_fails_even_when_the_subnet_is_unknown():
    data = nsg_estate()
    data["nsgs"][0] = nsg("nsg-a", [{"name": "DenyAll", "properties": {
        "priority": 100, "access": "Deny", "direction": "Outbound", "protocol": "*", "sourceAddressPrefix": "*",
        "sourcePortRange": "*", "destinationAddressPrefix": "*", "destinationPortRange": "*"}}])
    estate, _reader = discover(data, deny=[(sub_scope(NET), "vnets")])
    facts = estate.facts(next(v for v in estate.vms if v["name"] == "vm-both"))
    assert r.check_outbound(facts, {})["result"] == "fail"


def test_nsg_and_nic_lists_denied():
    estate, _reader = discover(nsg_estate(), deny=[(sub_scope(NET), "nsgs")])
    facts = estate.facts(next(v for v in estate.vms if v["name"] == "vm-nic"))
    got = r.check_outbound(facts, {})
    assert got["result"] == "unknown" and "Microsoft.Network/networkSecurityGroups/read" in got["reason"]
    assert hv(estate, "vm-nic")["azure_nsgs"][0]["name"] == "nsg-a"  # known from the NIC's reference
    estate, _reader = discover(nsg_estate(), deny=[(sub_scope(RG), "nics")])
    facts = estate.facts(estate.vms[0])
    opts = {"vaults": [], "all_vaults": [], "min_agent_version": r.DEFAULT_MIN_AGENT}
    results = {c["check"]: c["result"] for c in r.run_checks(facts, opts)}
    assert results["network_config"] == results["outbound"] == results["route"] == results["outbound_path"] == "unknown"
    assert hv(estate, estate.vms[0]["name"])["azure_nics"] == []


def test_route_table_denied():
    estate, _reader = discover(routed([("to-fw", "0.0.0.0/0", "None", None)]), deny=[(sub_scope(NET), "route_tables")])
    got = hv(estate, "vm1")
    assert got["azure_route_table"]["name"] == "rt-1" and got["azure_route_table"]["route"] is None
    assert got["azure_outbound"]["path"] == "unknown" and "Microsoft.Network/routeTables/read" in got["azure_outbound"]["reason"]


def test_vault_list_denied_is_recorded_not_fatal():
    estate, _reader = discover(nsg_estate(), deny=[("/subscriptions/%s" % SUB, "vaults")], need=("network", "views", "vaults"))
    assert estate.vaults is None and len(estate.vms) == 4
    assert estate.unreadable[0]["permission"] == "Microsoft.RecoveryServices/vaults/read"


def test_vm_list_denied_is_fatal():
    with pytest.raises(Denied):
        discover(nsg_estate(), deny=[("/subscriptions/%s" % SUB, "vms")])


def test_permission_and_scope_built_from_the_request_when_the_message_does_not_name_them():
    err = Exception("Forbidden")
    err.status_code = 403
    entry = d.denial(err, "route_tables", SUB, "rg-x")
    assert entry["permission"] == "Microsoft.Network/routeTables/read" and entry["scope"] == sub_scope("rg-x")
    assert d.denial(Exception("other"), "nics", SUB) is None


# ---- readiness checks route and outbound_path -----------------------------------------------------------

def check(data, name, vm_name="vm1", proxied=False, deny=()):
    estate, _reader = discover(data, deny=deny)
    facts = estate.facts(next(v for v in estate.vms if v["name"] == vm_name), proxied=proxied)
    got = r.CHECK_FUNCTIONS[name](facts, {})
    assert got["check"] == name and got["result"] in r.RESULTS and "\n" not in got["reason"]
    if got["result"] != "pass":
        assert got["remedy"], got
    return got


FW = ("to-fw", "0.0.0.0/0", "VirtualAppliance", "10.0.0.4")
BYPASS = [("storage", "Storage.WestEurope", "Internet", None), ("backup", "AzureBackup", "Internet", None)]


def test_route_check_pass_warn_fail_unknown():
    assert check(nsg_estate(), "route", "vm-nic")["result"] == "pass"
    got = check(routed([("inet", "0.0.0.0/0", "Internet", None)]), "route")
    assert got["result"] == "pass" and "inet" in got["reason"]
    got = check(routed([FW]), "route")
    assert got["result"] == "warn" and "rt-1" in got["reason"] and "to-fw" in got["reason"] and "10.0.0.4" in got["reason"]
    assert "AzureBackup" in got["remedy"] and "az network route-table route create" in got["remedy"]
    got = check(routed([FW] + BYPASS), "route")
    assert got["result"] == "pass" and "storage" in got["reason"] and "backup" in got["reason"]
    got = check(routed([FW, BYPASS[0]]), "route")  # Storage alone bypasses: AzureBackup still goes to the appliance
    assert got["result"] == "warn" and "AzureBackup" in got["remedy"]
    got = check(routed([("drop", "0.0.0.0/0", "None", None)]), "route")
    assert got["result"] == "fail" and "dropped" in got["reason"] and "drop" in got["reason"]
    assert check(routed([("drop", "0.0.0.0/0", "None", None)] + BYPASS), "route")["result"] == "pass"
    assert check(routed([("gw", "0.0.0.0/0", "VirtualNetworkGateway", None)]), "route")["result"] == "warn"
    # A declared proxy: an appliance is the proxy's business; a dropped default route still needs the proxy inside.
    assert check(routed([FW]), "route", proxied=True)["result"] == "pass"
    assert check(routed([("drop", "0.0.0.0/0", "None", None)]), "route", proxied=True)["result"] == "warn"
    got = check(routed([FW]), "route", deny=[(sub_scope(NET), "route_tables")])
    assert got["result"] == "unknown" and "Microsoft.Network/routeTables/read" in got["reason"]


def test_outbound_path_check_pass_warn_fail_unknown():
    data = path_estate()
    for name in ("vm-nat", "vm-pip", "vm-lb", "vm-default", "vm-explicit"):
        assert check(data, "outbound_path", name)["result"] == "pass", name
    got = check(data, "outbound_path", "vm-private")
    assert got["result"] == "fail" and "NAT gateway" in got["remedy"] and "az network vnet subnet update" in got["remedy"]
    assert check(data, "outbound_path", "vm-lb-norule")["result"] == "fail"
    assert check(data, "outbound_path", "vm-private", proxied=True)["result"] == "pass"
    data["nat_gateways"] = [nat_gateway("nat-1", pips=())]
    got = check(data, "outbound_path", "vm-nat")
    assert got["result"] == "fail" and "nat-1" in got["reason"]
    # Forced tunnelling: the appliance does the rest, unless service-tag routes go to the Internet from a private subnet.
    assert check(routed([FW], default_outbound=False), "outbound_path")["result"] == "pass"
    got = check(routed([FW] + BYPASS, default_outbound=False), "outbound_path")
    assert got["result"] == "fail" and "no outbound path" in got["reason"]
    assert check(routed([FW] + BYPASS, nat="nat-1"), "outbound_path")["result"] == "pass"
    got = check(path_estate(), "outbound_path", "vm-lb", deny=[(sub_scope(NET), "load_balancers")])
    # A private subnet: only the load balancer's outbound rule could give a path, and it cannot be read.
    assert got["result"] == "unknown" and "Microsoft.Network/loadBalancers/read" in got["reason"]
    assert sub_scope(NET) in got["remedy"]


def test_remedies_are_whole():
    for routes in ([FW], [("drop", "0.0.0.0/0", "None", None)], [("gw", "0.0.0.0/0", "VirtualNetworkGateway", None)]):
        got = check(routed(routes), "route")
        assert not got["remedy"].endswith("...") and got["remedy"].endswith("--next-hop-type Internet)."), got
    got = check(path_estate(), "outbound_path", "vm-private")
    assert not got["remedy"].endswith("..."), got


def test_outbound_path_standard_load_balancer_without_outbound_rule_warns():
    data = path_estate()
    data["nics"][2] = nic("nic-vm-lb", subnet_id("plain"), pool=("lb-2", "pool"))
    got = check(data, "outbound_path", "vm-lb")
    assert got["result"] == "warn" and "lb-2" in got["reason"] and "az network lb outbound-rule create" in got["remedy"]
    data["load_balancers"][1]["sku"] = {"name": "Basic"}
    assert check(data, "outbound_path", "vm-lb")["result"] == "pass"


def test_assess_gives_readiness_per_vm_for_host_variables():
    estate, _reader = discover(routed([("drop", "0.0.0.0/0", "None", None)]), need=("network", "views", "vaults"))
    got = r.assess(estate, {"checks": ["route", "region"]})
    assert list(got) == [estate.vms[0]["id"].lower()]
    verdict = got[estate.vms[0]["id"].lower()]
    assert verdict["result"] == "fail" and [c["check"] for c in verdict["checks"]] == ["region", "route"]


def test_instance_view_get_denied_keeps_the_vm():
    class NoViews(CannedReader):
        def instance_view(self, vm):
            self._count("instance_view", vm["name"])
            raise Denied("Microsoft.Compute/virtualMachines/instanceView/read", vm["id"] + "/instanceView")

    reader = NoViews(nsg_estate(), expand=False)
    estate = d.discover(None, {"resource_groups": [RG]}, 8, need=("network", "views"), reader=reader)
    assert len(estate.vms) == 4 and estate.views == {}
    assert len(estate.unreadable) == 4
    assert {u["permission"] for u in estate.unreadable} == {"Microsoft.Compute/virtualMachines/instanceView/read"}
    assert hv(estate, "vm-nic")["azure_power_state"] == "unknown"
    assert hv(estate, "vm-nic")["azure_agent"]["status"] == "unknown"
    assert hv(estate, "vm-nic")["azure_unreadable"][0]["scope"].endswith("/virtualMachines/vm-nic/instanceView")
    facts = estate.facts(next(v for v in estate.vms if v["name"] == "vm-nic"))
    got = {c["check"]: c["result"] for c in r.run_checks(facts, {"vaults": [], "all_vaults": []}, ["agent", "power_state", "disks"])}
    assert got == {"agent": "unknown", "power_state": "unknown", "disks": "pass"}


# ---- fail closed: what is missing or refused is never read as "nothing there" ---------------------------

class HidingReader(CannedReader):
    """A subscription-wide list that answers 200 without the items of `hidden` groups (as ARM may while a deny
    assignment or replication hides them); those groups' own lists are refused."""

    def __init__(self, data, hidden, deny=()):
        super().__init__(data, deny)
        self.hidden = [g.lower() for g in hidden]

    def list(self, kind, rg=None, **query):
        if rg is None or kind == "vms":
            items = super().list(kind, rg, **query)
            return [i for i in items if d.parse_id(i["id"])["resource_group"].lower() not in self.hidden]
        if rg.lower() in self.hidden:
            self._count(kind, rg, tuple(sorted(query)))
            namespace, kind_type, _v, _g = d.READS[kind]
            raise Denied("%s/%s/read" % (namespace, kind_type), sub_scope(rg))
        return super().list(kind, rg, **query)


def test_missing_subnet_without_a_denial_warns_never_passes():
    data = nsg_estate()
    data["nics"][3] = nic("nic-vm-none", subnet_id("ghost"))  # the VNet answers, without that subnet
    got = check(data, "outbound", "vm-none")
    assert got["result"] == "warn" and "ghost" in got["reason"] and "cannot be read" in got["reason"]
    assert check(data, "outbound", "vm-none", proxied=True)["result"] == "pass"


def test_ids_missing_after_an_ok_subscription_list_are_listed_by_group():
    data = nsg_estate()
    hidden_vnet = vnet([subnet("hid")], name="vnet-hidden")
    hidden_vnet["id"] = rid("virtualNetworks", "vnet-hidden", "rg-hidden")
    hidden_vnet["properties"]["subnets"][0]["id"] = subnet_id("hid", "vnet-hidden", "rg-hidden")
    data["vnets"].append(hidden_vnet)
    data["nics"][3] = nic("nic-vm-none", subnet_id("hid", "vnet-hidden", "rg-hidden"))
    data["nics"][0] = nic("nic-vm-nic", subnet_id("plain"), nsg="nsg-gone")  # deleted: its group answers without it
    reader = HidingReader(data, ["rg-hidden"])
    estate = d.discover(None, None, 8, need=("network", "views"), reader=reader)
    assert ("vnets", None, ()) in reader.calls and ("vnets", "rg-hidden", ()) in reader.calls
    assert reader.calls.count(("nsgs", "rg-net", ())) == 1
    assert [u["scope"] for u in estate.unreadable] == [sub_scope("rg-hidden")]
    facts = estate.facts(next(v for v in estate.vms if v["name"] == "vm-none"))
    got = r.check_outbound(facts, {})
    assert got["result"] == "unknown" and "Microsoft.Network/virtualNetworks/read" in got["reason"]
    assert hv(estate, "vm-none")["azure_unreadable"] == estate.unreadable
    facts = estate.facts(next(v for v in estate.vms if v["name"] == "vm-nic"))
    got = r.check_outbound(facts, {})
    assert got["result"] == "warn" and "nsg-gone" in got["reason"]


def test_load_balancer_list_denied_makes_the_path_unknown_whatever_default_outbound_access_says():
    data = path_estate()
    data["nics"][2] = nic("nic-vm-lb", subnet_id("plain"), pool=("lb-1", "pool"))
    estate, _reader = discover(data, deny=[(sub_scope(NET), "load_balancers")])
    got = hv(estate, "vm-lb")
    assert got["azure_outbound"]["path"] == "unknown" and "Microsoft.Network/loadBalancers/read" in got["azure_outbound"]["reason"]
    assert [u["permission"] for u in got["azure_unreadable"]] == ["Microsoft.Network/loadBalancers/read"]
    assert check(data, "outbound_path", "vm-lb", deny=[(sub_scope(NET), "load_balancers")])["result"] == "unknown"


def test_nat_gateway_list_denied_is_unknown_and_unreadable():
    deny = [(sub_scope(NET), "nat_gateways")]
    estate, _reader = discover(path_estate(), deny=deny)
    got = hv(estate, "vm-nat")
    assert [u["permission"] for u in got["azure_unreadable"]] == ["Microsoft.Network/natGateways/read"]
    got = check(path_estate(), "outbound_path", "vm-nat", deny=deny)
    assert got["result"] == "unknown" and "Microsoft.Network/natGateways/read" in got["reason"] and "nat-1" in got["reason"]
    assert sub_scope(NET) in got["remedy"]


SPLIT = [("lo", "0.0.0.0/1", "VirtualAppliance", "10.0.0.4"), ("hi", "128.0.0.0/1", "VirtualAppliance", "10.0.0.4")]


@pytest.mark.parametrize("routes", [SPLIT, SPLIT + [("inet", "0.0.0.0/0", "Internet", None)], SPLIT[1:]])
def test_split_default_routes_are_forced_tunnelling(routes):
    estate, _reader = discover(routed(routes))
    got = hv(estate, "vm1")
    assert got["azure_route_table"]["forced_tunnelling"] is True and got["azure_outbound"]["path"] == "forced_tunnelling"
    assert "/1" in got["azure_outbound"]["reason"]
    got = check(routed(routes), "route")
    assert got["result"] == "warn" and "/1" in got["reason"] and "10.0.0.4" in got["reason"]


@pytest.mark.parametrize("prefix", ["Storage", "Storage.WestEurope", "AzureBackup", "AzureCloud"])
def test_service_tag_routes_to_none_fail_to_an_appliance_warn(prefix):
    got = check(routed([("tagged", prefix, "None", None)]), "route")
    assert got["result"] == "fail" and "rt-1" in got["reason"] and "tagged" in got["reason"] and "None" in got["reason"]
    assert prefix in got["reason"]
    got = check(routed([("tagged", prefix, "VirtualAppliance", "10.0.0.9")]), "route")
    assert got["result"] == "warn" and "rt-1" in got["reason"] and "tagged" in got["reason"]
    assert "VirtualAppliance 10.0.0.9" in got["reason"]
    assert check(routed([("tagged", "Storage.EastUS", "None", None)]), "route")["result"] == "pass"


def gatewayed(routes=None, peering=False, gateway_subnet=True, disable_bgp=False):
    data = routed(routes or []) if routes is not None else nsg_estate()
    vn = data["vnets"][0]
    if gateway_subnet:
        vn["properties"]["subnets"].append({"id": subnet_id("GatewaySubnet", vn["name"]), "name": "GatewaySubnet",
                                            "properties": {"addressPrefix": "10.0.255.0/27"}})
    if peering:
        vn["properties"]["virtualNetworkPeerings"] = [{"name": "to-hub", "properties": {"useRemoteGateways": True}}]
    if disable_bgp:
        data["route_tables"][0]["properties"]["disableBgpRoutePropagation"] = True
    return data


def test_bgp_may_advertise_a_default_route():
    got = check(gatewayed(), "route", "vm-none")
    assert got["result"] == "warn" and "GatewaySubnet" in got["reason"] and "BGP" in got["reason"]
    assert "az network nic show-effective-route-table" in got["remedy"]
    got = check(gatewayed([], peering=True, gateway_subnet=False), "route")
    assert got["result"] == "warn" and "to-hub" in got["reason"] and "rt-1" in got["reason"]
    assert check(gatewayed([], disable_bgp=True), "route")["result"] == "pass"
    assert check(gatewayed([("inet", "0.0.0.0/0", "Internet", None)]), "route")["result"] == "pass"
    assert check(nsg_estate(), "route", "vm-none")["result"] == "pass"


def test_route_table_host_var_unknown_when_unreadable_and_id_as_referenced():
    data = routed([("to-fw", "0.0.0.0/0", "None", None)])
    estate, _reader = discover(data, deny=[(sub_scope(NET), "route_tables")])
    got = hv(estate, "vm1")["azure_route_table"]
    assert got["forced_tunnelling"] is None and got["id"] == rid("routeTables", "rt-1", NET) and got["name"] == "rt-1"
    estate, _reader = discover(routed([("inet", "0.0.0.0/0", "Internet", None)]))
    assert hv(estate, "vm1")["azure_route_table"]["forced_tunnelling"] is False
