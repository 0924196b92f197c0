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
BUSY_CODES = frozenset(["anotheroperationinprogress", "retryableerrorduetoanotheroperation",
                        "operationnotallowedwhileupdating", "conflictingoperationinprogress"])

_RETRY_CLASS = None


def _is_tls_verification_error(error):
    seen = 0
    while error is not None and seen < 8:
        if "CERTIFICATE_VERIFY_FAILED" in str(error) or type(error).__name__ == "SSLCertVerificationError":
            return True
        error = getattr(error, "inner_exception", None) or error.__cause__ or error.__context__
        seen += 1
    return False


def _retry_policy_class():
    """azure-core's RetryPolicy, extended with jitter and ARM's 'another operation in progress' answers."""
    global _RETRY_CLASS  # pylint: disable=global-statement
    if _RETRY_CLASS is not None:
        return _RETRY_CLASS
    from azure.core.pipeline.policies import RetryPolicy

    class AzbRetryPolicy(RetryPolicy):
        """Retries 408/429/5xx and dropped connections (azure-core), honours Retry-After, adds jitter and busy 409s."""

        def _is_method_retryable(self, settings, request, response=None):
            # The collection's PATCH and PUT bodies are absolute, so replaying them is safe.
            if request.method.upper() == "PATCH":
                return True
            return super()._is_method_retryable(settings, request, response=response)

        def is_retry(self, settings, response):
            if super().is_retry(settings, response):
                return True
            http = response.http_response
            if http.status_code != 409 or not settings["total"]:
                return False
            try:
                body = json.loads(http.text())
                code = (body.get("error") or {}).get("code", "")
            except Exception:  # pylint: disable=broad-except
                return False
            return code.lower() in BUSY_CODES

        def increment(self, settings, response=None, error=None):
            # An untrusted certificate will not become trusted by waiting: fail at once.
            if error is not None and _is_tls_verification_error(error):
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


def to_dict(obj):
    """The ARM JSON of an SDK model (the SDKs' models are dict-like and give their REST form with as_dict())."""
    if obj is None or isinstance(obj, dict):
        return obj
    return obj.as_dict()
