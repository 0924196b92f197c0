"""Denied scopes (fault setting `deny`): ARM's 403 AuthorizationFailed for chosen actions over chosen scopes.

An entry is {"scope": "/subscriptions/S/resourceGroups/rg-net", "actions": ["Microsoft.Network/virtualNetworks/read"]}
(actions are fnmatch patterns, case-insensitive; no actions = every action). A request is denied when an entry's
action matches and either the request's scope lies at or under the entry's scope, or the request is a
subscription-wide list of a provider's resources (or of `…/resources`) and the entry's scope lies inside that
subscription: a principal with Reader on some resource groups only cannot list the whole subscription.
"""

import fnmatch

from .common import ArmError

_VERBS = {"GET": "read", "HEAD": "read", "PUT": "write", "PATCH": "write", "DELETE": "delete"}


def validate(entries):
    """The `deny` setting, checked and normalised; raises ValueError (400 from the control API)."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise ValueError("deny must be a list of {scope, actions}")
    out = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("scope"), str) or not entry["scope"].startswith("/"):
            raise ValueError(f"deny entry needs a scope starting with '/': {entry!r}")
        actions = entry.get("actions", ["*"])
        if isinstance(actions, str):
            actions = [actions]
        if not isinstance(actions, list) or not all(isinstance(a, str) and a for a in actions):
            raise ValueError(f"deny entry actions must be a list of patterns: {entry!r}")
        unknown = set(entry) - {"scope", "actions"}
        if unknown:
            raise ValueError(f"deny entry has unknown keys {sorted(unknown)}: {entry!r}")
        out.append({"scope": entry["scope"].rstrip("/") or "/", "actions": list(actions)})
    return out


def describe(method, path):
    """(action, scope, subscription-wide list?) of an ARM request path.

    The action is `<namespace>/<type path>/<read|write|delete>` (POST: `<…>/<operation>/action`); requests outside a
    provider are Microsoft.Resources actions (`Microsoft.Resources/subscriptions/resourceGroups/read`). The scope is
    the resource id for a resource, the parent (subscription, group or resource) for a collection:
    `/subscriptions/S/resourceGroups/rg` for `…/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks`.
    """
    segments = [s for s in path.strip("/").split("/") if s]
    lower = [s.lower() for s in segments]
    verb = _VERBS.get(method.upper(), "action")
    operation = None
    if verb == "action" and segments:
        operation, segments, lower = segments[-1], segments[:-1], lower[:-1]
    if "providers" in lower and lower.index("providers") + 1 < len(segments):
        i = lower.index("providers")
        namespace = segments[i + 1]
        rest = segments[i + 2:]
        types = rest[0::2]
        collection = len(rest) % 2 == 1
        if not rest and operation is None:  # …/providers/{namespace}: the provider registration itself
            namespace, types, collection = "Microsoft.Resources", ["subscriptions", "providers"], False
        if len(rest) <= 1:  # a provider's top-level collection, or the provider itself: the group or subscription
            scope_parts = segments[:i]
        else:
            scope_parts = segments[:-1] if collection else segments
        subscription_list = collection and len(segments) == 5 and lower[0] == "subscriptions"
    else:
        namespace = "Microsoft.Resources"
        types = segments[0::2]
        collection = len(segments) % 2 == 1
        scope_parts = segments[:-1] if collection else segments
        subscription_list = collection and len(segments) == 3 and lower[0] == "subscriptions" and lower[2] == "resources"
    action = "/".join([namespace, *types])
    action += f"/{operation}/action" if operation else f"/{verb}"
    scope = "/" + "/".join(scope_parts)
    return action, scope, subscription_list


def _under(scope, parent):
    scope, parent = scope.lower().rstrip("/"), parent.lower().rstrip("/")
    return parent in ("", "/") or scope == parent or scope.startswith(parent + "/")


def check(entries, req):
    """Raise 403 AuthorizationFailed when a `deny` entry covers this ARM request."""
    if not entries:
        return
    action, scope, subscription_list = describe(req.method, req.path)
    for entry in entries:
        if not any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in entry["actions"]):
            continue
        if _under(scope, entry["scope"]) or (subscription_list and _under(entry["scope"], scope)):
            raise failed(req.principal, action, scope)


def failed(principal, action, scope):
    return ArmError(
        403, "AuthorizationFailed",
        f"The client '{principal['client_id']}' with object id '{principal['object_id']}' does not have authorization "
        f"to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, "
        "please refresh your credentials.",
    )
