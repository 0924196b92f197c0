# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Recovery Services vaults: validation, the translation between module options and ARM bodies, and the API calls.

Everything above the "API calls" line is pure (no SDK, no network) and unit tested. Private to the collection.
"""

from __future__ import annotations

import re

from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError, from_exception
from ansible_collections.azbackup.vmprep.plugins.module_utils._validate import (  # noqa: F401 (re-exported)
    normalize_location,
    validate_location,
    validate_resource_group,
)

REDUNDANCY = ("GeoRedundant", "LocallyRedundant", "ZoneRedundant")
SOFT_DELETE = ("Enabled", "Disabled", "AlwaysON")
IMMUTABILITY = ("Disabled", "Unlocked", "Locked")
NETWORK_ACCESS = ("Enabled", "Disabled")
SKUS = ("Standard",)
# Azure's documented range for the soft delete retention of backup data.
RETENTION_DAYS = (14, 180)

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,49}\Z")

# The settable fields of the normalised vault shape and where each lives in the ARM body: (key, ARM path).
# One table, so the create body, the PATCH body and the normalisation of responses cannot drift apart.
FIELDS = (
    ("storage_redundancy", ("properties", "redundancySettings", "standardTierStorageRedundancy")),
    ("cross_region_restore", ("properties", "redundancySettings", "crossRegionRestore")),
    ("soft_delete", ("properties", "securitySettings", "softDeleteSettings", "softDeleteState")),
    ("soft_delete_retention_days", ("properties", "securitySettings", "softDeleteSettings", "softDeleteRetentionPeriodInDays")),
    ("immutability", ("properties", "securitySettings", "immutabilitySettings", "state")),
    ("public_network_access", ("properties", "publicNetworkAccess")),
    ("sku", ("sku", "name")),
)
# ARM's spelling of a few enum values differs between requests and answers (case, RS0 for Standard).
_CANONICAL = {
    "storage_redundancy": REDUNDANCY,
    "soft_delete": SOFT_DELETE,
    "immutability": IMMUTABILITY,
    "public_network_access": NETWORK_ACCESS,
}
# What Azure means when an answer leaves a setting out.
_ABSENT_MEANS = {"cross_region_restore": False, "immutability": "Disabled", "public_network_access": "Enabled"}
# Keys of the normalised shape that are not settings (left out of diffs where they always change).
VOLATILE = ("etag", "provisioning_state")

# Service error codes this module translates.
REDUNDANCY_LOCKED = "storagemodelmodifyerror"
NOT_EMPTY_PREFIXES = ("serviceresourcenotempty", "vaultnotempty")


# ---- validation (before any request) ----------------------------------------------------------------------------

def validate_name(name, option="name"):
    if not _NAME.match(name or ""):
        raise AzbError("%s '%s' is not a valid vault name: use 2 to 50 characters, letters, digits and hyphens, "
                       "starting with a letter." % (option, name))


def validate_tags(tags):
    if not tags:
        return
    if len(tags) > 50:
        raise AzbError("tags has %d entries; Azure allows at most 50 tags on a resource." % len(tags))
    for key, value in tags.items():
        if not key or len(key) > 512 or any(c in key for c in "<>%&\\?/"):
            raise AzbError("tags key '%s' is not allowed: use 1 to 512 characters without < > %% & \\ ? /." % key)
        if value is not None and len(str(value)) > 256:
            raise AzbError("tags value of '%s' is longer than the 256 characters Azure allows." % key)


def validate_params(params):
    """Every check that needs no request. Raises AzbError naming the option and what is allowed."""
    validate_name(params["name"])
    validate_resource_group(params["resource_group"])
    if params.get("state", "present") == "absent":
        return
    location = params.get("location")
    if location is not None:
        validate_location(location)
    days = params.get("soft_delete_retention_days")
    if days is not None and not RETENTION_DAYS[0] <= days <= RETENTION_DAYS[1]:
        raise AzbError("soft_delete_retention_days must be between %d and %d; got %d." % (RETENTION_DAYS + (days,)))
    if days is not None and params.get("soft_delete") == "Disabled":
        raise AzbError("soft_delete_retention_days needs soft delete on: leave it out with soft_delete=Disabled.")
    if params.get("cross_region_restore") and params.get("storage_redundancy") not in (None, "GeoRedundant"):
        raise AzbError("cross_region_restore=true needs storage_redundancy=GeoRedundant; got %s. Cross-region restore "
                       "reads the copy in the paired region, which only geo-redundant storage keeps."
                       % params["storage_redundancy"])
    if params.get("immutability") == "Locked" and not params.get("immutability_lock_confirm"):
        raise AzbError("immutability=Locked is irreversible: a locked vault can never be made mutable again and its "
                       "recovery points cannot be deleted before they expire. Set immutability_lock_confirm=true to "
                       "confirm, or use immutability=Unlocked.")
    validate_tags(params.get("tags"))


def validate_against(current, desired, params):
    """Checks that need the existing vault (normalised). Raises AzbError; never changes anything."""
    location = params.get("location")
    if location and normalize_location(location) != current["location"]:
        raise AzbError("vault '%s' already exists in %s, not in %s. A vault cannot move: it is never deleted and "
                       "recreated by this module. Use location=%s, or another vault name for %s."
                       % (current["name"], current["location"], normalize_location(location), current["location"],
                          normalize_location(location)), code="LocationMismatch")
    redundancy = desired.get("storage_redundancy") or current.get("storage_redundancy")
    if desired.get("cross_region_restore") and redundancy not in (None, "GeoRedundant"):
        raise AzbError("cross_region_restore=true needs storage_redundancy=GeoRedundant; vault '%s' is %s. Set "
                       "storage_redundancy=GeoRedundant as well (possible only while no item is protected)."
                       % (current["name"], redundancy))
    if (current.get("cross_region_restore") and "cross_region_restore" not in desired
            and redundancy not in (None, "GeoRedundant")):
        raise AzbError("storage_redundancy=%s is not possible while vault '%s' has cross-region restore on, which "
                       "needs GeoRedundant. Set cross_region_restore=false in the same task." % (redundancy, current["name"]))
    if current.get("immutability") == "Locked" and desired.get("immutability") not in (None, "Locked"):
        raise AzbError("vault '%s' has immutability Locked, which is irreversible; immutability=%s is not possible."
                       % (current["name"], desired["immutability"]))
    if current.get("soft_delete") == "AlwaysON" and desired.get("soft_delete") not in (None, "AlwaysON"):
        raise AzbError("vault '%s' has soft delete AlwaysON, which is irreversible; soft_delete=%s is not possible."
                       % (current["name"], desired["soft_delete"]))


# ---- translation ------------------------------------------------------------------------------------------------

def _dig(body, path):
    for key in path:
        if not isinstance(body, dict):
            return None
        body = body.get(key)
    return body


def _put(body, path, value):
    for key in path[:-1]:
        body = body.setdefault(key, {})
    body[path[-1]] = value


def _canonical(key, value):
    if value is None:
        return _ABSENT_MEANS.get(key)
    if key == "cross_region_restore":
        return str(value).lower() == "enabled" if not isinstance(value, bool) else value
    if key == "sku":
        return "Standard" if str(value).upper() in ("RS0", "STANDARD") else value
    if key == "soft_delete_retention_days":
        return int(value)
    for choice in _CANONICAL.get(key, ()):
        if str(value).lower() == choice.lower():
            return choice
    return value


def _to_arm(key, value):
    if key == "cross_region_restore":
        return "Enabled" if value else "Disabled"
    return value


def resource_group_of(resource_id):
    parts = (resource_id or "").split("/")
    lowered = [p.lower() for p in parts]
    if "resourcegroups" in lowered:
        index = lowered.index("resourcegroups")
        if index + 1 < len(parts):
            return parts[index + 1]
    return None


def normalize(vault):
    """The collection's vault shape out of an ARM Vault (JSON dict). None stays None."""
    if vault is None:
        return None
    out = {
        "id": vault.get("id"),
        "name": vault.get("name"),
        "location": normalize_location(vault.get("location")),
        "resource_group": resource_group_of(vault.get("id")),
        "provisioning_state": _dig(vault, ("properties", "provisioningState")),
        "tags": dict(vault.get("tags") or {}),
        "etag": vault.get("etag"),
    }
    for key, path in FIELDS:
        out[key] = _canonical(key, _dig(vault, path))
    return out


