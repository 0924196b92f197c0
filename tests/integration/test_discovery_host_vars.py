"""_discovery against the sandbox through the installed collection and the real azure-core / azure-identity stack:
host variables of a hub-and-spoke estate (NSGs from the NIC only, the subnet only, both and neither; route tables;
every outbound path), the lists sent, and a denied network group. Runs discover() in a child Python process with the
environment the modules get, as the inventory plugin will."""

import json
import subprocess
import sys

import pytest
from conftest import arm_requests
from test_readiness_path import NET, RG, estate

SCRIPT = r"""
import json, os, sys
from ansible_collections.azbackup.vmprep.plugins.module_utils import _auth, _client, _discovery
settings = _auth.resolve_settings({}, os.environ)
settings.ca_bundle = os.environ["REQUESTS_CA_BUNDLE"]
clients = _client.AzureClients(settings)
scope = json.loads(sys.argv[1])
est = _discovery.discover(clients, scope, 8, need=("network", "views"))
print(json.dumps({"vms": {vm["name"]: _discovery.host_vars(est, vm) for vm in est.vms},
                  "unreadable": est.unreadable, "requests": est.requests}))
"""


def discover(run, scope=None):
    env = dict(run.env(), PYTHONPATH=run.collections_path)
    proc = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(scope)], env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


@pytest.fixture
def loaded(sandbox):
    sandbox.control.load_fixtures(estate(sandbox.subscription_id))
    sandbox.control.clear_requests()
    return sandbox


def test_host_vars_of_the_network_path(run, loaded):
    sub = loaded.subscription_id
    got = discover(run)
    vms = got["vms"]
    assert len(vms) == 12 and got["unreadable"] == []
    nsgs = {name: [(n["name"], n["attached_to"]) for n in vms[name]["azure_nsgs"]]
            for name in ("vm-nsg-nic", "vm-nsg-subnet", "vm-nsg-both", "vm-open")}
    assert nsgs == {"vm-nsg-nic": [("nsg-storage-only", "nic")], "vm-nsg-subnet": [("nsg-subnet-allow", "subnet")],
                    "vm-nsg-both": [("nsg-nic-allow", "nic"), ("nsg-subnet-allow", "subnet")], "vm-open": []}
    both = vms["vm-nsg-both"]["azure_nsgs"]
    assert both[0]["resource_group"] == NET and both[0]["subscription_id"] == sub and both[0]["location"] == "westeurope"
    assert both[1]["via"].lower().endswith("/virtualnetworks/vnet-path/subnets/snet-guarded")
    paths = {name: v["azure_outbound"]["path"] for name, v in vms.items()}
    assert paths["vm-nat"] == "nat_gateway" and paths["vm-lbrule"] == "load_balancer"
    assert paths["vm-open"] == "default_outbound_access" and paths["vm-private"] == "none"
    assert paths["vm-fw"] == paths["vm-drop"] == paths["vm-bypass"] == "forced_tunnelling"
    assert paths["vm-lbnorule"] == "default_outbound_access"
    assert vms["vm-lbrule"]["azure_outbound"]["resource_id"].lower().endswith("/loadbalancers/lb-path/outboundrules/out-all")
    fw = vms["vm-fw"]["azure_route_table"]
    assert fw["name"] == "rt-fw" and fw["forced_tunnelling"] is True
    assert fw["route"] == {"name": "to-firewall", "address_prefix": "0.0.0.0/0", "next_hop_type": "VirtualAppliance",
                           "next_hop_ip_address": "10.30.100.4"}
    assert vms["vm-open"]["azure_route_table"] is None
    good = vms["vm-open"]
    assert good["azure_resource_group"] == RG and good["azure_location"] == "westeurope"
    assert good["azure_os_type"] == "linux" and good["azure_power_state"] == "running"
    assert good["azure_agent"]["status"] == "Ready" and good["azure_agent"]["version"]
    assert good["azure_private_ips"] and good["azure_public_ips"] == []
    assert good["azure_vnet_ids"][0].lower().endswith("/virtualnetworks/vnet-path")
    # One list each: VMs (instance views included), NICs, VNets, NSGs, route tables, NAT gateways, load balancers.
    lists = sorted(r["path"].lower().rsplit("/providers/", 1)[-1] for r in arm_requests(loaded))
    assert lists == sorted(["microsoft.compute/virtualmachines", "microsoft.network/networkinterfaces",
                            "microsoft.network/virtualnetworks", "microsoft.network/networksecuritygroups",
                            "microsoft.network/routetables", "microsoft.network/natgateways",
                            "microsoft.network/loadbalancers"]), lists
    assert got["requests"] == len(lists)


def test_denied_network_group_keeps_every_host(run, loaded):
    sub = loaded.subscription_id
    scope = "/subscriptions/%s/resourceGroups/%s" % (sub, NET)
    loaded.control.set_faults(deny=[{"scope": scope, "actions": ["Microsoft.Network/networkSecurityGroups/read"]}])
    got = discover(run, {"names": ["vm-nsg-*"]})
    assert sorted(got["vms"]) == ["vm-nsg-both", "vm-nsg-nic", "vm-nsg-range", "vm-nsg-subnet"]
    assert [(u["permission"], u["scope"]) for u in got["unreadable"]] == [
        ("Microsoft.Network/networkSecurityGroups/read", scope)]
    # The NSG ids are known from the NIC and subnet references, even though the NSGs cannot be read.
    assert [n["name"] for n in got["vms"]["vm-nsg-both"]["azure_nsgs"]] == ["nsg-nic-allow", "nsg-subnet-allow"]
    assert got["vms"]["vm-nsg-both"]["azure_unreadable"] == got["unreadable"]
    assert got["vms"]["vm-nsg-both"]["azure_outbound"]["path"] == "default_outbound_access"


def test_denied_route_table_is_unknown_not_false(run, loaded):
    sub = loaded.subscription_id
    scope = "/subscriptions/%s/resourceGroups/%s" % (sub, NET)
    loaded.control.set_faults(deny=[{"scope": scope, "actions": ["Microsoft.Network/routeTables/read"]}])
    got = discover(run, {"names": ["vm-fw", "vm-open"]})
    fw = got["vms"]["vm-fw"]["azure_route_table"]
    # Known from the subnet's reference, in its case; whether it forces the traffic cannot be told.
    assert fw["forced_tunnelling"] is None and fw["route"] is None and fw["name"] == "rt-fw"
    assert fw["id"] == "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/routeTables/rt-fw" % (sub, NET)
    assert got["vms"]["vm-fw"]["azure_outbound"]["path"] == "unknown"
    assert [(u["permission"], u["scope"]) for u in got["vms"]["vm-fw"]["azure_unreadable"]] == [
        ("Microsoft.Network/routeTables/read", scope)]
    assert got["vms"]["vm-open"]["azure_route_table"] is None
