"""Microsoft.RecoveryServices vaults: create/update/patch/delete LROs, listing and the service-side
rules of Azure Backup (redundancy lock, cross-region restore, soft delete, immutability, ...)."""

import copy
import re
import uuid

from . import references
from .common import (
    ArmError,
    Response,
    bad_request,
    deep_merge,
    etag_datetime,
    iso_now,
    normalize_location,
    not_found,
    page,
    retry_after_headers,
    strip_internal,
)

API_VERSIONS = frozenset({
    "2026-11-01", "2026-10-01", "2026-07-01", "2026-01-01", "2025-08-01", "2025-02-01", "2025-01-01", "2024-10-01",
    "2024-09-30-preview", "2024-04-01", "2024-02-01", "2024-01-01", "2023-08-01", "2023-06-01", "2023-04-01", "2023-02-01",
    "2023-01-01", "2022-10-01", "2022-09-10", "2022-08-01", "2022-04-01", "2022-03-01",
    # azure.azcollection's azure_rm_recoveryservicesvault sends 2020-02-02 (used by `make bench`).
    "2020-02-02",
})

KIND = "vaults"
TYPE = "Microsoft.RecoveryServices/vaults"
VAULT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,49}$")
REDUNDANCY = {v.lower(): v for v in ("LocallyRedundant", "GeoRedundant", "ZoneRedundant", "Invalid")}
SOFT_DELETE_STATES = {v.lower(): v for v in ("Invalid", "Enabled", "Disabled", "AlwaysON")}
IMMUTABILITY = {v.lower(): v for v in ("Disabled", "Unlocked", "Locked")}
SOFT_DELETE_MIN, SOFT_DELETE_MAX = 14, 180


def vault_id(sub, rg, name):
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.RecoveryServices/vaults/{name}"


def _not_found(rg, name):
    return not_found(TYPE, name, rg)


def _check_if_match(req, vault):
    wanted = req.headers.get("If-Match")
    if wanted is None:
        return
    if wanted.strip() == "*" and vault is not None:
        return
    if vault is None or wanted.strip() != vault["etag"]:
        raise ArmError(412, "PreconditionFailed",
                       f"The operation failed because the vault etag does not match the If-Match value {wanted}.")


def _enum(value, allowed, path):
    canonical = allowed.get(str(value).lower())
    if canonical is None:
        raise bad_request("BadRequest", f"The value '{value}' of property '{path}' is not valid. Allowed values: "
                          f"{', '.join(allowed.values())}.")
    return canonical


def _default_properties():
    return {
        "provisioningState": "Succeeded",
        "privateEndpointStateForBackup": "None",
        "privateEndpointStateForSiteRecovery": "None",
        "publicNetworkAccess": "Enabled",
        "backupStorageVersion": "V2",
        "secureScore": "None",
        "bcdrSecurityLevel": "Poor",
        "redundancySettings": {"standardTierStorageRedundancy": "GeoRedundant", "crossRegionRestore": "Disabled"},
        "securitySettings": {
            "softDeleteSettings": {
                "softDeleteState": "Enabled",
                "softDeleteRetentionPeriodInDays": 14,
                "enhancedSecurityState": "Enabled",
            },
            "immutabilitySettings": {"state": "Disabled"},
            "multiUserAuthorization": "Disabled",
        },
        "monitoringSettings": {
            "azureMonitorAlertSettings": {"alertsForAllJobFailures": "Enabled"},
            "classicAlertSettings": {"alertsForCriticalOperations": "Disabled"},
        },
    }


_READ_ONLY = ("provisioningState", "privateEndpointConnections", "privateEndpointStateForBackup",
              "privateEndpointStateForSiteRecovery", "moveState", "backupStorageVersion", "secureScore",
              "bcdrSecurityLevel")


