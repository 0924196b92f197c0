"""Microsoft.Network route tables (PUT/GET/DELETE, lists, routes) and NAT gateways (read-only, from fixtures).

Shaped by routeTable.json and natGateway.json (Microsoft.Network 2025-07-01): a route table is
{id, name, type, location, tags, etag, properties: {provisioningState, resourceGuid, disableBgpRoutePropagation,
routes: [{name, id, etag, type, properties: {provisioningState, addressPrefix, nextHopType, nextHopIpAddress?}}],
subnets: [{id}]}}; a NAT gateway is {…, sku: {name}, properties: {idleTimeoutInMinutes, publicIpAddresses: [{id}],
subnets: [{id}], provisioningState, resourceGuid}}. The `subnets` back-references are computed from the subnets
that name the table or gateway (network.relink).
"""

import ipaddress

from . import network, servicetags
from .common import ArmError, Response, bad_request, etag_guid, new_guid, normalize_location, not_found, page, strip_internal

API_VERSIONS = network.API_VERSIONS
ROUTE_TABLE = "routeTables"
NAT_GATEWAY = "natGateways"
RT_TYPE = "Microsoft.Network/routeTables"
NAT_TYPE = "Microsoft.Network/natGateways"
NEXT_HOP_TYPES = {t.lower(): t for t in (
    "VirtualNetworkGateway", "VnetLocal", "Internet", "VirtualAppliance", "VirtualApplianceEcmp", "None")}


def _lock(sub, rg, name):
    return ("routeTable", sub.lower(), rg.lower(), name.lower())


# ---- route tables ----------------------------------------------------------------------------------

def build_route(table_id, name, body):
    """Validate one route (inline in a table PUT or from a fixture) and return it NRP-normalised."""
    body = body or {}
    props = body.get("properties")
    if props is None:
        props = {k: v for k, v in body.items() if k not in ("name", "id", "etag", "type")}
    if not isinstance(props, dict):
        raise bad_request("InvalidRequestFormat", "Cannot parse the request: 'properties' must be an object.")
    route_id = f"{table_id}/routes/{name}"
    if not network.RULE_NAME.match(name or ""):
        raise bad_request("InvalidResourceName", f"Resource name {name} is invalid. The name can be up to 80 "
                          "characters long. It must begin with a word character, and it must end with a word "
                          "character or with '_'. The name may contain word, '.', '-' characters.")
    hop = network._property(props, "nextHopType")
    if hop is None:
        raise bad_request("InvalidRequestFormat", f"Route {route_id} is missing the required property 'nextHopType'.")
    canonical = NEXT_HOP_TYPES.get(str(hop).lower())
    if canonical is None:
        raise bad_request(
            "InvalidRequestFormat",
            f"Route {route_id} has an unsupported nextHopType '{hop}'. Allowed values: "
            f"{', '.join(NEXT_HOP_TYPES.values())}.")
    prefix = network._property(props, "addressPrefix")
    if prefix is not None:
        try:
            ipaddress.ip_network(str(prefix), strict=False)
        except ValueError:
            if not servicetags.is_tag(str(prefix)):
                raise bad_request("InvalidRequestFormat",
                                  f"Route {route_id} has an invalid addressPrefix '{prefix}'.") from None
    out = {"provisioningState": "Succeeded"}
    if prefix is not None:
        out["addressPrefix"] = str(prefix)
    out["nextHopType"] = canonical
    hop_ip = network._property(props, "nextHopIpAddress")
    if canonical == "VirtualAppliance":
        try:
            ipaddress.ip_address(str(hop_ip or ""))
        except ValueError:
            raise bad_request(
                "InvalidRequestFormat",
                f"Route {route_id} has nextHopType VirtualAppliance and needs a valid nextHopIpAddress "
                f"(value provided: '{hop_ip or ''}').") from None
    if hop_ip not in (None, ""):
        out["nextHopIpAddress"] = str(hop_ip)
    out["hasBgpOverride"] = False
    return {"name": name, "id": route_id, "etag": None, "type": f"{RT_TYPE}/routes", "properties": out}


def new_route_table(sub, rg, name, location, tags=None):
    table = {
        "name": name,
        "id": network.resource_id(sub, rg, ROUTE_TABLE, name),
        "etag": None,
        "type": RT_TYPE,
        "location": normalize_location(location),
        "properties": {"provisioningState": "Succeeded", "resourceGuid": new_guid(),
                       "disableBgpRoutePropagation": False, "routes": []},
        "_sub": sub,
        "_rg": rg,
    }
    if tags:
        table["tags"] = dict(tags)
    return table


