# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client factory, retries and long-running-operation waits.

An SDK package is imported only when a module asks for its client, so a network module never pays
for the Recovery Services or Compute SDKs.
"""

from __future__ import annotations

import json
import random

from ansible_collections.azbackup.vmprep.plugins.module_utils import _auth
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError

USER_AGENT = "azbackup-vmprep/0.1.0"

# Polling interval used only when the service does not say how long to wait (Retry-After / retry-after-ms).
FALLBACK_POLL_SECONDS = 2.0
DEFAULT_RETRIES = 8

# ARM answers that mean "the resource is busy with another change; try again".
# Azure Backup says it in its own words: BMSUserErrorObjectLocked ("Another operation is in progress on the selected
# item"), BMSUserErrorConflictingProtectionOperation ("Another configure protection operation is in progress for this
# item") and DiscoveryInProgress (a refreshContainers already running); Microsoft's troubleshooting pages say to wait
# and retry, and Azure PowerShell retries the last two.
BUSY_CODES = frozenset(["anotheroperationinprogress", "retryableerrorduetoanotheroperation",
                        "operationnotallowedwhileupdating", "conflictingoperationinprogress",
                        "bmsusererrorobjectlocked", "bmsusererrorconflictingprotectionoperation",
                        "discoveryinprogress"])

_RETRY_CLASS = None


def _chain(error, limit=12):
    """The error and the errors it wraps: azure-core's inner_exception, __cause__/__context__, urllib3's reason
    and the first argument of requests' exceptions."""
    seen = set()
    todo = [error]
    while todo and len(seen) < limit:
        item = todo.pop(0)
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        args = getattr(item, "args", None) or ()
        todo.extend([getattr(item, "inner_exception", None), item.__cause__, item.__context__,
                     getattr(item, "reason", None), args[0] if args else None])


def _is_tls_verification_error(error):
    for item in _chain(error):
        if "CERTIFICATE_VERIFY_FAILED" in str(item) or type(item).__name__ == "SSLCertVerificationError":
            return True
    return False


# Signs that a request was sent and its answer was being read when the connection failed. azure-core 1.31 (the
# oldest that azure-identity 1.19 / azure-mgmt-core 1.5 allow) raises ServiceRequestError, "the request was not
# sent", for a read timeout in a streamed answer and for any other requests error; newer releases raise
# ServiceResponseError there. The wrapped error tells which side of the exchange failed.
_READ_SIDE_ERRORS = frozenset(["ReadTimeoutError", "ReadTimeout", "ProtocolError", "RemoteDisconnected",
                               "IncompleteRead", "ChunkedEncodingError", "ServiceResponseError",
                               "ServiceResponseTimeoutError", "IncompleteReadError"])


def _never_sent(error):
    """True when the error proves the request did not reach the service (so even a write may be sent again)."""
    from azure.core.exceptions import ServiceRequestError

    if not isinstance(error, ServiceRequestError):
        return False
    return not any(type(item).__name__ in _READ_SIDE_ERRORS for item in _chain(error))


def _answer_lost(error):
    """True when the request may have reached the service but its answer did not come back whole."""
    from azure.core.exceptions import IncompleteReadError, ServiceRequestError, ServiceResponseError

    if isinstance(error, (ServiceResponseError, IncompleteReadError)):
        return True
    return isinstance(error, ServiceRequestError) and not _never_sent(error)


def is_busy(code, message=""):
    """ARM's ways of saying "another operation is in progress on this resource": the busy codes, or
    OperationNotAllowed / Conflict with "another operation" in the message."""
    code = (code or "").lower()
    if code in BUSY_CODES:
        return True
    return code in ("operationnotallowed", "conflict") and "another operation" in (message or "").lower()


# Methods that change something in Azure. The transport replays them only when the answer proves that nothing
# was applied (429, or a 409 with a busy code); any other failure goes up to the Operation, which reads first.
WRITE_METHODS = frozenset(["PUT", "PATCH", "POST", "DELETE"])


def _load(http):
    """Load the body of a streamed answer (new-style responses refuse text() before read()); True when loaded."""
    read = getattr(http, "read", None)
    if read is None:
        return True
    try:
        read()
    except Exception:  # pylint: disable=broad-except
        return False
    return True


def _response_error(http):
    """(code, message) of the ARM error in an HTTP answer (empty strings when there is none). Loads a streamed
    body first."""
    _load(http)
    try:
        text = http.text()
    except Exception:  # pylint: disable=broad-except
        try:
            text = http.body().decode("utf-8", "replace")
        except Exception:  # pylint: disable=broad-except
            return "", ""
    try:
        body = json.loads(text) if text else {}
    except ValueError:
        return "", ""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", ""
    return str(error.get("code") or ""), str(error.get("message") or "")