def _apply_properties(current, requested, vault_name, protected_items):
    """Validate requested properties against current ones and return the merged result."""
    requested = {k: v for k, v in (requested or {}).items() if k not in _READ_ONLY}
    security = (requested.get("securitySettings") or {})
    if isinstance(security, dict) and "multiUserAuthorization" in security:
        security = {k: v for k, v in security.items() if k != "multiUserAuthorization"}
        requested["securitySettings"] = security
    merged = deep_merge(current, requested)

    if "publicNetworkAccess" in requested:
        merged["publicNetworkAccess"] = _enum(requested["publicNetworkAccess"],
                                              {"enabled": "Enabled", "disabled": "Disabled"},
                                              "properties.publicNetworkAccess")

    redundancy = merged.setdefault("redundancySettings", {})
    redundancy["standardTierStorageRedundancy"] = _enum(
        redundancy.get("standardTierStorageRedundancy", "GeoRedundant"), REDUNDANCY,
        "properties.redundancySettings.standardTierStorageRedundancy")
    redundancy["crossRegionRestore"] = _enum(redundancy.get("crossRegionRestore", "Disabled"),
                                             {"enabled": "Enabled", "disabled": "Disabled"},
                                             "properties.redundancySettings.crossRegionRestore")
    old_redundancy = (current.get("redundancySettings") or {}).get("standardTierStorageRedundancy")
    if protected_items and old_redundancy and redundancy["standardTierStorageRedundancy"] != old_redundancy:
        raise bad_request(
            "StorageModelModifyError",
            "Storage Redundancy option is locked when the first machine is registered with the vault, and cannot be "
            "modified thereafter.",
        )
    if redundancy["crossRegionRestore"] == "Enabled" and redundancy["standardTierStorageRedundancy"] != "GeoRedundant":
        raise bad_request(
            "CrossRegionRestoreNotSupported",
            f"Cross Region Restore can only be enabled for a vault with GeoRedundant storage redundancy; vault "
            f"'{vault_name}' uses {redundancy['standardTierStorageRedundancy']}.",
        )

    settings = merged.setdefault("securitySettings", {})
    soft = settings.setdefault("softDeleteSettings", {})
    old_soft = (current.get("securitySettings") or {}).get("softDeleteSettings") or {}
    soft["softDeleteState"] = _enum(soft.get("softDeleteState", "Enabled"), SOFT_DELETE_STATES,
                                    "properties.securitySettings.softDeleteSettings.softDeleteState")
    soft["enhancedSecurityState"] = _enum(soft.get("enhancedSecurityState", "Enabled"), SOFT_DELETE_STATES,
                                          "properties.securitySettings.softDeleteSettings.enhancedSecurityState")
    days = soft.get("softDeleteRetentionPeriodInDays", 14)
    if isinstance(days, bool) or not isinstance(days, int) or not SOFT_DELETE_MIN <= days <= SOFT_DELETE_MAX:
        raise bad_request(
            "UserErrorInvalidSoftDeleteRetentionPeriod",
            f"Soft delete retention period must be between {SOFT_DELETE_MIN} and {SOFT_DELETE_MAX} days. "
            f"Value provided: {days}.",
        )
    soft["softDeleteRetentionPeriodInDays"] = days
    for field in ("softDeleteState", "enhancedSecurityState"):
        if old_soft.get(field) == "AlwaysON" and soft[field] != "AlwaysON":
            raise bad_request(
                "UserErrorAlwaysOnSoftDeleteCannotBeDisabled",
                f"{field} of vault '{vault_name}' is AlwaysON, which is irreversible; it cannot be changed to "
                f"{soft[field]}.",
            )

    immutability = settings.setdefault("immutabilitySettings", {"state": "Disabled"})
    immutability["state"] = _enum(immutability.get("state", "Disabled"), IMMUTABILITY,
                                  "properties.securitySettings.immutabilitySettings.state")
    old_state = ((current.get("securitySettings") or {}).get("immutabilitySettings") or {}).get("state")
    if old_state == "Locked" and immutability["state"] != "Locked":
        raise bad_request(
            "UserErrorImmutabilityLocked",
            f"Immutability of vault '{vault_name}' is Locked, which is irreversible; it cannot be changed to "
            f"{immutability['state']}.",
        )
    duration = (immutability.get("configuration") or {}).get("durationInDays")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int)
                                 or not 30 <= duration <= 36135):
        raise bad_request("BadRequest", f"Immutability durationInDays must be between 30 and 36135. Value provided: "
                          f"{duration}.")
    return merged


