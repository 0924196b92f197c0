"""Microsoft Entra ID (login) emulation, ARM bearer-token checks and the ARM metadata endpoint."""

import base64
import hashlib
import hmac
import json
import os
import time
import urllib.parse

from . import SANDBOX_AUDIENCE
from .common import ArmError, Response, iso_now, new_guid

# Audiences a token may be requested for ("<audience>/.default"), compared without trailing '/'.
ACCEPTED_AUDIENCES = (
    SANDBOX_AUDIENCE,
    "https://management.azure.com/",
    "https://management.core.windows.net/",
)
TOKEN_LIFETIME = 3599


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    """Issues and verifies HS256-signed JWT access tokens (key is random per server process)."""

    def __init__(self):
        self._key = os.urandom(32)

    def issue(self, principal, audience):
        now = int(time.time())
        tenant = principal["tenant_id"]
        claims = {
            "aud": audience,
            "iss": f"https://sts.windows.net/{tenant}/",
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME,
            "appid": principal["client_id"],
            "appidacr": "1",
            "idtyp": "app",
            "oid": principal["object_id"],
            "sub": principal["object_id"],
            "tid": tenant,
            "uti": new_guid(),
            "ver": "1.0",
        }
        header = _b64(json.dumps({"typ": "JWT", "alg": "HS256", "kid": "sandbox"}).encode())
        payload = _b64(json.dumps(claims).encode())
        signature = hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64(signature)}"

    def verify(self, token):
        """Return the claims of a token this process issued, or None."""
        try:
            header, payload, signature = token.split(".")
            expected = hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64(signature)):
                return None
            return json.loads(_unb64(payload))
        except (ValueError, TypeError):
            return None


# ---- Entra ID endpoints --------------------------------------------------------------------------

def _entra_error(status, error, aadsts, description):
    trace, correlation = new_guid(), new_guid()
    stamp = iso_now()
    body = {
        "error": error,
        "error_description": f"AADSTS{aadsts}: {description}\r\nTrace ID: {trace}\r\n"
        f"Correlation ID: {correlation}\r\nTimestamp: {stamp}",
        "error_codes": [aadsts],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"https://login.microsoftonline.com/error?code={aadsts}",
    }
    return Response(status, body)


def _unknown_tenant(tenant):
    return _entra_error(
        400,
        "invalid_tenant",
        90002,
        f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing "
        "into the correct cloud. Check with your subscription administrator, this may happen if there are "
        "no active subscriptions for the tenant.",
    )


def openid_configuration(sandbox, req, tenant):
    if tenant not in sandbox.state.tenants and tenant.lower() not in ("organizations", "common"):
        return _unknown_tenant(tenant)
    base = f"{req.base_url}/{tenant}"
    return Response(
        200,
        {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{req.base_url}/{tenant}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{req.base_url}/{tenant}/v2.0",
            "request_uri_parameter_supported": False,
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "tenant_region_scope": "EU",
            "cloud_instance_name": "sandbox.local",
        },
    )


def token(sandbox, req, tenant):
    form = {k: v[0] for k, v in urllib.parse.parse_qs(req.raw_body.decode("utf-8", "replace")).items()}
    if tenant not in sandbox.state.tenants:
        return _unknown_tenant(tenant)
    if form.get("grant_type") != "client_credentials":
        return _entra_error(
            400, "unsupported_grant_type", 70003,
            "The app requested an unsupported grant type. The sandbox supports 'client_credentials' only.",
        )
    client_id = form.get("client_id", "")
    principal = sandbox.state.principal(client_id)
    if principal is None or principal["tenant_id"] != tenant:
        return _entra_error(
            400, "unauthorized_client", 700016,
            f"Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can "
            "happen if the application has not been installed by the administrator of the tenant or consented "
            "to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
        )
    if "client_secret" not in form:
        return _entra_error(
            401, "invalid_client", 7000216,
            "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
        )
    if not hmac.compare_digest(form["client_secret"].encode(), principal["client_secret"].encode()):
        return _entra_error(
            401, "invalid_client", 7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret "
            f"value, not the client secret ID, for a secret added to app '{principal['client_id']}'.",
        )
    audience = None
    for scope in form.get("scope", "").split():
        if scope.endswith("/.default"):
            resource = scope[: -len(".default")]
            if resource.rstrip("/") in {a.rstrip("/") for a in ACCEPTED_AUDIENCES}:
                audience = resource
    if audience is None:
        return _entra_error(
            400, "invalid_resource", 500011,
            f"The resource principal named {form.get('scope', '')!r} was not found in the tenant named {tenant}. "
            "This can happen if the application has not been installed by the administrator of the tenant or "
            "consented to by any user in the tenant. You might have sent your authentication request to the "
            "wrong tenant.",
        )
    access = sandbox.tokens.issue(principal, audience)
    return Response(
        200,
        {"token_type": "Bearer", "expires_in": TOKEN_LIFETIME, "ext_expires_in": TOKEN_LIFETIME,
         "access_token": access},
    )


# ---- ARM-side checks ------------------------------------------------------------------------------

