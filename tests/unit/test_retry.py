"""The retry policy: ARM busy answers are retried, other 409s are not, backoff has jitter and a cap."""

import json

from ansible_collections.azbackup.vmprep.plugins.module_utils import _client


class Resp:
    def __init__(self, status, body=None, headers=None):
        self.status_code = status
        self.headers = headers or {}
        self._body = json.dumps(body or {})

    def text(self):
        return self._body


class Req:
    def __init__(self, method="PUT"):
        self.method = method


class PipelineResponse:
    def __init__(self, resp, method="PUT"):
        self.http_response = resp
        self.http_request = Req(method)


def settings(policy):
    return policy.configure_retries({})


def test_busy_409_is_retried():
    policy = _client.retry_policy()
    resp = PipelineResponse(Resp(409, {"error": {"code": "AnotherOperationInProgress", "message": "busy"}}))
    assert policy.is_retry(settings(policy), resp)


def test_other_409_is_not_retried():
    policy = _client.retry_policy()
    resp = PipelineResponse(Resp(409, {"error": {"code": "Conflict", "message": "no"}}))
    assert not policy.is_retry(settings(policy), resp)


def test_reads_are_retried_on_throttling_and_5xx():
    policy = _client.retry_policy()
    for status in (408, 429, 500, 502, 503, 504):
        assert policy.is_retry(settings(policy), PipelineResponse(Resp(status), "GET"))
    assert not policy.is_retry(settings(policy), PipelineResponse(Resp(400), "GET"))


def test_writes_are_replayed_only_when_nothing_was_applied():
    policy = _client.retry_policy()
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        assert policy.is_retry(settings(policy), PipelineResponse(Resp(429), method))
        # A 5xx may hide a write that landed: the Operation reads again instead of the transport replaying it.
        for status in (408, 500, 502, 503, 504):
            assert not policy.is_retry(settings(policy), PipelineResponse(Resp(status), method)), (method, status)


def test_success_with_retry_after_is_not_a_retry():
    policy = _client.retry_policy()
    resp = Resp(201, {"properties": {}}, headers={"Retry-After": "1"})
    assert not policy.is_retry(settings(policy), PipelineResponse(resp, "PUT"))
    assert not policy.is_retry(settings(policy), PipelineResponse(Resp(200, {}, {"Retry-After": "1"}), "GET"))


