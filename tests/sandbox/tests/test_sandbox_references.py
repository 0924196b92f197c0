"""Application security groups, user-assigned identities, and references to them that must exist."""

from sandbox_testlib import NETWORK_API, VAULT_API, nsg_fixture, rg_fixture, rule_body

SUB = "/subscriptions/33333333-3333-3333-3333-333333333333"
RG1 = f"{SUB}/resourceGroups/rg1"
NSG = f"{RG1}/providers/Microsoft.Network/networkSecurityGroups/nsg1"
ASG = f"{RG1}/providers/Microsoft.Network/applicationSecurityGroups"
MI = f"{RG1}/providers/Microsoft.ManagedIdentity/userAssignedIdentities"
MI_API = "2023-01-31"
VAULT = f"{RG1}/providers/Microsoft.RecoveryServices/vaults/rsv1"


def _asg_rule(*asg_ids, priority=200):
    return rule_body(priority, "Inbound", sourceAddressPrefix=None, destinationAddressPrefix="*",
                     sourceApplicationSecurityGroups=[{"id": i} for i in asg_ids])


def test_application_security_group_lifecycle(sandbox, arm):
    sandbox.control.load_fixtures(rg_fixture("rg1", "rg2"))
    sandbox.control.set_faults(lro_retry_after=1, lro_max_seconds=30)  # each operation runs 1 s unless polled
    status, headers, body = arm.send("PUT", f"{ASG}/asg1", {"location": "West Europe", "tags": {"a": "b"}},
                                     api_version=NETWORK_API)
    assert status == 201 and "Azure-AsyncOperation" in headers
    assert body["type"] == "Microsoft.Network/applicationSecurityGroups"
    assert body["location"] == "westeurope" and body["tags"] == {"a": "b"}
    assert body["properties"]["resourceGuid"] and body["etag"].startswith('W/"')
    assert arm.send("GET", headers["Azure-AsyncOperation"][len(sandbox.url):])[2]["status"] == "Succeeded"
    got = arm.send("GET", f"{ASG}/ASG1", api_version=NETWORK_API)[2]
    assert got["name"] == "asg1" and got["properties"]["provisioningState"] == "Succeeded"
    status, headers, _unused = arm.send("PUT", f"{ASG}/asg1", {"location": "westeurope"}, api_version=NETWORK_API)
    assert status == 200
    # A write while the update runs is refused, as on an NSG.
    status, _unused, body = arm.send("DELETE", f"{ASG}/asg1", api_version=NETWORK_API)
    assert (status, body["error"]["code"]) == (409, "AnotherOperationInProgress")
    assert arm.send("GET", headers["Azure-AsyncOperation"][len(sandbox.url):])[2]["status"] == "Succeeded"
    other = ASG.replace("/rg1/", "/rg2/")
    assert arm.send("PUT", f"{other}/asg2", {"location": "westeurope"}, api_version=NETWORK_API)[0] == 201
    assert [a["name"] for a in arm.send("GET", ASG, api_version=NETWORK_API)[2]["value"]] == ["asg1"]
    everywhere = arm.send("GET", f"{SUB}/providers/Microsoft.Network/applicationSecurityGroups",
                          api_version=NETWORK_API)[2]["value"]
    assert sorted(a["name"] for a in everywhere) == ["asg1", "asg2"]
    status, headers, _unused = arm.send("DELETE", f"{ASG}/asg1", api_version=NETWORK_API)
    assert status == 202 and "Location" in headers
    assert arm.send("GET", headers["Location"][len(sandbox.url):])[0] == 204
    status, _unused, body = arm.send("GET", f"{ASG}/asg1", api_version=NETWORK_API)
    assert (status, body["error"]["code"]) == (404, "ResourceNotFound")
    assert arm.send("DELETE", f"{ASG}/asg1", api_version=NETWORK_API)[0] == 204


