"""Login endpoints, the ARM metadata endpoint, tenants/subscriptions and the control API."""

import json
import os
import urllib.parse

from armsandbox.client import start_sandbox

SUB = "33333333-3333-3333-3333-333333333333"


def _token(arm, tenant, client, secret, scope):
    form = urllib.parse.urlencode({"client_id": client, "client_secret": secret, "grant_type": "client_credentials",
                                   "scope": scope}).encode()
    return arm.send("POST", f"/{tenant}/oauth2/v2.0/token", raw=form, auth=False,
                    content_type="application/x-www-form-urlencoded")


def test_openid_configuration_and_token_errors(sandbox, arm):
    status, _unused, config = arm.send("GET", f"/{sandbox.tenant_id}/v2.0/.well-known/openid-configuration", auth=False)
    assert status == 200
    assert config["token_endpoint"] == f"{sandbox.url}/{sandbox.tenant_id}/oauth2/v2.0/token"
    assert config["authorization_endpoint"].startswith(sandbox.url)
    for scope in (sandbox.scope, "https://management.azure.com/.default",
                  "https://management.core.windows.net//.default"):
        assert _token(arm, sandbox.tenant_id, sandbox.client_id, sandbox.client_secret, scope)[0] == 200
    status, _unused, body = _token(arm, sandbox.tenant_id, sandbox.client_id, "wrong", sandbox.scope)
    assert (status, body["error"], body["error_codes"]) == (401, "invalid_client", [7000215])
    assert body["error_description"].startswith("AADSTS7000215: Invalid client secret provided.")
    assert "\r\nTrace ID: " in body["error_description"]
    status, _unused, body = _token(arm, sandbox.tenant_id, "55555555-5555-5555-5555-555555555555", "x", sandbox.scope)
    assert body["error_codes"] == [700016]
    status, _unused, body = _token(arm, "66666666-6666-6666-6666-666666666666", sandbox.client_id, "x", sandbox.scope)
    assert body["error_codes"] == [90002]


def test_metadata_endpoints(sandbox, arm):
    _unused, _unused, current = arm.send("GET", "/metadata/endpoints", api_version="2022-09-01", auth=False)
    assert current["name"] == "AzureBackupSandbox"
    assert current["resourceManager"] == f"{sandbox.url}/"
    assert current["authentication"]["loginEndpoint"] == f"{sandbox.url}/"
    assert current["authentication"]["audiences"][0] == sandbox.audience
    assert current["authentication"]["identityProvider"] == "AAD" and "storage" in current["suffixes"]
    _unused, _unused, legacy = arm.send("GET", "/metadata/endpoints", api_version="2015-01-01", auth=False)
    assert {"galleryEndpoint", "graphEndpoint", "portalEndpoint", "authentication"} <= set(legacy)


def test_fixture_identities_and_tenancy(sandbox, arm):
    other_tenant = "77777777-7777-7777-7777-777777777777"
    sandbox.control.load_fixtures({
        "subscriptions": [{"subscription_id": "88888888-8888-8888-8888-888888888888", "tenant_id": other_tenant}],
        "service_principals": [
            {"client_id": "99999999-9999-9999-9999-999999999999", "client_secret": "s3", "tenant_id": other_tenant},
            {"client_id": "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa", "client_secret": "s4", "subscriptions": []},
        ],
        "resource_groups": [{"name": "rg1", "location": "westeurope"}],
    })
    status, _unused, body = _token(arm, other_tenant, "99999999-9999-9999-9999-999999999999", "s3", sandbox.scope)
    other = body["access_token"]
    path = f"/subscriptions/{SUB}/resourceGroups/rg1"
    status, _unused, body = arm.send("GET", path, api_version="2024-03-01", headers={"Authorization": f"Bearer {other}"},
                                     auth=False)
    assert (status, body["error"]["code"]) == (401, "InvalidAuthenticationTokenTenant")
    _unused, _unused, body = _token(arm, sandbox.tenant_id, "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa", "s4", sandbox.scope)
    status, _unused, body = arm.send("GET", path, api_version="2024-03-01",
                                     headers={"Authorization": f"Bearer {body['access_token']}"}, auth=False)
    assert (status, body["error"]["code"]) == (403, "AuthorizationFailed")


def test_resource_groups(sandbox, arm):
    path = f"/subscriptions/{SUB}/resourceGroups/rg-New"
    assert arm.send("PUT", path, {"location": "West Europe"}, api_version="2025-04-01")[0] == 201
    assert arm.send("HEAD", path.lower(), api_version="2025-04-01")[0] == 204
    _unused, _unused, group = arm.send("GET", path, api_version="2021-04-01")
    assert (group["name"], group["location"]) == ("rg-New", "westeurope")
    status, headers, _unused = arm.send("DELETE", path, api_version="2024-03-01")
    assert status == 202
    assert arm.send("GET", headers["Location"][len(sandbox.url):])[0] == 200
    assert arm.send("HEAD", path, api_version="2025-04-01")[0] == 404


def test_control_api_log_and_state(sandbox, arm):
    arm.send("GET", f"/subscriptions/{SUB}/resourcegroups", api_version="2024-03-01")
    log = sandbox.control.requests(kind="arm")
    assert log and set(log[-1]) >= {"seq", "time", "method", "path", "query", "status", "kind", "is_write",
                                    "fault", "body", "if_match"}
    assert not any(e["path"].startswith("/_sandbox") for e in sandbox.control.requests())
    sandbox.control.clear_requests()
    assert sandbox.control.requests() == []
    state = sandbox.control.state()
    assert state["subscriptions"][0]["subscriptionId"] == SUB and state["resource_groups"] == []


def test_start_sandbox_with_fixtures_and_clean_stop(tmp_path):
    seed = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "seed.json")
    handle = start_sandbox(str(tmp_path), fixtures=[seed], strict=True)
    try:
        info = json.loads((tmp_path / "sandbox.json").read_text())
        assert info["pid"] == handle.process.pid and info["url"].startswith("https://127.0.0.1:")
        assert info["ca_bundle"] == str(tmp_path / "ca.pem")
        assert {g["name"] for g in handle.control.state()["resource_groups"]} == {"rg-backup-weu", "rg-backup-neu"}
        handle.control.reset()
        assert handle.control.state()["resource_groups"] == []
        handle.control.reset(reload_fixtures=True)
        assert len(handle.control.state()["resources"]["virtualMachines"]) == 7
    finally:
        assert handle.stop() == 0
    assert not (tmp_path / "sandbox.json").exists()
