"""Denied scopes (fault setting `deny`): ARM's 403 AuthorizationFailed, as a principal with Reader on some
resource groups only sees it."""

import pytest
from azure.core.exceptions import HttpResponseError
from sandbox_testlib import COMPUTE_API, NETWORK_API, VAULT_API

SUB = "33333333-3333-3333-3333-333333333333"
OTHER_SUB = "55555555-5555-5555-5555-555555555555"
RG_NET = f"/subscriptions/{SUB}/resourceGroups/rg-net"
NET_LIST_ALL = f"/subscriptions/{SUB}/providers/Microsoft.Network/virtualNetworks"
VNET_READ = "Microsoft.Network/virtualNetworks/read"


def _estate(sandbox):
    vnets = [{"resource_group": rg, "name": f"vnet-{rg}", "subnets": [{"name": "s1"}]}
             for rg in ("rg-net", "rg-app", "rg-data")]
    vnets.append({"subscription_id": OTHER_SUB, "resource_group": "rg-net", "name": "vnet-other"})
    sandbox.control.load_fixtures({
        "virtual_networks": vnets,
        "network_security_groups": [{"resource_group": "rg-net", "name": "nsg-net"},
                                    {"resource_group": "rg-app", "name": "nsg-app"}],
        "virtual_machines": [{"resource_group": "rg-app", "name": "vm1"}],
        "vaults": [{"resource_group": "rg-app", "name": "rsv1", "location": "westeurope"}],
    })


def _message(sandbox, action, scope):
    return (f"The client '{sandbox.client_id}' with object id '44444444-4444-4444-4444-444444444444' does not have "
            f"authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was "
            "recently granted, please refresh your credentials.")


def test_group_scope_denies_the_subscription_wide_list_and_that_group_only(sandbox, arm):
    _estate(sandbox)
    sandbox.control.set_faults(deny=[{"scope": RG_NET, "actions": [VNET_READ]}])
    status, headers, body = arm.send("GET", NET_LIST_ALL, api_version=NETWORK_API)
    assert status == 403, body
    assert body == {"error": {"code": "AuthorizationFailed", "message": _message(sandbox, VNET_READ,
                                                                                 f"/subscriptions/{SUB}")}}
    assert "Retry-After" not in headers
    # Per-group lists: other groups are readable, the entry's group is not (any casing of the group).
    status, _unused, body = arm.send("GET", f"/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.Network/"
                                     "virtualNetworks", api_version=NETWORK_API)
    assert status == 200 and [v["name"] for v in body["value"]] == ["vnet-rg-app"]
    status, _unused, body = arm.send("GET", f"/subscriptions/{SUB}/resourceGroups/RG-NET/providers/Microsoft.Network/"
                                     "virtualNetworks", api_version=NETWORK_API)
    assert status == 403
    assert body["error"]["message"] == _message(sandbox, VNET_READ, f"/subscriptions/{SUB}/resourceGroups/RG-NET")
    # A resource under the scope (and a child of it), but not one in another group.
    vnet = f"{RG_NET}/providers/Microsoft.Network/virtualNetworks/vnet-rg-net"
    status, _unused, body = arm.send("GET", vnet, api_version=NETWORK_API)
    assert status == 403 and body["error"]["message"] == _message(sandbox, VNET_READ, vnet)
    status, _unused, body = arm.send("GET", f"{vnet}/subnets/s1", api_version=NETWORK_API)
    assert status == 200, body  # Microsoft.Network/virtualNetworks/subnets/read is another action
    assert arm.send("GET", f"/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.Network/virtualNetworks/"
                    "vnet-rg-app", api_version=NETWORK_API)[0] == 200
    # Other actions and other subscriptions are untouched.
    assert arm.send("GET", f"/subscriptions/{SUB}/providers/Microsoft.Network/networkSecurityGroups",
                    api_version=NETWORK_API)[0] == 200
    status, _unused, body = arm.send("GET", f"/subscriptions/{OTHER_SUB}/providers/Microsoft.Network/virtualNetworks",
                                     api_version=NETWORK_API)
    assert status == 200 and [v["name"] for v in body["value"]] == ["vnet-other"]
    # Denied requests are logged with their status.
    denied = [e for e in sandbox.control.requests(kind="arm") if e["status"] == 403]
    assert len(denied) == 3


