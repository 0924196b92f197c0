"""Microsoft.Network: NSGs + security rules (with the default rules), service tags, and read-only
virtual networks/subnets, network interfaces, load balancers and public IP addresses."""

import ipaddress
import math
import re
import time

from . import references, servicetags
from .common import (
    ArmError,
    Response,
    bad_request,
    etag_guid,
    new_guid,
    normalize_location,
    not_found,
    page,
    retry_after_headers,
    strip_internal,
)

API_VERSIONS = frozenset({
    "2026-03-01", "2026-01-01", "2025-07-01", "2025-05-01", "2025-03-01", "2025-01-01",
    "2024-10-01", "2024-07-01", "2024-05-01", "2024-03-01", "2024-01-01", "2023-11-01",
    "2023-09-01", "2023-06-01", "2023-05-01", "2023-04-01", "2023-02-01", "2022-11-01",
    "2022-09-01", "2022-07-01", "2022-05-01", "2022-01-01", "2021-08-01",
})

NSG = "networkSecurityGroups"
VNET = "virtualNetworks"
NIC = "networkInterfaces"
LB = "loadBalancers"
PIP = "publicIPAddresses"
ROUTE_TABLE = "routeTables"
NAT_GATEWAY = "natGateways"
MAX_RULES = 1000
RULE_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$")
PROTOCOLS = {p.lower(): p for p in ("Tcp", "Udp", "Icmp", "Esp", "*", "Ah")}
ACCESS = {"allow": "Allow", "deny": "Deny"}
DIRECTIONS = {"inbound": "Inbound", "outbound": "Outbound"}

_DEFAULT_RULES = (
    ("AllowVnetInBound", "Allow inbound traffic from all VMs in VNET", "VirtualNetwork", "VirtualNetwork",
     "Allow", 65000, "Inbound"),
    ("AllowAzureLoadBalancerInBound", "Allow inbound traffic from azure load balancer", "AzureLoadBalancer", "*",
     "Allow", 65001, "Inbound"),
    ("DenyAllInBound", "Deny all inbound traffic", "*", "*", "Deny", 65500, "Inbound"),
    ("AllowVnetOutBound", "Allow outbound traffic from all VMs to all VMs in VNET", "VirtualNetwork",
     "VirtualNetwork", "Allow", 65000, "Outbound"),
    ("AllowInternetOutBound", "Allow outbound traffic from all VMs to Internet", "*", "Internet", "Allow", 65001,
     "Outbound"),
    ("DenyAllOutBound", "Deny all outbound traffic", "*", "*", "Deny", 65500, "Outbound"),
)


# ---- ids & small helpers ---------------------------------------------------------------------------

def resource_id(sub, rg, kind, name):
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/{kind}/{name}"


def _nsg_lock(sub, rg, name):
    return ("nsg", sub.lower(), rg.lower(), name.lower())


def _parent_not_found(name):
    return ArmError(404, "ParentResourceNotFound",
                    f"Can not perform requested operation on nested resource. Parent resource '{name}' not found.")


def _nested_not_found(path):
    return ArmError(404, "NotFound", f"Resource {path} not found.")


def _retry_headers(sandbox):
    return retry_after_headers(sandbox.faults.settings["lro_retry_after"])


def check_if_match(req, etag):
    """Honour If-Match ('*' = must exist). Raises 412 PreconditionFailed."""
    wanted = req.headers.get("If-Match")
    if wanted is None:
        return
    if wanted.strip() == "*" and etag is not None:
        return
    if etag is None or wanted.strip() != etag:
        raise ArmError(412, "PreconditionFailed",
                       f"Precondition failed: the If-Match value {wanted} does not match the current etag "
                       f"{etag or '(resource does not exist)'}.")


def _monitor_url(req, sub, location, op):
    return req.url(f"/subscriptions/{sub}/providers/Microsoft.Network/locations/{location}/operations/{op.id}")


def _results_url(req, sub, location, op):
    return req.url(f"/subscriptions/{sub}/providers/Microsoft.Network/locations/{location}/operationResults/{op.id}")


# ---- security rule validation ----------------------------------------------------------------------

def _check_port(value):
    text = str(value).strip()
    if text == "*":
        return True
    match = re.fullmatch(r"(\d{1,5})(?:-(\d{1,5}))?", text)
    if not match:
        return False
    low = int(match.group(1))
    high = int(match.group(2)) if match.group(2) else low
    return 0 <= low <= high <= 65535


def _prefix_family(value):
    """'*', 'tag', 4, 6, or None when the text is not a prefix, an address or a known tag."""
    text = str(value).strip()
    if text == "*":
        return "*"
    try:
        return ipaddress.ip_network(text, strict=False).version
    except ValueError:
        return "tag" if servicetags.is_tag(text) else None


def _property(props, name):
    for key, value in props.items():
        if key.lower() == name.lower():
            return value
    return None


