"""Microsoft.Resources generic resource lists: GET /subscriptions/{sub}[/resourceGroups/{rg}]/resources.

Every stored resource of every served type, as {id, name, type, location, tags (sku, kind when set)}, with
`$filter` on resourceType, name, location, tagName/tagValue (clauses joined by `and`) and `$top`.
"""

import re

from . import resources
from .common import ArmError, Response, page

API_VERSIONS = resources.API_VERSIONS
_CLAUSE = re.compile(r"^\s*(resourceType|name|location|tagName|tagValue)\s+eq\s+'([^']*)'\s*$", re.IGNORECASE)


def _parse_filter(text):
    wanted = {}
    if not text:
        return wanted
    for clause in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        match = _CLAUSE.match(clause)
        if not match:
            raise ArmError(400, "InvalidFilterInQueryString",
                           f"Invalid $filter '{text}' specified in the query string.")
        wanted[match.group(1).lower()] = match.group(2)
    return wanted


def _matches(item, wanted):
    for key, field in (("resourcetype", "type"), ("name", "name"), ("location", "location")):
        if key in wanted and str(item.get(field, "")).lower() != wanted[key].lower():
            return False
    tags = {k.lower(): v for k, v in (item.get("tags") or {}).items()}
    if "tagname" in wanted:
        if wanted["tagname"].lower() not in tags:
            return False
        if "tagvalue" in wanted and tags[wanted["tagname"].lower()] != wanted["tagvalue"]:
            return False
    return True


def _summaries(sandbox, sub, rg=None):
    items = []
    for kind in sorted(sandbox.state.resources):
        for res in sandbox.state.list(kind, sub, rg):
            if not res.get("id") or not res.get("type"):
                continue
            item = {"id": res["id"], "name": res["name"], "type": res["type"], "location": res.get("location")}
            for extra in ("sku", "kind"):
                if res.get(extra):
                    item[extra] = res[extra]
            item["tags"] = dict(res.get("tags") or {})
            items.append(item)
    return items


def _list(sandbox, req, sub, rg=None):
    wanted = _parse_filter(req.q("$filter"))
    items = [i for i in _summaries(sandbox, sub, rg) if _matches(i, wanted)]
    top = req.q("$top")
    if top:
        items = items[: int(top)]
    return Response(200, page(req, items, sandbox.page_size))


def list_group_resources(sandbox, req, sub, rg):
    sandbox.require_group(sub, rg)
    return _list(sandbox, req, sub, rg)


def list_subscription_resources(sandbox, req, sub):
    return _list(sandbox, req, sub)


ROUTES = [
    ("GET", "/subscriptions/{sub}/resourceGroups/{rg}/resources", list_group_resources, None),
    ("GET", "/subscriptions/{sub}/resources", list_subscription_resources, None),
]
