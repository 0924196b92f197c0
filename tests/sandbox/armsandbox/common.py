"""Shared building blocks: the request/response objects, ARM errors and small helpers."""

import datetime
import json
import math
import re
import urllib.parse
import uuid


class Request:
    """One parsed HTTP request as the resource-provider handlers see it."""

    def __init__(self, method, path, query, headers, body, raw_body, base_url):
        self.method = method
        self.path = path
        self.query = query  # dict: name -> first value (names as sent)
        self.headers = headers  # case-insensitive mapping (http.client.HTTPMessage)
        self.body = body  # parsed JSON or None
        self.raw_body = raw_body
        self.base_url = base_url  # e.g. https://127.0.0.1:8443
        self.params = {}
        self.principal = None  # filled in by the auth check for ARM calls

    @property
    def api_version(self):
        return self.query.get("api-version")

    def q(self, name, default=None):
        """Query parameter, matched case-insensitively."""
        for key, value in self.query.items():
            if key.lower() == name.lower():
                return value
        return default

    def url(self, path, api_version=None, **extra):
        version = api_version or self.api_version
        query = f"?api-version={version}" if version else ""
        for key, value in extra.items():
            query += ("&" if query else "?") + f"{key}={urllib.parse.quote(str(value), safe='')}"
        return f"{self.base_url}{path}{query}"


class Response:
    def __init__(self, status, body=None, headers=None):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


class RawJson:
    """A response body that is already JSON text (sent as it is; see page_raw)."""

    def __init__(self, text):
        self.text = text


class ArmError(Exception):
    """An error answered in the ARM envelope {"error": {"code", "message", ...}}."""

    def __init__(self, status, code, message, headers=None, target=None, details=None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        self.target = target
        self.details = details

    def body(self):
        error = {"code": self.code, "message": self.message}
        if self.target is not None:
            error["target"] = self.target
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}

    def response(self):
        return Response(self.status, self.body(), self.headers)


def not_found(resource_type, name, resource_group):
    return ArmError(
        404,
        "ResourceNotFound",
        f"The Resource '{resource_type}/{name}' under resource group '{resource_group}' was not found. "
        "For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def bad_request(code, message, target=None):
    return ArmError(400, code, message, target=target)


def new_guid():
    return str(uuid.uuid4())


def utcnow():
    return datetime.datetime.now(datetime.UTC)


def iso_now():
    return utcnow().strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


def etag_guid():
    return f'W/"{new_guid()}"'


def etag_datetime():
    stamp = utcnow().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-4] + "Z"
    return "W/\"datetime'" + stamp.replace(":", "%3A") + "'\""


def normalize_location(location):
    """'West Europe' -> 'westeurope' as ARM does."""
    return re.sub(r"\s+", "", str(location or "")).lower()


def retry_after_headers(seconds):
    """Headers telling a client to wait `seconds`.

    azure-core reads `Retry-After` before `retry-after-ms` and treats a value of 0 as "absent"
    (it then falls back to its own polling interval / exponential backoff). Whole seconds are
    therefore sent as Retry-After (plus retry-after-ms); sub-second waits only as retry-after-ms
    (and x-ms-retry-after-ms) so the real SDK waits exactly that long.
    """
    seconds = max(0.0, float(seconds))
    millis = str(round(seconds * 1000))
    if seconds == 0:
        return {"Retry-After": "0"}
    if seconds >= 1:
        return {"Retry-After": str(math.ceil(seconds)), "retry-after-ms": millis}
    return {"retry-after-ms": millis, "x-ms-retry-after-ms": millis}


def strip_internal(value):
    """Deep copy of a JSON value without keys starting with '_' (sandbox-internal fields)."""
    if isinstance(value, dict):
        return {k: strip_internal(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [strip_internal(v) for v in value]
    return value


def deep_merge(base, patch):
    """Return base updated recursively with patch (dicts merge, everything else replaces)."""
    result = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = value
    return result


def page(req, items, page_size, render=None):
    """ARM paging: {"value": [...], "nextLink": ...} using a numeric $skiptoken.

    `render` (e.g. strip_internal) is applied to the items of this page only, so a long list costs one page's
    rendering per request, not the whole list's."""
    start = int(req.q("$skiptoken", "0") or 0)
    chunk = items[start : start + page_size]
    if render is not None:
        chunk = [render(item) for item in chunk]
    body = {"value": chunk}
    if start + page_size < len(items):
        extra = {k: v for k, v in req.query.items() if k.lower() not in ("api-version", "$skiptoken")}
        extra["$skiptoken"] = str(start + page_size)
        body["nextLink"] = req.url(req.path, **extra)
    return body


def page_raw(req, items, page_size, text_of):
    """page() for items whose JSON text is cached (text_of(item) -> str): the page is joined as text, so a page of
    a thousand VMs costs no copying and no JSON encoding of the VMs."""
    start = int(req.q("$skiptoken", "0") or 0)
    chunk = items[start : start + page_size]
    text = '{"value": [' + ", ".join(text_of(item) for item in chunk) + "]"
    if start + page_size < len(items):
        extra = {k: v for k, v in req.query.items() if k.lower() not in ("api-version", "$skiptoken")}
        extra["$skiptoken"] = str(start + page_size)
        text += ', "nextLink": ' + json.dumps(req.url(req.path, **extra))
    return RawJson(text + "}")
