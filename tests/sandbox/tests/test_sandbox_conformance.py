"""Conformance against the x-ms-examples of the Azure REST API specs.

For every spec example whose operation the sandbox implements, the example's request is sent over
HTTPS (prerequisite state is seeded from the example itself) and the answer is compared with the
example: the status must be one of the example's response codes, every leaf of the example's
response body for that status must match (minus the exclusions below) and every response header
the example names must be present.

The examples are carried in tests/examples/ (copied verbatim from the specs by
tests/sandbox/generate_schema.py, with operations.json naming each one's operation and source), so
these tests run from a plain clone; test_sandbox_schema.py checks the copies against the specs when the
specs directory is there.
"""

import json
import os
import urllib.parse

import pytest

EXAMPLES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "examples")
with open(os.path.join(EXAMPLES_DIR, "operations.json"), encoding="utf-8") as _fh:
    OPERATIONS = json.load(_fh)

# Leaves never compared, with the reason.
EXCLUDED_KEYS = {
    "etag": "volatile: a new etag on every write",
    "principalId": "generated per vault identity",
    "tenantId": "generated per vault identity (the sandbox's tenant)",
}
EXCLUDED_PER_OPERATION = {
    # The PUT examples echo tags from an earlier update that are not in the request body.
    "Vaults_CreateOrUpdate": {"tags"},
    # Service tag data is synthetic: only the envelope is compared.
    "ServiceTags_List": {"values", "changeNumber", "nextLink"},
    # The example's errorMessage is a placeholder ("ErrorMessage") next to errorCode "Success".
    "BackupStatus_Get": {"errorMessage"},
}
# Keys holding timestamps are volatile; provisioningState is not fixed on 201/202 (LRO in progress).
TIME_KEYS = ("time", "Time", "createdAt", "lastModifiedAt")
CASE_INSENSITIVE_KEYS = {"id", "vaultId"}  # ARM ids ("Vaults" in the backupStatus example)


def _examples():
    cases = []
    for name, op in sorted(OPERATIONS.items()):
        with open(os.path.join(EXAMPLES_DIR, name), encoding="utf-8") as fh:
            example = json.load(fh)
        operation = (op["operationId"], op["method"], op["path"], op["body"])
        cases.append(pytest.param(name, example, operation, id=name))
    return cases


# operationId prefix -> fixture section of the read-only network resources (seeded verbatim from the example).
_TRACKED_NETWORK = {"NetworkInterfaces": "network_interfaces", "PublicIPAddresses": "public_ip_addresses",
                    "VirtualNetworks": "virtual_networks", "RouteTables": "route_tables",
                    "NatGateways": "nat_gateways"}


def _network_resource(sub, body):
    """Fixture entry of a network resource from an example's response body (its id names the group)."""
    parts = body["id"].split("/")
    entry = {"subscription_id": sub, "resource_group": parts[parts.index("resourceGroups") + 1],
             "name": body["name"], "location": body.get("location", "westus"), "properties": body["properties"]}
    if body.get("tags"):
        entry["tags"] = body["tags"]
    if isinstance(body.get("sku"), dict):
        entry["sku"] = body["sku"]["name"]
    return entry


def _seed(example, operation, params):
    """Fixture document with what the example's request needs to exist first."""
    sub = params.get("subscriptionId")
    fixture = {"subscriptions": [{"subscription_id": sub}]} if sub else {}
    rg = params.get("resourceGroupName")
    ok_body = (example["responses"].get("200") or {}).get("body") or {}
    if rg:
        fixture["resource_groups"] = [{"subscription_id": sub, "name": rg, "location": "westus"}]
    op_id = operation[0]
    if op_id.startswith("SecurityRules_"):
        rules = []
        if op_id in ("SecurityRules_Get", "SecurityRules_Delete"):
            rule = ok_body if ok_body.get("properties") else {"properties": {
                "protocol": "*", "sourcePortRange": "*", "destinationPortRange": "80", "sourceAddressPrefix": "*",
                "destinationAddressPrefix": "*", "access": "Allow", "priority": 130, "direction": "Inbound"}}
            rules.append({"name": params["securityRuleName"], "properties": rule["properties"]})
        fixture["network_security_groups"] = [{"subscription_id": sub, "resource_group": rg,
                                               "name": params["networkSecurityGroupName"], "location": "westus",
                                               "security_rules": rules}]
    elif op_id in ("Vaults_Get", "Vaults_Delete"):
        vault = {"subscription_id": sub, "resource_group": rg, "name": params["vaultName"], "location": "westus"}
        for key in ("location", "sku", "identity", "tags", "properties"):
            if key in ok_body:
                vault[key] = ok_body[key]
        fixture["vaults"] = [vault]
    elif op_id.split("_")[0] in _TRACKED_NETWORK:
        items = ok_body.get("value", [ok_body]) if op_id.split("_")[1].startswith("List") else [ok_body]
        fixture[_TRACKED_NETWORK[op_id.split("_")[0]]] = [_network_resource(sub, item) for item in items]
    elif op_id == "Subnets_Get":
        fixture["virtual_networks"] = [{"subscription_id": sub, "resource_group": rg,
                                        "name": params["virtualNetworkName"], "properties": {"subnets": [ok_body]}}]
    elif op_id == "VirtualMachines_InstanceView":
        fixture["virtual_machines"] = [{"subscription_id": sub, "resource_group": rg, "name": params["vmName"],
                                        "instance_view": ok_body}]
    elif op_id.startswith(_BACKUP_OPS):
        fixture["backup"] = [_backup_seed(example, op_id, params, sub, rg, ok_body)]
        if op_id == "ProtectedItems_CreateOrUpdate":
            vm = params["parameters"]["properties"]["sourceResourceId"]
            vm_rg = vm.split("/")[4]
            fixture["resource_groups"].append({"subscription_id": sub, "name": vm_rg, "location": "westus"})
            fixture["virtual_machines"] = [{"subscription_id": sub, "resource_group": vm_rg,
                                            "name": vm.split("/")[-1], "location": "westus"}]
    elif op_id == "BackupStatus_Get":
        vm = params["parameters"]["resourceId"]
        parts = ok_body["vaultId"].split("/")
        cname = ok_body["containerName"].split(";", 1)[1]
        item = {"name": f"VM;{cname}", "properties": {"containerName": cname, "sourceResourceId": vm,
                                                      "friendlyName": vm.split("/")[-1],
                                                      "protectionState": "Protected",
                                                      "policyId": f"{ok_body['vaultId']}/backupPolicies/"
                                                                  f"{ok_body['policyName']}"}}
        fixture["resource_groups"] = [{"subscription_id": sub, "name": parts[4], "location": "westus"}]
        fixture["backup"] = [{"subscription_id": sub, "resource_group": parts[4], "vault": parts[8],
                              "protected_items": [item]}]
    return fixture