def build_rule(nsg_id, name, body, kind="securityRules"):
    """Validate a SecurityRule request body and return the stored rule (NRP-style normalised)."""
    rule_id = f"{nsg_id}/{kind}/{name}"
    if not RULE_NAME.match(name):
        raise bad_request(
            "InvalidResourceName",
            f"Resource name {name} is invalid. The name can be up to 80 characters long. It must begin with a word "
            "character, and it must end with a word character or with '_'. The name may contain word, '.', '-' "
            "characters.",
        )
    body = body or {}
    props = body.get("properties")
    if props is None:
        props = {k: v for k, v in body.items() if k not in ("name", "id", "etag", "type")}
    if not isinstance(props, dict):
        raise bad_request("InvalidRequestFormat", "Cannot parse the request: 'properties' must be an object.")

    priority = _property(props, "priority")
    if isinstance(priority, bool) or not isinstance(priority, int) or not 100 <= priority <= 4096:
        raise bad_request(
            "SecurityRuleInvalidPriority",
            f"Security rule has invalid Priority. Value provided: {priority if priority is not None else 0} "
            "Allowed range 100-4096.",
        )
    normalized = {}
    for field, allowed in (("protocol", PROTOCOLS), ("access", ACCESS), ("direction", DIRECTIONS)):
        value = _property(props, field)
        if value is None:
            raise bad_request("InvalidRequestFormat",
                              f"Security rule {rule_id} is missing the required property '{field}'.")
        canonical = allowed.get(str(value).lower())
        if canonical is None:
            raise bad_request(
                "SecurityRuleParameterContainsUnsupportedValue",
                f"Security rule parameter {field[0].upper() + field[1:]} for rule with Id {rule_id} contains an "
                f"unsupported value. Unsupported value used: {value}. Allowed values: {', '.join(allowed.values())}.",
            )
        normalized[field] = canonical

    description = _property(props, "description")
    if description is not None and len(str(description)) > 140:
        raise bad_request("InvalidRequestFormat",
                          f"Security rule {rule_id} description is longer than 140 characters.")

    ports = {}
    for side in ("source", "destination"):
        single = _property(props, f"{side}PortRange")
        multiple = _property(props, f"{side}PortRanges") or []
        if single not in (None, "") and multiple:
            raise bad_request(
                "InvalidRequestFormat",
                f"Security rule {rule_id} specifies both {side}PortRange and {side}PortRanges; "
                "specify exactly one of them.",
            )
        values = multiple if multiple else [single]
        for value in values:
            if value is None or value == "" or not _check_port(value):
                raise bad_request(
                    "SecurityRuleInvalidPortRange",
                    f"Security rule has invalid Port range. Value provided: {'' if value is None else value}. "
                    "Value should be an integer OR integer range with '-' delimiter. Valid range 0-65535.",
                )
        ports[side] = (None if multiple else str(single), [str(v) for v in multiple])

    families = set()
    addresses = {}
    for side in ("source", "destination"):
        label = f"{side[0].upper()}{side[1:]}AddressPrefix"
        single = _property(props, f"{side}AddressPrefix")
        multiple = _property(props, f"{side}AddressPrefixes") or []
        asgs = _property(props, f"{side}ApplicationSecurityGroups") or []
        if single not in (None, "") and multiple:
            raise bad_request(
                "InvalidRequestFormat",
                f"Security rule {rule_id} specifies both {side}AddressPrefix and {side}AddressPrefixes; "
                "specify exactly one of them.",
            )
        if multiple:
            for value in multiple:
                family = _prefix_family(value)
                if family in ("*", "tag"):
                    raise bad_request(
                        "SecurityRuleParameterContainsUnsupportedValue",
                        f"Security rule parameter {label} for rule with Id {rule_id} cannot specify existing "
                        f"VIRTUALNETWORK, INTERNET, AZURELOADBALANCER, '*' or system tags. Unsupported value used: "
                        f"{value}.",
                    )
                if family is None:
                    raise bad_request("SecurityRuleInvalidAddressPrefix",
                                      f"Security rule {rule_id} has invalid Address prefix. Value provided: {value}")
                families.add(family)
        elif single not in (None, ""):
            family = _prefix_family(single)
            if family is None:
                raise bad_request("SecurityRuleInvalidAddressPrefix",
                                  f"Security rule {rule_id} has invalid Address prefix. Value provided: {single}")
            if family in (4, 6):
                families.add(family)
            if family == "tag":
                single = servicetags.TAG_NAMES.get(single.lower(), single)
        elif not asgs:
            raise bad_request("SecurityRuleInvalidAddressPrefix",
                              f"Security rule {rule_id} has invalid Address prefix. Value provided: ")
        addresses[side] = (None if multiple or single in (None, "") else single, list(multiple), asgs)
    if families == {4, 6}:
        raise bad_request(
            "ResourceCannotContainAddressPrefixesFromDifferentAddressFamilies",
            f"Resource {rule_id} cannot contain address prefixes from different address families.",
        )

    out = {"provisioningState": "Succeeded"}
    if description is not None:
        out["description"] = str(description)
    out["protocol"] = normalized["protocol"]
    for side in ("source", "destination"):
        if ports[side][0] is not None:
            out[f"{side}PortRange"] = ports[side][0]
    for side in ("source", "destination"):
        if addresses[side][0] is not None:
            out[f"{side}AddressPrefix"] = addresses[side][0]
    out["access"] = normalized["access"]
    out["priority"] = priority
    out["direction"] = normalized["direction"]
    for side in ("source", "destination"):
        out[f"{side}PortRanges"] = ports[side][1]
    for side in ("source", "destination"):
        out[f"{side}AddressPrefixes"] = addresses[side][1]
    for side in ("source", "destination"):
        if addresses[side][2]:
            out[f"{side}ApplicationSecurityGroups"] = [{"id": g.get("id")} for g in addresses[side][2]]
    return {
        "name": name,
        "id": rule_id,
        "etag": None,
        "type": f"Microsoft.Network/networkSecurityGroups/{kind}",
        "properties": out,
    }


