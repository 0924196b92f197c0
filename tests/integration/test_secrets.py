"""Secrets: every module runs at -vvvv with a canary secret, succeeding and failing; the canary must appear neither
on stdout/stderr nor in the sandbox's logs (whose only copy of it would be the token request body, which the sandbox
stores redacted)."""

import json
import os
import uuid

import pytest

from test_fuzz import module_names

CLIENT = "66666666-6666-6666-6666-666666666666"
RG = {"resource_groups": [{"name": "rg-secrets", "location": "westeurope"}]}

# A valid call of each module (a change where the module makes one). The failing call after login is the same
# call in a subscription that does not exist.
CALLS = {
    "backup_policy": {"vault_name": "rsv-backup-secrets", "vault_resource_group": "rg-secrets", "name": "pol-secrets",
                      "state": "absent"},
    "backup_policy_info": {"vault_name": "rsv-backup-secrets", "vault_resource_group": "rg-secrets"},
    "service_tags_info": {"location": "westeurope"},
    "recovery_vault": {"name": "rsv-secrets", "resource_group": "rg-secrets", "location": "westeurope"},
    "recovery_vault_info": {"resource_group": "rg-secrets"},
    "backup_readiness_info": {"resource_group": "rg-secrets"},
    "vm_info": {"resource_groups": ["rg-secrets"]},
    "nsg_rule": {"resource_group": "rg-secrets", "security_group": "nsg-secrets", "name": "AllowBackup",
                 "direction": "Outbound", "access": "Allow", "protocol": "Tcp", "priority": 300,
                 "source_address_prefixes": ["*"], "destination_address_prefixes": ["AzureBackup"], "destination_port_ranges": ["443"]},
    "nsg_rules": {"resource_group": "rg-secrets", "security_group": "nsg-secrets",
                  "rules": [{"name": "AllowAad", "direction": "Outbound", "access": "Allow", "protocol": "Tcp",
                             "priority": 301, "source_address_prefixes": ["*"],
                             "destination_address_prefixes": ["AzureActiveDirectory"],
                             "destination_port_ranges": ["443"]}]},
    "nsg_rule_info": {"resource_group": "rg-secrets", "security_group": "nsg-secrets"},
    "backup_now": {"vault_name": "rsv-jobs-secrets", "vault_resource_group": "rg-secrets",
                   "vms": [{"name": "vm-secrets", "resource_group": "rg-secrets"}]},
    "backup_job_info": {"vault_name": "rsv-jobs-secrets", "vault_resource_group": "rg-secrets"},
    "vm_protection": {"vault_name": "rsv-secrets", "vault_resource_group": "rg-secrets", "state": "absent",
                      "vms": [{"name": "vm-secrets", "resource_group": "rg-secrets"}]},
    "vm_protection_info": {"vault_name": "rsv-secrets", "vault_resource_group": "rg-secrets"},
}
# Modules that need more than the resource group: fixtures loaded before their runs.
JOBS_FIXTURES = {"virtual_machines": [{"resource_group": "rg-secrets", "name": "vm-secrets"}],
                 "backup": [{"resource_group": "rg-secrets", "vault": "rsv-jobs-secrets", "protected_items": [
                     {"name": "VM;iaasvmcontainerv2;rg-secrets;vm-secrets", "properties": {
                         "protectedItemType": "Microsoft.Compute/virtualMachines", "protectionState": "Protected",
                         "containerName": "iaasvmcontainerv2;rg-secrets;vm-secrets", "friendlyName": "vm-secrets",
                         "lastRecoveryPoint": "2026-11-01T01:00:00Z",
                         "sourceResourceId": "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/"
                                             "rg-secrets/providers/Microsoft.Compute/virtualMachines/vm-secrets"}}]}]}
FIXTURES = {"backup_now": JOBS_FIXTURES, "backup_job_info": JOBS_FIXTURES}
UNKNOWN_SUBSCRIPTION = "99999999-9999-9999-9999-999999999999"
NSG = {"network_security_groups": [{"resource_group": "rg-secrets", "name": "nsg-secrets", "location": "westeurope",
                                    "security_rules": []}]}
# The vault the backup modules work in.
BACKUP_VAULT = {"vaults": [{"resource_group": "rg-secrets", "name": "rsv-backup-secrets", "location": "westeurope"},
                           {"resource_group": "rg-secrets", "name": "rsv-secrets", "location": "westeurope"}]}


@pytest.mark.parametrize("name", module_names())
def test_canary_secret_appears_nowhere(name, run, sandbox):
    assert name in CALLS, "add %s to CALLS so that its secret handling is tested" % name
    canary = "CANARY-%s-%s" % (name, uuid.uuid4().hex)
    sandbox.control.load_fixtures(RG)
    sandbox.control.load_fixtures(NSG)
    sandbox.control.load_fixtures(BACKUP_VAULT)
    if name in FIXTURES:
        sandbox.control.load_fixtures(FIXTURES[name])
    sandbox.control.load_fixtures({"service_principals": [
        {"tenant_id": sandbox.tenant_id, "client_id": CLIENT, "client_secret": canary,
         "subscriptions": [sandbox.subscription_id]}]})
    ok = CALLS[name]
    bad = dict(ok, subscription_id=UNKNOWN_SUBSCRIPTION)
    env_secret = run.env(AZURE_CLIENT_ID=CLIENT, AZURE_SECRET=canary)
    env_plain = run.env(AZURE_CLIENT_ID=None, AZURE_SECRET=None)
    module = "azbackup.vmprep." + name
    runs = [
        ([{"name": "ok", module: ok}], env_secret, False),
        ([{"name": "fails after login", module: bad, "ignore_errors": True}], env_secret, True),
        ([{"name": "wrong secret", module: ok, "ignore_errors": True}], run.env(AZURE_CLIENT_ID=CLIENT,
                                                                                AZURE_SECRET=canary + "-wrong"), True),
        ([{"name": "secret as option", module: dict(ok, client_id=CLIENT, secret=canary)}], env_plain, False),
        ([{"name": "wrong secret as option", module: dict(ok, client_id=CLIENT, secret=canary + "x"),
           "ignore_errors": True}], env_plain, True),
    ]
    for tasks, env, expect_failure in runs:
        for callback in ("ansible.posix.json", "default"):
            _results, proc = run.playbook(tasks, verbosity=4, env=dict(env, ANSIBLE_STDOUT_CALLBACK=callback),
                                          raw=True)
            assert canary not in proc.stdout, tasks[0]["name"]
            assert canary not in proc.stderr, tasks[0]["name"]
            if callback == "ansible.posix.json":
                doc = json.loads(proc.stdout[proc.stdout.index("{"):])
                result = doc["plays"][0]["tasks"][0]["hosts"]["localhost"]
                assert bool(result.get("failed")) == expect_failure, (tasks[0]["name"], result.get("msg"))
    log = json.dumps(sandbox.control.requests())
    assert canary not in log
    server_log = os.path.join(sandbox.state_dir, "sandbox.log")
    if os.path.exists(server_log):
        with open(server_log, encoding="utf-8", errors="replace") as handle:
            assert canary not in handle.read()
    print("secrets %s: 10 runs at -vvvv, canary found nowhere" % name)
