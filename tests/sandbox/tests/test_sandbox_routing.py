"""Route tables, NAT gateways, public IP lists, subnets' outbound settings, load-balancer outbound rules, VM lists
with instance views and estates over several subscriptions (real SDK clients, plus raw HTTPS where the SDK
hides the wire shape)."""

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.network.models import Route, RouteTable
from sandbox_testlib import COMPUTE_API, NETWORK_API

SUB = "33333333-3333-3333-3333-333333333333"
NET = f"/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Network"


def _estate():
    return {
        "resource_groups": [{"name": "rg-net", "location": "westeurope"}, {"name": "rg-app", "location": "westeurope"}],
        "route_tables": [
            {"resource_group": "rg-net", "name": "rt-firewall", "disable_bgp_route_propagation": True,
             "routes": [{"name": "default-to-fw", "address_prefix": "0.0.0.0/0", "next_hop_type": "VirtualAppliance",
                         "next_hop_ip_address": "10.0.100.4"},
                        {"name": "onprem", "address_prefix": "192.168.0.0/16",
                         "next_hop_type": "VirtualNetworkGateway"}]},
            {"resource_group": "rg-net", "name": "rt-unused", "location": "northeurope"},
        ],
        "public_ip_addresses": [{"resource_group": "rg-net", "name": "pip-nat", "ip_address": "203.0.113.50"},
                                {"resource_group": "rg-net", "name": "pip-lb", "ip_address": "203.0.113.60"},
                                {"resource_group": "rg-app", "name": "pip-vm", "ip_address": "203.0.113.70"}],
        "nat_gateways": [{"resource_group": "rg-net", "name": "ng-egress", "public_ip_addresses": ["pip-nat"]}],
        "network_security_groups": [{"resource_group": "rg-net", "name": "nsg-subnet"}],
        "virtual_networks": [{
            "resource_group": "rg-net", "name": "vnet-hub", "address_prefixes": ["10.0.0.0/16"],
            "subnets": [
                {"name": "snet-fw", "address_prefix": "10.0.1.0/24", "route_table": "rt-firewall",
                 "network_security_group": "nsg-subnet"},
                {"name": "snet-nat", "address_prefix": "10.0.2.0/24", "nat_gateway": "ng-egress",
                 "default_outbound_access": False},
                {"name": "snet-private", "address_prefix": "10.0.3.0/24", "default_outbound_access": False},
                {"name": "snet-legacy", "address_prefix": "10.0.4.0/24"},
            ],
        }],
        "load_balancers": [{"resource_group": "rg-net", "name": "lb-out", "backend_address_pools": ["be"],
                            "frontend_ip_configurations": [{"name": "fe", "public_ip": "pip-lb"}],
                            "outbound_rules": [{"name": "out-all", "backend_pool": "be",
                                                "frontend_ip_configurations": ["fe"]}]}],
        "network_interfaces": [
            {"resource_group": "rg-app", "name": "nic-a", "subnet": f"{NET}/virtualNetworks/vnet-hub/subnets/snet-fw",
             "public_ip": "pip-vm"},
            {"resource_group": "rg-app", "name": "nic-b", "subnet": f"{NET}/virtualNetworks/vnet-hub/subnets/snet-nat",
             "load_balancer_backend_pools": [f"{NET}/loadBalancers/lb-out/backendAddressPools/be"]},
        ],
        "virtual_machines": [{"resource_group": "rg-app", "name": "vm-a", "nics": ["nic-a"]},
                             {"resource_group": "rg-app", "name": "vm-b", "nics": ["nic-b"], "power_state": "stopped"}],
    }