def desired_settings(params, current_tags=None):
    """The normalised settings the user asked for: only the options given (None = leave as it is)."""
    desired = {}
    for key, _path in FIELDS:
        value = params.get(key)
        if value is not None:
            desired[key] = _canonical(key, value)
    tags = params.get("tags")
    if tags is not None:
        tags = {k: "" if v is None else str(v) for k, v in tags.items()}
        if params.get("append_tags", True):
            merged = dict(current_tags or {})
            merged.update(tags)
            tags = merged
        desired["tags"] = tags
    return desired


def changes(current, desired):
    """Keys whose desired value differs from the current (normalised) vault, in FIELDS order, then tags."""
    keys = [key for key, _path in FIELDS] + ["tags"]
    return [key for key in keys if key in desired and desired[key] != current.get(key)]


def create_body(params, desired):
    """The ARM Vault body of a PUT that creates the vault: location, sku, the settings given and tags."""
    body = {"location": normalize_location(params["location"]), "properties": {}}
    for key, path in FIELDS:
        if key in desired:
            _put(body, path, _to_arm(key, desired[key]))
    body.setdefault("sku", {"name": "Standard"})
    if desired.get("tags"):
        body["tags"] = dict(desired["tags"])
    return body


def patch_body(current, desired):
    """The smallest ARM PatchVault body that turns current into desired; {} when nothing changes.

    Only the changed leaves are sent. Tags are one value in ARM: when they change, the whole map is sent.
    """
    body = {}
    paths = dict(FIELDS)
    for key in changes(current, desired):
        if key == "tags":
            body["tags"] = dict(desired["tags"])
        else:
            _put(body, paths[key], _to_arm(key, desired[key]))
    return body


