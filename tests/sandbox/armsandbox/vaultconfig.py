"""Microsoft.RecoveryServices vaults/{vault}/backupconfig/vaultconfig (Azure Backup's vault configuration).

GET, PATCH and PUT answer the BackupResourceVaultConfigResource shape. The soft-delete and enhanced-security
settings are the vault's own securitySettings.softDeleteSettings, so the vault rules (AlwaysON is
irreversible, 14-180 days) apply, and a change shows on the vault too.
"""

from . import vaults
from .common import ArmError, Response, bad_request, etag_datetime

API_VERSIONS = vaults.API_VERSIONS

# vault config field -> vault softDeleteSettings field
_SOFT_DELETE = {
    "softDeleteFeatureState": "softDeleteState",
    "enhancedSecurityState": "enhancedSecurityState",
    "softDeleteRetentionPeriodInDays": "softDeleteRetentionPeriodInDays",
}
_READ_ONLY_OK = ("storageModelType", "storageType", "storageTypeState", "isSoftDeleteFeatureStateEditable",
                 "resourceGuardOperationRequests")


def _vault(sandbox, sub, rg, name):
    sandbox.require_group(sub, rg)
    found = sandbox.state.get(vaults.KIND, sub, rg, name)
    if found is None:
        raise vaults._not_found(rg, name)
    return found


def render(vault):
    soft = vault["properties"]["securitySettings"]["softDeleteSettings"]
    redundancy = vault["properties"]["redundancySettings"]["standardTierStorageRedundancy"]
    props = {
        "storageModelType": redundancy,
        "storageType": redundancy,
        "storageTypeState": "Locked" if vault.get("_protectedItems") else "Unlocked",
        "enhancedSecurityState": soft["enhancedSecurityState"],
        "softDeleteFeatureState": soft["softDeleteState"],
        "softDeleteRetentionPeriodInDays": soft["softDeleteRetentionPeriodInDays"],
        "isSoftDeleteFeatureStateEditable": soft["softDeleteState"] != "AlwaysON",
    }
    return {
        "id": f"{vault['id']}/backupconfig/vaultconfig",
        "name": "vaultconfig",
        "type": "Microsoft.RecoveryServices/vaults/backupconfig",
        "eTag": vault.get("etag"),
        "properties": props,
    }


def get_config(sandbox, req, sub, rg, vault):
    return Response(200, render(_vault(sandbox, sub, rg, vault)))


def update_config(sandbox, req, sub, rg, vault):
    target = _vault(sandbox, sub, rg, vault)
    body = req.body or {}
    requested = body.get("properties") or {}
    if not isinstance(requested, dict):
        raise bad_request("BadRequest", "The vault config 'properties' must be an object.")
    soft = {}
    for key, value in requested.items():
        if key in _SOFT_DELETE:
            if value is not None:
                soft[_SOFT_DELETE[key]] = value
        elif key not in _READ_ONLY_OK:
            raise ArmError(400, "BadRequest", f"The vault config property '{key}' is not supported.")
    if soft:
        change = {"securitySettings": {"softDeleteSettings": soft}}
        target["properties"] = vaults._apply_properties(target["properties"], change, target["name"],
                                                        target.get("_protectedItems", 0))
        target["etag"] = etag_datetime()
    return Response(200, render(target))


_CONFIG = ("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.RecoveryServices/vaults/{vault}"
           "/backupconfig/vaultconfig")
ROUTES = [
    ("GET", _CONFIG, get_config, None),
    ("PATCH", _CONFIG, update_config, None),
    ("PUT", _CONFIG, update_config, None),
]