class Streamed(Resp):
    """A new-style azure.core.rest response: text() fails until read() loaded the body."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loaded = False

    def read(self):
        self.loaded = True

    def text(self):
        if not self.loaded:
            raise RuntimeError("ResponseNotReadError")
        return self._body


def test_busy_409_without_retry_after_in_a_streamed_answer_is_retried():
    policy = _client.retry_policy()
    resp = PipelineResponse(Streamed(409, {"error": {"code": "AnotherOperationInProgress", "message": "busy"}}))
    assert policy.is_retry(settings(policy), resp)


def test_backoff_has_jitter_and_cap():
    policy = _client.retry_policy()
    values = set()
    for _unused in range(20):
        s = settings(policy)
        s["history"] = [object()] * 4
        values.add(round(policy.get_backoff_time(s), 4))
    assert len(values) > 1
    assert max(values) <= 30
    s = settings(policy)
    s["history"] = [object()] * 20
    assert policy.get_backoff_time(s) <= 30


def test_untrusted_certificate_is_not_retried():
    import ssl

    policy = _client.retry_policy()
    inner = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    err = Exception("connection failed")
    err.inner_exception = inner
    s = settings(policy)
    assert policy.increment(s, error=err) is False


# ---- Operation: the whole read-plan-write step is retried -----------------------------------------------------


class FakeHttpError(Exception):
    def __init__(self, status, code="", headers=None):
        super().__init__("HTTP %s %s" % (status, code))
        self.status_code = status
        self.error = type("E", (), {"code": code})()
        self.response = type("R", (), {"headers": headers or {}})()


def fake_clock():
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    return (lambda: now[0]), sleep, slept


def test_classify():
    assert _client.classify(FakeHttpError(409, "AnotherOperationInProgress")) == _client.BUSY
    assert _client.classify(FakeHttpError(200, "AnotherOperationInProgress")) == _client.BUSY  # LRO final state
    assert _client.classify(FakeHttpError(429, "SubscriptionRequestsThrottled")) == _client.BUSY
    assert _client.classify(FakeHttpError(412, "PreconditionFailed")) == _client.STALE
    assert _client.classify(FakeHttpError(409, "Conflict")) is None
    assert _client.classify(FakeHttpError(400, "InvalidRequestFormat")) is None
    assert _client.classify(ValueError("defect")) is None


def test_busy_is_retried_until_the_timeout_with_jitter():
    clock, sleep, slept = fake_clock()
    op = _client.Operation(60, "x", sleep=sleep, clock=clock)
    calls = []

    def step(_op):
        calls.append(1)
        raise FakeHttpError(409, "AnotherOperationInProgress")

    try:
        op.run(step)
    except FakeHttpError:
        pass
    else:
        raise AssertionError("busy forever must fail at the deadline")
    assert len(calls) > 5
    assert sum(slept) <= 60
    assert len({round(s, 3) for s in slept}) > 1


def test_retry_after_is_honoured():
    clock, sleep, slept = fake_clock()
    op = _client.Operation(60, "x", sleep=sleep, clock=clock)
    answers = [FakeHttpError(429, "TooManyRequests", {"Retry-After": "7"})]

    def step(_op):
        if answers:
            raise answers.pop()
        return "done"

    assert op.run(step) == "done"
    assert slept and slept[0] >= 7


def test_a_lost_answer_marks_the_write_maybe_landed():
    clock, sleep, _slept = fake_clock()
    op = _client.Operation(60, "x", sleep=sleep, clock=clock)
    seen = []

    def step(o):
        seen.append(o.maybe_landed)
        if o.attempt == 1:
            o.write(lambda: (_unused for _unused in ()).throw(FakeHttpError(500, "InternalServerError")))
        return o.maybe_landed

    assert op.run(step) is True
    assert seen == [False, True]


def test_a_non_retryable_error_is_raised_at_once():
    op = _client.Operation(60, "x", sleep=lambda s: None)
    try:
        op.run(lambda o: (_unused for _unused in ()).throw(FakeHttpError(400, "InvalidResourceReference")))
    except FakeHttpError:
        pass
    assert op.attempt == 1


# ---- against azure-core's real pipeline: what the transport replays, and how failures are classified -----------

def _pipeline(answers):
    """A Pipeline with the collection's retry policy over a transport that plays `answers` (responses or errors)."""
    from azure.core.pipeline import Pipeline
    from azure.core.pipeline.transport import HttpResponse, HttpTransport

    class Answer(HttpResponse):
        def __init__(self, request, status, body, headers):
            super().__init__(request, None)
            self.status_code = status
            self.headers = headers
            self._body = json.dumps(body).encode() if body is not None else b""

        def body(self):
            return self._body

    class Transport(HttpTransport):
        def __init__(self):
            self.sent = []

        def send(self, request, **kwargs):
            self.sent.append(request.method)
            answer = answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            status, body, headers = answer
            return Answer(request, status, body, headers or {})

        def open(self):
            pass

        def close(self):
            pass

        def __exit__(self, *args):
            pass

        def sleep(self, seconds):
            pass

    transport = Transport()
    return Pipeline(transport, policies=[_client.retry_policy()]), transport


def _send(method, answers):
    from azure.core.pipeline.transport import HttpRequest

    pipeline, transport = _pipeline(list(answers))
    try:
        status = pipeline.run(HttpRequest(method, "https://arm.example/x?api-version=1")).http_response.status_code
    except Exception as exc:  # noqa: BLE001 - the test looks at what came out
        return exc, transport.sent
    return status, transport.sent


BUSY_409 = (409, {"error": {"code": "AnotherOperationInProgress", "message": "busy"}}, None)


def test_pipeline_replays_a_busy_409_write_without_retry_after():
    assert _send("PUT", [BUSY_409, BUSY_409, (201, {}, None)]) == (201, ["PUT"] * 3)
    busy_429 = (429, {"error": {"code": "RetryableErrorDueToAnotherOperation", "message": "busy"}}, None)
    assert _send("DELETE", [busy_429, (202, None, None)]) == (202, ["DELETE"] * 2)
    spelled = (409, {"error": {"code": "OperationNotAllowed",
                               "message": "Another operation is in progress on the resource."}}, None)
    assert _send("PATCH", [spelled, (200, {}, None)]) == (200, ["PATCH"] * 2)