def predict(current, desired, params=None, subscription_id=None):
    """The normalised vault expected after the change (for check mode and diffs).

    For a new vault (current None) the settings left out that Azure chooses are None (unknown until created).
    """
    if current is None:
        name = params["name"]
        group = params["resource_group"]
        after = {
            "id": "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.RecoveryServices/vaults/%s"
                  % (subscription_id, group, name),
            "name": name,
            "location": normalize_location(params.get("location")),
            "resource_group": group,
            "provisioning_state": None,
            "tags": {},
            "etag": None,
        }
        for key, _path in FIELDS:
            after[key] = None
    else:
        after = dict(current)
    after.update(desired)
    return after


def for_diff(vault):
    """A vault without the fields that change on every write, for the diff."""
    if not vault:
        return {}
    return {k: v for k, v in vault.items() if k not in VOLATILE}


def tag_filter_matches(vault_tags, filters):
    """azure.azcollection's tag filter: every entry 'key' (present) or 'key:value' (present with that value) matches."""
    tags = vault_tags or {}
    for entry in filters or ():
        key, sep, value = entry.partition(":")
        if key not in tags:
            return False
        if sep and tags[key] != value:
            return False
    return True


# ---- error translation ------------------------------------------------------------------------------------------

def translate(exc, action, current=None, desired=None):
    """An AzbError for a failed vault request, with the known service errors explained."""
    err = from_exception(exc)
    code = (err.code or "").lower()
    name = (current or {}).get("name")
    if code == REDUNDANCY_LOCKED:
        was = (current or {}).get("storage_redundancy")
        want = (desired or {}).get("storage_redundancy")
        err.msg = ("%s: the storage redundancy of vault '%s' is locked at %s and cannot change to %s. Azure locks it "
                   "once the first item is protected or registered with the vault. Service message: %s"
                   % (action, name, was, want, err.msg))
        err.hint = ("to store backups as %s, create a new vault with storage_redundancy=%s, protect the VMs in it, then "
                    "stop protection in this vault (its recovery points stay until they expire or are deleted); or "
                    "leave storage_redundancy out to keep %s." % (want, want, was))
    elif code.startswith(NOT_EMPTY_PREFIXES):
        err.msg = "%s: vault '%s' still holds items, so Azure refuses to delete it. What blocks: %s" % (action, name, err.msg)
        err.hint = ("stop protection of every backup item and delete its backup data, wait for or purge soft-deleted "
                    "items, unregister containers and servers, remove private endpoints, then run again. The module "
                    "never deletes backup data itself.")
    else:
        err.msg = "%s: %s" % (action, err.msg)
    return err


