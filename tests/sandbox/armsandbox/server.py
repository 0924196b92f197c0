"""HTTPS server, routing, request log and control API of the ARM sandbox."""

import copy
import http.server
import json
import socket
import ssl
import sys
import threading
import time
import traceback
import urllib.parse

from . import (
    DEFAULT_SUBSCRIPTION_ID,
    asg,
    auth,
    backup,
    compute,
    deny,
    fixtures,
    generic,
    identity,
    network,
    resources,
    routing,
    schema,
    tags,
    vaultconfig,
    vaults,
)
from .common import ArmError, RawJson, Request, Response, new_guid
from .faults import Faults
from .lro import LroManager
from .state import State, rkey

PROVIDERS = (resources, network, routing, vaults, compute, asg, identity, tags, generic, vaultconfig, backup)
MAX_LOG = 200_000


def _restore_in_place(current, before):
    """Make ``current`` equal to ``before`` keeping the identity of every dict that both have at the same key."""
    for key in [k for k in current if k not in before]:
        del current[key]
    for key, value in before.items():
        if isinstance(value, dict) and isinstance(current.get(key), dict):
            _restore_in_place(current[key], value)
        else:
            current[key] = value


class Route:
    def __init__(self, method, pattern, handler, api_versions, body_schema=None):
        self.method = method
        self.segments = tuple(pattern.strip("/").split("/"))
        self.handler = handler
        self.api_versions = api_versions
        self.body_schema = body_schema

    def match(self, segments):
        if len(segments) != len(self.segments):
            return None
        params = {}
        for want, got in zip(self.segments, segments):
            if want.startswith("{"):
                if not got:
                    return None
                params[want[1:-1]] = got
            elif want.lower() != got.lower():
                return None
        return params


