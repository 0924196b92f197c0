# -*- coding: utf-8 -*-
# Copyright: contributors to the azbackup.vmprep collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where credentials and the cloud come from.

Option and environment names follow azure.azcollection and the AWX / Automation Platform
"Microsoft Azure Resource Manager" credential, so an existing credential works unchanged.
Nothing here sends a request except the metadata discovery of a custom cloud, and nothing
imports azure-identity until a credential is really built.
"""

from __future__ import annotations

import configparser
import json
import os
import re
from urllib.parse import urlparse

from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError

AUTH_SOURCES = ["auto", "cli", "credential_file", "env", "msi"]

# One home for the auth options: the doc fragment documents exactly these.
AUTH_ARGSPEC = dict(
    auth_source=dict(type="str", choices=AUTH_SOURCES, default="auto"),
    subscription_id=dict(type="str"),
    client_id=dict(type="str"),
    secret=dict(type="str", no_log=True),
    tenant=dict(type="str"),
    profile=dict(type="str"),
    cloud_environment=dict(type="str"),
    ca_bundle=dict(type="path"),
)

ENV = {
    "subscription_id": ["AZURE_SUBSCRIPTION_ID"],
    "client_id": ["AZURE_CLIENT_ID"],
    "secret": ["AZURE_SECRET", "AZURE_CLIENT_SECRET"],
    "tenant": ["AZURE_TENANT", "AZURE_TENANT_ID"],
    "profile": ["AZURE_PROFILE"],
    "cloud_environment": ["AZURE_CLOUD_ENVIRONMENT"],
}

# Resource Manager endpoint, login endpoint and token scope of the clouds Azure names.
KNOWN_CLOUDS = {
    "azurecloud": ("AzureCloud", "https://management.azure.com", "https://login.microsoftonline.com",
                   "https://management.azure.com/.default"),
    "azurechinacloud": ("AzureChinaCloud", "https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn",
                        "https://management.chinacloudapi.cn/.default"),
    "azureusgovernment": ("AzureUSGovernment", "https://management.usgovcloudapi.net",
                          "https://login.microsoftonline.us", "https://management.core.usgovcloudapi.net/.default"),
}
CLOUD_ALIASES = {"azurepubliccloud": "azurecloud", "public": "azurecloud", "azureusgovernmentcloud": "azureusgovernment"}

# Login hosts MSAL knows; any other host needs instance discovery switched off (Azure Stack Hub, private clouds).
MSAL_KNOWN_HOSTS = frozenset([
    "login.microsoftonline.com", "login.microsoft.com", "login.windows.net", "sts.windows.net",
    "login.chinacloudapi.cn", "login.partner.microsoftonline.cn", "login.microsoftonline.de",
    "login-us.microsoftonline.com", "login.microsoftonline.us", "login.usgovcloudapi.net",
    "login.sovcloud-identity.fr", "login.sovcloud-identity.de", "login.sovcloud-identity.sg",
])

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
CREDENTIAL_KEYS = ("subscription_id", "client_id", "secret", "tenant", "cloud_environment")


class Cloud(object):
    """Endpoints of one cloud."""

    def __init__(self, name, resource_manager, login, scope):
        self.name = name
        self.resource_manager = resource_manager.rstrip("/")
        self.login = login.rstrip("/")
        self.scope = scope

    @property
    def login_host_known(self):
        return (urlparse(self.login).hostname or "").lower() in MSAL_KNOWN_HOSTS

    def as_dict(self):
        return {"name": self.name, "resource_manager": self.resource_manager, "login": self.login, "scope": self.scope}


def _env(key, environ):
    for name in ENV.get(key, ()):
        value = environ.get(name)
        if value:
            return value
    return None


def credentials_file(environ=None):
    environ = os.environ if environ is None else environ
    home = environ.get("HOME") or os.path.expanduser("~")
    return os.path.join(home, ".azure", "credentials")


def read_profile(name, environ=None, required=False):
    """One section of ~/.azure/credentials (azure.azcollection's ini format), or None."""
    path = credentials_file(environ)
    if not os.path.isfile(path):
        if required:
            raise AzbError("credential file %s does not exist (needed for profile '%s')." % (path, name),
                           hint="create it with a [%s] section holding subscription_id, client_id, secret, tenant." % name)
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise AzbError("credential file %s cannot be parsed: %s" % (path, str(exc).splitlines()[0]))
    if not parser.has_section(name):
        if required:
            raise AzbError("profile '%s' is not a section of %s (sections: %s)."
                           % (name, path, ", ".join(parser.sections()) or "none"))
        return None
    return {k: v.strip() for k, v in parser.items(name) if v.strip()}


def cli_default_subscription(environ=None):
    environ = os.environ if environ is None else environ
    config_dir = environ.get("AZURE_CONFIG_DIR") or os.path.join(
        environ.get("HOME") or os.path.expanduser("~"), ".azure")
    path = os.path.join(config_dir, "azureProfile.json")
    try:
        with open(path, encoding="utf-8-sig") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    for sub in data.get("subscriptions", []):
        if sub.get("isDefault"):
            return sub.get("id")
    return None


class AuthSettings(object):
    """What the credential sources resolved to. Built without sending any request."""

    def __init__(self, source, subscription_id, client_id=None, secret=None, tenant=None,
                 cloud_environment=None, ca_bundle=None):
        self.source = source
        self.subscription_id = subscription_id
        self.client_id = client_id
        self.secret = secret
        self.tenant = tenant
        self.cloud_environment = cloud_environment or "AzureCloud"
        self.ca_bundle = ca_bundle

    @property
    def secrets(self):
        return [self.secret] if self.secret else []


def layered(*layers):
    """Field by field, the first layer that has a value: ({field: value}, {field: index of the layer})."""
    fields, origins = {}, {}
    for key in CREDENTIAL_KEYS:
        for index, layer in enumerate(layers):
            if layer and layer.get(key):
                fields[key], origins[key] = layer[key], index
                break
    return fields, origins


def resolve_settings(params, environ=None):
    """Pick the credential source and fields, following the documented order. Raises AzbError on bad input.

    Every field (subscription_id, client_id, secret, tenant, cloud_environment) is taken on its own from the first
    of: the module option, the environment, the credential-file profile, and (subscription_id only) the Azure CLI's
    default subscription. A profile never overrides an option or an environment variable.
    """
    environ = os.environ if environ is None else environ
    source = params.get("auth_source") or "auto"
    opts = {k: params.get(k) for k in CREDENTIAL_KEYS}
    env = {k: _env(k, environ) for k in CREDENTIAL_KEYS}
    profile_name = params.get("profile") or _env("profile", environ)
    ca_bundle = params.get("ca_bundle")
    if ca_bundle and not os.path.isfile(ca_bundle):
        raise AzbError("ca_bundle %s is not a readable file." % ca_bundle)
    layer_names = ("options", "env", "credential_file")

    def complete(fields):
        return bool(fields.get("client_id") and fields.get("secret") and fields.get("tenant"))

    prof = None
    if source == "auto":
        if profile_name:
            prof = read_profile(profile_name, environ, required=True)
        elif not complete(layered(opts, env)[0]):
            # No profile named and no service principal from options or environment: try the section 'default'.
            prof = read_profile("default", environ)
        fields, origins = layered(opts, env, prof)
        chosen = "service_principal" if complete(fields) else "cli"
    elif source == "env":
        if not complete(env):
            missing = [ENV[k][0] for k in ("client_id", "secret", "tenant") if not env.get(k)]
            raise AzbError("auth_source=env but %s not set." % ", ".join(missing))
        fields, origins = layered(opts, env)
        chosen = "service_principal"
    elif source == "credential_file":
        prof = read_profile(profile_name or "default", environ, required=True)
        if not complete(prof):
            raise AzbError("profile '%s' in %s needs client_id, secret and tenant."
                           % (profile_name or "default", credentials_file(environ)))
        fields, origins = layered(opts, env, prof)
        chosen = "service_principal"
    else:  # cli, msi
        fields, origins = layered(opts, env)
        chosen = source
    source_name = layer_names[origins["secret"]] if chosen == "service_principal" else chosen
    subscription_id = fields.get("subscription_id")
    if not subscription_id and chosen == "cli":
        subscription_id = cli_default_subscription(environ)
    if not subscription_id:
        raise AzbError("subscription_id is required: give the option, set AZURE_SUBSCRIPTION_ID, add it to the "
                       "credential profile, or select a default subscription with 'az account set'.")
    if not GUID.match(subscription_id):
        raise AzbError("subscription_id must be a GUID (like 00000000-0000-0000-0000-000000000000).")
    settings = AuthSettings(
        source=chosen,
        subscription_id=subscription_id,
        client_id=fields.get("client_id"),
        secret=fields.get("secret") if chosen == "service_principal" else None,
        tenant=fields.get("tenant"),
        cloud_environment=fields.get("cloud_environment"),
        ca_bundle=ca_bundle,
    )
    settings.origin = source_name
    validate_cloud_name(settings.cloud_environment)
    return settings


def validate_cloud_name(value):
    key = CLOUD_ALIASES.get(value.lower(), value.lower())
    if key in KNOWN_CLOUDS:
        return
    parsed = urlparse(value)
    if parsed.scheme != "https" or not parsed.hostname:
        raise AzbError("cloud_environment must be one of AzureCloud, AzureChinaCloud, AzureUSGovernment, or the "
                       "https URL of a Resource Manager endpoint; got '%s'." % value)


def scope_for_audience(audience):
    return audience + ".default" if audience.endswith("/") else audience + "/.default"


def resolve_cloud(value, fetch_json):
    """Cloud endpoints for a known name, or from `{url}/metadata/endpoints` (Azure Stack Hub, private clouds).

    fetch_json(url) returns the parsed document; it is given by the caller so that the request goes through the
    same transport (retries, ca_bundle) as every other request.
    """
    key = CLOUD_ALIASES.get(value.lower(), value.lower())
    if key in KNOWN_CLOUDS:
        return Cloud(*KNOWN_CLOUDS[key])
    validate_cloud_name(value)
    base = value.rstrip("/")
    doc = fetch_json(base + "/metadata/endpoints?api-version=2022-09-01")
    if isinstance(doc, list):  # the multi-cloud form of the document
        doc = next((d for d in doc if str(d.get("resourceManager", "")).rstrip("/") == base), doc[0] if doc else {})
    try:
        auth = doc["authentication"]
        login = auth["loginEndpoint"]
        audience = auth["audiences"][0]
    except (KeyError, IndexError, TypeError):
        raise AzbError("%s/metadata/endpoints did not describe the login endpoint and token audience "
                       "(authentication.loginEndpoint, authentication.audiences)." % base)
    if urlparse(login).scheme != "https":
        raise AzbError("the login endpoint %s announced by %s is not https." % (login, base))
    return Cloud(doc.get("name") or base, doc.get("resourceManager") or base, login, scope_for_audience(audience))


def build_credential(settings, cloud):
    """The azure-identity credential for the resolved settings (imports azure-identity lazily)."""
    common = {}
    if settings.ca_bundle:
        common["connection_verify"] = settings.ca_bundle
    if settings.source == "service_principal":
        from azure.identity import ClientSecretCredential

        return ClientSecretCredential(
            settings.tenant, settings.client_id, settings.secret,
            authority=cloud.login,
            disable_instance_discovery=not cloud.login_host_known,
            **common)
    if settings.source == "msi":
        from azure.identity import ManagedIdentityCredential

        if settings.client_id:
            return ManagedIdentityCredential(client_id=settings.client_id, **common)
        return ManagedIdentityCredential(**common)
    from azure.identity import AzureCliCredential

    if settings.tenant:
        return AzureCliCredential(tenant_id=settings.tenant)
    return AzureCliCredential()
