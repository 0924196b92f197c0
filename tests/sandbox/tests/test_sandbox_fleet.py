"""Fleet fixtures (armsandbox.fixturegen.make_fleet) for the scale benches: shape, determinism, load and list speed."""

import statistics
import time

from armsandbox import servicetags
from armsandbox.fixturegen import FLEET_REGIONS, fleet_subscription_ids, fleet_summary, make_fleet
from sandbox_testlib import COMPUTE_API, NETWORK_API


def _walk(arm, path, api_version):
    """Every item of a list, following nextLink; returns (items, pages)."""
    items, pages = [], 0
    url = f"{path}{'&' if '?' in path else '?'}api-version={api_version}"
    while url:
        status, _unused, body = arm.send("GET", url)
        assert status == 200, body
        items += body["value"]
        pages += 1
        url = body.get("nextLink")
        url = url[url.index("/subscriptions/"):] if url else None
    return items, pages


def test_make_fleet_is_deterministic_and_mixes_every_network_path():
    fleet = make_fleet(1000, regions=FLEET_REGIONS[:10], nsgs=200, seed=11)
    assert fleet == make_fleet(1000, regions=FLEET_REGIONS[:10], nsgs=200, seed=11)
    assert fleet != make_fleet(1000, regions=FLEET_REGIONS[:10], nsgs=200, seed=12)
    summary = fleet_summary(fleet)
    assert summary["vms"] == 1000 and summary["nsgs"] == summary["nsgs_in_use"] == 200
    assert all(count >= 50 for count in summary["placement"].values()), summary
    assert set(summary["subnet_kinds"]) == {"default", "nat_gateway", "forced_tunnel", "private", "private_lb"}
    assert summary["public_ips_on_nics"] > 0
    assert {vm["location"] for vm in fleet["virtual_machines"]} == set(FLEET_REGIONS[:10])
    assert len({nic["private_ip"] + nic["subnet"] for nic in fleet["network_interfaces"]}) == 1000
    # The fleet regions have regional service tags, so Storage.<region> rules validate there.
    assert all(servicetags.is_tag(f"Storage.{r}") and servicetags.is_tag(f"AzureBackup.{r}") for r in FLEET_REGIONS)
    subs = fleet_subscription_ids(3)
    fleet = make_fleet(300, subscriptions=subs, seed=1)
    assert {vm["subscription_id"] for vm in fleet["virtual_machines"]} == set(subs)
    assert len(set(subs)) == 3 and fleet["subscriptions"][0]["subscription_id"] == subs[0]


def test_fleet_network_resources_over_ten_regions(sandbox, clients):
    fleet = make_fleet(200, regions=FLEET_REGIONS[:10], nsgs=40, seed=5)
    sandbox.control.load_fixtures(fleet)
    net = clients.network
    nsgs = list(net.network_security_groups.list_all())
    assert len(nsgs) == 40 and all(n.subnets or n.network_interfaces for n in nsgs)
    assert len(list(net.route_tables.list_all())) == len(list(net.nat_gateways.list_all())) == 10
    vnet = net.virtual_networks.get("rg-net-westeurope", "vnet-westeurope")
    kinds = {s.name: s for s in vnet.subnets}
    forced = kinds["snet-03"]
    table = net.route_tables.get("rg-net-westeurope", "rt-forced-westeurope")
    assert forced.route_table.id == table.id and forced.network_security_group is None
    assert (table.routes[0].address_prefix, table.routes[0].next_hop_type) == ("0.0.0.0/0", "VirtualAppliance")
    assert kinds["snet-01"].nat_gateway.id.endswith("/natGateways/ng-westeurope")
    assert kinds["snet-05"].default_outbound_access is False and kinds["snet-05"].nat_gateway is None
    assert kinds["snet-00"].default_outbound_access is None
    lb = net.load_balancers.get("rg-net-westeurope", "lb-out-westeurope")
    assert lb.outbound_rules[0].backend_address_pool.id == lb.backend_address_pools[0].id
    vms = list(clients.compute.virtual_machines.list_all(expand="instanceView"))
    assert len(vms) == 200 and all(vm.instance_view.statuses for vm in vms)


def test_five_thousand_vms_in_three_subscriptions_load_and_list_fast(sandbox, arm):
    subs = fleet_subscription_ids(3)
    fleet = make_fleet(5000, subscriptions=subs, seed=3)
    started = time.perf_counter()
    sandbox.control.load_fixtures(fleet)
    load_seconds = time.perf_counter() - started
    assert load_seconds < 10, f"loading 5,000 VMs took {load_seconds:.1f} s"
    sandbox.control.set_faults(page_size=1000)
    sandbox.control.clear_requests()
    total = 0
    for sub in subs:
        vms, pages = _walk(arm, f"/subscriptions/{sub}/providers/Microsoft.Compute/virtualMachines"
                           "?$expand=instanceView", COMPUTE_API)
        assert pages == 2 and all(vm["properties"]["instanceView"]["statuses"] for vm in vms)
        assert {vm["id"].split("/")[2] for vm in vms} == {sub}
        total += len(vms)
        nics, _unused = _walk(arm, f"/subscriptions/{sub}/providers/Microsoft.Network/networkInterfaces", NETWORK_API)
        assert len(nics) == len(vms)
    assert total == 5000
    durations = [e["duration_ms"] for e in sandbox.control.requests(kind="arm") if "virtualMachines" in e["path"]]
    assert len(durations) == 6
    assert statistics.median(durations) < 100 and max(durations) < 250, durations
