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


def _certificate_refused():
    """The chain azure-core's requests transport raises when the endpoint's CA is not trusted."""
    import ssl

    import requests
    import urllib3
    from azure.core.exceptions import ServiceRequestError

    text = "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate (_ssl.c:1000)"
    try:
        try:
            try:
                raise ssl.SSLCertVerificationError(1, text)
            except ssl.SSLCertVerificationError as low:
                raise urllib3.exceptions.MaxRetryError(
                    None, "/subscriptions", urllib3.exceptions.SSLError(low)) from low
        except urllib3.exceptions.MaxRetryError as retry:
            raise requests.exceptions.SSLError(retry) from retry
    except requests.exceptions.SSLError as err:
        return ServiceRequestError(err, error=err)


def test_certificate_failure_gets_the_tls_hint_not_the_network_hint():
    exc = _certificate_refused()
    assert type(exc).__name__ == "ServiceRequestError"
    err = from_exception(exc, action="reading vaults")
    assert "TLS verification failed" in err.msg and err.msg.startswith("reading vaults: ")
    assert "ca_bundle" in err.hint and "certificate" in err.hint and "network path" not in err.hint


def test_certificate_failure_found_behind_the_message():
    """Only the innermost exception names the failure: the chain is followed, not just the top message."""
    import ssl

    from azure.core.exceptions import ServiceRequestError

    low = ssl.SSLCertVerificationError(1, "certificate verify failed")
    exc = ServiceRequestError("Connection aborted.", error=low)
    assert "certificate is not trusted" in from_exception(exc).hint


def test_plain_network_failure_keeps_the_network_hint():
    from azure.core.exceptions import ServiceRequestError

    err = from_exception(ServiceRequestError("Failed to establish a new connection: [Errno 111] Connection refused"))
    assert "could not reach Azure" in err.msg and "network path" in err.hint
