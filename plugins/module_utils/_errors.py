# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One error path: every failure a user can cause becomes an AzbError, then one fail_json.

Private to the collection: the leading underscore means no compatibility promise.
"""

from __future__ import annotations

import json
import re


class AzbError(Exception):
    """A failure to report to the user: message, and what is known about the ARM answer."""

    def __init__(self, msg, status=None, code=None, hint=None, details=None):
        super().__init__(msg)
        self.msg = msg
        self.status = status
        self.code = code
        self.hint = hint
        self.details = details

    def to_fail_kwargs(self):
        kwargs = {"msg": self.full_message()}
        if self.status is not None:
            kwargs["status_code"] = self.status
        if self.code:
            kwargs["error_code"] = self.code
        if self.hint:
            kwargs["hint"] = self.hint
        if self.details:
            kwargs["details"] = self.details
        return kwargs

    def full_message(self):
        parts = []
        if self.status is not None or self.code:
            head = "HTTP %s" % self.status if self.status is not None else ""
            if self.code:
                head = (head + " " if head else "") + self.code
            parts.append(head + ":")
        parts.append(self.msg)
        text = " ".join(parts)
        if self.hint:
            text += " Hint: " + self.hint
        return text


# Known ARM / Entra error codes and what the user can do about them. Keys are matched case-insensitively.
HINTS = {
    "invalidauthenticationtoken": "the access token was refused; check tenant, client_id and cloud_environment.",
    "authenticationfailed": "the access token was refused; check tenant, client_id and cloud_environment.",
    "authorizationfailed": (
        "the identity lacks permission for this operation; grant it a role such as Contributor, or Backup Contributor "
        "for vaults and Network Contributor for NSGs, on the subscription or resource group."
    ),
    "linkedauthorizationfailed": "the identity lacks permission on a linked resource; grant a role on that resource too.",
    "resourcegroupnotfound": "create the resource group first, or check resource_group and subscription_id.",
    "subscriptionnotfound": "check subscription_id and that the identity can see that subscription.",
    "invalidsubscriptionid": "subscription_id must be a GUID.",
    "missingsubscriptionregistration": (
        "register the resource provider on the subscription, for example "
        "'az provider register --namespace Microsoft.RecoveryServices' (or Microsoft.Network)."
    ),
    "noregisteredproviderfound": (
        "the resource provider or api-version is not available in this cloud or region; register the provider "
        "('az provider register --namespace ...') or check cloud_environment."
    ),
    "subscriptionrequeststhrottled": "Azure throttled the requests; retries were exhausted, run again later.",
    "toomanyrequests": "Azure throttled the requests; retries were exhausted, run again later.",
    "anotheroperationinprogress": "another change to the same resource is still running; retries were exhausted, run again.",
    "retryableerrorduetoanotheroperation": "another change to the same resource is still running; run again later.",
    "preconditionfailed": "someone else changed the resource at the same time; run again to re-read and re-apply.",
}

# Entra (AADSTS) error numbers and hints.
AADSTS_HINTS = {
    "7000215": "the client secret is wrong: use the secret's value, not its ID (secret / AZURE_SECRET / AZURE_CLIENT_SECRET).",
    "7000222": "the client secret has expired: create a new one and update secret / AZURE_SECRET.",
    "700016": "no application with this client_id exists in the tenant: check client_id and tenant.",
    "90002": "the tenant was not found: check tenant (AZURE_TENANT / AZURE_TENANT_ID) and cloud_environment.",
    "900023": "the tenant is not a valid tenant ID or domain: check tenant.",
    "7000229": "the application has no service principal in this tenant: check tenant, or create the service principal.",
}

_AADSTS = re.compile(r"AADSTS(\d+)")


def scrub(text, secrets):
    """Remove every known secret value from a text (defence in depth; no_log masks module output too)."""
    if not text:
        return text
    for value in secrets or ():
        if value and len(value) >= 4:
            text = text.replace(value, "********")
    return text


def _first_line(text, limit=600):
    text = (text or "").strip()
    # Entra messages carry trace and correlation lines after the first line: keep what a user needs.
    text = text.split("\r\n")[0].split("\n")[0].strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _arm_error(exc):
    """(status, code, message, details) out of an azure-core HttpResponseError or its response."""
    status = getattr(getattr(exc, "response", None), "status_code", None) or getattr(exc, "status_code", None)
    code = None
    message = None
    details = None
    err = getattr(exc, "error", None)
    if err is not None:
        code = getattr(err, "code", None)
        message = getattr(err, "message", None)
        raw = getattr(err, "details", None)
        if raw:
            details = [{"code": getattr(d, "code", None), "message": getattr(d, "message", None)} for d in raw]
    if not code or not message:
        response = getattr(exc, "response", None)
        body = None
        if response is not None:
            try:
                body = json.loads(response.text())
            except Exception:  # pylint: disable=broad-except
                body = None
        if isinstance(body, dict):
            inner = body.get("error", body)
            if isinstance(inner, dict):
                code = code or inner.get("code")
                message = message or inner.get("message")
            elif isinstance(inner, str):
                code = code or inner
                message = message or body.get("error_description")
    if not message:
        message = getattr(exc, "message", None) or str(exc)
    return status, code, message, details


def hint_for(code, message):
    if code and code.lower() in HINTS:
        return HINTS[code.lower()]
    match = _AADSTS.search(message or "")
    if match and match.group(1) in AADSTS_HINTS:
        return AADSTS_HINTS[match.group(1)]
    return None


def _chain(exc, limit=10):
    """exc and the exceptions behind it: azure-core's inner_exception, then __cause__ / __context__."""
    seen = []
    while exc is not None and len(seen) < limit and not any(exc is e for e in seen):
        seen.append(exc)
        exc = getattr(exc, "inner_exception", None) or exc.__cause__ or exc.__context__
    return seen


