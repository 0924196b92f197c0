"""Translation of SDK and identity exceptions into one clear, secret-free message."""

from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError, from_exception, scrub


class FakeError:
    def __init__(self, code, message):
        self.code = code
        self.message = message
        self.details = None


class HttpResponseError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status_code = status
        self.error = FakeError(code, message)
        self.response = None


class ClientAuthenticationError(HttpResponseError):
    pass


def test_arm_error_carries_status_code_and_hint():
    err = from_exception(HttpResponseError(404, "ResourceGroupNotFound", "Resource group 'rg' could not be found."))
    assert (err.status, err.code) == (404, "ResourceGroupNotFound")
    assert "create the resource group" in err.hint
    text = err.full_message()
    assert text.startswith("HTTP 404 ResourceGroupNotFound: Resource group 'rg'") and "Hint:" in text


def test_permission_hint():
    err = from_exception(HttpResponseError(403, "AuthorizationFailed", "The client does not have authorization"))
    assert "Contributor" in err.hint


def test_unregistered_provider_hint():
    err = from_exception(HttpResponseError(409, "MissingSubscriptionRegistration", "not registered"))
    assert "az provider register" in err.hint


def test_wrong_secret_hint_and_first_line_only():
    exc = ClientAuthenticationError(401, None, "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: abc")
    exc.error = None
    err = from_exception(exc)
    assert "secret" in err.hint and "Trace ID" not in err.msg and "authentication failed" in err.msg


def test_secret_is_scrubbed():
    err = from_exception(ValueError("bad value sekrit-123 here"), secrets=["sekrit-123"])
    assert "sekrit-123" not in err.full_message()
    assert scrub("a sekrit-123 b", ["sekrit-123"]) == "a ******** b"


def test_azb_error_passthrough():
    original = AzbError("x", code="C")
    assert from_exception(original) is original
    assert original.to_fail_kwargs() == {"msg": "C: x", "error_code": "C"}