def _check_conflicts(rules):
    """SecurityRuleConflict for two rules with the same priority and direction (first pair found)."""
    seen = {}
    for rule in rules:
        key = (rule["properties"]["priority"], rule["properties"]["direction"])
        if key in seen:
            raise bad_request(
                "SecurityRuleConflict",
                f"Security rule {rule['name']} conflicts with rule {seen[key]['name']}. Rules cannot have the same "
                "Priority and Direction. To learn more, see aka.ms/nsgrules.",
            )
        seen[key] = rule
    if len(rules) > MAX_RULES:
        raise bad_request("SecurityRuleCountLimitReached",
                          f"A security group cannot have more than {MAX_RULES} security rules.")


def default_rules(nsg_id):
    rules = []
    for name, description, source, destination, access, priority, direction in _DEFAULT_RULES:
        rule = build_rule(nsg_id, name, {"properties": {
            "description": description, "protocol": "*", "sourcePortRange": "*", "destinationPortRange": "*",
            "sourceAddressPrefix": source, "destinationAddressPrefix": destination, "access": access,
            "priority": 100, "direction": direction,
        }}, kind="defaultSecurityRules")
        rule["properties"]["priority"] = priority
        rules.append(rule)
    return rules


# ---- NSG storage -----------------------------------------------------------------------------------

def _new_nsg(sub, rg, name, location, tags=None):
    nsg_id = resource_id(sub, rg, NSG, name)
    nsg = {
        "name": name,
        "id": nsg_id,
        "etag": None,
        "type": "Microsoft.Network/networkSecurityGroups",
        "location": normalize_location(location),
        "properties": {
            "provisioningState": "Succeeded",
            "resourceGuid": new_guid(),
            "securityRules": [],
            "defaultSecurityRules": default_rules(nsg_id),
        },
        "_sub": sub,
        "_rg": rg,
    }
    if tags:
        nsg["tags"] = dict(tags)
    return nsg


def _touch(nsg, state="Succeeded"):
    """New etag for the NSG and everything in it (NRP shares one etag across an NSG's sub-resources)."""
    etag = etag_guid()
    nsg["etag"] = etag
    nsg["properties"]["provisioningState"] = state
    for rule in nsg["properties"]["securityRules"] + nsg["properties"]["defaultSecurityRules"]:
        rule["etag"] = etag
        if rule["properties"]["provisioningState"] not in ("Updating", "Deleting"):
            rule["properties"]["provisioningState"] = "Succeeded"


def _settle(nsg):
    def finish(op):
        nsg["properties"]["securityRules"] = [
            r for r in nsg["properties"]["securityRules"] if r["properties"]["provisioningState"] != "Deleting"
        ]
        nsg["properties"]["provisioningState"] = "Succeeded"
        for rule in nsg["properties"]["securityRules"]:
            rule["properties"]["provisioningState"] = "Succeeded"
    return finish


def _render_nsg(sandbox, nsg):
    body = strip_internal(nsg)
    props = body["properties"]
    refs = nsg.get("_refs", {})
    if refs.get("networkInterfaces"):
        props["networkInterfaces"] = [{"id": i} for i in refs["networkInterfaces"]]
    if refs.get("subnets"):
        props["subnets"] = [{"id": i} for i in refs["subnets"]]
    return body


def _get_nsg(sandbox, sub, rg, name, parent=False):
    sandbox.require_group(sub, rg)
    nsg = sandbox.state.get(NSG, sub, rg, name)
    if nsg is None:
        if parent:
            raise _parent_not_found(name)
        raise not_found("Microsoft.Network/networkSecurityGroups", name, rg)
    return nsg


def _ensure_idle(sandbox, req, sub, rg, nsg):
    # Busy window (fault setting nsg_busy_seconds): real NRP keeps an NSG busy for seconds after each write, whether
    # or not the writer's operation has been polled to its end; the 409 carries Retry-After only sometimes.
    window = nsg.get("_busy_window")
    if window and time.monotonic() < window[0]:
        monitor = req.url(f"/subscriptions/{sub}/providers/Microsoft.Network/locations/{nsg['location']}"
                          f"/operations/{window[1]}")
        sandbox.faults.mark("busy-window")
        raise sandbox.faults.busy_error(monitor)
    op = sandbox.lro.busy(_nsg_lock(sub, rg, nsg["name"]))
    if op is not None:
        wait = max(1, math.ceil(float(sandbox.faults.settings["lro_retry_after"])))
        raise ArmError(
            409, "AnotherOperationInProgress",
            "Another operation on this or dependent resource is in progress. To retrieve status of the operation "
            f"use uri: {_monitor_url(req, sub, nsg['location'], op)}.",
            headers={"Retry-After": str(wait)},
        )


def _start_write(sandbox, req, sub, rg, nsg, kind):
    op = sandbox.lro.start(lock_key=_nsg_lock(sub, rg, nsg["name"]), on_done=_settle(nsg), kind=kind,
                           resource=nsg["id"])
    busy_seconds = float(sandbox.faults.settings.get("nsg_busy_seconds") or 0)
    if busy_seconds > 0:
        nsg["_busy_window"] = (time.monotonic() + busy_seconds, op.id)
    return op


# ---- NSG handlers ----------------------------------------------------------------------------------

def get_nsg(sandbox, req, sub, rg, nsg):
    return Response(200, _render_nsg(sandbox, _get_nsg(sandbox, sub, rg, nsg)))


def list_nsgs(sandbox, req, sub, rg):
    sandbox.require_group(sub, rg)
    return Response(200, page(req, sandbox.state.list(NSG, sub, rg), sandbox.page_size,
                              lambda n: _render_nsg(sandbox, n)))