# ---- the shape of what Azure answers ----------------------------------------------------------------------------

def _unreadable(what, why):
    return AzbError("the answer for %s is not a vault this module understands (%s); nothing was planned from it. "
                    "Is the Recovery Services API of this cloud the one the collection is built for?" % (what, why),
                    code="UnreadableAnswer")


def check_shape(vault, what):
    """The ARM JSON of a vault, checked strictly; AzbError when its shape is not understood.

    A write is planned only from a read that could be parsed: a missing or mistyped field of those the module manages
    (an SDK model's snake_case form, a settings object that is not an object, ...) fails the task instead of reading
    as "not set" and being "fixed" on every run.
    """
    if not isinstance(vault, dict):
        raise _unreadable(what, "not a JSON object")
    for key in ("id", "name", "location"):
        if not isinstance(vault.get(key), str) or not vault[key]:
            raise _unreadable(what, "no %s" % key)
    if not isinstance(vault.get("properties"), dict):
        raise _unreadable(what, "no properties object")
    snake = [k for k in vault["properties"] if "_" in k]
    if snake:
        raise _unreadable(what, "snake_case keys %s" % ", ".join(sorted(snake)))
    if vault.get("tags") is not None and (not isinstance(vault["tags"], dict)
                                          or not all(isinstance(v, str) for v in vault["tags"].values())):
        raise _unreadable(what, "tags is not a map of strings")
    for key, path in FIELDS:
        node = vault
        for depth, step in enumerate(path):
            node = node.get(step)
            if node is None:
                break
            last = depth == len(path) - 1
            if not last and not isinstance(node, dict):
                raise _unreadable(what, "%s is not an object" % ".".join(path[:depth + 1]))
            if last:
                wanted = int if key == "soft_delete_retention_days" else str
                if isinstance(node, bool) or not isinstance(node, wanted):
                    raise _unreadable(what, "%s is not a %s" % (".".join(path), wanted.__name__))
    return vault


def tag_write(current_tags, desired, params):
    """The Tags API request that brings the vault's tags to what was asked: (operation, tags) or None.

    With append_tags (default) only the tags given that differ are sent, with operation Merge: ARM merges them into
    the tags the vault has when the request arrives, so a tag someone else added meanwhile is never sent, never
    overwritten and never dropped. With append_tags=false the tags given replace all (operation Replace).
    """
    if "tags" not in desired or desired["tags"] == (current_tags or {}):
        return None
    if params.get("append_tags", True):
        given = {k: "" if v is None else str(v) for k, v in (params.get("tags") or {}).items()}
        delta = {k: v for k, v in given.items() if (current_tags or {}).get(k) != v}
        return ("Merge", delta) if delta else None
    return ("Replace", dict(desired["tags"]))


def tags_hold(vault_tags, operation, tags):
    """True when the vault's tags show that a tag write (operation, tags) is in place."""
    vault_tags = vault_tags or {}
    if operation == "Replace":
        return vault_tags == tags
    return all(vault_tags.get(k) == v for k, v in tags.items())


# ---- API calls ----------------------------------------------------------------------------------------------------
#
# Every read and write goes through the raw JSON (``_client.raw`` as the SDK's cls= callback), and every write body is
# sent as JSON bytes, which no SDK release re-serialises: older SDK models (azure-mgmt-recoveryservices 3.0.0) would
# otherwise read as snake_case and drop fields they do not know from a write. Writes raise the SDK's own exceptions
# so that the Operation can tell a lost answer from a refusal; the module translates them afterwards.

TAGS_API_VERSION = "2021-04-01"


def _json_bytes(body):
    import json

    return json.dumps(body).encode("utf-8")