def _response_error_code(http):
    """The ARM error code of an HTTP answer ('' when there is none). Loads a streamed body first."""
    return _response_error(http)[0]


def _proves_unapplied(http):
    """True for answers that mean the request was refused before it changed anything: throttled or busy."""
    status = http.status_code
    if status == 429:
        return True
    return status == 409 and is_busy(*_response_error(http))


def _retry_policy_class():
    """azure-core's RetryPolicy with jitter, ARM's busy answers, and no blind replay of writes."""
    global _RETRY_CLASS  # pylint: disable=global-statement
    if _RETRY_CLASS is not None:
        return _RETRY_CLASS
    from azure.core.pipeline.policies import RetryPolicy

    class AzbRetryPolicy(RetryPolicy):
        """Reads: retried on 408/429/5xx, busy 409s and dropped connections, honouring Retry-After.

        Writes: retried only when the answer proves nothing was applied (429, busy 409) or the connection failed
        before the request was sent. A 5xx or a connection lost after sending may hide a write that landed: the
        Operation above reads again and finds out, instead of replaying a guarded write blindly.
        """

        def is_retry(self, settings, response):
            if not settings["total"]:
                return False
            http = response.http_response
            if http.status_code < 400:
                return False
            if response.http_request.method.upper() in WRITE_METHODS:
                return _proves_unapplied(http)
            if http.status_code == 409:
                return is_busy(*_response_error(http))
            return super().is_retry(settings, response)

        def _is_connection_error(self, err):
            return _never_sent(err)

        def _is_read_error(self, err):
            return _answer_lost(err)

        def increment(self, settings, response=None, error=None):
            # An untrusted certificate will not become trusted by waiting: fail at once.
            if error is not None and _is_tls_verification_error(error):
                return False
            if error is not None and not _never_sent(error):
                request = getattr(response, "http_request", None)
                if request is not None and request.method.upper() in WRITE_METHODS:
                    return False
            return super().increment(settings, response=response, error=error)

        def get_backoff_time(self, settings):
            base = super().get_backoff_time(settings)
            if base <= 0:
                # First retry: a short random pause spreads concurrent writers apart.
                return random.uniform(0.05, 0.3)
            return min(self.backoff_max, base * random.uniform(0.5, 1.5))

    _RETRY_CLASS = AzbRetryPolicy
    return _RETRY_CLASS


def retry_policy(total=DEFAULT_RETRIES):
    cls = _retry_policy_class()
    return cls(retry_total=total, retry_connect=total, retry_read=total, retry_status=total,
               retry_backoff_factor=0.5, retry_backoff_max=30)


# ---- operation-level retries --------------------------------------------------------------------------------

BUSY = "busy"    # refused before anything changed: throttled, another operation in progress, busy LRO final state
STALE = "stale"  # 412: someone changed the resource since the read
LOST = "lost"    # the answer was lost (5xx, dropped connection): the write may or may not have landed
LOST_ATTEMPTS = 5  # lost answers in a row before the error is reported
# Attempts in a row whose request never reached Azure (connection refused, name not resolved) before the error is
# reported: each attempt already went through the transport's own connection retries, so an endpoint that cannot
# be reached fails in minutes instead of being retried as "busy" until wait_timeout.
UNSENT_ATTEMPTS = 2


def error_code(exc):
    """The ARM error code carried by an exception: SDK errors, LRO failures and AzbError alike."""
    return _error_of(exc)[0]


def _error_of(exc):
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None) or getattr(exc, "code", None)
    message = getattr(error, "message", None) or ""
    if not code:
        response = getattr(exc, "response", None)
        if response is not None and hasattr(response, "status_code"):
            code, message = _response_error(response)
    if not message:
        message = str(exc)
    return str(code or ""), str(message or "")


def classify(exc):
    """BUSY, STALE, LOST or None (not retryable) for an exception raised by a read, a write or an LRO wait."""
    from azure.core.exceptions import HttpResponseError

    if _is_tls_verification_error(exc):
        return None
    status = getattr(exc, "status_code", None)
    if status is None:
        status = getattr(exc, "status", None)
    code, message = _error_of(exc)
    code = code.lower()
    if is_busy(code, message) or status == 429 or code in ("subscriptionrequeststhrottled", "toomanyrequests"):
        return BUSY
    if status == 412 or code == "preconditionfailed":
        return STALE
    if _never_sent(exc):
        return BUSY  # the request never reached Azure
    if _answer_lost(exc):
        return LOST
    if status in (408, 500, 502, 503, 504) and (isinstance(exc, (HttpResponseError, AzbError))
                                                or hasattr(exc, "status_code")):
        return LOST
    return None