def list_all_nsgs(sandbox, req, sub):
    return Response(200, page(req, sandbox.state.list(NSG, sub), sandbox.page_size, lambda n: _render_nsg(sandbox, n)))


def _location_conflict(kind, name, rg, existing, wanted):
    return ArmError(
        409, "InvalidResourceLocation",
        f"The resource '{name}' already exists in location '{existing}' in resource group '{rg}'. A resource with "
        f"the same name cannot be created in location '{wanted}'. Please select a new resource name.",
    )


def put_nsg(sandbox, req, sub, rg, nsg):
    sandbox.require_group(sub, rg)
    body = req.body or {}
    existing = sandbox.state.get(NSG, sub, rg, nsg)
    check_if_match(req, existing and existing["etag"])
    location = normalize_location(body.get("location"))
    if not location and existing is None:
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    if existing is not None:
        if location and location != existing["location"]:
            raise _location_conflict(NSG, existing["name"], rg, existing["location"], location)
        _ensure_idle(sandbox, req, sub, rg, existing)
    props = body.get("properties") or {}
    target = existing or _new_nsg(sub, rg, nsg, location)
    rules = [build_rule(target["id"], r.get("name", ""), r) for r in props.get("securityRules") or []]
    names = [r["name"].lower() for r in rules]
    if len(names) != len(set(names)):
        raise bad_request("InvalidRequestFormat", "Cannot parse the request: duplicate security rule names.")
    _check_conflicts(rules)
    references.check_rule_asgs(sandbox, rules)
    for rule in rules:
        rule["properties"]["provisioningState"] = "Updating"
    target["properties"]["securityRules"] = rules
    if "tags" in body:
        target["tags"] = dict(body["tags"] or {})
    if "flushConnection" in props:
        target["properties"]["flushConnection"] = bool(props["flushConnection"])
    _touch(target, "Updating")
    sandbox.state.put(NSG, sub, rg, nsg, target)
    op = _start_write(sandbox, req, sub, rg, target, "nsg-put")
    headers = {"Azure-AsyncOperation": _monitor_url(req, sub, target["location"], op), **_retry_headers(sandbox)}
    return Response(200 if existing else 201, _render_nsg(sandbox, target), headers)


def patch_nsg(sandbox, req, sub, rg, nsg):
    target = _get_nsg(sandbox, sub, rg, nsg)
    check_if_match(req, target["etag"])
    _ensure_idle(sandbox, req, sub, rg, target)
    body = req.body or {}
    if "tags" in body:
        target["tags"] = dict(body["tags"] or {})
    _touch(target)
    return Response(200, _render_nsg(sandbox, target))


def delete_nsg(sandbox, req, sub, rg, nsg):
    sandbox.require_group(sub, rg)
    target = sandbox.state.get(NSG, sub, rg, nsg)
    if target is None:
        if req.headers.get("If-Match") not in (None,):
            check_if_match(req, None)
        return Response(204)
    check_if_match(req, target["etag"])
    _ensure_idle(sandbox, req, sub, rg, target)
    refs = target.get("_refs", {})
    users = refs.get("networkInterfaces", []) + refs.get("subnets", [])
    if users:
        raise bad_request(
            "InUseNetworkSecurityGroupCannotBeDeleted",
            f"Network security group {target['id']} cannot be deleted because it is in use by the following "
            f"resources: {', '.join(users)}. In order to delete the Network security group, remove the association "
            "with the resource(s). To learn how to do this, see aka.ms/deletensg.",
        )
    target["properties"]["provisioningState"] = "Deleting"

    def finish(op):
        sandbox.state.delete(NSG, sub, rg, nsg)

    op = sandbox.lro.start(lock_key=_nsg_lock(sub, rg, nsg), on_done=finish, kind="nsg-delete", resource=target["id"])
    headers = {
        "Location": _results_url(req, sub, target["location"], op),
        "Azure-AsyncOperation": _monitor_url(req, sub, target["location"], op),
        **_retry_headers(sandbox),
    }
    return Response(202, None, headers)


# ---- security rule handlers ------------------------------------------------------------------------

def _find_rule(nsg, name, kind="securityRules"):
    for rule in nsg["properties"][kind]:
        if rule["name"].lower() == name.lower():
            return rule
    return None


def get_rule(sandbox, req, sub, rg, nsg, rule):
    target = _get_nsg(sandbox, sub, rg, nsg, parent=True)
    found = _find_rule(target, rule)
    if found is None:
        raise _nested_not_found(f"{target['id']}/securityRules/{rule}")
    return Response(200, strip_internal(found))


def list_rules(sandbox, req, sub, rg, nsg):
    target = _get_nsg(sandbox, sub, rg, nsg, parent=True)
    return Response(200, page(req, strip_internal(target["properties"]["securityRules"]), sandbox.page_size))


def put_rule(sandbox, req, sub, rg, nsg, rule):
    target = _get_nsg(sandbox, sub, rg, nsg, parent=True)
    existing = _find_rule(target, rule)
    check_if_match(req, existing and existing["etag"])
    _ensure_idle(sandbox, req, sub, rg, target)
    new_rule = build_rule(target["id"], existing["name"] if existing else rule, req.body)
    others = [r for r in target["properties"]["securityRules"] if r is not existing]
    _check_conflicts(others + [new_rule])
    references.check_rule_asgs(sandbox, [new_rule])
    new_rule["properties"]["provisioningState"] = "Updating"
    if existing is not None:
        index = target["properties"]["securityRules"].index(existing)
        target["properties"]["securityRules"][index] = new_rule
    else:
        target["properties"]["securityRules"].append(new_rule)
    _touch(target, "Updating")
    op = _start_write(sandbox, req, sub, rg, target, "rule-put")
    headers = {"Azure-AsyncOperation": _monitor_url(req, sub, target["location"], op), **_retry_headers(sandbox)}
    return Response(200 if existing else 201, strip_internal(new_rule), headers)