def _touch(table, state="Succeeded"):
    etag = etag_guid()
    table["etag"] = etag
    table["properties"]["provisioningState"] = state
    for route in table["properties"].get("routes", []):
        route["etag"] = etag


def render_table(table):
    body = strip_internal(table)
    refs = table.get("_subnets")
    if refs is not None:
        body["properties"]["subnets"] = [{"id": i} for i in refs]
        if not refs:
            del body["properties"]["subnets"]
    return body


def _get_table(sandbox, sub, rg, name, parent=False):
    sandbox.require_group(sub, rg)
    table = sandbox.state.get(ROUTE_TABLE, sub, rg, name)
    if table is None:
        if parent:
            raise network._parent_not_found(name)
        raise not_found(RT_TYPE, name, rg)
    return table


def _ensure_idle(sandbox, req, sub, rg, table):
    op = sandbox.lro.busy(_lock(sub, rg, table["name"]))
    if op is not None:
        raise ArmError(
            409, "AnotherOperationInProgress",
            "Another operation on this or dependent resource is in progress. To retrieve status of the operation "
            f"use uri: {network._monitor_url(req, sub, table['location'], op)}.",
            headers={"Retry-After": "1"},
        )


def get_route_table(sandbox, req, sub, rg, name):
    return Response(200, render_table(_get_table(sandbox, sub, rg, name)))


def list_route_tables(sandbox, req, sub, rg):
    sandbox.require_group(sub, rg)
    return Response(200, page(req, sandbox.state.list(ROUTE_TABLE, sub, rg), sandbox.page_size, render_table))


def list_all_route_tables(sandbox, req, sub):
    return Response(200, page(req, sandbox.state.list(ROUTE_TABLE, sub), sandbox.page_size, render_table))


def put_route_table(sandbox, req, sub, rg, name):
    sandbox.require_group(sub, rg)
    body = req.body or {}
    existing = sandbox.state.get(ROUTE_TABLE, sub, rg, name)
    network.check_if_match(req, existing and existing["etag"])
    location = normalize_location(body.get("location"))
    if not location and existing is None:
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    if existing is not None:
        if location and location != existing["location"]:
            raise network._location_conflict(ROUTE_TABLE, existing["name"], rg, existing["location"], location)
        _ensure_idle(sandbox, req, sub, rg, existing)
    props = body.get("properties") or {}
    target = existing or new_route_table(sub, rg, name, location)
    routes = [build_route(target["id"], r.get("name", ""), r) for r in props.get("routes") or []]
    names = [r["name"].lower() for r in routes]
    if len(names) != len(set(names)):
        raise bad_request("InvalidRequestFormat", "Cannot parse the request: duplicate route names.")
    for route in routes:
        route["properties"]["provisioningState"] = "Updating"
    target["properties"]["routes"] = routes
    if "disableBgpRoutePropagation" in props:
        target["properties"]["disableBgpRoutePropagation"] = bool(props["disableBgpRoutePropagation"])
    if "tags" in body:
        target["tags"] = dict(body["tags"] or {})
    _touch(target, "Updating")
    sandbox.state.put(ROUTE_TABLE, sub, rg, name, target)
    if existing is None:
        network.relink(sandbox)

    def finish(op):
        target["properties"]["provisioningState"] = "Succeeded"
        for route in target["properties"]["routes"]:
            route["properties"]["provisioningState"] = "Succeeded"

    op = sandbox.lro.start(lock_key=_lock(sub, rg, name), on_done=finish, kind="route-table-put",
                           resource=target["id"])
    headers = {"Azure-AsyncOperation": network._monitor_url(req, sub, target["location"], op),
               **network._retry_headers(sandbox)}
    return Response(200 if existing else 201, render_table(target), headers)


def delete_route_table(sandbox, req, sub, rg, name):
    sandbox.require_group(sub, rg)
    target = sandbox.state.get(ROUTE_TABLE, sub, rg, name)
    if target is None:
        return Response(204)
    network.check_if_match(req, target["etag"])
    _ensure_idle(sandbox, req, sub, rg, target)
    users = target.get("_subnets") or []
    if users:
        raise bad_request(
            "InUseRouteTableCannotBeDeleted",
            f"Route table {target['id']} is in use and cannot be deleted. It is referenced by the subnets: "
            f"{', '.join(users)}. Remove the association first.")
    target["properties"]["provisioningState"] = "Deleting"

    def finish(op):
        sandbox.state.delete(ROUTE_TABLE, sub, rg, name)

    op = sandbox.lro.start(lock_key=_lock(sub, rg, name), on_done=finish, kind="route-table-delete",
                           resource=target["id"])
    headers = {
        "Location": network._results_url(req, sub, target["location"], op),
        "Azure-AsyncOperation": network._monitor_url(req, sub, target["location"], op),
        **network._retry_headers(sandbox),
    }
    return Response(202, None, headers)