_BACKUP_OPS = ("ProtectionPolicies_", "ProtectedItems_", "BackupJobs_", "ProtectionContainers_Refresh",
               "BackupProtectableItems_", "BackupProtectedItems_", "Backups_", "JobDetails_")


def _backup_seed(example, op_id, params, sub, rg, ok_body):
    """`backup` fixture entry for a Recovery Services Backup example (the vault, and what the request needs)."""
    seed = {"subscription_id": sub, "resource_group": rg, "vault": params["vaultName"]}
    if op_id == "BackupProtectableItems_List":
        seed["protectable_items"] = ok_body["value"]
    elif op_id == "BackupProtectedItems_List":
        seed["protected_items"] = ok_body["value"]
    elif op_id.startswith("BackupJobs_"):
        seed["jobs"] = ok_body["value"]
    elif op_id == "ProtectedItems_CreateOrUpdate":
        props = params["parameters"]["properties"]
        seed["discovered"] = [props["sourceResourceId"]]
        if props.get("policyId"):
            seed["policies"] = [{"id": props["policyId"], "name": props["policyId"].split("/")[-1],
                                 "properties": {"backupManagementType": "AzureIaasVM"}}]
        if props.get("protectionState") == "ProtectionStopped":
            seed["protected_items"] = [ok_body]
    elif op_id == "Backups_Trigger":
        cname = params["protectedItemName"].split(";", 1)[1]
        seed["protected_items"] = [{"name": params["protectedItemName"], "properties": {
            "containerName": cname, "friendlyName": cname.split(";")[-1], "protectionState": "Protected",
            "sourceResourceId": f"/subscriptions/{sub}/resourceGroups/{cname.split(';')[1]}/providers/"
                                f"Microsoft.Compute/virtualMachines/{cname.split(';')[-1]}"}}]
    return seed


def _leaves(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def _lookup(value, path):
    for part in path:
        if isinstance(part, int):
            if not isinstance(value, list) or part >= len(value):
                return KeyError
            value = value[part]
        else:
            if not isinstance(value, dict) or part not in value:
                return KeyError
            value = value[part]
    return value


def _excluded(path, op_id, status):
    keys = [p for p in path if isinstance(p, str)]
    if any(k in EXCLUDED_KEYS for k in keys):
        return True
    if any(k in EXCLUDED_PER_OPERATION.get(op_id, ()) for k in keys[:1]):
        return True
    if keys and any(keys[-1] == k or keys[-1].endswith(k) for k in TIME_KEYS):
        return True
    return bool(keys and keys[-1] == "provisioningState" and status in (201, 202))


@pytest.mark.parametrize(("name", "example", "operation"), _examples())
def test_example(sandbox, arm, name, example, operation):
    op_id, method, template, body_param = operation
    params = example["parameters"]
    sandbox.control.load_fixtures(_seed(example, operation, params))
    sandbox.control.set_faults(lro_retry_after=10)
    path = template
    for key, value in params.items():
        path = path.replace("{" + key + "}", urllib.parse.quote(str(value), safe=""))
    body = params.get(body_param) if body_param else None
    status, headers, answer = arm.send(method, path, body, api_version=params["api-version"])

    expected_codes = {int(code) for code in example["responses"]}
    assert status in expected_codes, f"{name}: got {status} {answer}, example allows {sorted(expected_codes)}"
    expected = example["responses"][str(status)]
    lower_headers = {k.lower() for k in headers}
    for header in expected.get("headers", {}):
        assert header.lower() in lower_headers, f"{name}: header {header} missing"
    mismatches = []
    for leaf_path, want in _leaves(expected.get("body")):
        if not leaf_path or _excluded(leaf_path, op_id, status):
            continue
        got = _lookup(answer, leaf_path)
        if leaf_path[-1] in CASE_INSENSITIVE_KEYS and isinstance(want, str) and isinstance(got, str):
            want, got = want.lower(), got.lower()
        if got != want:
            mismatches.append(f"{'.'.join(map(str, leaf_path))}: example {want!r}, sandbox {got!r}")
    assert not mismatches, f"{name}:\n" + "\n".join(mismatches)


def test_examples_are_carried():
    """The replayed examples are in the repository: nothing here depends on the specs directory."""
    names = sorted(n for n in os.listdir(EXAMPLES_DIR) if n.endswith(".json") and n != "operations.json")
    assert names == sorted(OPERATIONS)
    assert len(names) >= 8