def delete_rule(sandbox, req, sub, rg, nsg, rule):
    target = _get_nsg(sandbox, sub, rg, nsg, parent=True)
    existing = _find_rule(target, rule)
    if existing is None:
        if req.headers.get("If-Match") is not None:
            check_if_match(req, None)
        return Response(204)
    check_if_match(req, existing["etag"])
    _ensure_idle(sandbox, req, sub, rg, target)
    existing["properties"]["provisioningState"] = "Deleting"
    _touch(target, "Updating")
    op = _start_write(sandbox, req, sub, rg, target, "rule-delete")
    headers = {
        "Location": _results_url(req, sub, target["location"], op),
        "Azure-AsyncOperation": _monitor_url(req, sub, target["location"], op),
        **_retry_headers(sandbox),
    }
    return Response(202, None, headers)


def list_default_rules(sandbox, req, sub, rg, nsg):
    target = _get_nsg(sandbox, sub, rg, nsg, parent=True)
    return Response(200, page(req, strip_internal(target["properties"]["defaultSecurityRules"]), sandbox.page_size))


def get_default_rule(sandbox, req, sub, rg, nsg, rule):
    target = _get_nsg(sandbox, sub, rg, nsg, parent=True)
    found = _find_rule(target, rule, "defaultSecurityRules")
    if found is None:
        raise _nested_not_found(f"{target['id']}/defaultSecurityRules/{rule}")
    return Response(200, strip_internal(found))


# ---- async operation endpoints ---------------------------------------------------------------------

def operation_status(sandbox, req, sub, location, op_id):
    op = sandbox.lro.poll(op_id)
    if op is None:
        raise ArmError(404, "OperationNotFound", f"Operation {op_id} not found.")
    body = {"status": op.status}
    if op.error:
        body["error"] = op.error
    headers = _retry_headers(sandbox) if not op.done else {}
    return Response(200, body, headers)


def operation_result(sandbox, req, sub, location, op_id):
    op = sandbox.lro.poll(op_id)
    if op is None:
        raise ArmError(404, "OperationNotFound", f"Operation {op_id} not found.")
    if not op.done:
        return Response(202, None, {"Location": req.url(req.path), **_retry_headers(sandbox)})
    return Response(204)


# ---- service tags ----------------------------------------------------------------------------------

def _require_tag_location(req, location, type_name):
    """ARM's answer for a location the resource type is not registered in: 400 NoRegisteredProviderFound, naming the
    supported api-versions and locations (the answer real ARM gives for any locations/* type, e.g. vmSizes)."""
    if normalize_location(location) in servicetags.LOCATIONS:
        return
    raise ArmError(
        400, "NoRegisteredProviderFound",
        f"No registered resource provider found for location '{location}' and API version '{req.api_version}' for "
        f"type '{type_name}'. The supported api-versions are '{', '.join(sorted(API_VERSIONS))}'. "
        f"The supported locations are '{', '.join(servicetags.LOCATIONS)}'.")


def list_service_tags(sandbox, req, sub, location):
    _require_tag_location(req, location, "locations/serviceTags")
    return Response(200, {
        "name": "public",
        "id": f"/subscriptions/{sub}/providers/Microsoft.Network/serviceTags/public",
        "type": "Microsoft.Network/serviceTags",
        "changeNumber": servicetags.CHANGE_NUMBER,
        "cloud": "Public",
        "values": servicetags.SERVICE_TAGS,
    })


def list_service_tag_details(sandbox, req, sub, location):
    _require_tag_location(req, location, "locations/serviceTagDetails")
    wanted = (req.q("tagName") or "").lower()
    no_prefixes = (req.q("noAddressPrefixes") or "").lower() == "true"
    values = []
    for tag in servicetags.SERVICE_TAGS:
        if wanted and tag["name"].lower() != wanted:
            continue
        props = dict(tag["properties"])
        if no_prefixes:
            props.pop("addressPrefixes")
        values.append({"name": tag["name"], "id": tag["id"], "serviceTagChangeNumber": servicetags.CHANGE_NUMBER,
                       "properties": props})
    return Response(200, page(req, values, max(sandbox.page_size, 100)))


# ---- read-only network resources (vnets/subnets, NICs, load balancers, public IPs) -----------------

def _readonly_handlers(kind, type_name):
    def get_one(sandbox, req, sub, rg, name):
        sandbox.require_group(sub, rg)
        found = sandbox.state.get(kind, sub, rg, name)
        if found is None:
            raise not_found("Microsoft.Network/%s" % type_name, name, rg)
        return Response(200, strip_internal(found))

    def list_group(sandbox, req, sub, rg):
        sandbox.require_group(sub, rg)
        return Response(200, page(req, sandbox.state.list(kind, sub, rg), sandbox.page_size, strip_internal))

    def list_all(sandbox, req, sub):
        return Response(200, page(req, sandbox.state.list(kind, sub), sandbox.page_size, strip_internal))

    return get_one, list_group, list_all


def _subnet_of(sandbox, sub, rg, vnet, subnet):
    sandbox.require_group(sub, rg)
    network = sandbox.state.get(VNET, sub, rg, vnet)
    if network is None:
        raise _parent_not_found(vnet)
    for item in network["properties"]["subnets"]:
        if item["name"].lower() == subnet.lower():
            return item
    raise _nested_not_found(f"{network['id']}/subnets/{subnet}")


