"""Strict mode: request bodies are validated against the OpenAPI specs."""

import pytest
from armsandbox import schema
from armsandbox.common import ArmError
from sandbox_testlib import NETWORK_API, VAULT_API, nsg_fixture, rg_fixture, rule_body

SUB = "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups"
NSG = f"{SUB}/rg1/providers/Microsoft.Network/networkSecurityGroups/nsg1"

pytestmark = pytest.mark.skipif(schema.find_specs_dir() is None, reason="azure-specs directory not found")


def test_strict_rejects_wrong_type_and_unknown_property(sandbox, arm):
    sandbox.control.load_fixtures(nsg_fixture())
    sandbox.control.set_strict(True)
    status, _unused, body = arm.send("PUT", f"{NSG}/securityRules/r1", rule_body(priority="high"), api_version=NETWORK_API)
    assert (status, body["error"]["code"]) == (400, "InvalidRequestContent")
    assert "Path 'properties.priority'" in body["error"]["message"]
    status, _unused, body = arm.send("PUT", f"{NSG}/securityRules/r1", rule_body(colour="blue"), api_version=NETWORK_API)
    assert status == 400
    assert "Could not find member 'colour'" in body["error"]["message"]
    assert "Path 'properties.colour'" in body["error"]["message"]
    status, _unused, body = arm.send("PUT", f"{NSG}/securityRules/r1", rule_body(access="Maybe"), api_version=NETWORK_API)
    assert status == 400 and "SecurityRuleAccess" in body["error"]["message"]
    status, _unused, _unused = arm.send("PUT", f"{NSG}/securityRules/r1", rule_body(), api_version=NETWORK_API)
    assert status == 201


def test_strict_vault_bodies(sandbox, arm):
    sandbox.control.load_fixtures(rg_fixture("rg1"))
    sandbox.control.set_strict(True)
    vault = f"{SUB}/rg1/providers/Microsoft.RecoveryServices/vaults/rsv1"
    status, _unused, body = arm.send("PUT", vault, {"sku": {"name": "Standard"}}, api_version=VAULT_API)
    assert status == 400 and "Required property 'location'" in body["error"]["message"]
    bad = {"location": "westeurope", "sku": {"name": "Standard"},
           "properties": {"securitySettings": {"softDeleteSettings": {"softDeleteRetentionPeriodInDays": "14"}}}}
    status, _unused, body = arm.send("PUT", vault, bad, api_version=VAULT_API)
    assert status == 400 and "softDeleteRetentionPeriodInDays" in body["error"]["message"]
    good = {"location": "westeurope", "sku": {"name": "Standard"}, "properties": {"publicNetworkAccess": "Disabled"}}
    assert arm.send("PUT", vault, good, api_version=VAULT_API)[0] == 201
    sandbox.control.set_strict(False)
    loose = {"location": "westeurope", "sku": {"name": "Standard"}, "unknownThing": 1}
    assert arm.send("PUT", vault.replace("rsv1", "rsv2"), loose, api_version=VAULT_API)[0] == 201


def test_without_specs_nothing_is_validated(capsys):
    validator = schema.SpecValidator()
    validator.specs_dir = None
    validator.validate("networkSecurityGroup.json#/definitions/SecurityRule", {"properties": {"priority": "x"}})
    assert "no specs directory" in capsys.readouterr().err
    validator = schema.SpecValidator()
    with pytest.raises(ArmError):
        validator.validate("networkSecurityGroup.json#/definitions/SecurityRule", {"properties": {"priority": "x"}})


def test_strict_accepts_a_number_for_a_string_and_stores_it_as_a_string(sandbox, arm):
    sandbox.control.load_fixtures(nsg_fixture())
    sandbox.control.set_strict(True)
    body = rule_body(destinationPortRange=80, sourcePortRange="*", description=42)
    status, _unused, created = arm.send("PUT", f"{NSG}/securityRules/r1", body, api_version=NETWORK_API)
    assert status == 201, created
    assert created["properties"]["destinationPortRange"] == "80"
    assert created["properties"]["description"] == "42"
    inline = {"location": "westeurope", "properties": {"securityRules": [
        {"name": "web", **rule_body(300, "Inbound", destinationPortRange=None, destinationPortRanges=[80, 443])}]}}
    other = NSG.replace("nsg1", "nsg2")
    status, _unused, nsg = arm.send("PUT", other, inline, api_version=NETWORK_API)
    assert status == 201, nsg
    rule = arm.send("GET", f"{other}/securityRules/web", api_version=NETWORK_API)[2]
    assert rule["properties"]["destinationPortRanges"] == ["80", "443"]
    # Numbers are still not booleans or objects.
    status, _unused, body = arm.send("PUT", f"{NSG}/securityRules/r2", rule_body(301, destinationPortRange=True),
                                     api_version=NETWORK_API)
    assert (status, body["error"]["code"]) == (400, "InvalidRequestContent")