def _tls_failure(exc):
    """Whether a certificate verification failure is anywhere in the chain of exc."""
    for item in _chain(exc):
        if type(item).__name__ in ("SSLError", "SSLCertVerificationError") or "CERTIFICATE_VERIFY_FAILED" in str(item):
            return True
    return False


def from_exception(exc, action=None, secrets=()):
    """Translate any exception from the Azure SDK or azure-identity into an AzbError."""
    if isinstance(exc, AzbError):
        exc.msg = scrub(exc.msg, secrets)
        return exc
    name = type(exc).__name__
    prefix = (action + ": ") if action else ""
    if name in ("ClientAuthenticationError", "CredentialUnavailableError", "AuthenticationRequiredError"):
        status, code, message, _details = _arm_error(exc)
        message = _first_line(message)
        hint = hint_for(code, message)
        if name == "CredentialUnavailableError" and not hint:
            hint = "no credential was found: give client_id, secret and tenant, or set AZURE_* variables, or log in with 'az login'."
        if hint is None and status is None:
            hint = "check client_id, secret, tenant and cloud_environment."
        return AzbError(
            scrub(prefix + "authentication failed: " + message, secrets),
            status=status, code=code or "AuthenticationFailed", hint=hint)
    # Before the generic network branch: azure-core wraps a refused certificate in a ServiceRequestError (around
    # requests' SSLError around urllib3's, around ssl.SSLCertVerificationError), which is a network error too.
    if _tls_failure(exc):
        return AzbError(
            scrub(prefix + "TLS verification failed: %s" % _first_line(str(exc)), secrets),
            hint="the endpoint's certificate is not trusted; give its CA with ca_bundle (or REQUESTS_CA_BUNDLE).")
    if name in ("ServiceRequestError", "ServiceRequestTimeoutError", "ServiceResponseError",
                "ServiceResponseTimeoutError", "IncompleteReadError", "ConnectionError"):
        return AzbError(
            scrub(prefix + "could not reach Azure: %s" % _first_line(str(exc)), secrets),
            hint="check the network path to the Resource Manager and login endpoints, proxies and ca_bundle.")
    if hasattr(exc, "response") or name.endswith("HttpResponseError") or name in (
            "ResourceNotFoundError", "ResourceExistsError", "ResourceModifiedError", "ResourceNotModifiedError"):
        status, code, message, details = _arm_error(exc)
        message = _first_line(message)
        return AzbError(scrub(prefix + message, secrets), status=status, code=code,
                        hint=hint_for(code, message), details=details)
    if name == "ValueError":
        return AzbError(scrub(prefix + _first_line(str(exc)), secrets))
    return AzbError(scrub(prefix + "%s: %s" % (name, _first_line(str(exc))), secrets))
