"""Helpers shared by the sandbox tests (raw HTTPS client, SDK clients, fixture builders)."""

import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request

SANDBOX_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = os.path.join(SANDBOX_DIR, "fixtures", "seed.json")
NETWORK_API = "2026-03-01"
VAULT_API = "2026-11-01"
COMPUTE_API = "2026-04-01"


class RawArm:
    """Minimal HTTPS client for requests the SDKs cannot express (bad bodies, raw headers)."""

    def __init__(self, handle):
        self.handle = handle
        self.context = ssl.create_default_context(cafile=handle.ca_bundle)
        self._token = None

    def token(self):
        if self._token is None:
            form = urllib.parse.urlencode({
                "client_id": self.handle.client_id, "client_secret": self.handle.client_secret,
                "grant_type": "client_credentials", "scope": self.handle.scope,
            }).encode()
            status, _unused, body = self.send("POST", f"/{self.handle.tenant_id}/oauth2/v2.0/token", raw=form,
                                              auth=False, content_type="application/x-www-form-urlencoded")
            assert status == 200, body
            self._token = body["access_token"]
        return self._token

    def send(self, method, path, body=None, headers=None, api_version=None, auth=True, raw=None,
             content_type="application/json"):
        url = self.handle.url + path
        if api_version:
            url += ("&" if "?" in url else "?") + f"api-version={api_version}"
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        all_headers = {"Content-Type": content_type, **(headers or {})}
        if auth:
            all_headers["Authorization"] = f"Bearer {self.token()}"
        request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=30) as response:
                status, response_headers, payload = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as err:
            status, response_headers, payload = err.code, dict(err.headers), err.read()
        return status, response_headers, json.loads(payload) if payload else None


class Clients:
    def __init__(self, handle):
        from azure.identity import ClientSecretCredential
        from azure.mgmt.compute import ComputeManagementClient
        from azure.mgmt.network import NetworkManagementClient
        from azure.mgmt.recoveryservices import RecoveryServicesClient

        self.credential = ClientSecretCredential(
            handle.tenant_id, handle.client_id, handle.client_secret, authority=handle.url,
            disable_instance_discovery=True, connection_verify=handle.ca_bundle,
        )
        options = {"base_url": handle.url, "credential_scopes": [handle.scope],
                   "connection_verify": handle.ca_bundle, "polling_interval": 0}
        self.network = NetworkManagementClient(self.credential, handle.subscription_id, **options)
        self.vaults = RecoveryServicesClient(self.credential, handle.subscription_id, **options)
        self.compute = ComputeManagementClient(self.credential, handle.subscription_id, **options)


def rg_fixture(*names, location="westeurope"):
    return {"resource_groups": [{"name": n, "location": location} for n in names]}


def nsg_fixture(rg="rg1", nsg="nsg1", rules=(), location="westeurope"):
    return {
        "resource_groups": [{"name": rg, "location": location}],
        "network_security_groups": [{"resource_group": rg, "name": nsg, "location": location,
                                     "security_rules": list(rules)}],
    }


def rule_body(priority=200, direction="Outbound", **overrides):
    props = {"protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "443",
             "sourceAddressPrefix": "VirtualNetwork", "destinationAddressPrefix": "AzureBackup",
             "access": "Allow", "priority": priority, "direction": direction}
    props.update(overrides)
    return {"properties": {k: v for k, v in props.items() if v is not None}}
