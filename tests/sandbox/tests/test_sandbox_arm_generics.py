"""ARM-wide behaviour: errors for types that are not served, the generic resource list."""

from sandbox_testlib import NETWORK_API, VAULT_API, nsg_fixture

SUB = "/subscriptions/33333333-3333-3333-3333-333333333333"
RG = f"{SUB}/resourceGroups/rg1"


def test_unserved_nested_type_is_named_in_full(sandbox, arm):
    sandbox.control.load_fixtures(nsg_fixture())
    nsg = f"{RG}/providers/Microsoft.Network/networkSecurityGroups/nsg1"
    status, _unused, body = arm.send("GET", f"{nsg}/flowLogs/f1", api_version=NETWORK_API)
    assert (status, body["error"]["code"]) == (400, "InvalidResourceType")
    assert "'networkSecurityGroups/flowLogs'" in body["error"]["message"]
    assert "'Microsoft.Network'" in body["error"]["message"]
    vault = f"{RG}/providers/Microsoft.RecoveryServices/vaults/rsv1"
    status, _unused, body = arm.send("GET", f"{vault}/backupFabrics/Azure/protectionContainers/c1",
                                     api_version=VAULT_API)
    assert (status, body["error"]["code"]) == (400, "InvalidResourceType")
    assert "'vaults/backupFabrics/protectionContainers'" in body["error"]["message"]
    status, _unused, body = arm.send("GET", f"{RG}/providers/Microsoft.Storage/storageAccounts/sa1",
                                     api_version="2023-01-01")
    assert "'storageAccounts'" in body["error"]["message"]