def get(client, resource_group, name):
    """The vault as ARM JSON, or None when it does not exist. A missing resource group is an error."""
    from ansible_collections.azbackup.vmprep.plugins.module_utils._client import raw

    try:
        vault = client.vaults.get(resource_group, name, cls=raw)
    except AzbError:
        raise
    except Exception as exc:  # pylint: disable=broad-except
        if type(exc).__name__ == "DeserializationError":
            # Older SDKs build their model before handing over the JSON, and fail on a shape they do not know.
            raise _unreadable("vault '%s'" % name, "the SDK could not read it: %s" % str(exc).split("\n", maxsplit=1)[0][:200])
        err = from_exception(exc, action="reading vault '%s'" % name)
        if err.status == 404 and (err.code or "").lower() != "resourcegroupnotfound":
            return None
        raise err
    return check_shape(vault, "vault '%s'" % name)


def create(client, resource_group, name, body, timeout):
    """PUT the vault (LRO). SDK exceptions are raised as they are."""
    from ansible_collections.azbackup.vmprep.plugins.module_utils._client import raw, wait

    poller = client.vaults.begin_create_or_update(resource_group, name, _json_bytes(body),
                                                  content_type="application/json", cls=raw)
    return wait(poller, timeout, "creating vault '%s'" % name)


def update(client, resource_group, name, body, timeout):
    """PATCH the vault (LRO). SDK exceptions are raised as they are."""
    from ansible_collections.azbackup.vmprep.plugins.module_utils._client import raw, wait

    poller = client.vaults.begin_update(resource_group, name, _json_bytes(body), content_type="application/json",
                                        cls=raw)
    return wait(poller, timeout, "updating vault '%s'" % name)


def delete(client, resource_group, name, timeout):
    """DELETE the vault (LRO). SDK exceptions are raised as they are."""
    from ansible_collections.azbackup.vmprep.plugins.module_utils._client import raw, wait

    wait(client.vaults.begin_delete(resource_group, name, cls=raw), timeout, "deleting vault '%s'" % name)


def tags_client(clients):
    """The run's ARM pipeline (the collection's auth, retry policy and CA settings), for ARM's Tags API."""
    return clients.arm_pipeline()


def write_tags(pipeline, vault_id, operation, tags):
    """PATCH {vault}/providers/Microsoft.Resources/tags/default: ARM merges (or replaces) the tags on its side.

    Returns the tags ARM answers with. Errors are raised as azure-core HttpResponseError (classified like SDK ones).
    """
    import json

    from azure.core.exceptions import HttpResponseError
    from azure.core.rest import HttpRequest

    url = "%s%s/providers/Microsoft.Resources/tags/default?api-version=%s" % (
        pipeline.azb_base_url, vault_id, TAGS_API_VERSION)
    request = HttpRequest("PATCH", url, json={"operation": operation, "properties": {"tags": dict(tags)}})
    response = pipeline.send_request(request)
    if response.status_code != 200:
        raise HttpResponseError(response=response)
    try:
        answer = json.loads(response.text() or "null")
    except ValueError:
        answer = None
    got = _dig(answer, ("properties", "tags")) if isinstance(answer, dict) else None
    if got is not None and not isinstance(got, dict):
        raise AzbError("ARM answered the tag update of %s with tags that are not a map." % vault_id,
                       code="UnreadableAnswer")
    return got


def list_vaults(client, resource_group=None):
    """Every vault of a resource group, or of the subscription, as ARM JSON (each page as Azure sent it)."""
    import json

    pages = {}

    def keep_page(pipeline_response):
        http = pipeline_response.http_response
        if http.status_code == 200:
            pages[http.request.url] = http

    kwargs = {"raw_response_hook": keep_page}
    pager = (client.vaults.list_by_resource_group(resource_group, **kwargs) if resource_group
             else client.vaults.list_by_subscription_id(**kwargs))
    try:
        count = sum(1 for _item in pager)
    except Exception as exc:  # pylint: disable=broad-except
        if type(exc).__name__ == "DeserializationError":
            raise _unreadable("the vault list", "the SDK could not read it: %s" % str(exc).split("\n", maxsplit=1)[0][:200])
        raise
    vaults = []
    for url, http in pages.items():
        try:
            body = json.loads(http.text())
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("value"), list):
            raise _unreadable("the vault list %s" % url.split("?")[0], "no value list")
        vaults.extend(check_shape(v, "a vault of the list") for v in body["value"])
    if len(vaults) != count:
        raise _unreadable("the vault list", "%d vaults read but %d listed" % (len(vaults), count))
    return vaults