def _normalize_sku(sku):
    sku = dict(sku or {"name": "Standard"})
    name = str(sku.get("name", "Standard"))
    if name.lower() in ("standard", "rs0"):
        sku["name"], sku["tier"] = "RS0", "Standard"
    else:
        raise bad_request("BadRequest", f"The SKU '{name}' is not valid. Allowed values: Standard, RS0.")
    return sku


def _identity(requested, vault_id_, tenant):
    if not requested:
        return None
    kind = str(requested.get("type", "None"))
    identity = {"type": kind}
    if "systemassigned" in kind.lower():
        identity["principalId"] = str(uuid.uuid5(uuid.NAMESPACE_URL, vault_id_.lower()))
        identity["tenantId"] = tenant
    if requested.get("userAssignedIdentities"):
        identity["userAssignedIdentities"] = {
            key: {"principalId": str(uuid.uuid5(uuid.NAMESPACE_URL, key.lower())),
                  "clientId": str(uuid.uuid5(uuid.NAMESPACE_DNS, key.lower()))}
            for key in requested["userAssignedIdentities"]
        }
    return identity


def render(vault):
    return strip_internal(vault)


def _headers(sandbox):
    return retry_after_headers(sandbox.faults.settings["lro_retry_after"])


def _op_urls(req, sub, rg, name, op):
    base = vault_id(sub, rg, name)
    return (req.url(f"{base}/operationResults/{op.id}"), req.url(f"{base}/operationStatus/{op.id}"))


def _location_conflict(name, rg, existing, wanted):
    return ArmError(
        409, "InvalidResourceLocation",
        f"The resource '{name}' already exists in location '{existing}' in resource group '{rg}'. A resource with the "
        f"same name cannot be created in location '{wanted}'. Please select a new resource name.",
    )


# ---- handlers --------------------------------------------------------------------------------------

def get_vault(sandbox, req, sub, rg, vault):
    sandbox.require_group(sub, rg)
    found = sandbox.state.get(KIND, sub, rg, vault)
    if found is None:
        raise _not_found(rg, vault)
    return Response(200, render(found))


def list_vaults(sandbox, req, sub, rg):
    sandbox.require_group(sub, rg)
    return Response(200, page(req, sandbox.state.list(KIND, sub, rg), sandbox.page_size, render))


def list_all_vaults(sandbox, req, sub):
    return Response(200, page(req, sandbox.state.list(KIND, sub), sandbox.page_size, render))


def new_vault(sandbox, sub, rg, name, body, tenant):
    location = normalize_location(body.get("location"))
    vid = vault_id(sub, rg, name)
    now = iso_now()
    vault = {
        "location": location,
        "name": name,
        "etag": etag_datetime(),
        "id": vid,
        "type": TYPE,
        "sku": _normalize_sku(body.get("sku")),
        "properties": _apply_properties(_default_properties(), body.get("properties"), name, 0),
        "systemData": {"createdBy": "sandbox", "createdByType": "Application", "createdAt": now,
                       "lastModifiedBy": "sandbox", "lastModifiedByType": "Application", "lastModifiedAt": now},
        "_protectedItems": 0,
    }
    identity = _identity(body.get("identity"), vid, tenant)
    if identity:
        vault["identity"] = identity
    if body.get("tags"):
        vault["tags"] = dict(body["tags"])
    return vault