def get_subnet(sandbox, req, sub, rg, vnet, subnet):
    return Response(200, strip_internal(_subnet_of(sandbox, sub, rg, vnet, subnet)))


def list_subnets(sandbox, req, sub, rg, vnet):
    sandbox.require_group(sub, rg)
    network = sandbox.state.get(VNET, sub, rg, vnet)
    if network is None:
        raise _parent_not_found(vnet)
    return Response(200, page(req, strip_internal(network["properties"]["subnets"]), sandbox.page_size))


_BASE = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network"
_NSG = _BASE + "/networkSecurityGroups/{nsg}"
_LOC = "/subscriptions/{sub}/providers/Microsoft.Network/locations/{location}"
ROUTES = [
    ("GET", _NSG, get_nsg, None),
    ("PUT", _NSG, put_nsg, "networkSecurityGroup.json#/definitions/NetworkSecurityGroup"),
    ("PATCH", _NSG, patch_nsg, "network.json#/definitions/TagsObject"),
    ("DELETE", _NSG, delete_nsg, None),
    ("GET", _BASE + "/networkSecurityGroups", list_nsgs, None),
    ("GET", "/subscriptions/{sub}/providers/Microsoft.Network/networkSecurityGroups", list_all_nsgs, None),
    ("GET", _NSG + "/securityRules", list_rules, None),
    ("GET", _NSG + "/securityRules/{rule}", get_rule, None),
    ("PUT", _NSG + "/securityRules/{rule}", put_rule, "networkSecurityGroup.json#/definitions/SecurityRule"),
    ("DELETE", _NSG + "/securityRules/{rule}", delete_rule, None),
    ("GET", _NSG + "/defaultSecurityRules", list_default_rules, None),
    ("GET", _NSG + "/defaultSecurityRules/{rule}", get_default_rule, None),
    ("GET", _LOC + "/operations/{op_id}", operation_status, None),
    ("GET", _LOC + "/operationResults/{op_id}", operation_result, None),
    ("GET", _LOC + "/serviceTags", list_service_tags, None),
    ("GET", _LOC + "/serviceTagDetails", list_service_tag_details, None),
    ("GET", _BASE + "/virtualNetworks/{vnet}/subnets/{subnet}", get_subnet, None),
    ("GET", _BASE + "/virtualNetworks/{vnet}/subnets", list_subnets, None),
]
for _kind in (VNET, NIC, LB, PIP):
    _get, _list, _all = _readonly_handlers(_kind, _kind)
    ROUTES += [
        ("GET", _BASE + f"/{_kind}/{{name}}", _get, None),
        ("GET", _BASE + f"/{_kind}", _list, None),
        ("GET", f"/subscriptions/{{sub}}/providers/Microsoft.Network/{_kind}", _all, None),
    ]


# ---- fixtures --------------------------------------------------------------------------------------

def _ref(value, sub, rg, kind):
    """A fixture reference: a full ARM id, or a name in the same resource group."""
    if not value:
        return None
    if isinstance(value, dict):
        value = value.get("id") or value.get("name")
    if str(value).startswith("/subscriptions/"):
        return value
    return resource_id(sub, rg, kind, value)


def _subnet_ref(value, sub, rg):
    if not value:
        return None
    if isinstance(value, dict):
        if "id" in value:
            return value["id"]
        return f"{resource_id(sub, rg, VNET, value['vnet'])}/subnets/{value['name']}"
    if str(value).startswith("/subscriptions/"):
        return value
    vnet, _unused, subnet = str(value).partition("/")
    return f"{resource_id(sub, rg, VNET, vnet)}/subnets/{subnet}"


def _tracked(kind, type_name, spec, sub, location):
    rg = spec["resource_group"]
    item = {
        "name": spec["name"],
        "id": resource_id(sub, rg, kind, spec["name"]),
        "etag": etag_guid(),
        "type": f"Microsoft.Network/{type_name}",
        "location": normalize_location(spec.get("location") or location),
        "_sub": sub,
        "_rg": rg,
    }
    if spec.get("tags"):
        item["tags"] = dict(spec["tags"])
    return item


def _load_nsg(sandbox, spec, sub):
    rg = spec["resource_group"]
    nsg = _new_nsg(sub, rg, spec["name"], spec.get("location") or sandbox.group_location(sub, rg), spec.get("tags"))
    rules = [build_rule(nsg["id"], r.get("name", ""), r) for r in spec.get("security_rules", [])]
    _check_conflicts(rules)
    nsg["properties"]["securityRules"] = rules
    _touch(nsg)
    sandbox.state.put(NSG, sub, rg, spec["name"], nsg)


