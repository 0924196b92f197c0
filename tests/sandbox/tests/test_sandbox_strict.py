"""Strict mode: request bodies are validated against the compact schemas taken from the OpenAPI specs.

Nothing here needs the specs directory: the schemas are carried in armsandbox/specschema/.
"""

import pytest
from armsandbox import schema
from armsandbox.compactschema import strict_problem
from armsandbox.common import ArmError
from sandbox_testlib import NETWORK_API, VAULT_API, nsg_fixture, rg_fixture, rule_body

SUB = "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups"
NSG = f"{SUB}/rg1/providers/Microsoft.Network/networkSecurityGroups/nsg1"

RULE = "networkSecurityGroup.json#/definitions/SecurityRule"


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


def test_strict_accepts_a_number_for_a_string(sandbox, arm):
    """ARM's JSON reader turns a number into a string (destinationPortRange: 80); booleans stay wrong."""
    sandbox.control.load_fixtures(nsg_fixture())
    sandbox.control.set_strict(True)
    status, _unused, body = arm.send("PUT", f"{NSG}/securityRules/r1", rule_body(destinationPortRange=80),
                                     api_version=NETWORK_API)
    assert status == 201, body
    status, _unused, body = arm.send("PUT", f"{NSG}/securityRules/r2", rule_body(301, destinationPortRange=True),
                                     api_version=NETWORK_API)
    assert (status, body["error"]["code"]) == (400, "InvalidRequestContent")
    assert "System.String" in body["error"]["message"]


def test_strict_counts_every_body_and_unchecked_ones_show(sandbox, arm):
    """GET /_sandbox/strict: bodies seen vs validated/rejected, which the integration suite's guard reads."""
    sandbox.control.load_fixtures(nsg_fixture())
    sandbox.control.set_faults(lro_polls=0)  # each rule write is done at once, so the next one is not a 409
    before = sandbox.control.strict_stats()
    sandbox.control.set_strict(True)
    assert arm.send("PUT", f"{NSG}/securityRules/r1", rule_body(), api_version=NETWORK_API)[0] == 201
    assert arm.send("PUT", f"{NSG}/securityRules/r2", rule_body(301, colour="x"), api_version=NETWORK_API)[0] == 400
    after = sandbox.control.strict_stats()
    assert after["enabled"] is True
    assert (after["bodies"] - before["bodies"], after["validated"] - before["validated"],
            after["rejected"] - before["rejected"]) == (2, 1, 1)
    sandbox.control.set_strict(False)
    assert arm.send("PUT", f"{NSG}/securityRules/r3", rule_body(302), api_version=NETWORK_API)[0] == 201
    loose = sandbox.control.strict_stats()
    assert loose["bodies"] - after["bodies"] == 1
    assert loose["validated"] + loose["rejected"] == after["validated"] + after["rejected"]
    delta = {key: loose[key] - before[key] for key in ("bodies", "validated", "rejected")}
    assert "did not run on 1 of 3" in strict_problem(delta)  # what fails the integration suite


def test_guard_fails_when_validation_is_disabled(monkeypatch):
    """The integration suite's guard (strict_problem) catches a validator that validates nothing."""
    validator = schema.SpecValidator()
    validator.check(RULE, rule_body(), strict=True)
    assert strict_problem(validator.stats()) is None
    monkeypatch.setattr(validator, "validate", lambda schema_ref, body: None)  # validation disabled
    validator.check(RULE, rule_body(colour="blue"), strict=True)
    assert "did not run on 1 of 2" in strict_problem(validator.stats())
    assert "passed none" in strict_problem({"bodies": 2, "validated": 0, "rejected": 2})
    assert strict_problem({"bodies": 0, "validated": 0, "rejected": 0}) is None


def test_validation_needs_no_specs_directory(monkeypatch):
    monkeypatch.setenv("AZBACKUP_SPECS_DIR", "/nonexistent")
    assert schema.find_specs_dir() is None
    validator = schema.SpecValidator()
    with pytest.raises(ArmError) as err:
        validator.validate(RULE, {"properties": {"priority": "x"}})
    assert "Path 'properties.priority'" in err.value.message
    validator.validate(RULE, rule_body())
    assert validator.stats()["validated"] == 1 and validator.stats()["rejected"] == 1


@pytest.mark.parametrize(("body", "fragment"), [
    (rule_body(colour="blue"), "Could not find member 'colour' on object of type 'SecurityRulePropertiesFormat'"),
    (rule_body(priority="high"), "to type 'System.Int32'. Path 'properties.priority'"),
    (rule_body(direction="Sideways"), "to type 'SecurityRuleDirection'. Allowed values: Inbound, Outbound"),
    (rule_body(direction=None), "Required property 'direction' not found in JSON. Path 'properties'"),
    (rule_body(provisioningState="Bogus"), "to type 'ProvisioningState'"),
    (rule_body(sourceAddressPrefixes="10.0.0.0/8"), "to type 'List'. Path 'properties.sourceAddressPrefixes'"),
    ({**rule_body(), "etag": {"a": 1}}, "to type 'System.String'. Path 'etag'"),
    ([], "Error converting value [] to type 'SecurityRule'. Path '(root)'"),
], ids=["unknown", "type", "enum", "required", "read-only-enum", "array", "read-only-type", "root"])
def test_known_bad_rule_bodies_are_rejected(body, fragment):
    """Unknown members, wrong types, enums, missing required members, and read-only members of a wrong type
    (read-only members are accepted, as ARM ignores them, but their type is checked)."""
    with pytest.raises(ArmError) as err:
        schema.SpecValidator().validate(RULE, body)
    assert (err.value.status, err.value.code) == (400, "InvalidRequestContent")
    assert fragment in err.value.message