class Sandbox:
    """Application object: state + faults + LROs + request log + routing (no sockets here)."""

    def __init__(self, strict=False, startup_fixtures=(), startup_faults=None):
        self.state = State()
        self.faults = Faults()
        self.startup_faults = dict(startup_faults or {})
        self.faults.configure(**self.startup_faults)
        self.lro = LroManager(self.faults.settings)
        self.tokens = auth.TokenIssuer()
        self.validator = schema.SpecValidator()
        self.strict_default = strict
        self.strict = strict
        self.startup_fixtures = list(startup_fixtures)
        self.routes = []
        for provider in PROVIDERS:
            for method, pattern, handler, schema_ref in provider.ROUTES:
                self.routes.append(Route(method, pattern, handler, provider.API_VERSIONS, schema_ref))
        self._log = []
        self._log_lock = threading.Lock()
        self._seq = 0
        for fixture in self.startup_fixtures:
            self.load_fixtures(fixture)

    # ---- control -------------------------------------------------------------------------------
    def reset(self, reload_fixtures=False):
        with self.state.lock:
            self.state.reset()
            self.lro.reset()
            self.faults.clear()
            self.faults.configure(**self.startup_faults)
            self.strict = self.strict_default
            self.clear_requests()
            if reload_fixtures:
                for fixture in self.startup_fixtures:
                    self.load_fixtures(fixture)

    def load_fixtures(self, data):
        with self.state.lock:
            return fixtures.load(self, data)

    def requests(self, kind=None):
        with self._log_lock:
            return [dict(e) for e in self._log if kind is None or e["kind"] == kind]

    def clear_requests(self):
        with self._log_lock:
            self._log.clear()

    def record(self, entry):
        with self._log_lock:
            self._seq += 1
            entry["seq"] = self._seq
            self._log.append(entry)
            if len(self._log) > MAX_LOG:
                del self._log[: len(self._log) - MAX_LOG]

    @property
    def page_size(self):
        return int(self.faults.settings.get("page_size", 50))

    # ---- shared helpers for providers ------------------------------------------------------------
    default_subscription = DEFAULT_SUBSCRIPTION_ID

    def group_location(self, sub, rg):
        group = self.state.resource_group(sub, rg)
        return group["location"] if group else "westeurope"

    def require_group(self, sub, rg):
        group = self.state.resource_group(sub, rg)
        if group is None:
            raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")
        return group

    # ---- request handling ------------------------------------------------------------------------
    @staticmethod
    def classify(path):
        lower = path.lower()
        parts = lower.strip("/").split("/")
        if lower.startswith("/_sandbox/"):
            return "control"
        if lower.startswith("/metadata/endpoints"):
            return "metadata"
        if len(parts) >= 2 and (parts[1:] == ["v2.0", ".well-known", "openid-configuration"]
                                or parts[1:] == ["oauth2", "v2.0", "token"]):
            return "login"
        if "/operationresults/" in lower or "/operationstatus/" in lower or (
            "/locations/" in lower and "/operations/" in lower
        ):
            return "lro-poll"
        return "arm"

    def handle(self, req, kind):
        try:
            if kind == "metadata":
                return auth.metadata_endpoints(self, req)
            if kind == "login":
                parts = req.path.strip("/").split("/")
                if req.method == "GET" and parts[-1] == "openid-configuration":
                    return auth.openid_configuration(self, req, parts[0])
                if req.method == "POST" and parts[-1] == "token":
                    return auth.token(self, req, parts[0])
                raise ArmError(405, "MethodNotAllowed", f"The requested resource does not support http method '{req.method}'.")
            with self.state.lock:
                return self._handle_arm(req)
        except ArmError as err:
            return err.response()

    def _handle_arm(self, req):
        self.lro.sweep()
        req.principal = auth.authenticate(self, req)
        segments = req.path.strip("/").split("/")
        route, params = None, None
        methods_for_path = set()
        for candidate in self.routes:
            found = candidate.match(segments)
            if found is None:
                continue
            methods_for_path.add(candidate.method)
            if candidate.method == req.method or (req.method == "HEAD" and candidate.method == "HEAD"):
                route, params = candidate, found
                break
        if route is None:
            if methods_for_path:
                raise ArmError(405, "MethodNotAllowed",
                               f"The requested resource does not support http method '{req.method}'.")
            raise self._unknown_path(req, segments)
        version = req.api_version
        if not version:
            raise ArmError(400, "MissingApiVersionParameter",
                           "The api-version query parameter (?api-version=) is required for all requests.")
        if version not in route.api_versions:
            supported = ", ".join(sorted(route.api_versions, reverse=True))
            raise ArmError(400, "InvalidApiVersionParameter",
                           f"The api-version '{version}' is invalid. The supported versions are '{supported}'.")
        if "sub" in params:
            subscription = self.state.subscription(params["sub"])
            if subscription is None:
                raise ArmError(404, "SubscriptionNotFound", f"The subscription '{params['sub']}' could not be found.")
            auth.authorize_subscription(req, req.principal, subscription)
        deny.check(self.faults.settings["deny"], req)
        if route.body_schema and req.method in ("PUT", "PATCH", "POST"):
            self.validator.check(route.body_schema, req.body, self.strict)
        req.params = params
        return route.handler(self, req, **params)

    # ---- faults that act after the request took effect ------------------------------------------------
    def _resource_slot(self, path):
        """(table, key) of the top-level resource a request path names (table None when that kind has none yet)."""
        parts = path.strip("/").split("/")
        if len(parts) < 8 or [p.lower() for p in parts[0:5:2]] != ["subscriptions", "resourcegroups", "providers"]:
            return None, None
        key = rkey(parts[1], parts[3], parts[7])
        for kind, table in self.state.resources.items():
            if kind.lower() == parts[6].lower():
                return table, key
        return None, key

    def _async_operation(self, response):
        url = response.headers.get("Azure-AsyncOperation")
        if not url:
            return None
        return self.lro.ops.get(urllib.parse.urlsplit(url).path.rstrip("/").split("/")[-1])

    def handle_busy_final_state(self, req, kind):
        """A write accepted as a long-running operation that then ends Failed with a busy code, as when ARM accepted
        it but found the resource locked by another operation: the handler runs and answers (201/202 with an
        Azure-AsyncOperation URL), the change is undone at once, and the operation ends Failed. Returns (response,
        injected); nothing is injected when the answer is not a running Azure-AsyncOperation."""
        with self.state.lock:
            # Operations due now end first: the handler would end them after the snapshot, and the undo would then
            # take back their changes although they succeeded (a vault's other protected items).
            self.lro.sweep()
            table, key = self._resource_slot(req.path)
            before = copy.deepcopy(table.get(key)) if table is not None else None
            response = self.handle(req, kind)
            op = self._async_operation(response) if response.status < 300 else None
            if op is None or op.done or key is None:
                return response, False
            op.fail_with = self.faults.busy_lro_error(req.path)
            table, key = self._resource_slot(req.path)
            current = table.get(key) if table is not None else None
            if before is None:
                if table is not None:
                    table.pop(key, None)
            elif current is None:
                table[key] = before
            else:
                # In place, nested dicts included: operations still running hold references to this dict and to
                # dicts inside it (the protected items of a vault), and must go on changing the live state.
                _restore_in_place(current, before)
            return response, True

    @staticmethod
    def _unknown_path(req, segments):
        lower = [s.lower() for s in segments]
        if "providers" in lower:
            i = lower.index("providers")
            if len(segments) > i + 2:
                # The full (nested) type: vaults/backupconfig for …/vaults/{name}/backupconfig/vaultconfig.
                return ArmError(
                    400, "InvalidResourceType",
                    f"The resource type '{'/'.join(segments[i + 2::2])}' could not be found in the namespace "
                    f"'{segments[i + 1]}' for api version '{req.api_version}'.",
                )
        return ArmError(404, "NotFound", f"No HTTP resource was found that matches the request URI '{req.path}'.")


