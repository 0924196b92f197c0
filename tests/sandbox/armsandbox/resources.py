"""Microsoft.Resources: subscriptions, resource groups, resource provider registration."""

from .common import ArmError, Response, normalize_location, page, retry_after_headers

API_VERSIONS = frozenset({
    "2016-02-01", "2016-06-01", "2019-10-01", "2020-01-01", "2021-01-01", "2021-04-01",
    "2022-09-01", "2022-12-01", "2024-03-01", "2024-11-01", "2025-04-01",
})

# Resource-group-scoped kinds removed together with their resource group.
KINDS_IN_GROUP = (
    "networkSecurityGroups", "virtualNetworks", "networkInterfaces", "loadBalancers",
    "publicIPAddresses", "routeTables", "natGateways", "vaults", "virtualMachines", "applicationSecurityGroups",
    "userAssignedIdentities",
)
REGISTERED_NAMESPACES = (
    "Microsoft.Network", "Microsoft.RecoveryServices", "Microsoft.Compute", "Microsoft.Resources",
    "Microsoft.ManagedIdentity",
)


def group_body(group):
    return {k: v for k, v in group.items() if not k.startswith("_")}


def add_group(sandbox, sub_id, name, location, tags=None):
    group = {
        "id": f"/subscriptions/{sub_id}/resourceGroups/{name}",
        "name": name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": normalize_location(location),
        "properties": {"provisioningState": "Succeeded"},
    }
    if tags:
        group["tags"] = dict(tags)
    sandbox.state.resource_groups[(sub_id.lower(), name.lower())] = group
    return group


# ---- subscriptions -----------------------------------------------------------------------------

def list_subscriptions(sandbox, req):
    tenant = req.principal["tenant_id"]
    allowed = req.principal.get("subscriptions")
    subs = [
        s for s in sandbox.state.subscriptions.values()
        if s["tenantId"] == tenant and (allowed is None or s["subscriptionId"].lower() in {a.lower() for a in allowed})
    ]
    return Response(200, page(req, subs, sandbox.page_size))


def get_subscription(sandbox, req, sub):
    return Response(200, sandbox.state.subscription(sub))


# ---- resource groups ---------------------------------------------------------------------------

def list_groups(sandbox, req, sub):
    return Response(200, page(req, [group_body(g) for g in sandbox.state.groups_of(sub)], sandbox.page_size))


def get_group(sandbox, req, sub, rg):
    return Response(200, group_body(sandbox.require_group(sub, rg)))


def head_group(sandbox, req, sub, rg):
    return Response(204 if sandbox.state.resource_group(sub, rg) else 404)


def put_group(sandbox, req, sub, rg):
    body = req.body or {}
    if not body.get("location"):
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    if len(rg) > 90 or rg.endswith("."):
        raise ArmError(400, "InvalidResourceGroupName",
                       f"The provided resource group name '{rg}' has these invalid characters or length.")
    existing = sandbox.state.resource_group(sub, rg)
    if existing is not None:
        if normalize_location(body["location"]) != existing["location"]:
            raise ArmError(
                409, "InvalidResourceGroupLocation",
                f"Invalid resource group location '{normalize_location(body['location'])}'. The Resource group "
                f"already exists in location '{existing['location']}'.",
            )
        if "tags" in body:
            existing["tags"] = dict(body["tags"] or {})
        return Response(200, group_body(existing))
    return Response(201, group_body(add_group(sandbox, sub, rg, body["location"], body.get("tags"))))


def patch_group(sandbox, req, sub, rg):
    group = sandbox.require_group(sub, rg)
    if "tags" in (req.body or {}):
        group["tags"] = dict(req.body["tags"] or {})
    return Response(200, group_body(group))


def delete_group(sandbox, req, sub, rg):
    group = sandbox.state.resource_group(sub, rg)
    if group is None:
        return Response(204)

    def finish(op):
        sandbox.state.resource_groups.pop((sub.lower(), rg.lower()), None)
        for kind in KINDS_IN_GROUP:
            for resource in sandbox.state.list(kind, sub, rg):
                sandbox.state.delete(kind, sub, rg, resource["name"])

    group["properties"]["provisioningState"] = "Deleting"
    op = sandbox.lro.start(lock_key=("rg", sub.lower(), rg.lower()), on_done=finish, kind="rg-delete")
    location = req.url(f"/subscriptions/{sub}/operationresults/{op.id}")
    headers = {"Location": location, **retry_after_headers(sandbox.faults.settings["lro_retry_after"])}
    return Response(202, None, headers)


def group_operation_result(sandbox, req, sub, op_id):
    op = sandbox.lro.poll(op_id)
    if op is None:
        raise ArmError(404, "OperationNotFound", f"The operation '{op_id}' could not be found.")
    if not op.done:
        headers = {"Location": req.url(req.path), **retry_after_headers(sandbox.faults.settings["lro_retry_after"])}
        return Response(202, None, headers)
    return Response(200)


# ---- providers ---------------------------------------------------------------------------------

def _provider(sub, namespace):
    return {
        "id": f"/subscriptions/{sub}/providers/{namespace}",
        "namespace": namespace,
        "registrationState": "Registered",
        "registrationPolicy": "RegistrationRequired",
        "resourceTypes": [],
    }


def get_provider(sandbox, req, sub, namespace):
    return Response(200, _provider(sub, namespace))


def register_provider(sandbox, req, sub, namespace):
    return Response(200, _provider(sub, namespace))


def list_providers(sandbox, req, sub):
    return Response(200, {"value": [_provider(sub, ns) for ns in REGISTERED_NAMESPACES]})


_RG = "/subscriptions/{sub}/resourcegroups/{rg}"
ROUTES = [
    ("GET", "/subscriptions", list_subscriptions, None),
    ("GET", "/subscriptions/{sub}", get_subscription, None),
    ("GET", "/subscriptions/{sub}/resourcegroups", list_groups, None),
    ("GET", _RG, get_group, None),
    ("HEAD", _RG, head_group, None),
    ("PUT", _RG, put_group, None),
    ("PATCH", _RG, patch_group, None),
    ("DELETE", _RG, delete_group, None),
    ("GET", "/subscriptions/{sub}/operationresults/{op_id}", group_operation_result, None),
    ("GET", "/subscriptions/{sub}/providers", list_providers, None),
    ("GET", "/subscriptions/{sub}/providers/{namespace}", get_provider, None),
    ("POST", "/subscriptions/{sub}/providers/{namespace}/register", register_provider, None),
]


def load(sandbox, data):
    """Fixture keys: subscriptions, service_principals, resource_groups."""
    state = sandbox.state
    for sub in data.get("subscriptions", []):
        state.add_subscription(sub)
    for principal in data.get("service_principals", []):
        state.add_principal(principal)
    for group in data.get("resource_groups", []):
        sub = group.get("subscription_id", sandbox.default_subscription)
        if state.subscription(sub) is None:
            state.add_subscription({"subscription_id": sub})
        add_group(sandbox, sub, group["name"], group["location"], group.get("tags"))