def list_routes(sandbox, req, sub, rg, name):
    table = _get_table(sandbox, sub, rg, name, parent=True)
    return Response(200, page(req, table["properties"].get("routes", []), sandbox.page_size, strip_internal))


def get_route(sandbox, req, sub, rg, name, route):
    table = _get_table(sandbox, sub, rg, name, parent=True)
    for item in table["properties"].get("routes", []):
        if item["name"].lower() == route.lower():
            return Response(200, strip_internal(item))
    raise network._nested_not_found(f"{table['id']}/routes/{route}")


# ---- NAT gateways ----------------------------------------------------------------------------------

def render_nat(gateway):
    return render_table(gateway)


def get_nat_gateway(sandbox, req, sub, rg, name):
    sandbox.require_group(sub, rg)
    found = sandbox.state.get(NAT_GATEWAY, sub, rg, name)
    if found is None:
        raise not_found(NAT_TYPE, name, rg)
    return Response(200, render_nat(found))


def list_nat_gateways(sandbox, req, sub, rg):
    sandbox.require_group(sub, rg)
    return Response(200, page(req, sandbox.state.list(NAT_GATEWAY, sub, rg), sandbox.page_size, render_nat))


def list_all_nat_gateways(sandbox, req, sub):
    return Response(200, page(req, sandbox.state.list(NAT_GATEWAY, sub), sandbox.page_size, render_nat))


_BASE = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network"
_RT = _BASE + "/routeTables/{name}"
ROUTES = [
    ("GET", _RT, get_route_table, None),
    ("PUT", _RT, put_route_table, "routeTable.json#/definitions/RouteTable"),
    ("DELETE", _RT, delete_route_table, None),
    ("GET", _BASE + "/routeTables", list_route_tables, None),
    ("GET", "/subscriptions/{sub}/providers/Microsoft.Network/routeTables", list_all_route_tables, None),
    ("GET", _RT + "/routes", list_routes, None),
    ("GET", _RT + "/routes/{route}", get_route, None),
    ("GET", _BASE + "/natGateways/{name}", get_nat_gateway, None),
    ("GET", _BASE + "/natGateways", list_nat_gateways, None),
    ("GET", "/subscriptions/{sub}/providers/Microsoft.Network/natGateways", list_all_nat_gateways, None),
]


# ---- fixtures --------------------------------------------------------------------------------------

def _load_route_table(sandbox, spec, sub):
    rg = spec["resource_group"]
    table = new_route_table(sub, rg, spec["name"], spec.get("location") or sandbox.group_location(sub, rg),
                            spec.get("tags"))
    if spec.get("properties"):
        table["properties"] = spec["properties"]
        table["_verbatim"] = True
    else:
        routes = []
        for r in spec.get("routes", []):
            props = {"addressPrefix": r.get("address_prefix"), "nextHopType": r.get("next_hop_type"),
                     "nextHopIpAddress": r.get("next_hop_ip_address")}
            routes.append(build_route(table["id"], r["name"], {"properties": props}))
        table["properties"]["routes"] = routes
        table["properties"]["disableBgpRoutePropagation"] = bool(spec.get("disable_bgp_route_propagation", False))
    _touch(table, table["properties"].get("provisioningState", "Succeeded"))
    sandbox.state.put(ROUTE_TABLE, sub, rg, spec["name"], table)


def _load_nat_gateway(sandbox, spec, sub):
    rg = spec["resource_group"]
    gateway = network._tracked(NAT_GATEWAY, NAT_GATEWAY, spec, sub, sandbox.group_location(sub, rg))
    sku = spec.get("sku", "Standard")
    gateway["sku"] = dict(sku) if isinstance(sku, dict) else {"name": sku}
    if spec.get("zones"):
        gateway["zones"] = list(spec["zones"])
    if spec.get("properties"):
        gateway["properties"] = spec["properties"]
        gateway["_verbatim"] = True
    else:
        gateway["properties"] = {
            "idleTimeoutInMinutes": int(spec.get("idle_timeout_in_minutes", 4)),
            "provisioningState": "Succeeded",
            "resourceGuid": new_guid(),
            "publicIpAddresses": [{"id": network._ref(p, sub, rg, network.PIP)}
                                  for p in spec.get("public_ip_addresses", [])],
        }
    sandbox.state.put(NAT_GATEWAY, sub, rg, spec["name"], gateway)


LOADERS = (
    ("route_tables", _load_route_table),
    ("nat_gateways", _load_nat_gateway),
)