def _load_vnet(sandbox, spec, sub):
    rg = spec["resource_group"]
    vnet = _tracked(VNET, "virtualNetworks", spec, sub, sandbox.group_location(sub, rg))
    subnets = []
    for s in spec.get("subnets", []):
        props = {"provisioningState": "Succeeded", "addressPrefix": s.get("address_prefix", "10.0.0.0/24"),
                 "privateEndpointNetworkPolicies": "Disabled", "privateLinkServiceNetworkPolicies": "Enabled"}
        nsg_ref = _ref(s.get("network_security_group"), sub, rg, NSG)
        if nsg_ref:
            props["networkSecurityGroup"] = {"id": nsg_ref}
        route_table = _ref(s.get("route_table"), sub, rg, "routeTables")
        if route_table:
            props["routeTable"] = {"id": route_table}
        nat_gateway = _ref(s.get("nat_gateway"), sub, rg, "natGateways")
        if nat_gateway:
            props["natGateway"] = {"id": nat_gateway}
        if s.get("default_outbound_access") is not None:
            # Absent unless the fixture sets it, as ARM answers for subnets created before the property existed.
            props["defaultOutboundAccess"] = bool(s["default_outbound_access"])
        subnets.append({"name": s["name"], "id": f"{vnet['id']}/subnets/{s['name']}", "etag": vnet["etag"],
                        "type": "Microsoft.Network/virtualNetworks/subnets", "properties": props})
    vnet["properties"] = spec.get("properties") or {
        "provisioningState": "Succeeded",
        "resourceGuid": new_guid(),
        "addressSpace": {"addressPrefixes": spec.get("address_prefixes", ["10.0.0.0/16"])},
        "subnets": subnets,
        "virtualNetworkPeerings": [],
        "enableDdosProtection": False,
    }
    sandbox.state.put(VNET, sub, rg, spec["name"], vnet)


def _load_nic(sandbox, spec, sub):
    rg = spec["resource_group"]
    nic = _tracked(NIC, "networkInterfaces", spec, sub, sandbox.group_location(sub, rg))
    if spec.get("properties"):
        nic["properties"] = spec["properties"]
    else:
        ip_props = {
            "provisioningState": "Succeeded",
            "privateIPAddress": spec.get("private_ip", "10.0.0.4"),
            "privateIPAllocationMethod": spec.get("allocation", "Dynamic"),
            "subnet": {"id": _subnet_ref(spec.get("subnet"), sub, rg)},
            "primary": True,
            "privateIPAddressVersion": "IPv4",
        }
        pip = _ref(spec.get("public_ip"), sub, rg, PIP)
        if pip:
            ip_props["publicIPAddress"] = {"id": pip}
        pools = [p if str(p).startswith("/subscriptions/") else
                 f"{resource_id(sub, rg, LB, p.split('/')[0])}/backendAddressPools/{p.split('/')[-1]}"
                 for p in spec.get("load_balancer_backend_pools", [])]
        if pools:
            ip_props["loadBalancerBackendAddressPools"] = [{"id": p} for p in pools]
        nic["properties"] = {
            "provisioningState": "Succeeded",
            "resourceGuid": new_guid(),
            "ipConfigurations": [{
                "name": "ipconfig1",
                "id": f"{nic['id']}/ipConfigurations/ipconfig1",
                "etag": nic["etag"],
                "type": "Microsoft.Network/networkInterfaces/ipConfigurations",
                "properties": ip_props,
            }],
            "dnsSettings": {"dnsServers": [], "appliedDnsServers": []},
            "macAddress": spec.get("mac_address", "00-0D-3A-00-00-01"),
            "enableAcceleratedNetworking": bool(spec.get("accelerated_networking", False)),
            "enableIPForwarding": bool(spec.get("ip_forwarding", False)),
            "primary": bool(spec.get("primary", True)),
            "nicType": "Standard",
        }
        nsg = _ref(spec.get("network_security_group"), sub, rg, NSG)
        if nsg:
            nic["properties"]["networkSecurityGroup"] = {"id": nsg}
    sandbox.state.put(NIC, sub, rg, spec["name"], nic)


def _load_lb(sandbox, spec, sub):
    rg = spec["resource_group"]
    lb = _tracked(LB, "loadBalancers", spec, sub, sandbox.group_location(sub, rg))
    lb["sku"] = {"name": spec.get("sku", "Standard"), "tier": "Regional"}
    if spec.get("properties"):
        lb["properties"] = spec["properties"]
    else:
        frontends = []
        for fe in spec.get("frontend_ip_configurations", [{"name": "frontend"}]):
            props = {"provisioningState": "Succeeded", "privateIPAllocationMethod": "Dynamic"}
            if fe.get("public_ip"):
                props["publicIPAddress"] = {"id": _ref(fe["public_ip"], sub, rg, PIP)}
            elif fe.get("subnet"):
                props["subnet"] = {"id": _subnet_ref(fe["subnet"], sub, rg)}
                props["privateIPAddress"] = fe.get("private_ip", "10.0.0.100")
            frontends.append({"name": fe["name"], "id": f"{lb['id']}/frontendIPConfigurations/{fe['name']}",
                              "etag": lb["etag"], "properties": props})
        pools = [{"name": p, "id": f"{lb['id']}/backendAddressPools/{p}", "etag": lb["etag"],
                  "properties": {"provisioningState": "Succeeded", "backendIPConfigurations": []}}
                 for p in spec.get("backend_address_pools", ["backend"])]
        outbound = []
        for rule in spec.get("outbound_rules", []):
            fe_names = rule.get("frontend_ip_configurations") or rule.get("frontends") or [
                fe["name"] for fe in frontends[:1]]
            pool = rule.get("backend_pool") or pools[0]["name"]
            pool_id = pool if str(pool).startswith("/subscriptions/") else f"{lb['id']}/backendAddressPools/{pool}"
            outbound.append({
                "name": rule["name"], "id": f"{lb['id']}/outboundRules/{rule['name']}", "etag": lb["etag"],
                "type": "Microsoft.Network/loadBalancers/outboundRules",
                "properties": {
                    "provisioningState": "Succeeded",
                    "allocatedOutboundPorts": int(rule.get("allocated_outbound_ports", 1024)),
                    "protocol": rule.get("protocol", "All"),
                    "enableTcpReset": bool(rule.get("enable_tcp_reset", True)),
                    "idleTimeoutInMinutes": int(rule.get("idle_timeout_in_minutes", 4)),
                    "backendAddressPool": {"id": pool_id},
                    "frontendIPConfigurations": [
                        {"id": n if str(n).startswith("/subscriptions/") else
                         f"{lb['id']}/frontendIPConfigurations/{n}"} for n in fe_names],
                },
            })
        lb["properties"] = {"provisioningState": "Succeeded", "resourceGuid": new_guid(),
                            "frontendIPConfigurations": frontends, "backendAddressPools": pools,
                            "loadBalancingRules": [], "probes": [], "inboundNatRules": [], "outboundRules": outbound}
        for rule in outbound:
            for pool in pools:
                if pool["id"].lower() == rule["properties"]["backendAddressPool"]["id"].lower():
                    pool["properties"].setdefault("outboundRules", []).append({"id": rule["id"]})
                    pool["properties"]["outboundRule"] = {"id": rule["id"]}
            for fe in frontends:
                if any(ref["id"].lower() == fe["id"].lower() for ref in rule["properties"]["frontendIPConfigurations"]):
                    fe["properties"].setdefault("outboundRules", []).append({"id": rule["id"]})
    sandbox.state.put(LB, sub, rg, spec["name"], lb)