def _retry_after(exc):
    """Seconds the answer asked to wait: retry-after-ms, x-ms-retry-after-ms, or Retry-After (seconds or a date)."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    for key, scale in (("retry-after-ms", 0.001), ("x-ms-retry-after-ms", 0.001), ("Retry-After", 1.0)):
        value = headers.get(key)
        if not value:
            continue
        try:
            return max(0.0, float(value) * scale)
        except ValueError:
            pass
        try:
            import email.utils
            import time

            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - time.time())
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return None


class Operation(object):
    """One module's read-plan-write step, retried as a whole while Azure is busy or an answer was lost.

    ``run(step)`` calls ``step(op)`` until it returns. A busy answer (409/429 busy codes with or without
    Retry-After, or the failed final state of a long-running operation), a 412 or a lost answer makes the whole step
    run again after a jittered backoff, so every attempt reads before it plans and never replays a stale plan.
    Busy is retried until ``timeout`` seconds have passed; lost answers up to LOST_ATTEMPTS times in a row, and
    requests that never reached Azure up to UNSENT_ATTEMPTS times in a row.

    Writes go through ``op.write(send)``. When a write's answer is lost, ``op.maybe_landed`` becomes True: the next
    attempt's read tells whether the write landed, and the module reports ``changed: true`` when it finds the state
    it wanted to write.
    """

    def __init__(self, timeout, what, sleep=None, clock=None):
        import time

        self.what = what
        self.timeout = max(1, int(timeout))
        self._sleep = sleep or time.sleep
        self._clock = clock or time.monotonic
        self.deadline = self._clock() + self.timeout
        self.attempt = 0
        self.maybe_landed = False
        self.wrote = False
        self.retries = {BUSY: 0, STALE: 0, LOST: 0}
        self._saved = {}

    def keep(self, key, value):
        """The first value stored under key (for example the state before the run, for the diff)."""
        return self._saved.setdefault(key, value)

    def write(self, send):
        """Run one write (with its long-running-operation wait); remember when its answer was lost."""
        try:
            result = send()
        except Exception as exc:
            if classify(exc) == LOST:
                self.maybe_landed = True
            raise
        self.wrote = True
        return result

    def backoff(self, kind, exc):
        count = self.retries[kind]
        delay = min(20.0, 0.5 * (2 ** min(count - 1, 6))) * random.uniform(0.5, 1.5)
        hinted = _retry_after(exc)
        if hinted is not None:
            delay = max(delay, hinted)
        return delay

    def run(self, step):
        lost_in_row = 0
        unsent_in_row = 0
        while True:
            self.attempt += 1
            try:
                return step(self)
            except Exception as exc:
                kind = classify(exc)
                if kind is None:
                    raise
                self.retries[kind] += 1
                lost_in_row = lost_in_row + 1 if kind == LOST else 0
                if kind == LOST and lost_in_row >= LOST_ATTEMPTS:
                    raise
                unsent_in_row = unsent_in_row + 1 if _never_sent(exc) else 0
                if unsent_in_row >= UNSENT_ATTEMPTS:
                    raise
                delay = self.backoff(kind, exc)
                if self._clock() + delay > self.deadline:
                    raise
                self._sleep(delay)


def raw(pipeline_response, _deserialized, _headers):
    """A ``cls=`` callback for SDK operations: the ARM JSON exactly as the service sent it.

    Whatever the SDK's model shape (flattened snake_case models of older releases, REST-shaped ones of newer), the
    collection reads the same JSON. An answer that is not JSON fails instead of being guessed at.
    """
    return json_of(pipeline_response.http_response)


def json_of(http, what=None):
    """The JSON body of an HTTP answer (None when empty); AzbError UnreadableAnswer when it is not JSON. ``what``
    names the answer in the error (default: the request's method and URL)."""
    _load(http)
    text = http.text()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise AzbError("Azure answered %s with a body that is not JSON; nothing was planned from it."
                       % (what or "%s %s" % (http.request.method, http.request.url.split("?")[0])),
                       status=http.status_code, code="UnreadableAnswer")


class AzureClients(object):
    """Lazily built credential and SDK clients for one module run."""

    def __init__(self, settings):
        self.settings = settings
        self._cloud = None
        self._credential = None
        self._clients = {}

    @property
    def subscription_id(self):
        return self.settings.subscription_id

    def _transport_kwargs(self):
        kwargs = {"user_agent": USER_AGENT}
        if self.settings.ca_bundle:
            kwargs["connection_verify"] = self.settings.ca_bundle
        return kwargs

    def _fetch_json(self, url):
        from azure.core import PipelineClient
        from azure.core.pipeline import policies
        from azure.core.rest import HttpRequest

        client = PipelineClient(url, policies=[
            policies.HeadersPolicy(),
            policies.UserAgentPolicy(USER_AGENT),
            retry_policy(),
            policies.NetworkTraceLoggingPolicy(),
        ], **self._transport_kwargs())
        with client:
            response = client.send_request(HttpRequest("GET", url))
            if response.status_code != 200:
                raise AzbError("%s answered HTTP %s; is cloud_environment a Resource Manager URL?"
                               % (url.split("?")[0], response.status_code), status=response.status_code)
            try:
                return response.json()
            except ValueError:
                raise AzbError("%s did not answer with JSON." % url.split("?")[0])

    @property
    def cloud(self):
        if self._cloud is None:
            self._cloud = _auth.resolve_cloud(self.settings.cloud_environment, self._fetch_json)
        return self._cloud

    @property
    def credential(self):
        if self._credential is None:
            self._credential = _auth.build_credential(self.settings, self.cloud)
        return self._credential

    def warm_up(self):
        """Get the access token once, before concurrent requests would each fetch one (the credential caches it)."""
        if not getattr(self, "_warm", False):
            self.credential.get_token(self.cloud.scope)
            self._warm = True

    def _make(self, key, factory):
        if key not in self._clients:
            cloud = self.cloud
            kwargs = self._transport_kwargs()
            self._clients[key] = factory(
                self.credential, self.subscription_id, base_url=cloud.resource_manager,
                credential_scopes=[cloud.scope], polling_interval=FALLBACK_POLL_SECONDS,
                retry_policy=retry_policy(), **kwargs)
        return self._clients[key]

    def arm_pipeline(self):
        """azure-mgmt-core's ARMPipelineClient for the requests the collection builds itself (readiness reads, ARM's
        Tags API): the run's credential, cloud, CA bundle and retry policy, like the SDK clients, minus automatic
        resource-provider registration. ``azb_base_url`` is the Resource Manager URL without a trailing slash."""
        if "arm" not in self._clients:
            from azure.core.pipeline import policies
            from azure.mgmt.core import ARMPipelineClient
            from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy, ARMHttpLoggingPolicy

            cloud = self.cloud
            client = ARMPipelineClient(cloud.resource_manager, policies=[
                policies.RequestIdPolicy(),
                policies.HeadersPolicy(),
                policies.UserAgentPolicy(user_agent=USER_AGENT),
                policies.ProxyPolicy(),
                policies.ContentDecodePolicy(),
                policies.RedirectPolicy(),
                retry_policy(),
                ARMChallengeAuthenticationPolicy(self.credential, cloud.scope),
                policies.CustomHookPolicy(),
                policies.NetworkTraceLoggingPolicy(),
                ARMHttpLoggingPolicy(),
            ], **self._transport_kwargs())
            client.azb_base_url = cloud.resource_manager.rstrip("/")
            self._clients["arm"] = client
        return self._clients["arm"]

    def network(self):
        def factory(*args, **kwargs):
            from azure.mgmt.network import NetworkManagementClient

            return NetworkManagementClient(*args, **kwargs)
        return self._make("network", factory)

    def recovery_services(self):
        def factory(*args, **kwargs):
            from azure.mgmt.recoveryservices import RecoveryServicesClient

            return RecoveryServicesClient(*args, **kwargs)
        return self._make("recoveryservices", factory)

    def recovery_services_backup(self):
        """azure-mgmt-recoveryservicesbackup's client (policies, protected items, jobs): imported only by the
        protection modules, through _backup."""
        def factory(*args, **kwargs):
            from azure.mgmt.recoveryservicesbackup import RecoveryServicesBackupClient

            return RecoveryServicesBackupClient(*args, **kwargs)
        return self._make("recoveryservicesbackup", factory)

    def compute(self):
        def factory(*args, **kwargs):
            from azure.mgmt.compute import ComputeManagementClient

            return ComputeManagementClient(*args, **kwargs)
        return self._make("compute", factory)


def wait(poller, timeout, what):
    """Wait for a long-running operation at the interval the service asks for, bounded by timeout seconds."""
    poller.wait(timeout=max(1, int(timeout)))
    if not poller.done():
        raise AzbError("%s is still running after %d seconds; it goes on in Azure. Run again later, or raise "
                       "wait_timeout." % (what, int(timeout)), code="OperationTimedOut")
    return poller.result()