def test_route_tables_get_and_lists(sandbox, clients, arm):
    sandbox.control.load_fixtures(_estate())
    table = clients.network.route_tables.get("rg-net", "rt-firewall")
    assert table.disable_bgp_route_propagation is True
    assert [(r.name, r.address_prefix, r.next_hop_type, r.next_hop_ip_address) for r in table.routes] == [
        ("default-to-fw", "0.0.0.0/0", "VirtualAppliance", "10.0.100.4"),
        ("onprem", "192.168.0.0/16", "VirtualNetworkGateway", None)]
    assert [s.id for s in table.subnets] == [f"{NET}/virtualNetworks/vnet-hub/subnets/snet-fw"]
    assert table.etag and table.routes[0].etag == table.etag
    assert {t.name for t in clients.network.route_tables.list("rg-net")} == {"rt-firewall", "rt-unused"}
    assert {t.name for t in clients.network.route_tables.list_all()} == {"rt-firewall", "rt-unused"}
    assert [r.name for r in clients.network.routes.list("rg-net", "rt-firewall")] == ["default-to-fw", "onprem"]
    assert clients.network.routes.get("rg-net", "rt-firewall", "ONPREM").next_hop_type == "VirtualNetworkGateway"
    # Wire shape: no subnets key on an unused table, the api-version of the specs is accepted.
    status, _unused, body = arm.send("GET", f"{NET}/routeTables/rt-unused", api_version="2025-07-01")
    assert status == 200 and "subnets" not in body["properties"] and body["location"] == "northeurope"
    assert body["properties"] == {"provisioningState": "Succeeded", "resourceGuid": body["properties"]["resourceGuid"],
                                  "disableBgpRoutePropagation": False, "routes": []}
    with pytest.raises(ResourceNotFoundError):
        clients.network.route_tables.get("rg-net", "rt-missing")
    status, _unused, body = arm.send("GET", f"{NET}/routeTables/rt-missing/routes", api_version=NETWORK_API)
    assert (status, body["error"]["code"]) == (404, "ParentResourceNotFound")


def test_route_table_put_and_delete(sandbox, clients, arm):
    sandbox.control.load_fixtures(_estate())
    sandbox.control.set_strict(True)
    poller = clients.network.route_tables.begin_create_or_update("rg-net", "rt-new", RouteTable(
        location="westeurope", routes=[Route(name="r1", address_prefix="0.0.0.0/0", next_hop_type="Internet")]))
    table = poller.result()
    assert table.provisioning_state == "Succeeded" and table.routes[0].next_hop_type == "Internet"
    puts = [e for e in sandbox.control.requests(kind="arm") if e["method"] == "PUT"]
    assert puts[0]["status"] == 201
    assert sandbox.control.strict_stats()["validated"] >= 1
    # VirtualAppliance without a next hop address is refused; a bad enum value too.
    for route, fragment in (({"addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance"}, "nextHopIpAddress"),
                            ({"addressPrefix": "0.0.0.0/0", "nextHopType": "Firewall"}, "Firewall")):
        status, _unused, body = arm.send("PUT", f"{NET}/routeTables/rt-new", {
            "location": "westeurope", "properties": {"routes": [{"name": "bad", "properties": route}]}},
            api_version=NETWORK_API)
        assert status == 400 and fragment in body["error"]["message"], body
    # If-Match on the route table, then delete (202 + LRO); a table still used by a subnet cannot be deleted.
    status, _unused, body = arm.send("PUT", f"{NET}/routeTables/rt-new", {"location": "westeurope"},
                                     headers={"If-Match": 'W/"stale"'}, api_version=NETWORK_API)
    assert (status, body["error"]["code"]) == (412, "PreconditionFailed")
    clients.network.route_tables.begin_delete("rg-net", "rt-new").result()
    assert {t.name for t in clients.network.route_tables.list("rg-net")} == {"rt-firewall", "rt-unused"}
    with pytest.raises(HttpResponseError) as info:
        clients.network.route_tables.begin_delete("rg-net", "rt-firewall").result()
    assert info.value.error.code == "InUseRouteTableCannotBeDeleted"


