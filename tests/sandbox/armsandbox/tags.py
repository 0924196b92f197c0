"""ARM's Tags API on a vault (Microsoft.Resources/tags/default, Tags_UpdateAtScope / Tags_GetAtScope).

ARM applies a Merge, Replace or Delete to the tags the resource has when the request arrives; the sandbox does it under
its state lock, so concurrent merges of different tags all land.
"""

from .common import ArmError, bad_request, etag_datetime, iso_now, not_found
from .vaults import KIND, TYPE

API_VERSIONS = frozenset({"2021-04-01", "2022-09-01", "2023-07-01", "2024-03-01"})
MAX_TAGS = 50


def _vault(sandbox, sub, rg, vault):
    sandbox.require_group(sub, rg)
    found = sandbox.state.get(KIND, sub, rg, vault)
    if found is None:
        raise not_found(TYPE, vault, rg)
    return found


def _render(found):
    return {"id": found["id"] + "/providers/Microsoft.Resources/tags/default", "name": "default",
            "type": "Microsoft.Resources/tags", "properties": {"tags": dict(found.get("tags") or {})}}


def get_tags(sandbox, req, sub, rg, vault):
    from .common import Response

    return Response(200, _render(_vault(sandbox, sub, rg, vault)))


def patch_tags(sandbox, req, sub, rg, vault):
    from .common import Response

    found = _vault(sandbox, sub, rg, vault)
    body = req.body if isinstance(req.body, dict) else {}
    operation = str(body.get("operation", ""))
    tags = (body.get("properties") or {}).get("tags")
    if operation.lower() not in ("merge", "replace", "delete"):
        raise bad_request("InvalidTagOperation", f"The tag operation '{operation}' is not valid. Allowed values: "
                          "Replace, Merge, Delete.")
    if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
        raise bad_request("InvalidRequestContent", "properties.tags must be a map of strings.")
    current = dict(found.get("tags") or {})
    if operation.lower() == "merge":
        current.update(tags)
    elif operation.lower() == "replace":
        current = dict(tags)
    else:
        current = {k: v for k, v in current.items() if k not in tags or (tags[k] and tags[k] != v)}
    if len(current) > MAX_TAGS:
        raise ArmError(400, "InvalidTagCount", f"The resource would have {len(current)} tags; at most {MAX_TAGS} "
                       "are allowed.")
    found["tags"] = current
    found["etag"] = etag_datetime()
    found["systemData"]["lastModifiedAt"] = iso_now()
    return Response(200, _render(found))


_SCOPE = ("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.RecoveryServices/vaults/{vault}"
          "/providers/Microsoft.Resources/tags/default")
ROUTES = [
    ("GET", _SCOPE, get_tags, None),
    ("PATCH", _SCOPE, patch_tags, None),
]