def test_pipeline_never_replays_a_write_whose_answer_may_hide_a_change():
    from azure.core.exceptions import ServiceResponseError

    for status in (500, 502, 503, 504):
        result, sent = _send("PUT", [(status, {"error": {"code": "InternalServerError"}}, {"Retry-After": "1"}),
                                     (201, {}, None)])
        assert (result, sent) == (status, ["PUT"]), status
    dropped = ServiceResponseError("Connection aborted.", error=ConnectionResetError(104, "reset"))
    result, sent = _send("PUT", [dropped, (201, {}, None)])
    assert isinstance(result, ServiceResponseError) and sent == ["PUT"]
    assert _client.classify(result) == _client.LOST
    # A read is retried on the same failures.
    assert _send("GET", [(500, {}, None), dropped, (200, {}, None)]) == (200, ["GET"] * 3)


def test_pipeline_replays_a_write_that_was_never_sent():
    from azure.core.exceptions import ServiceRequestError

    class NewConnectionError(Exception):
        pass

    refused = ServiceRequestError("refused", error=NewConnectionError("Connection refused"))
    assert _send("PUT", [refused, (201, {}, None)]) == (201, ["PUT", "PUT"])
    assert _client.classify(refused) == _client.BUSY


def test_an_unreachable_endpoint_is_not_retried_as_busy_until_the_timeout():
    from azure.core.exceptions import ServiceRequestError

    class NewConnectionError(Exception):
        pass

    clock, sleep, _slept = fake_clock()
    op = _client.Operation(900, "x", sleep=sleep, clock=clock)
    calls = []

    def step(_op):
        calls.append(1)
        raise ServiceRequestError("refused", error=NewConnectionError("Name or service not known"))

    try:
        op.run(step)
    except ServiceRequestError:
        pass
    assert len(calls) == _client.UNSENT_ATTEMPTS
    # Busy answers in between start the count again.
    answers = [ServiceRequestError("refused", error=NewConnectionError("x")),
               FakeHttpError(409, "AnotherOperationInProgress"),
               ServiceRequestError("refused", error=NewConnectionError("x"))]
    op = _client.Operation(900, "x", sleep=sleep, clock=clock)
    assert op.run(lambda o: (_unused for _unused in ()).throw(answers.pop(0)) if answers else "done") == "done"


def test_a_read_timeout_that_old_azure_core_calls_a_request_error_is_a_lost_answer():
    """azure-core 1.31 raises ServiceRequestError ("not sent") for a read timeout in a streamed answer."""
    from azure.core.exceptions import ServiceRequestError

    class ReadTimeoutError(Exception):
        pass

    timeout = ServiceRequestError("read timed out", error=ReadTimeoutError("Read timed out."))
    result, sent = _send("PUT", [timeout, (201, {}, None)])
    assert result is timeout and sent == ["PUT"]
    assert _client.classify(timeout) == _client.LOST
    op = _client.Operation(60, "x", sleep=lambda s: None)
    try:
        op.write(lambda: (_unused for _unused in ()).throw(timeout))
    except ServiceRequestError:
        pass
    assert op.maybe_landed


def test_busy_final_state_of_a_long_running_operation_is_busy_not_lost():
    """What azure-core's poller raises when the Azure-AsyncOperation status ends Failed with a busy code."""
    from azure.core.exceptions import HttpResponseError
    from azure.core.pipeline.transport import HttpRequest, HttpResponse
    from azure.core.polling.base_polling import OperationFailed

    class Status(HttpResponse):
        def __init__(self, body):
            super().__init__(HttpRequest("GET", "https://arm.example/operations/1"), None)
            self.status_code = 200
            self.headers = {}
            self._body = json.dumps(body).encode()

        def body(self):
            return self._body

    for code in ("AnotherOperationInProgress", "RetryableErrorDueToAnotherOperation"):
        exc = HttpResponseError(response=Status({"status": "Failed", "error": {"code": code, "message": "busy"}}),
                                error=OperationFailed("Operation failed or canceled"))
        assert _client.classify(exc) == _client.BUSY, code
        op = _client.Operation(60, "x", sleep=lambda s: None)
        try:
            op.write(lambda exc=exc: (_unused for _unused in ()).throw(exc))
        except HttpResponseError:
            pass
        assert not op.maybe_landed  # a busy final state was not applied
    other = HttpResponseError(response=Status({"status": "Failed", "error": {"code": "InvalidParameter"}}))
    assert _client.classify(other) is None


