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
    method = "PUT"


class PipelineResponse:
    def __init__(self, resp):
        self.http_response = resp
        self.http_request = Req()


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


def test_throttling_and_5xx_are_retried():
    policy = _client.retry_policy()
    for status in (408, 429, 500, 502, 503, 504):
        assert policy.is_retry(settings(policy), PipelineResponse(Resp(status)))
    assert not policy.is_retry(settings(policy), PipelineResponse(Resp(400)))


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