def test_read_only_members_are_never_required():
    """provisioningState, etag and the NSG's defaultSecurityRules are read-only: absent is fine, as in Azure."""
    validator = schema.SpecValidator()
    validator.validate(RULE, rule_body())
    validator.validate("networkSecurityGroup.json#/definitions/NetworkSecurityGroup", {"location": "westeurope"})
    validator.validate("openapi.json#/definitions/PatchVault", {"tags": {"a": "b"}})


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


def test_strict_backup_bodies_by_subtype(sandbox, arm):
    """Azure Backup bodies are polymorphic: each is checked against the subtype its discriminator names."""
    import copy

    from test_sandbox_backup import V1, V2, _item, _protect, _refresh, _vm, _wait

    vault = f"{SUB}/rg1/providers/Microsoft.RecoveryServices/vaults/rsv1"
    sandbox.control.load_fixtures(rg_fixture("rg1", "rg-app"))
    sandbox.control.load_fixtures({"vaults": [{"resource_group": "rg1", "name": "rsv1"}]})
    sandbox.control.load_fixtures({"virtual_machines": [{"resource_group": "rg-app", "name": "vm1"}]})
    sandbox.control.set_strict(True)
    before = sandbox.control.strict_stats()
    # Policy PUT: AzureIaaSVMProtectionPolicy, SimpleSchedulePolicy(V2), LongTermRetentionPolicy.
    assert arm.send("PUT", f"{vault}/backupPolicies/p1", V1(), api_version=VAULT_API)[0] == 200
    assert arm.send("PUT", f"{vault}/backupPolicies/v2", V2(), api_version=VAULT_API)[0] == 200
    bad = copy.deepcopy(V1())
    bad["properties"]["instantRpRetentionRangeInDays"] = "two"
    status, _unused, body = arm.send("PUT", f"{vault}/backupPolicies/bad", bad, api_version=VAULT_API)
    assert status == 400 and "Path 'properties.instantRpRetentionRangeInDays'" in body["error"]["message"]
    bad = copy.deepcopy(V1())
    bad["properties"]["schedulePolicy"]["dailySchedule"] = {"scheduleRunTimes": []}  # a V2 member, V1 schedule
    status, _unused, body = arm.send("PUT", f"{vault}/backupPolicies/bad", bad, api_version=VAULT_API)
    assert status == 400 and "Could not find member 'dailySchedule'" in body["error"]["message"]
    assert "SimpleSchedulePolicy" in body["error"]["message"]
    bad = copy.deepcopy(V1())
    bad["properties"]["retentionPolicy"]["dailySchedule"]["retentionDuration"]["count"] = "30"
    status, _unused, body = arm.send("PUT", f"{vault}/backupPolicies/bad", bad, api_version=VAULT_API)
    assert status == 400 and "retentionDuration.count" in body["error"]["message"]
    # Protected item PUT: AzureIaaSComputeVMProtectedItem.
    _refresh(arm)
    status, _unused, body = _protect(arm, extra={"colour": "blue"})
    assert status == 400 and "Could not find member 'colour'" in body["error"]["message"]
    status, _unused, body = _protect(arm, extra={"isRehydrate": "yes"})
    assert status == 400 and "properties.isRehydrate" in body["error"]["message"]
    status, headers, body = _protect(arm)
    assert status == 202, body
    _wait(arm, headers)
    # Trigger POST: IaasVMBackupRequest.
    request = {"properties": {"objectType": "IaasVMBackupRequest", "recoveryPointExpiryTimeInUTC": True}}
    status, _unused, body = arm.send("POST", _item() + "/backup", request, api_version=VAULT_API)
    assert status == 400 and "recoveryPointExpiryTimeInUTC" in body["error"]["message"]
    request = {"properties": {"objectType": "IaasVMBackupRequest", "retainUntil": "2030-01-01T00:00:00Z"}}
    status, _unused, body = arm.send("POST", _item() + "/backup", request, api_version=VAULT_API)
    assert status == 400 and "Could not find member 'retainUntil'" in body["error"]["message"]
    request = {"properties": {"objectType": "IaasVMBackupRequest", "recoveryPointExpiryTimeInUTC": "2030-01-01T00:00:00Z"}}
    assert arm.send("POST", _item() + "/backup", request, api_version=VAULT_API)[0] == 202
    # backupStatus POST: BackupStatusRequest.
    status_url = "/subscriptions/33333333-3333-3333-3333-333333333333/providers/Microsoft.RecoveryServices/locations/" \
                 "westeurope/backupStatus"
    status, _unused, body = arm.send("POST", status_url, {"resourceType": "VM", "resourceId": _vm(), "vmSize": "x"},
                                     api_version=VAULT_API)
    assert status == 400 and "Could not find member 'vmSize'" in body["error"]["message"]
    assert arm.send("POST", status_url, {"resourceType": "VM", "resourceId": _vm()}, api_version=VAULT_API)[0] == 200
    after = sandbox.control.strict_stats()
    assert after["validated"] - before["validated"] == 5
    assert after["rejected"] - before["rejected"] == 8
    assert strict_problem({k: after[k] - before[k] for k in ("bodies", "validated", "rejected")}) is None