def test_subnets_nat_gateways_and_public_ips(sandbox, clients, arm):
    sandbox.control.load_fixtures(_estate())
    net = clients.network
    subnets = {s.name: s for s in net.virtual_networks.get("rg-net", "vnet-hub").subnets}
    assert subnets["snet-fw"].route_table.id == f"{NET}/routeTables/rt-firewall"
    assert subnets["snet-fw"].network_security_group.id == f"{NET}/networkSecurityGroups/nsg-subnet"
    assert subnets["snet-nat"].nat_gateway.id == f"{NET}/natGateways/ng-egress"
    assert subnets["snet-nat"].default_outbound_access is False
    assert subnets["snet-private"].default_outbound_access is False and subnets["snet-private"].nat_gateway is None
    assert subnets["snet-legacy"].default_outbound_access is None
    # defaultOutboundAccess is absent from the wire when the fixture does not set it, in the list and in a GET.
    _unused, _unused, legacy = arm.send("GET", f"{NET}/virtualNetworks/vnet-hub/subnets/snet-legacy",
                                        api_version="2025-07-01")
    assert "defaultOutboundAccess" not in legacy["properties"] and "routeTable" not in legacy["properties"]
    _unused, _unused, listed = arm.send("GET", f"/subscriptions/{SUB}/providers/Microsoft.Network/virtualNetworks",
                                        api_version=NETWORK_API)
    wire = {s["name"]: s["properties"] for s in listed["value"][0]["properties"]["subnets"]}
    assert wire["snet-private"]["defaultOutboundAccess"] is False and "defaultOutboundAccess" not in wire["snet-fw"]
    assert net.subnets.get("rg-net", "vnet-hub", "snet-nat").nat_gateway.id.endswith("/natGateways/ng-egress")

    gateway = net.nat_gateways.get("rg-net", "ng-egress")
    assert gateway.sku.name == "Standard" and gateway.location == "westeurope"
    assert [p.id for p in gateway.public_ip_addresses] == [f"{NET}/publicIPAddresses/pip-nat"]
    assert [s.id for s in gateway.subnets] == [f"{NET}/virtualNetworks/vnet-hub/subnets/snet-nat"]
    assert [g.name for g in net.nat_gateways.list("rg-net")] == ["ng-egress"]
    assert [g.name for g in net.nat_gateways.list_all()] == ["ng-egress"]
    assert list(net.nat_gateways.list("rg-app")) == []

    pips = {p.name: p for p in net.public_ip_addresses.list_all()}
    assert {n: p.ip_address for n, p in pips.items()} == {
        "pip-nat": "203.0.113.50", "pip-lb": "203.0.113.60", "pip-vm": "203.0.113.70"}
    assert pips["pip-nat"].nat_gateway.id == f"{NET}/natGateways/ng-egress"
    assert pips["pip-vm"].ip_configuration.id.endswith("/networkInterfaces/nic-a/ipConfigurations/ipconfig1")
    assert [p.name for p in net.public_ip_addresses.list("rg-app")] == ["pip-vm"]


def test_load_balancer_outbound_rules(sandbox, clients):
    sandbox.control.load_fixtures(_estate())
    lb = clients.network.load_balancers.get("rg-net", "lb-out")
    rule = lb.outbound_rules[0]
    assert rule.name == "out-all" and rule.protocol == "All"
    assert rule.backend_address_pool.id == f"{NET}/loadBalancers/lb-out/backendAddressPools/be"
    assert [f.id for f in rule.frontend_ip_configurations] == [f"{NET}/loadBalancers/lb-out/frontendIPConfigurations/fe"]
    assert lb.backend_address_pools[0].outbound_rule.id == rule.id
    assert lb.backend_address_pools[0].backend_ip_configurations[0].id.endswith("/nic-b/ipConfigurations/ipconfig1")
    assert [b.name for b in clients.network.load_balancers.list_all()] == ["lb-out"]
    assert [b.name for b in clients.network.load_balancers.list("rg-net")] == ["lb-out"]


def test_vm_lists_expand_instance_view(sandbox, clients, arm):
    sandbox.control.load_fixtures(_estate())
    compute = clients.compute
    per_group = {vm.name: vm for vm in compute.virtual_machines.list("rg-app", expand="instanceView")}
    assert per_group["vm-b"].instance_view.statuses[-1].code == "PowerState/stopped"
    listed = {vm.name: vm for vm in compute.virtual_machines.list_all(expand="instanceView")}
    assert listed["vm-a"].instance_view.vm_agent.statuses[0].display_status == "Ready"
    assert all(vm.instance_view is None for vm in compute.virtual_machines.list("rg-app"))
    # The same view as GET ?$expand=instanceView.
    _unused, _unused, one = arm.send("GET", f"/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/"
                                     "virtualMachines/vm-a?$expand=instanceView", api_version=COMPUTE_API)
    _unused, _unused, page = arm.send("GET", f"/subscriptions/{SUB}/providers/Microsoft.Compute/virtualMachines"
                                      "?$expand=instanceView", api_version=COMPUTE_API)
    assert [v for v in page["value"] if v["name"] == "vm-a"][0] == one


