"""Microsoft.Network/applicationSecurityGroups: PUT (LRO), GET, PATCH tags, DELETE (LRO), lists.

Minimal but shaped like the spec's ApplicationSecurityGroup: {id, name, type, location, tags, etag,
properties: {resourceGuid, provisioningState}}. NSG rules may only reference ASGs that exist
(references.check_rule_asgs).
"""

from . import network
from .common import ArmError, Response, etag_guid, new_guid, normalize_location, not_found, page, strip_internal
from .references import ASG, ASG_TYPE

API_VERSIONS = network.API_VERSIONS


def _asg_id(sub, rg, name):
    return network.resource_id(sub, rg, ASG, name)


def _lock(sub, rg, name):
    return ("asg", sub.lower(), rg.lower(), name.lower())


def get_asg(sandbox, req, sub, rg, name):
    sandbox.require_group(sub, rg)
    found = sandbox.state.get(ASG, sub, rg, name)
    if found is None:
        raise not_found(ASG_TYPE, name, rg)
    return Response(200, strip_internal(found))


def list_asgs(sandbox, req, sub, rg):
    sandbox.require_group(sub, rg)
    return Response(200, page(req, sandbox.state.list(ASG, sub, rg), sandbox.page_size, strip_internal))


def list_all_asgs(sandbox, req, sub):
    return Response(200, page(req, sandbox.state.list(ASG, sub), sandbox.page_size, strip_internal))


def _busy(sandbox, req, sub, rg, asg):
    op = sandbox.lro.busy(_lock(sub, rg, asg["name"]))
    if op is not None:
        raise ArmError(
            409, "AnotherOperationInProgress",
            "Another operation on this or dependent resource is in progress. To retrieve status of the operation "
            f"use uri: {network._monitor_url(req, sub, asg['location'], op)}.",
            headers={"Retry-After": "1"},
        )


def new_asg(sub, rg, name, location, tags=None):
    asg = {
        "name": name,
        "id": _asg_id(sub, rg, name),
        "etag": etag_guid(),
        "type": ASG_TYPE,
        "location": normalize_location(location),
        "properties": {"resourceGuid": new_guid(), "provisioningState": "Succeeded"},
    }
    if tags:
        asg["tags"] = dict(tags)
    return asg


def put_asg(sandbox, req, sub, rg, name):
    sandbox.require_group(sub, rg)
    body = req.body or {}
    existing = sandbox.state.get(ASG, sub, rg, name)
    network.check_if_match(req, existing and existing["etag"])
    location = normalize_location(body.get("location"))
    if existing is None and not location:
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    if existing is not None:
        if location and location != existing["location"]:
            raise network._location_conflict(ASG, existing["name"], rg, existing["location"], location)
        _busy(sandbox, req, sub, rg, existing)
    target = existing or new_asg(sub, rg, name, location)
    if "tags" in body:
        target["tags"] = dict(body["tags"] or {})
    target["etag"] = etag_guid()
    target["properties"]["provisioningState"] = "Updating"
    sandbox.state.put(ASG, sub, rg, name, target)

    def finish(op):
        target["properties"]["provisioningState"] = "Succeeded"

    op = sandbox.lro.start(lock_key=_lock(sub, rg, name), on_done=finish, kind="asg-put", resource=target["id"])
    headers = {"Azure-AsyncOperation": network._monitor_url(req, sub, target["location"], op),
               **network._retry_headers(sandbox)}
    return Response(200 if existing else 201, strip_internal(target), headers)


def patch_asg(sandbox, req, sub, rg, name):
    sandbox.require_group(sub, rg)
    target = sandbox.state.get(ASG, sub, rg, name)
    if target is None:
        raise not_found(ASG_TYPE, name, rg)
    network.check_if_match(req, target["etag"])
    if "tags" in (req.body or {}):
        target["tags"] = dict(req.body["tags"] or {})
    target["etag"] = etag_guid()
    return Response(200, strip_internal(target))


def delete_asg(sandbox, req, sub, rg, name):
    sandbox.require_group(sub, rg)
    target = sandbox.state.get(ASG, sub, rg, name)
    if target is None:
        return Response(204)
    network.check_if_match(req, target["etag"])
    _busy(sandbox, req, sub, rg, target)
    target["properties"]["provisioningState"] = "Deleting"

    def finish(op):
        sandbox.state.delete(ASG, sub, rg, name)

    op = sandbox.lro.start(lock_key=_lock(sub, rg, name), on_done=finish, kind="asg-delete", resource=target["id"])
    headers = {
        "Location": network._results_url(req, sub, target["location"], op),
        "Azure-AsyncOperation": network._monitor_url(req, sub, target["location"], op),
        **network._retry_headers(sandbox),
    }
    return Response(202, None, headers)


_ASG = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/applicationSecurityGroups"
ROUTES = [
    ("GET", _ASG + "/{name}", get_asg, None),
    ("PUT", _ASG + "/{name}", put_asg, None),
    ("PATCH", _ASG + "/{name}", patch_asg, "network.json#/definitions/TagsObject"),
    ("DELETE", _ASG + "/{name}", delete_asg, None),
    ("GET", _ASG, list_asgs, None),
    ("GET", "/subscriptions/{sub}/providers/Microsoft.Network/applicationSecurityGroups", list_all_asgs, None),
]


def _load_asg(sandbox, spec, sub):
    rg = spec["resource_group"]
    asg = new_asg(sub, rg, spec["name"], spec.get("location") or sandbox.group_location(sub, rg), spec.get("tags"))
    sandbox.state.put(ASG, sub, rg, spec["name"], asg)


LOADERS = (("application_security_groups", _load_asg),)
