"""Foundation: authentication to the sandbox through azure-identity over HTTPS, the way Azure Stack Hub is reached
(cloud_environment = a Resource Manager URL), error hints and retries. Secrets at -vvvv: test_secrets.py."""

import json
import os

from conftest import arm_requests

TAGS = {"location": "westeurope", "names": ["AzureBackup", "Storage", "AzureActiveDirectory"], "region": "westeurope"}


def kinds(sandbox):
    return [r.get("kind") for r in sandbox.control.requests()]


def test_awx_style_environment(run, sandbox):
    result = run.module("service_tags_info", TAGS)
    assert not result.get("failed"), result
    names = {t["name"] for t in result["service_tags"]}
    assert {"AzureBackup", "AzureActiveDirectory"} <= names
    assert any(n.lower() == "storage.westeurope" for n in names)
    assert all(t["address_prefixes"] for t in result["service_tags"])
    # Discovery of the cloud, one token, then exactly one ARM read.
    seen = kinds(sandbox)
    assert "metadata" in seen and "login" in seen
    reads = arm_requests(sandbox)
    assert len(reads) == 1 and reads[0]["method"] == "GET" and "serviceTags" in reads[0]["path"]


def test_alternative_environment_names(run, sandbox):
    sb = sandbox
    env = run.env(AZURE_SECRET=None, AZURE_TENANT=None, AZURE_CLIENT_SECRET=sb.client_secret,
                  AZURE_TENANT_ID=sb.tenant_id)
    result = run.module("service_tags_info", TAGS, env=env)
    assert not result.get("failed"), result


def test_credential_file_profile_and_ca_bundle_option(run, sandbox, tmp_path):
    sb = sandbox
    (tmp_path / ".azure").mkdir(exist_ok=True)
    (tmp_path / ".azure" / "credentials").write_text(
        "[default]\nsubscription_id=00000000-0000-0000-0000-000000000000\nclient_id=x\nsecret=y\ntenant=z\n\n"
        "[sandbox]\nsubscription_id=%s\nclient_id=%s\nsecret=%s\ntenant=%s\ncloud_environment=%s\n"
        % (sb.subscription_id, sb.client_id, sb.client_secret, sb.tenant_id, sb.url))
    env = run.env(AZURE_CLIENT_ID=None, AZURE_SECRET=None, AZURE_TENANT=None, AZURE_SUBSCRIPTION_ID=None,
                  AZURE_CLOUD_ENVIRONMENT=None, REQUESTS_CA_BUNDLE=None, AZURE_PROFILE="sandbox")
    result = run.module("service_tags_info", dict(TAGS, ca_bundle=sb.ca_bundle), env=env)
    assert not result.get("failed"), result
    # The same through the profile option instead of AZURE_PROFILE.
    env.pop("AZURE_PROFILE")
    result = run.module("service_tags_info", dict(TAGS, ca_bundle=sb.ca_bundle, profile="sandbox"), env=env)
    assert not result.get("failed"), result


def test_untrusted_certificate_is_a_clear_error(run, sandbox):
    env = run.env(REQUESTS_CA_BUNDLE=None)
    result = run.module("service_tags_info", TAGS, env=env)
    assert result.get("failed")
    assert "ca_bundle" in result["msg"] and "Traceback" not in json.dumps(result)


def test_wrong_secret_fails_cleanly_with_hint(run, sandbox):
    result = run.module("service_tags_info", TAGS, env=run.env(AZURE_SECRET="not-the-secret"))
    assert result.get("failed")
    assert "AADSTS7000215" in result["msg"]
    assert "secret" in result.get("hint", "")
    assert "Traceback" not in json.dumps(result)
    assert arm_requests(sandbox) == []


def test_invalid_input_sends_no_request(run, sandbox):
    result = run.module("service_tags_info", {"location": "west europe; rm -rf /"})
    assert result.get("failed") and "location" in result["msg"]
    result = run.module("service_tags_info", dict(TAGS, cloud_environment="http://127.0.0.1:1"))
    assert result.get("failed") and "cloud_environment" in result["msg"]
    result = run.module("service_tags_info", dict(TAGS, subscription_id="nope"))
    assert result.get("failed") and "GUID" in result["msg"]
    assert sandbox.control.requests() == []


def test_transient_faults_are_retried(run, sandbox):
    sandbox.control.set_faults(fault_rate=0.3, fault_statuses=[429, 500, 503], retry_after=0, seed=11, apply_to="all")
    for _unused in range(3):
        result = run.module("service_tags_info", TAGS)
        assert not result.get("failed"), result
    faults = [r for r in sandbox.control.requests() if r.get("fault")]
    assert faults, "the fault profile injected nothing"


def test_missing_subscription_hint(run, sandbox):
    env = run.env(AZURE_SUBSCRIPTION_ID="99999999-9999-9999-9999-999999999999")
    result = run.module("service_tags_info", TAGS, env=env)
    assert result.get("failed") and result.get("status_code") == 404
    assert "SubscriptionNotFound" in result["msg"] and result.get("hint")
    assert os.path.exists(sandbox.ca_bundle)
