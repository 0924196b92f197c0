"""References between resources that ARM resolves when a resource is written.

A reference to a resource that does not exist is rejected with 400 `InvalidResourceReference` (the code
ARM-CONTRACT.md §5b gives for dangling ASG and identity references) and nothing is stored.
"""

from .common import ArmError

ASG = "applicationSecurityGroups"
ASG_TYPE = "Microsoft.Network/applicationSecurityGroups"
IDENTITY = "userAssignedIdentities"
IDENTITY_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"


def lookup(sandbox, kind, type_name, resource_id):
    """The stored resource an ARM id names (any casing), or None."""
    parts = str(resource_id or "").strip("/").split("/")
    if len(parts) != 8 or parts[0].lower() != "subscriptions" or parts[2].lower() != "resourcegroups":
        return None
    if parts[4].lower() != "providers" or f"{parts[5]}/{parts[6]}".lower() != type_name.lower():
        return None
    return sandbox.state.get(kind, parts[1], parts[3], parts[7])


def _invalid(ref, owner):
    return ArmError(
        400, "InvalidResourceReference",
        f"Resource {ref} referenced by resource {owner} was not found. Please make sure that the referenced resource "
        "exists, and that both resources are in the same region.",
    )


def check_rule_asgs(sandbox, rules):
    """Every source/destinationApplicationSecurityGroups id of the rules names an existing ASG."""
    for rule in rules:
        props = rule.get("properties") or {}
        for side in ("source", "destination"):
            for group in props.get(f"{side}ApplicationSecurityGroups") or []:
                ref = (group or {}).get("id")
                if lookup(sandbox, ASG, ASG_TYPE, ref) is None:
                    raise _invalid(ref, rule["id"])


def check_identities(sandbox, identity, owner_id):
    """Every key of identity.userAssignedIdentities names an existing user-assigned identity."""
    if not isinstance(identity, dict):
        return
    for ref in identity.get("userAssignedIdentities") or {}:
        if lookup(sandbox, IDENTITY, IDENTITY_TYPE, ref) is None:
            raise _invalid(ref, owner_id)