def _unauthorized(req, code, message, tenant, description):
    header = (
        f'Bearer authorization_uri="{req.base_url}/{tenant}", error="invalid_token", '
        f'error_description="{description}"'
    )
    return ArmError(401, code, message, headers={"WWW-Authenticate": header})


def authenticate(sandbox, req):
    """Check the bearer token of an ARM request; return the principal dict or raise ArmError."""
    from . import DEFAULT_TENANT_ID

    value = req.headers.get("Authorization") or ""
    if not value:
        raise _unauthorized(
            req, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.",
            DEFAULT_TENANT_ID, "The authentication failed because of missing 'Authorization' header.",
        )
    scheme, _unused, raw = value.partition(" ")
    claims = sandbox.tokens.verify(raw.strip()) if scheme.lower() == "bearer" else None
    if claims is None:
        raise _unauthorized(
            req, "InvalidAuthenticationToken", "The access token is invalid.",
            DEFAULT_TENANT_ID, "The access token is invalid.",
        )
    if claims["exp"] < time.time():
        raise _unauthorized(
            req, "ExpiredAuthenticationToken",
            "The access token expiry UTC time is earlier than current UTC time.",
            claims["tid"], "The access token has expired.",
        )
    principal = sandbox.state.principal(claims["appid"])
    if principal is None:
        raise _unauthorized(
            req, "InvalidAuthenticationToken", "The access token is invalid (unknown application).",
            claims["tid"], "The access token is invalid.",
        )
    return principal


def authorize_subscription(req, principal, subscription):
    """Tenant match and (optional) per-principal subscription allow-list."""
    if subscription["tenantId"] != principal["tenant_id"]:
        raise _unauthorized(
            req, "InvalidAuthenticationTokenTenant",
            f"The access token is from the wrong issuer 'https://sts.windows.net/{principal['tenant_id']}/'. "
            f"It must match the tenant 'https://sts.windows.net/{subscription['tenantId']}/' associated with "
            f"this subscription. Please use the authority (URL) '{req.base_url}/{subscription['tenantId']}' "
            "to get the token.",
            subscription["tenantId"], "The access token is from the wrong issuer.",
        )
    allowed = principal.get("subscriptions")
    if allowed is not None and subscription["subscriptionId"].lower() not in {s.lower() for s in allowed}:
        from . import deny

        action, scope, _unused = deny.describe(req.method, req.path)
        raise deny.failed(principal, action, scope)


# ---- metadata endpoint -----------------------------------------------------------------------------

def metadata_endpoints(sandbox, req):
    base = req.base_url
    version = req.api_version or "2015-01-01"
    if version == "2015-01-01":
        return Response(200, {
            "galleryEndpoint": f"{base}/gallery/",
            "graphEndpoint": f"{base}/graph/",
            "portalEndpoint": f"{base}/portal/",
            "authentication": {"loginEndpoint": f"{base}/", "audiences": [SANDBOX_AUDIENCE]},
        })
    return Response(200, {
        "name": "AzureBackupSandbox",
        "resourceManager": f"{base}/",
        "portal": f"{base}/portal/",
        "gallery": f"{base}/gallery/",
        "graph": f"{base}/graph/",
        "graphAudience": "https://graph.sandbox.local/",
        "microsoftGraphResourceId": "https://graph.sandbox.local/",
        "authentication": {
            "loginEndpoint": f"{base}/",
            "audiences": [SANDBOX_AUDIENCE, "https://management.sandbox.local"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "media": f"{base}/media/",
        "sqlManagement": f"{base}/sql/",
        "batch": "https://batch.sandbox.local/",
        "vmImageAliasDoc": f"{base}/vmimagealiases.json",
        "activeDirectoryDataLake": "https://datalake.sandbox.local/",
        "appInsightsResourceId": "https://api.applicationinsights.sandbox.local",
        "appInsightsTelemetryChannelResourceId": "https://dc.applicationinsights.sandbox.local/v2/track",
        "attestationResourceId": "https://attest.sandbox.local",
        "synapseAnalyticsResourceId": "https://dev.azuresynapse.sandbox.local",
        "logAnalyticsResourceId": "https://api.loganalytics.sandbox.local",
        "ossrDbmsResourceId": "https://ossrdbms-aad.database.sandbox.local",
        "suffixes": {
            "azureDataLakeStoreFileSystem": "azuredatalakestore.sandbox.local",
            "acrLoginServer": "azurecr.sandbox.local",
            "sqlServerHostname": "database.sandbox.local",
            "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.sandbox.local",
            "keyVaultDns": "vault.sandbox.local",
            "storage": "core.sandbox.local",
            "azureFrontDoorEndpointSuffix": "azurefd.sandbox.local",
            "storageSyncEndpointSuffix": "afs.sandbox.local",
            "mhsmDns": "managedhsm.sandbox.local",
            "mysqlServerEndpoint": "mysql.database.sandbox.local",
            "postgresqlServerEndpoint": "postgres.database.sandbox.local",
            "mariadbServerEndpoint": "mariadb.database.sandbox.local",
            "synapseAnalytics": "dev.azuresynapse.sandbox.local",
            "attestationEndpoint": "attest.sandbox.local",
        },
    })
