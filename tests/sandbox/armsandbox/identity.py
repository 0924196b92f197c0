"""Microsoft.ManagedIdentity/userAssignedIdentities: PUT, GET, PATCH tags, DELETE, lists (all synchronous).

The identity's principalId and clientId are derived from its id exactly as vaults.py derives the ids it
returns under a vault's identity.userAssignedIdentities, so both agree.
"""

import re
import uuid

from .common import ArmError, Response, bad_request, normalize_location, not_found, page, strip_internal
from .references import IDENTITY, IDENTITY_TYPE

API_VERSIONS = frozenset({
    "2018-11-30", "2021-09-30-preview", "2022-01-31-preview", "2023-01-31", "2023-07-31-preview", "2024-11-30",
    "2025-01-31-preview",
})
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$")


def identity_id(sub, rg, name):
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{IDENTITY_TYPE}/{name}"


def new_identity(sub, rg, name, location, tenant, tags=None):
    rid = identity_id(sub, rg, name)
    item = {
        "id": rid,
        "name": name,
        "type": IDENTITY_TYPE,
        "location": normalize_location(location),
        "tags": dict(tags or {}),
        "properties": {
            "tenantId": tenant,
            "principalId": str(uuid.uuid5(uuid.NAMESPACE_URL, rid.lower())),
            "clientId": str(uuid.uuid5(uuid.NAMESPACE_DNS, rid.lower())),
        },
    }
    return item


def get_identity(sandbox, req, sub, rg, name):
    sandbox.require_group(sub, rg)
    found = sandbox.state.get(IDENTITY, sub, rg, name)
    if found is None:
        raise not_found(IDENTITY_TYPE, name, rg)
    return Response(200, strip_internal(found))


def list_identities(sandbox, req, sub, rg):
    sandbox.require_group(sub, rg)
    return Response(200, page(req, sandbox.state.list(IDENTITY, sub, rg), sandbox.page_size, strip_internal))


def list_all_identities(sandbox, req, sub):
    return Response(200, page(req, sandbox.state.list(IDENTITY, sub), sandbox.page_size, strip_internal))


def put_identity(sandbox, req, sub, rg, name):
    sandbox.require_group(sub, rg)
    body = req.body or {}
    existing = sandbox.state.get(IDENTITY, sub, rg, name)
    location = normalize_location(body.get("location"))
    if not location:
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    if existing is not None:
        if location != existing["location"]:
            raise ArmError(
                409, "InvalidResourceLocation",
                f"The resource '{existing['name']}' already exists in location '{existing['location']}' in resource "
                f"group '{rg}'. A resource with the same name cannot be created in location '{location}'. Please "
                "select a new resource name.",
            )
        if "tags" in body:
            existing["tags"] = dict(body["tags"] or {})
        return Response(200, strip_internal(existing))
    if not NAME.match(name):
        raise bad_request(
            "InvalidResourceName",
            f"Resource name '{name}' is invalid. The name can be 3-128 characters long and may contain letters, "
            "digits, hyphens and underscores; it must start with a letter or digit.",
        )
    tenant = sandbox.state.subscription(sub)["tenantId"]
    created = new_identity(sub, rg, name, location, tenant, body.get("tags"))
    sandbox.state.put(IDENTITY, sub, rg, name, created)
    return Response(201, strip_internal(created))


def patch_identity(sandbox, req, sub, rg, name):
    sandbox.require_group(sub, rg)
    found = sandbox.state.get(IDENTITY, sub, rg, name)
    if found is None:
        raise not_found(IDENTITY_TYPE, name, rg)
    if "tags" in (req.body or {}):
        found["tags"] = dict(req.body["tags"] or {})
    return Response(200, strip_internal(found))


def delete_identity(sandbox, req, sub, rg, name):
    sandbox.require_group(sub, rg)
    if sandbox.state.delete(IDENTITY, sub, rg, name) is None:
        return Response(204)
    return Response(200)


_ID = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities"
ROUTES = [
    ("GET", _ID + "/{name}", get_identity, None),
    ("PUT", _ID + "/{name}", put_identity, None),
    ("PATCH", _ID + "/{name}", patch_identity, None),
    ("DELETE", _ID + "/{name}", delete_identity, None),
    ("GET", _ID, list_identities, None),
    ("GET", "/subscriptions/{sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities", list_all_identities,
     None),
]


def _load_identity(sandbox, spec, sub):
    rg = spec["resource_group"]
    tenant = sandbox.state.subscription(sub)["tenantId"]
    item = new_identity(sub, rg, spec["name"], spec.get("location") or sandbox.group_location(sub, rg), tenant,
                        spec.get("tags"))
    sandbox.state.put(IDENTITY, sub, rg, spec["name"], item)


LOADERS = (("user_assigned_identities", _load_identity),)