def put_vault(sandbox, req, sub, rg, vault):
    sandbox.require_group(sub, rg)
    body = req.body or {}
    existing = sandbox.state.get(KIND, sub, rg, vault)
    _check_if_match(req, existing)
    if existing is None and not VAULT_NAME.match(vault):
        raise bad_request(
            "InvalidResourceName",
            f"The vault name '{vault}' is invalid. Vault names must be 2-50 characters long, start with a letter and "
            "contain only letters, numbers and hyphens.",
        )
    if not body.get("location"):
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    references.check_identities(sandbox, body.get("identity"), vault_id(sub, rg, vault))
    tenant = sandbox.state.subscription(sub)["tenantId"]
    if existing is not None:
        location = normalize_location(body["location"])
        if location != existing["location"]:
            raise _location_conflict(existing["name"], rg, existing["location"], location)
        props = _apply_properties(existing["properties"], body.get("properties"), existing["name"],
                                  existing["_protectedItems"])
        existing["properties"] = props
        existing["sku"] = _normalize_sku(body.get("sku"))
        if "identity" in body:
            identity = _identity(body["identity"], existing["id"], tenant)
            existing.pop("identity", None)
            if identity:
                existing["identity"] = identity
        if "tags" in body:
            existing["tags"] = dict(body["tags"] or {})
        existing["etag"] = etag_datetime()
        existing["systemData"]["lastModifiedAt"] = iso_now()
        return Response(200, render(existing))

    created = new_vault(sandbox, sub, rg, vault, body, tenant)
    created["properties"]["provisioningState"] = "Creating"
    sandbox.state.put(KIND, sub, rg, vault, created)

    def finish(op):
        created["properties"]["provisioningState"] = "Succeeded"

    op = sandbox.lro.start(on_done=finish, result=lambda: render(created), kind="vault-create", resource=created["id"])
    location_url, _unused = _op_urls(req, sub, rg, vault, op)
    return Response(201, render(created), {"Location": location_url, **_headers(sandbox)})


def patch_vault(sandbox, req, sub, rg, vault):
    sandbox.require_group(sub, rg)
    existing = sandbox.state.get(KIND, sub, rg, vault)
    if existing is None:
        raise _not_found(rg, vault)
    _check_if_match(req, existing)
    body = req.body or {}
    references.check_identities(sandbox, body.get("identity"), existing["id"])
    if body.get("location") and normalize_location(body["location"]) != existing["location"]:
        raise _location_conflict(existing["name"], rg, existing["location"], normalize_location(body["location"]))
    props = _apply_properties(existing["properties"], body.get("properties"), existing["name"],
                              existing["_protectedItems"])
    existing["properties"] = props
    if body.get("sku"):
        existing["sku"] = _normalize_sku(body["sku"])
    if "identity" in body:
        tenant = sandbox.state.subscription(sub)["tenantId"]
        identity = _identity(body["identity"], existing["id"], tenant)
        existing.pop("identity", None)
        if identity:
            existing["identity"] = identity
    if "tags" in body:
        existing["tags"] = dict(body["tags"] or {})
    existing["etag"] = etag_datetime()
    existing["systemData"]["lastModifiedAt"] = iso_now()
    existing["properties"]["provisioningState"] = "Updating"

    def finish(op):
        existing["properties"]["provisioningState"] = "Succeeded"

    op = sandbox.lro.start(on_done=finish, result=lambda: render(existing), kind="vault-patch",
                           resource=existing["id"])
    location_url, status_url = _op_urls(req, sub, rg, vault, op)
    return Response(202, None, {"Location": location_url, "Azure-AsyncOperation": status_url, **_headers(sandbox)})