def test_three_subscriptions_one_service_principal(sandbox):
    subs = ["a1a1a1a1-0000-0000-0000-000000000001", "a1a1a1a1-0000-0000-0000-000000000002",
            "a1a1a1a1-0000-0000-0000-000000000003"]
    fixture = {"subscriptions": [{"subscription_id": s, "display_name": f"estate {i}"} for i, s in enumerate(subs)],
               "service_principals": [{"client_id": "bbbbbbbb-0000-0000-0000-000000000001", "client_secret": "s3cr3t",
                                       "subscriptions": subs}]}
    for i, sub in enumerate(subs):
        net_id = f"/subscriptions/{sub}/resourceGroups/rg-net/providers/Microsoft.Network"
        fixture.setdefault("route_tables", []).append({"subscription_id": sub, "resource_group": "rg-net",
                                                       "name": f"rt-{i}", "routes": []})
        fixture.setdefault("nat_gateways", []).append({"subscription_id": sub, "resource_group": "rg-net",
                                                       "name": f"ng-{i}"})
        fixture.setdefault("virtual_networks", []).append({
            "subscription_id": sub, "resource_group": "rg-net", "name": "vnet",
            "subnets": [{"name": "s", "route_table": f"rt-{i}", "nat_gateway": f"ng-{i}"}]})
        fixture.setdefault("network_interfaces", []).append({"subscription_id": sub, "resource_group": "rg-vm",
                                                             "name": "nic", "subnet": f"{net_id}/virtualNetworks/vnet/subnets/s"})
        fixture.setdefault("virtual_machines", []).append({"subscription_id": sub, "resource_group": "rg-vm",
                                                           "name": f"vm-{i}", "nics": ["nic"]})
    sandbox.control.load_fixtures(fixture)
    from azure.identity import ClientSecretCredential

    credential = ClientSecretCredential(sandbox.tenant_id, "bbbbbbbb-0000-0000-0000-000000000001", "s3cr3t",
                                        authority=sandbox.url, disable_instance_discovery=True,
                                        connection_verify=sandbox.ca_bundle)
    options = {"base_url": sandbox.url, "credential_scopes": [sandbox.scope], "connection_verify": sandbox.ca_bundle}
    for i, sub in enumerate(subs):
        compute = ComputeManagementClient(credential, sub, **options)
        net = NetworkManagementClient(credential, sub, **options)
        assert [vm.name for vm in compute.virtual_machines.list_all(expand="instanceView")] == [f"vm-{i}"]
        assert [t.name for t in net.route_tables.list_all()] == [f"rt-{i}"]
        table = net.route_tables.get("rg-net", f"rt-{i}")
        assert [s.id for s in table.subnets] == [f"/subscriptions/{sub}/resourceGroups/rg-net/providers/"
                                                 f"Microsoft.Network/virtualNetworks/vnet/subnets/s"]
        assert [g.name for g in net.nat_gateways.list_all()] == [f"ng-{i}"]
        nic = net.network_interfaces.get("rg-vm", "nic")
        assert nic.virtual_machine.id.startswith(f"/subscriptions/{sub}/")
    # The default subscription is not among the principal's.
    with pytest.raises(HttpResponseError) as info:
        list(NetworkManagementClient(credential, SUB, **options).route_tables.list_all())
    assert info.value.status_code == 403 and info.value.error.code == "AuthorizationFailed"


def test_answers_match_the_spec_definitions(sandbox, arm):
    """Every member of the network answers is one the spec's definition has, with its JSON type and enum (the
    compact schemas in armsandbox/specschema, ANSWER_SCHEMAS)."""
    from armsandbox.compactschema import CompactValidator
    from armsandbox.fixturegen import make_fleet

    sandbox.control.load_fixtures(_estate())
    sandbox.control.load_fixtures(make_fleet(40, regions=["westeurope", "eastus"], nsgs=6, seed=2))
    validator = CompactValidator()
    base = f"/subscriptions/{SUB}/providers/Microsoft.Network"
    checked = 0
    for kind, definition in (("routeTables", "routeTable.json#/definitions/RouteTable"),
                             ("natGateways", "natGateway.json#/definitions/NatGateway"),
                             ("virtualNetworks", "virtualNetwork.json#/definitions/VirtualNetwork"),
                             ("publicIPAddresses", "publicIpAddress.json#/definitions/PublicIPAddress"),
                             ("networkInterfaces", "networkInterface.json#/definitions/NetworkInterface")):
        status, _unused, body = arm.send("GET", f"{base}/{kind}", api_version="2025-07-01")
        assert status == 200 and body["value"], kind
        for item in body["value"]:
            validator.validate(definition, item)
            _unused, _unused, one = arm.send("GET", item["id"], api_version="2025-07-01")
            validator.validate(definition, one)
            checked += 2
            for subnet in item["properties"].get("subnets", []) if kind == "virtualNetworks" else []:
                validator.validate("virtualNetwork.json#/definitions/Subnet", subnet)
                _unused, _unused, got = arm.send("GET", subnet["id"], api_version="2025-07-01")
                validator.validate("virtualNetwork.json#/definitions/Subnet", got)
                checked += 2
    assert validator.validated == checked > 50
    # The check can fail: a member the spec does not have is reported.
    with pytest.raises(Exception, match="Could not find member 'nextHop' on object of type 'RouteTablePropertiesFormat'"):
        validator.validate("routeTable.json#/definitions/RouteTable", {"properties": {"nextHop": "x"}})
