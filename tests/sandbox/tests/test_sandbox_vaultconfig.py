"""Azure Backup's vault configuration (vaults/{vault}/backupconfig/vaultconfig) over the vault's soft delete."""

from sandbox_testlib import VAULT_API, rg_fixture

VAULT = ("/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg1/providers/"
         "Microsoft.RecoveryServices/vaults/rsv1")
CONFIG = f"{VAULT}/backupconfig/vaultconfig"
BACKUP_API = "2024-04-01"  # azure-mgmt-recoveryservicesbackup 9.x


def test_vault_config_reads_and_changes_soft_delete(sandbox, arm):
    sandbox.control.load_fixtures(rg_fixture("rg1"))
    sandbox.control.load_fixtures({"vaults": [{"resource_group": "rg1", "name": "rsv1"}]})
    status, _unused, config = arm.send("GET", CONFIG, api_version=BACKUP_API)
    assert status == 200, config
    assert config["id"] == CONFIG and config["name"] == "vaultconfig"
    assert config["type"] == "Microsoft.RecoveryServices/vaults/backupconfig"
    props = config["properties"]
    assert (props["softDeleteFeatureState"], props["enhancedSecurityState"],
            props["softDeleteRetentionPeriodInDays"]) == ("Enabled", "Enabled", 14)
    change = {"properties": {**props, "softDeleteFeatureState": "AlwaysON", "enhancedSecurityState": "AlwaysON",
                             "softDeleteRetentionPeriodInDays": 180}}
    status, _unused, config = arm.send("PATCH", CONFIG, change, api_version=BACKUP_API)
    assert status == 200, config
    assert config["properties"]["softDeleteFeatureState"] == "AlwaysON"
    assert config["properties"]["softDeleteRetentionPeriodInDays"] == 180
    soft = arm.send("GET", VAULT, api_version=VAULT_API)[2]["properties"]["securitySettings"]["softDeleteSettings"]
    assert soft == {"softDeleteState": "AlwaysON", "softDeleteRetentionPeriodInDays": 180,
                    "enhancedSecurityState": "AlwaysON"}
    back = {"properties": {"softDeleteFeatureState": "Disabled"}}
    status, _unused, body = arm.send("PATCH", CONFIG, back, api_version=BACKUP_API)
    assert (status, body["error"]["code"]) == (400, "UserErrorAlwaysOnSoftDeleteCannotBeDisabled")
    status, _unused, body = arm.send("GET", CONFIG.replace("rsv1", "rsv2"), api_version=BACKUP_API)
    assert (status, body["error"]["code"]) == (404, "ResourceNotFound")