def _load_pip(sandbox, spec, sub):
    rg = spec["resource_group"]
    pip = _tracked(PIP, "publicIPAddresses", spec, sub, sandbox.group_location(sub, rg))
    pip["sku"] = {"name": spec.get("sku", "Standard"), "tier": "Regional"}
    if spec.get("properties"):
        pip["_verbatim"] = True
    pip["properties"] = spec.get("properties") or {
        "provisioningState": "Succeeded",
        "resourceGuid": new_guid(),
        "ipAddress": spec.get("ip_address", "203.0.113.10"),
        "publicIPAddressVersion": spec.get("version", "IPv4"),
        "publicIPAllocationMethod": spec.get("allocation", "Static"),
        "idleTimeoutInMinutes": 4,
        "ipTags": [],
    }
    sandbox.state.put(PIP, sub, rg, spec["name"], pip)


LOADERS = (
    ("network_security_groups", _load_nsg),
    ("virtual_networks", _load_vnet),
    ("public_ip_addresses", _load_pip),
    ("load_balancers", _load_lb),
    ("network_interfaces", _load_nic),
)


def relink(sandbox):
    """Recompute read-only back-references (NSG -> NICs/subnets, subnet -> ipConfigurations,
    public IP -> ipConfiguration, LB pool -> backendIPConfigurations, NIC -> virtualMachine)."""
    state = sandbox.state
    by_id = {}
    for kind in (NSG, VNET, NIC, LB, PIP, ROUTE_TABLE, NAT_GATEWAY):
        for item in state.table(kind).values():
            by_id[item["id"].lower()] = item
    subnets, pools = {}, {}
    for nsg in state.table(NSG).values():
        nsg["_refs"] = {"networkInterfaces": [], "subnets": []}
    for kind in (ROUTE_TABLE, NAT_GATEWAY):
        for item in state.table(kind).values():
            if not item.get("_verbatim"):
                item["_subnets"] = []
    for pip in state.table(PIP).values():
        if not pip.get("_verbatim"):
            pip["properties"].pop("natGateway", None)
    for gateway in state.table(NAT_GATEWAY).values():
        if gateway.get("_verbatim"):
            continue
        for ref in gateway["properties"].get("publicIpAddresses", []):
            pip = by_id.get((ref.get("id") or "").lower())
            if pip is not None and not pip.get("_verbatim"):
                pip["properties"]["natGateway"] = {"id": gateway["id"]}
    for vnet in state.table(VNET).values():
        for subnet in vnet["properties"].get("subnets", []):
            subnets[subnet["id"].lower()] = subnet
            subnet["properties"].pop("ipConfigurations", None)
            nsg = by_id.get(((subnet["properties"].get("networkSecurityGroup") or {}).get("id") or "").lower())
            if nsg is not None:
                nsg["_refs"]["subnets"].append(subnet["id"])
            for key in ("routeTable", "natGateway"):
                target = by_id.get(((subnet["properties"].get(key) or {}).get("id") or "").lower())
                if target is not None and "_subnets" in target:
                    target["_subnets"].append(subnet["id"])
    for lb in state.table(LB).values():
        for pool in lb["properties"].get("backendAddressPools", []):
            pools[pool["id"].lower()] = pool
            pool["properties"]["backendIPConfigurations"] = []
    for nic in state.table(NIC).values():
        nsg = by_id.get(((nic["properties"].get("networkSecurityGroup") or {}).get("id") or "").lower())
        if nsg is not None:
            nsg["_refs"]["networkInterfaces"].append(nic["id"])
        for ipc in nic["properties"].get("ipConfigurations", []):
            props = ipc["properties"]
            subnet = subnets.get(((props.get("subnet") or {}).get("id") or "").lower())
            if subnet is not None:
                subnet["properties"].setdefault("ipConfigurations", []).append({"id": ipc["id"]})
            pip = by_id.get(((props.get("publicIPAddress") or {}).get("id") or "").lower())
            if pip is not None:
                pip["properties"]["ipConfiguration"] = {"id": ipc["id"]}
            for ref in props.get("loadBalancerBackendAddressPools", []):
                pool = pools.get(ref["id"].lower())
                if pool is not None:
                    pool["properties"]["backendIPConfigurations"].append({"id": ipc["id"]})
