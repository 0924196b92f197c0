"""The in-memory ARM state: identities, subscriptions, resource groups and resources.

Everything is guarded by one re-entrant lock (`State.lock`); the HTTP server holds it while a
handler runs. Resources are stored per kind as ARM JSON dicts; keys starting with '_' are
sandbox-internal and never sent to clients (see common.strip_internal).
"""

import threading

from . import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_SUBSCRIPTION_ID,
    DEFAULT_TENANT_ID,
)


def rkey(subscription_id, resource_group, name):
    return (subscription_id.lower(), resource_group.lower(), name.lower())


class State:
    def __init__(self):
        self.lock = threading.RLock()
        self.reset()

    def reset(self):
        with self.lock:
            self.tenants = {DEFAULT_TENANT_ID: {"tenant_id": DEFAULT_TENANT_ID}}
            self.principals = {
                DEFAULT_CLIENT_ID: {
                    "client_id": DEFAULT_CLIENT_ID,
                    "client_secret": DEFAULT_CLIENT_SECRET,
                    "tenant_id": DEFAULT_TENANT_ID,
                    "object_id": "44444444-4444-4444-4444-444444444444",
                    "display_name": "azbackup-sandbox-sp",
                    "subscriptions": None,  # None = may use every subscription of its tenant
                }
            }
            self.subscriptions = {}
            self.add_subscription(
                {"subscription_id": DEFAULT_SUBSCRIPTION_ID, "display_name": "Sandbox Subscription"}
            )
            self.resource_groups = {}
            self.resources = {}  # kind -> {rkey: resource dict}

    # ---- identities -------------------------------------------------------------------------
    def add_subscription(self, spec):
        sub_id = spec["subscription_id"]
        tenant = spec.get("tenant_id", DEFAULT_TENANT_ID)
        self.tenants.setdefault(tenant, {"tenant_id": tenant})
        self.subscriptions[sub_id.lower()] = {
            "id": f"/subscriptions/{sub_id}",
            "subscriptionId": sub_id,
            "tenantId": tenant,
            "displayName": spec.get("display_name", f"Subscription {sub_id[:8]}"),
            "state": spec.get("state", "Enabled"),
            "subscriptionPolicies": {
                "locationPlacementId": "Public_2014-09-01",
                "quotaId": "PayAsYouGo_2014-09-01",
                "spendingLimit": "Off",
            },
            "authorizationSource": "RoleBased",
        }

    def add_principal(self, spec):
        tenant = spec.get("tenant_id", DEFAULT_TENANT_ID)
        self.tenants.setdefault(tenant, {"tenant_id": tenant})
        client_id = spec["client_id"]
        self.principals[client_id.lower()] = {
            "client_id": client_id,
            "client_secret": spec["client_secret"],
            "tenant_id": tenant,
            "object_id": spec.get("object_id", client_id),
            "display_name": spec.get("display_name", f"sp-{client_id[:8]}"),
            "subscriptions": spec.get("subscriptions"),
        }

    def principal(self, client_id):
        return self.principals.get((client_id or "").lower())

    def subscription(self, sub_id):
        return self.subscriptions.get((sub_id or "").lower())

    # ---- resource groups --------------------------------------------------------------------
    def resource_group(self, sub_id, name):
        return self.resource_groups.get((sub_id.lower(), name.lower()))

    def groups_of(self, sub_id):
        return [g for (s, _unused), g in self.resource_groups.items() if s == sub_id.lower()]

    # ---- resources --------------------------------------------------------------------------
    def table(self, kind):
        return self.resources.setdefault(kind, {})

    def get(self, kind, sub_id, rg, name):
        return self.table(kind).get(rkey(sub_id, rg, name))

    def put(self, kind, sub_id, rg, name, resource):
        self.table(kind)[rkey(sub_id, rg, name)] = resource

    def delete(self, kind, sub_id, rg, name):
        return self.table(kind).pop(rkey(sub_id, rg, name), None)

    def list(self, kind, sub_id, rg=None):
        sub = sub_id.lower()
        group = rg.lower() if rg else None
        return [
            res
            for (s, g, _unused), res in self.table(kind).items()
            if s == sub and (group is None or g == group)
        ]

    def by_id(self, kind, resource_id):
        """Look a resource up by its ARM id (…/resourceGroups/{rg}/providers/…/{type}/{name})."""
        parts = (resource_id or "").strip("/").split("/")
        if len(parts) < 8:
            return None
        return self.get(kind, parts[1], parts[3], parts[7])

    def dump(self):
        return {
            "tenants": sorted(self.tenants),
            "principals": [
                {k: v for k, v in p.items() if k != "client_secret"} for p in self.principals.values()
            ],
            "subscriptions": list(self.subscriptions.values()),
            "resource_groups": list(self.resource_groups.values()),
            "resources": {kind: [{k: v for k, v in res.items() if k != "_cache"} for res in table.values()]
                          for kind, table in self.resources.items()},
        }