def test_retry_after_as_an_http_date():
    import email.utils
    import time

    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= _client._retry_after(FakeHttpError(409, "AnotherOperationInProgress", {"Retry-After": when})) <= 31
    assert _client._retry_after(FakeHttpError(409, "x", {"Retry-After": "soon"})) is None


# ---- the real SDK, azure-core's requests transport and the sandbox's hostile faults ------------------------------

def test_real_sdk_over_https_lost_answers_busy_answers_and_busy_final_states(tmp_path):
    """End to end through the network SDK with the collection's retry policy: a write whose answer was lost is sent
    once and classified LOST (it landed); a busy 409 without Retry-After is replayed until it is accepted; a busy
    final state of the long-running operation is classified BUSY."""
    import os
    import sys

    sandbox_dir = os.path.join(os.path.dirname(__file__), "..", "sandbox")
    for path in (sandbox_dir, os.path.join(sandbox_dir, "tests")):
        if path not in sys.path:
            sys.path.insert(0, path)
    from armsandbox.client import start_sandbox
    from azure.identity import ClientSecretCredential
    from azure.mgmt.network import NetworkManagementClient
    from azure.mgmt.network.models import SecurityRule
    from sandbox_testlib import nsg_fixture

    def rule(priority):
        return SecurityRule(protocol="Tcp", access="Allow", direction="Outbound", priority=priority,
                            source_address_prefix="VirtualNetwork", destination_address_prefix="Storage",
                            source_port_range="*", destination_port_range="443")

    with start_sandbox(str(tmp_path)) as handle:
        credential = ClientSecretCredential(handle.tenant_id, handle.client_id, handle.client_secret,
                                            authority=handle.url, disable_instance_discovery=True,
                                            connection_verify=handle.ca_bundle)
        net = NetworkManagementClient(credential, handle.subscription_id, base_url=handle.url,
                                      credential_scopes=[handle.scope], connection_verify=handle.ca_bundle,
                                      polling_interval=0, retry_policy=_client.retry_policy())
        ctl = handle.control
        ctl.load_fixtures(nsg_fixture())
        for priority, kind in ((200, "drop"), (201, 500)):
            ctl.set_faults(lost_answer_rate=1.0, lost_answer_kinds=[kind], lro_polls=0)
            ctl.clear_requests()
            op = _client.Operation(60, "x", sleep=lambda s: None)
            try:
                op.write(lambda: net.security_rules.begin_create_or_update(
                    "rg1", "nsg1", "lost%s" % kind, rule(priority)).result())
            except Exception as exc:  # noqa: BLE001 - classified below
                assert _client.classify(exc) == _client.LOST, exc
            else:
                raise AssertionError("the answer should have been lost")
            assert op.maybe_landed
            assert [e["fault"] for e in ctl.requests() if e["method"] == "PUT"] == ["lost-%s" % kind]
        ctl.clear_faults()
        assert sorted(r.name for r in net.security_rules.list("rg1", "nsg1")) == ["lost500", "lostdrop"]

        ctl.set_faults(busy_rate=0.6, seed=3)
        ctl.clear_requests()
        net.security_rules.begin_create_or_update("rg1", "nsg1", "busy", rule(300)).result()
        answers = [(e["status"], e["fault"]) for e in ctl.requests() if e["method"] == "PUT"]
        assert answers[-1] == (201, None) and set(answers[:-1]) == {(409, "busy")}, answers

        ctl.set_faults(busy_rate=0, busy_lro_rate=1.0)
        try:
            net.security_rules.begin_create_or_update("rg1", "nsg1", "busylro", rule(301)).result()
        except Exception as exc:  # noqa: BLE001 - classified below
            assert _client.classify(exc) == _client.BUSY, exc
        else:
            raise AssertionError("the operation should have ended Failed")