def delete_vault(sandbox, req, sub, rg, vault):
    sandbox.require_group(sub, rg)
    existing = sandbox.state.get(KIND, sub, rg, vault)
    if existing is None:
        if req.headers.get("If-Match") is not None:
            _check_if_match(req, None)
        return Response(204)
    _check_if_match(req, existing)
    count = existing["_protectedItems"]
    if count:
        noun = "backup item" if count == 1 else "backup items"
        raise bad_request(
            "ServiceResourceNotEmpty",
            f"Vault '{existing['name']}' cannot be deleted because it still contains {count} {noun}. Stop protection "
            "and delete the backup data of every protected item (including soft-deleted items), then retry the "
            "delete.",
        )
    existing["properties"]["provisioningState"] = "Deleting"

    def finish(op):
        sandbox.state.delete(KIND, sub, rg, vault)

    op = sandbox.lro.start(on_done=finish, result=None, kind="vault-delete", resource=existing["id"])
    location_url, status_url = _op_urls(req, sub, rg, vault, op)
    return Response(202, None, {"Location": location_url, "Azure-AsyncOperation": status_url, **_headers(sandbox)})


def operation_result(sandbox, req, sub, rg, vault, op_id):
    op = sandbox.lro.poll(op_id)
    if op is None:
        raise ArmError(404, "OperationNotFound", f"The operation '{op_id}' could not be found.")
    if not op.done:
        return Response(202, None, {"Location": req.url(req.path), **_headers(sandbox)})
    if op.result is None:
        return Response(204)
    return Response(200, op.result())


def operation_status(sandbox, req, sub, rg, vault, op_id):
    op = sandbox.lro.poll(op_id)
    if op is None:
        raise ArmError(404, "OperationNotFound", f"The operation '{op_id}' could not be found.")
    body = {"id": req.path, "name": op.id, "status": op.status, "startTime": op.start_time}
    if op.end_time:
        body["endTime"] = op.end_time
    if op.error:
        body["error"] = op.error
    return Response(200, body, {} if op.done else _headers(sandbox))


def check_name_availability(sandbox, req, sub, rg, location):
    body = req.body or {}
    name = body.get("name", "")
    taken = sandbox.state.get(KIND, sub, rg, name) is not None
    result = {"nameAvailable": not taken}
    if taken:
        result.update(reason="AlreadyExists", message="Resource with the same name already exists in this subscription.")
    return Response(200, result)


_CHECK_NAME = (
    "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.RecoveryServices/locations/{location}"
    "/checkNameAvailability"
)
_VAULT = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.RecoveryServices/vaults/{vault}"
ROUTES = [
    ("GET", _VAULT, get_vault, None),
    ("PUT", _VAULT, put_vault, "openapi.json#/definitions/Vault"),
    ("PATCH", _VAULT, patch_vault, "openapi.json#/definitions/PatchVault"),
    ("DELETE", _VAULT, delete_vault, None),
    ("GET", "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.RecoveryServices/vaults", list_vaults, None),
    ("GET", "/subscriptions/{sub}/providers/Microsoft.RecoveryServices/vaults", list_all_vaults, None),
    ("GET", _VAULT + "/operationResults/{op_id}", operation_result, None),
    ("GET", _VAULT + "/operationStatus/{op_id}", operation_status, None),
    ("POST", _CHECK_NAME, check_name_availability, None),
]


def _load_vault(sandbox, spec, sub):
    rg = spec["resource_group"]
    body = {k: spec[k] for k in ("location", "sku", "identity", "tags") if k in spec}
    body.setdefault("location", sandbox.group_location(sub, rg))
    tenant = sandbox.state.subscription(sub)["tenantId"]
    vault = new_vault(sandbox, sub, rg, spec["name"], {**body, "properties": None}, tenant)
    if spec.get("properties"):
        # Fixture properties are taken as they are (read-only ones included), on top of the defaults.
        vault["properties"] = deep_merge(vault["properties"], copy.deepcopy(spec["properties"]))
    if "sku" in spec:
        vault["sku"] = dict(spec["sku"])
    if spec.get("identity"):
        vault["identity"] = dict(spec["identity"])
    if spec.get("etag"):
        vault["etag"] = spec["etag"]
    vault["_protectedItems"] = int(spec.get("protected_items", spec.get("_protectedItems", 0)))
    sandbox.state.put(KIND, sub, rg, spec["name"], vault)


LOADERS = (("vaults", _load_vault),)
