"""ARM-wide behaviour: errors for types that are not served, the generic resource list."""

import urllib.parse

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


def _filter(text):
    return "?$filter=" + urllib.parse.quote(text)


def test_generic_resource_list_of_a_group(sandbox, arm):
    sandbox.control.load_fixtures(nsg_fixture())
    sandbox.control.load_fixtures({
        "vaults": [{"resource_group": "rg1", "name": "rsv1", "tags": {"env": "test"}}],
        "application_security_groups": [{"resource_group": "rg1", "name": "asg1"}],
        "network_security_groups": [{"resource_group": "rg2", "name": "elsewhere"}],
    })
    status, _unused, body = arm.send("GET", f"{RG}/resources", api_version="2021-04-01")
    assert status == 200, body
    got = {(r["type"], r["name"]) for r in body["value"]}
    assert got == {("Microsoft.Network/networkSecurityGroups", "nsg1"), ("Microsoft.RecoveryServices/vaults", "rsv1"),
                   ("Microsoft.Network/applicationSecurityGroups", "asg1")}
    vault = next(r for r in body["value"] if r["name"] == "rsv1")
    assert vault["id"].endswith("/providers/Microsoft.RecoveryServices/vaults/rsv1")
    assert vault["location"] == "westeurope" and vault["tags"] == {"env": "test"}
    assert "properties" not in vault
    only = arm.send("GET", f"{RG}/resources" + _filter("resourceType eq 'microsoft.network/networksecuritygroups'"),
                    api_version="2021-04-01")[2]["value"]
    assert [r["name"] for r in only] == ["nsg1"]
    tagged = arm.send("GET", f"{RG}/resources" + _filter("tagName eq 'env' and tagValue eq 'test'"),
                      api_version="2021-04-01")[2]["value"]
    assert [r["name"] for r in tagged] == ["rsv1"]
    everywhere = arm.send("GET", f"{SUB}/resources", api_version="2021-04-01")[2]["value"]
    assert len(everywhere) == 4
    status, _unused, body = arm.send("GET", f"{RG}/resources?$filter=bogus", api_version="2021-04-01")
    assert (status, body["error"]["code"]) == (400, "InvalidFilterInQueryString")
    status, _unused, body = arm.send("GET", f"{SUB}/resourceGroups/nope/resources", api_version="2021-04-01")
    assert (status, body["error"]["code"]) == (404, "ResourceGroupNotFound")