# ---- control API ------------------------------------------------------------------------------------

def handle_control(sandbox, req):
    name = req.path[len("/_sandbox/"):].strip("/").lower()
    body = req.body if isinstance(req.body, dict) else {}
    if name == "reset" and req.method == "POST":
        sandbox.reset(reload_fixtures=bool(body.get("reload_fixtures")))
        return Response(200, {"reset": True})
    if name == "fixtures" and req.method == "POST":
        return Response(200, sandbox.load_fixtures(req.body or {}))
    if name == "requests" and req.method == "GET":
        return Response(200, sandbox.requests(req.q("kind")))
    if name == "requests" and req.method == "DELETE":
        sandbox.clear_requests()
        return Response(204)
    if name == "faults" and req.method == "POST":
        try:
            return Response(200, sandbox.faults.configure(**body))
        except ValueError as exc:
            return Response(400, {"error": {"code": "InvalidFaultSettings", "message": str(exc)}})
    if name == "faults" and req.method == "DELETE":
        sandbox.faults.clear()
        return Response(200, dict(sandbox.faults.settings))
    if name == "faults" and req.method == "GET":
        return Response(200, dict(sandbox.faults.settings))
    if name == "strict" and req.method == "POST":
        sandbox.strict = bool(body.get("enabled", True))
        return Response(200, {"enabled": sandbox.strict, "specs_dir": sandbox.validator.specs_dir})
    if name == "strict" and req.method == "GET":
        return Response(200, {"enabled": sandbox.strict, **sandbox.validator.stats()})
    if name == "state" and req.method == "GET":
        with sandbox.state.lock:
            dump = sandbox.state.dump()
            dump["strict"] = sandbox.strict
            dump["operations"] = [
                {"id": op.id, "status": op.status, "polls": op.polls, **op.info}
                for op in sandbox.lro.ops.values()
            ]
            return Response(200, dump)
    return Response(404, {"error": {"code": "NotFound", "message": f"Unknown control call {req.method} {req.path}"}})