def test_subscription_scope_and_action_patterns(sandbox, clients, arm):
    _estate(sandbox)
    sandbox.control.set_faults(deny=[{"scope": f"/SUBSCRIPTIONS/{SUB.upper()}",
                                      "actions": ["microsoft.network/*/read"]}])
    with pytest.raises(HttpResponseError) as info:
        list(clients.network.network_security_groups.list("rg-app"))
    assert info.value.status_code == 403 and info.value.error.code == "AuthorizationFailed"
    assert "'Microsoft.Network/networkSecurityGroups/read'" in info.value.error.message
    with pytest.raises(HttpResponseError):
        clients.network.subnets.get("rg-app", "vnet-rg-app", "s1")
    # Compute, vaults and service tags at the subscription are other namespaces.
    assert [vm.name for vm in clients.compute.virtual_machines.list_all()] == ["vm1"]
    assert [v.name for v in clients.vaults.vaults.list_by_subscription_id()] == ["rsv1"]
    # A read pattern does not deny writes.
    status, _unused, _unused = arm.send("PUT", f"{RG_NET}/providers/Microsoft.Network/networkSecurityGroups/nsg-new",
                                        {"location": "westeurope"}, api_version=NETWORK_API)
    assert status == 201
    sandbox.control.set_faults(deny=[{"scope": f"/subscriptions/{SUB}/resourceGroups/rg-app/providers/"
                                               "Microsoft.Compute/virtualMachines/vm1", "actions": ["*"]}])
    vm = f"/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm1"
    status, _unused, body = arm.send("GET", vm + "/instanceView", api_version=COMPUTE_API)
    assert status == 403
    assert body["error"]["message"] == _message(sandbox, "Microsoft.Compute/virtualMachines/instanceView/read", vm)
    # A resource inside the subscription denies the subscription-wide list of every type the actions match...
    status, _unused, body = arm.send("GET", f"/subscriptions/{SUB}/providers/Microsoft.Compute/virtualMachines",
                                     api_version=COMPUTE_API)
    assert status == 403 and "'Microsoft.Compute/virtualMachines/read'" in body["error"]["message"]
    # ... but not the list of its group, which is a scope above it, nor other groups' vaults.
    assert arm.send("GET", f"/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines",
                    api_version=COMPUTE_API)[0] == 200
    sandbox.control.set_faults(deny=[{"scope": RG_NET, "actions": ["Microsoft.Network/networkSecurityGroups/write",
                                                                   "Microsoft.Network/*/delete"]}])
    nsg = f"{RG_NET}/providers/Microsoft.Network/networkSecurityGroups/nsg-net"
    status, _unused, body = arm.send("PUT", nsg, {"location": "westeurope"}, api_version=NETWORK_API)
    assert status == 403 and "'Microsoft.Network/networkSecurityGroups/write'" in body["error"]["message"]
    status, _unused, body = arm.send("DELETE", nsg, api_version=NETWORK_API)
    assert status == 403 and "'Microsoft.Network/networkSecurityGroups/delete'" in body["error"]["message"]
    assert arm.send("GET", nsg, api_version=NETWORK_API)[0] == 200


def test_deny_applies_through_skiptoken_pages(sandbox, arm):
    sandbox.control.load_fixtures({"virtual_networks": [{"resource_group": "rg-net", "name": f"vnet-{i:02d}"}
                                                        for i in range(5)]})
    sandbox.control.set_faults(page_size=2)
    status, _unused, first = arm.send("GET", NET_LIST_ALL, api_version=NETWORK_API)
    assert status == 200 and len(first["value"]) == 2 and "$skiptoken=2" in first["nextLink"]
    sandbox.control.set_faults(deny=[{"scope": RG_NET, "actions": [VNET_READ]}])
    status, _unused, body = arm.send("GET", first["nextLink"][len(sandbox.url):])
    assert status == 403 and body["error"]["message"] == _message(sandbox, VNET_READ, f"/subscriptions/{SUB}")
    group_list = f"{RG_NET}/providers/Microsoft.Network/virtualNetworks?$skiptoken=4"
    status, _unused, body = arm.send("GET", group_list, api_version=NETWORK_API)
    assert status == 403 and body["error"]["message"] == _message(sandbox, VNET_READ, RG_NET)


def test_reset_and_clear_remove_the_denial_and_control_calls_are_never_denied(sandbox, arm):
    _estate(sandbox)
    settings = sandbox.control.set_faults(deny=[{"scope": "/", "actions": ["*"]}])
    assert settings["deny"] == [{"scope": "/", "actions": ["*"]}]
    assert arm.send("GET", NET_LIST_ALL, api_version=NETWORK_API)[0] == 403
    assert arm.send("GET", f"/subscriptions/{SUB}/resourceGroups", api_version="2024-03-01")[0] == 403
    status, _unused, body = arm.send("GET", "/subscriptions", api_version="2024-03-01")
    assert status == 403 and "over scope '/'" in body["error"]["message"]
    # Control calls and the token endpoint still answer.
    assert sandbox.control.state()["subscriptions"]
    arm._token = None
    assert arm.token()
    sandbox.control.clear_faults()
    assert arm.send("GET", NET_LIST_ALL, api_version=NETWORK_API)[0] == 200
    sandbox.control.set_faults(deny=[{"scope": RG_NET}])  # no actions: every action
    vault_list = f"/subscriptions/{SUB}/providers/Microsoft.RecoveryServices/vaults"
    assert arm.send("GET", vault_list, api_version=VAULT_API)[0] == 403
    sandbox.control.reset()
    assert sandbox.control.set_faults()["deny"] == []
    _estate(sandbox)
    assert arm.send("GET", vault_list, api_version=VAULT_API)[0] == 200


@pytest.mark.parametrize("deny", [
    {"scope": RG_NET},
    [{"actions": ["*"]}],
    [{"scope": "subscriptions/x", "actions": ["*"]}],
    [{"scope": RG_NET, "actions": "*", "colour": "red"}],
    [{"scope": RG_NET, "actions": [""]}],
])
def test_bad_deny_settings_are_refused(sandbox, arm, deny):
    status, _unused, body = arm.send("POST", "/_sandbox/faults", {"deny": deny}, auth=False)
    assert status == 400 and body["error"]["code"] == "InvalidFaultSettings" and "deny" in body["error"]["message"]
    assert sandbox.control.set_faults()["deny"] == []
