"""A generated fleet (armsandbox.fixturegen.make_fleet: NSGs on NICs, subnets, both and neither; forced tunnelling;
NAT gateways; private subnets; load-balancer outbound pools; public IPs) read by discovery and judged by
backup_readiness_info against the sandbox. Every VM's NSGs, outbound path and verdicts are compared with what the
fixture says, and the requests stay a fixed set of lists whatever the number of VMs."""

import json
import math
import subprocess
import sys

import pytest
from armsandbox.fixturegen import make_fleet
from conftest import arm_requests
from test_discovery_host_vars import SCRIPT

N = 240
REGIONS = ("westeurope", "northeurope", "eastus")


def truth(fixture, sub):
    """vm name -> (NSG names nic first, subnet kind, has public IP, in LB pool), from the fixture alone."""
    subnets = {}
    for vnet in fixture["virtual_networks"]:
        for s in vnet["subnets"]:
            subnets[("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/virtualNetworks/%s/subnets/%s"
                     % (sub, vnet["resource_group"], vnet["name"], s["name"])).lower()] = s
    nics = {n["name"]: n for n in fixture["network_interfaces"]}
    out = {}
    for vm in fixture["virtual_machines"]:
        nic = nics[vm["nics"][0]]
        subnet = subnets[nic["subnet"].lower()]
        nsgs = []
        if nic.get("network_security_group"):
            nsgs.append(nic["network_security_group"].rsplit("/", 1)[-1])
        if subnet.get("network_security_group") and subnet["network_security_group"] not in nsgs:
            nsgs.append(subnet["network_security_group"])
        if subnet.get("route_table"):
            kind = "forced_tunnel"
        elif subnet.get("nat_gateway"):
            kind = "nat_gateway"
        elif subnet.get("default_outbound_access") is False:
            kind = "private"
        else:
            kind = "default"
        out[vm["name"]] = (nsgs, kind, bool(nic.get("public_ip")), bool(nic.get("load_balancer_backend_pools")))
    return out


@pytest.fixture
def fleet(sandbox):
    fixture = make_fleet(N, regions=REGIONS, nsgs=12, seed=5)
    fixture["vaults"] = [{"resource_group": "rg-net-%s" % r, "name": "rsv-%s" % r, "location": r} for r in REGIONS]
    sandbox.control.load_fixtures(fixture)
    sandbox.control.clear_requests()
    return fixture


def expected_path(kind, pip, pool):
    if kind == "forced_tunnel":
        return "forced_tunnelling"
    if kind == "nat_gateway":
        return "nat_gateway"
    if pip:
        return "public_ip"
    if kind == "private":
        return "load_balancer" if pool else "none"
    return "default_outbound_access"


def test_fleet_host_vars_match_the_fixture(run, sandbox, fleet):
    sub = sandbox.subscription_id
    env = dict(run.env(), PYTHONPATH=run.collections_path)
    proc = subprocess.run([sys.executable, "-c", SCRIPT, "null"], env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout)
    expected = truth(fleet, sub)
    assert sorted(got["vms"]) == sorted(expected)
    placements = {"nic_only": 0, "subnet_only": 0, "both": 0, "neither": 0}
    kinds = set()
    for name, (nsgs, kind, pip, pool) in expected.items():
        hv = got["vms"][name]
        assert [n["name"] for n in hv["azure_nsgs"]] == nsgs, name
        attached = [n["attached_to"] for n in hv["azure_nsgs"]]
        placements[{(): "neither", ("nic",): "nic_only", ("subnet",): "subnet_only",
                    ("nic", "subnet"): "both"}[tuple(attached)]] += 1
        assert hv["azure_outbound"]["path"] == expected_path(kind, pip, pool), (name, hv["azure_outbound"])
        assert (hv["azure_route_table"] is not None) == (kind == "forced_tunnel"), name
        assert bool(hv["azure_public_ips"]) == pip, name
        kinds.add(expected_path(kind, pip, pool))
    assert all(placements.values()), placements
    assert kinds == {"forced_tunnelling", "nat_gateway", "public_ip", "load_balancer", "none",
                     "default_outbound_access"}, kinds
    # A fixed set of lists: VMs and NICs by pages, then one list each of VNets, NSGs, route tables, NAT gateways,
    # public IPs and load balancers; no GET of a single resource, no instance-view GET.
    reads = arm_requests(sandbox)
    assert all("/providers/" in r["path"] and not r["path"].lower().endswith("/instanceview") for r in reads)
    per_kind = {}
    for r in reads:
        kind = r["path"].rsplit("/", 1)[-1].lower()
        per_kind[kind] = per_kind.get(kind, 0) + 1
    assert set(per_kind) == {"virtualmachines", "networkinterfaces", "virtualnetworks", "networksecuritygroups",
                             "routetables", "natgateways", "publicipaddresses", "loadbalancers"}, per_kind
    pages = math.ceil(N / 50)
    assert per_kind["virtualmachines"] <= pages and per_kind["networkinterfaces"] <= pages, per_kind
    assert got["requests"] == len(reads) <= 2 * pages + 6


def test_fleet_readiness_verdicts_match_the_fixture(run, sandbox, fleet):
    expected = truth(fleet, sandbox.subscription_id)
    result = run.module("backup_readiness_info", {"checks": ["route", "outbound_path", "outbound", "region"]})
    assert not result.get("failed"), result
    assert result["summary"]["vms"] == N and result["unreadable"] == []
    for vm in result["vms"]:
        _nsgs, kind, pip, pool = expected[vm["name"]]
        checks = {c["check"]: c for c in vm["checks"]}
        assert checks["route"]["result"] == ("warn" if kind == "forced_tunnel" else "pass"), vm["name"]
        if kind == "forced_tunnel":
            assert "default-to-firewall" in checks["route"]["reason"]
        path = expected_path(kind, pip, pool)
        assert checks["outbound_path"]["result"] == ("fail" if path == "none" else "pass"), (vm["name"], checks)
        # The fleet's NSGs hold inbound rules only: Storage and AzureBackup are open everywhere.
        assert checks["outbound"]["result"] == "pass", (vm["name"], checks["outbound"])
        assert checks["region"]["result"] == "pass"
    assert result["requests"] <= 2 * math.ceil(N / 50) + 7