def test_rule_referencing_a_missing_asg_is_rejected(sandbox, arm):
    sandbox.control.load_fixtures(nsg_fixture())
    sandbox.control.load_fixtures(rg_fixture("rg2"))
    sandbox.control.load_fixtures({"application_security_groups": [{"resource_group": "rg2", "name": "asg2"}]})
    missing = f"{ASG}/nope"
    status, _unused, body = arm.send("PUT", f"{NSG}/securityRules/r1", _asg_rule(missing), api_version=NETWORK_API)
    assert (status, body["error"]["code"]) == (400, "InvalidResourceReference")
    assert missing in body["error"]["message"] and f"{NSG}/securityRules/r1" in body["error"]["message"]
    inline = {"location": "westeurope", "properties": {"securityRules": [{"name": "r1", **_asg_rule(missing)}]}}
    status, _unused, body = arm.send("PUT", NSG, inline, api_version=NETWORK_API)
    assert (status, body["error"]["code"]) == (400, "InvalidResourceReference")
    rules = arm.send("GET", f"{NSG}/securityRules", api_version=NETWORK_API)[2]["value"]
    assert rules == []
    # An ASG in another resource group, referenced with different casing, is fine.
    existing = ASG.replace("/rg1/", "/RG2/") + "/ASG2"
    status, _unused, body = arm.send("PUT", f"{NSG}/securityRules/r1", _asg_rule(existing), api_version=NETWORK_API)
    assert status == 201, body
    assert body["properties"]["sourceApplicationSecurityGroups"] == [{"id": existing}]


def test_user_assigned_identity_lifecycle(sandbox, arm):
    sandbox.control.load_fixtures(rg_fixture("rg1"))
    status, _unused, body = arm.send("PUT", f"{MI}/id1", {"location": "westeurope"}, api_version=MI_API)
    assert status == 201
    assert body["type"] == "Microsoft.ManagedIdentity/userAssignedIdentities"
    props = body["properties"]
    assert props["tenantId"] == sandbox.tenant_id and props["principalId"] and props["clientId"]
    again = arm.send("PUT", f"{MI}/id1", {"location": "westeurope", "tags": {"x": "y"}}, api_version=MI_API)
    assert again[0] == 200 and again[2]["properties"] == props and again[2]["tags"] == {"x": "y"}
    assert arm.send("GET", f"{MI}/ID1", api_version=MI_API)[2]["name"] == "id1"
    assert [i["name"] for i in arm.send("GET", MI, api_version=MI_API)[2]["value"]] == ["id1"]
    assert arm.send("DELETE", f"{MI}/id1", api_version=MI_API)[0] == 200
    assert arm.send("GET", f"{MI}/id1", api_version=MI_API)[0] == 404
    assert arm.send("DELETE", f"{MI}/id1", api_version=MI_API)[0] == 204


def test_vault_identity_must_reference_existing_identities(sandbox, arm):
    sandbox.control.load_fixtures(rg_fixture("rg1"))
    missing = f"{MI}/nope"
    body = {"location": "westeurope", "sku": {"name": "Standard"},
            "identity": {"type": "UserAssigned", "userAssignedIdentities": {missing: {}}}}
    status, _unused, answer = arm.send("PUT", VAULT, body, api_version=VAULT_API)
    assert (status, answer["error"]["code"]) == (400, "InvalidResourceReference")
    assert missing in answer["error"]["message"]
    assert arm.send("GET", VAULT, api_version=VAULT_API)[0] == 404

    created = arm.send("PUT", f"{MI}/id1", {"location": "westeurope"}, api_version=MI_API)[2]
    ref = created["id"].replace("/resourceGroups/", "/resourcegroups/")
    body["identity"]["userAssignedIdentities"] = {ref: {}}
    status, _unused, vault = arm.send("PUT", VAULT, body, api_version=VAULT_API)
    assert status == 201, vault
    assigned = vault["identity"]["userAssignedIdentities"][ref]
    assert assigned["principalId"] == created["properties"]["principalId"]
    assert assigned["clientId"] == created["properties"]["clientId"]
    patch = {"identity": {"type": "UserAssigned", "userAssignedIdentities": {ref: {}, missing: {}}}}
    status, _unused, answer = arm.send("PATCH", VAULT, patch, api_version=VAULT_API)
    assert (status, answer["error"]["code"]) == (400, "InvalidResourceReference")