# ---- HTTP layer ------------------------------------------------------------------------------------

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ARMSandbox/1.0"
    sys_version = ""
    # Headers and body leave in two writes: without TCP_NODELAY, Nagle and the client's delayed ACK add ~40 ms to
    # every answer, on top of the latency the fault settings inject.
    disable_nagle_algorithm = True

    def setup(self):
        # TLS handshake in the worker thread so a slow client cannot block accept().
        self.request.settimeout(60)
        self.request = self.server.ssl_context.wrap_socket(self.request, server_side=True)
        super().setup()

    def log_message(self, format, *args):
        if self.server.verbose:
            sys.stderr.write("sandbox: " + (format % args) + "\n")

    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self):
        sandbox = self.server.sandbox
        started = time.monotonic()
        parsed = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(parsed.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(parsed.query, keep_blank_values=True).items()}
        raw = self._read_body()
        kind = sandbox.classify(path)
        body = None
        body_error = None
        if raw and kind != "login":
            try:
                body = json.loads(raw)
            except ValueError as exc:
                body_error = exc
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_address[1]}"
        req = Request(self.command, path, query, self.headers, body, raw, f"https://{host}")

        if kind == "control":
            self._send(handle_control(sandbox, req))
            return

        fault = sandbox.faults.decide(kind, self.command, path)
        delay = sandbox.faults.latency(kind)
        if delay:
            time.sleep(delay)
        entry = {
            "time": time.time(),
            "method": self.command,
            "path": path,
            "query": query,
            "kind": kind,
            "is_write": kind == "arm" and self.command in ("PUT", "PATCH", "DELETE", "POST"),
            "fault": None,
            "body": "<redacted form body>" if kind == "login" and raw else body,
            "if_match": self.headers.get("If-Match"),
            "api_version": query.get("api-version"),
        }
        if delay:
            entry["fault"] = "latency"
        if fault == "drop":
            entry.update(status=None, fault="drop", duration_ms=round((time.monotonic() - started) * 1000, 1))
            sandbox.record(entry)
            self._drop()
            return
        sub = path.split("/")[2] if path.lower().startswith("/subscriptions/") else ""
        if isinstance(fault, int):
            response = sandbox.faults.error_for(fault, sub, f"{self.command} {path}", time.strftime("%c"), new_guid()).response()
            entry["fault"] = str(fault)
        elif fault == "busy":
            response = sandbox.faults.busy_error(path=path).response()
            entry["fault"] = "busy"
        elif body_error is not None:
            response = ArmError(400, "InvalidRequestContent",
                                f"The request content was invalid and could not be deserialized: '{body_error}'.").response()
        else:
            sandbox.faults.take_mark()
            try:
                if fault == "busy-lro":
                    response, injected = sandbox.handle_busy_final_state(req, kind)
                    if injected:
                        entry["fault"] = "busy-lro"
                else:
                    response = sandbox.handle(req, kind)
                # A handler that answered with a fault of the settings (the NSG busy window) says so.
                entry["fault"] = sandbox.faults.take_mark() or entry["fault"]
            except Exception:  # noqa: BLE001 - a sandbox bug: answer 500 and show the traceback
                traceback.print_exc()
                response = ArmError(500, "InternalServerError", "The sandbox failed to process the request.").response()
            if fault in ("lost-drop", "lost-500") and response.status < 300:
                # The write took effect; its answer is lost on the way back.
                entry["fault"] = fault
                entry["applied_status"] = response.status
                if fault == "lost-drop":
                    entry.update(status=None, duration_ms=round((time.monotonic() - started) * 1000, 1))
                    sandbox.record(entry)
                    self._drop()
                    return
                response = sandbox.faults.error_for(500, sub, f"{self.command} {path}", time.strftime("%c"),
                                                    new_guid()).response()
        entry.update(status=response.status, duration_ms=round((time.monotonic() - started) * 1000, 1))
        sandbox.record(entry)
        self._send(response)

    def _drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send(self, response):
        payload = b""
        if isinstance(response.body, RawJson):
            payload = response.body.text.encode()
        elif response.body is not None and response.status != 204:
            payload = json.dumps(response.body).encode()
        self.send_response(response.status)
        request_id = new_guid()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "x-ms-request-id": request_id,
            "x-ms-correlation-request-id": self.headers.get("x-ms-client-request-id") or request_id,
            "Cache-Control": "no-cache",
        }
        headers.update(response.headers)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = do_HEAD = _dispatch


class SandboxHTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, sandbox, cert_paths, verbose=False):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.sandbox = sandbox
        self.verbose = verbose
        self.ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ssl_context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.ssl_context.load_cert_chain(cert_paths["cert"], cert_paths["key"])
        super().__init__(address, Handler)

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)
