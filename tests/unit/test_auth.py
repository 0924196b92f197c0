"""Credential-source order, profile file, cloud names: no request is sent by any of this."""

import pytest

from ansible_collections.azbackup.vmprep.plugins.module_utils import _auth
from ansible_collections.azbackup.vmprep.plugins.module_utils._errors import AzbError

SUB = "33333333-3333-3333-3333-333333333333"
SUB2 = "44444444-4444-4444-4444-444444444444"


def params(**kw):
    base = {k: None for k in _auth.AUTH_ARGSPEC}
    base["auth_source"] = "auto"
    base.update(kw)
    return base


def write_profile(home, text):
    (home / ".azure").mkdir(parents=True, exist_ok=True)
    (home / ".azure" / "credentials").write_text(text)


def test_options_win_over_environment(tmp_path):
    env = {"HOME": str(tmp_path), "AZURE_CLIENT_ID": "env-c", "AZURE_SECRET": "env-s", "AZURE_TENANT": "env-t",
           "AZURE_SUBSCRIPTION_ID": SUB2}
    s = _auth.resolve_settings(params(client_id="c", secret="s", tenant="t", subscription_id=SUB), env)
    assert (s.source, s.origin, s.client_id, s.secret, s.tenant, s.subscription_id) == (
        "service_principal", "options", "c", "s", "t", SUB)


def test_awx_environment_names(tmp_path):
    env = {"HOME": str(tmp_path), "AZURE_CLIENT_ID": "c", "AZURE_SECRET": "s", "AZURE_TENANT": "t",
           "AZURE_SUBSCRIPTION_ID": SUB, "AZURE_CLOUD_ENVIRONMENT": "AzureUSGovernment"}
    s = _auth.resolve_settings(params(), env)
    assert (s.origin, s.secret, s.cloud_environment) == ("env", "s", "AzureUSGovernment")


def test_alternative_environment_names(tmp_path):
    env = {"HOME": str(tmp_path), "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s2", "AZURE_TENANT_ID": "t2",
           "AZURE_SUBSCRIPTION_ID": SUB}
    s = _auth.resolve_settings(params(), env)
    assert (s.secret, s.tenant) == ("s2", "t2")


def test_environment_before_profile(tmp_path):
    write_profile(tmp_path, "[default]\nsubscription_id=%s\nclient_id=p\nsecret=ps\ntenant=pt\n" % SUB2)
    env = {"HOME": str(tmp_path), "AZURE_CLIENT_ID": "c", "AZURE_SECRET": "s", "AZURE_TENANT": "t",
           "AZURE_SUBSCRIPTION_ID": SUB}
    s = _auth.resolve_settings(params(), env)
    assert (s.origin, s.client_id, s.subscription_id) == ("env", "c", SUB)


def test_default_profile_when_nothing_else(tmp_path):
    write_profile(tmp_path, "[default]\nsubscription_id=%s\nclient_id=p\nsecret=ps\ntenant=pt\n"
                            "cloud_environment=AzureChinaCloud\n" % SUB2)
    s = _auth.resolve_settings(params(), {"HOME": str(tmp_path)})
    assert (s.origin, s.client_id, s.secret, s.subscription_id, s.cloud_environment) == (
        "credential_file", "p", "ps", SUB2, "AzureChinaCloud")


def test_named_profile_from_environment(tmp_path):
    write_profile(tmp_path, "[default]\nclient_id=x\n[prod]\nsubscription_id=%s\nclient_id=p\nsecret=ps\ntenant=pt\n" % SUB)
    s = _auth.resolve_settings(params(), {"HOME": str(tmp_path), "AZURE_PROFILE": "prod"})
    assert (s.origin, s.client_id) == ("credential_file", "p")


def test_missing_named_profile_is_clear(tmp_path):
    write_profile(tmp_path, "[default]\nclient_id=x\n")
    with pytest.raises(AzbError, match="profile 'prod' is not a section"):
        _auth.resolve_settings(params(profile="prod"), {"HOME": str(tmp_path)})


def test_cli_fallback_uses_cli_default_subscription(tmp_path):
    (tmp_path / ".azure").mkdir()
    (tmp_path / ".azure" / "azureProfile.json").write_text(
        '\ufeff{"subscriptions": [{"id": "%s", "isDefault": false}, {"id": "%s", "isDefault": true}]}' % (SUB2, SUB))
    s = _auth.resolve_settings(params(), {"HOME": str(tmp_path)})
    assert (s.source, s.subscription_id, s.secret) == ("cli", SUB, None)


def test_msi_needs_subscription(tmp_path):
    with pytest.raises(AzbError, match="subscription_id is required"):
        _auth.resolve_settings(params(auth_source="msi"), {"HOME": str(tmp_path)})
    s = _auth.resolve_settings(params(auth_source="msi", subscription_id=SUB, client_id="uami"), {"HOME": str(tmp_path)})
    assert (s.source, s.client_id) == ("msi", "uami")


def test_env_source_names_missing_variables(tmp_path):
    with pytest.raises(AzbError, match="AZURE_SECRET, AZURE_TENANT"):
        _auth.resolve_settings(params(auth_source="env"), {"HOME": str(tmp_path), "AZURE_CLIENT_ID": "c"})


@pytest.mark.parametrize("bad", ["not-a-guid", "3333333-3333-3333-3333-333333333333"])
def test_subscription_must_be_guid(tmp_path, bad):
    with pytest.raises(AzbError, match="must be a GUID"):
        _auth.resolve_settings(params(client_id="c", secret="s", tenant="t", subscription_id=bad), {"HOME": str(tmp_path)})


@pytest.mark.parametrize("cloud", ["http://127.0.0.1:8443", "AzureMars", "ftp://x"])
def test_bad_cloud_environment_is_rejected(tmp_path, cloud):
    with pytest.raises(AzbError, match="cloud_environment must be one of"):
        _auth.resolve_settings(params(client_id="c", secret="s", tenant="t", subscription_id=SUB,
                                      cloud_environment=cloud), {"HOME": str(tmp_path)})


def test_known_clouds_need_no_request():
    def boom(url):
        raise AssertionError("no request expected for a named cloud")
    for name, scope in (("AzureCloud", "https://management.azure.com/.default"),
                        ("azurepubliccloud", "https://management.azure.com/.default"),
                        ("AzureUSGovernment", "https://management.core.usgovcloudapi.net/.default")):
        cloud = _auth.resolve_cloud(name, boom)
        assert cloud.scope == scope
        assert cloud.login_host_known


def test_custom_cloud_from_metadata():
    seen = []

    def fetch(url):
        seen.append(url)
        return {"name": "Stack", "resourceManager": "https://arm.local/",
                "authentication": {"loginEndpoint": "https://adfs.local/adfs/", "audiences": ["https://arm.local/x/"]}}
    cloud = _auth.resolve_cloud("https://arm.local/", fetch)
    assert seen == ["https://arm.local/metadata/endpoints?api-version=2022-09-01"]
    assert (cloud.resource_manager, cloud.login, cloud.scope) == ("https://arm.local", "https://adfs.local/adfs",
                                                                  "https://arm.local/x/.default")
    assert not cloud.login_host_known


def test_custom_cloud_with_incomplete_metadata():
    with pytest.raises(AzbError, match="did not describe the login endpoint"):
        _auth.resolve_cloud("https://arm.local", lambda url: {"name": "x"})


def test_scope_for_audience():
    assert _auth.scope_for_audience("https://management.core.windows.net/") == "https://management.core.windows.net/.default"
    assert _auth.scope_for_audience("https://arm") == "https://arm/.default"


def test_option_fields_fall_back_to_environment_one_by_one(tmp_path):
    env = {"HOME": str(tmp_path), "AZURE_TENANT": "env-t", "AZURE_SUBSCRIPTION_ID": SUB}
    s = _auth.resolve_settings(params(client_id="c", secret="s"), env)
    assert (s.source, s.origin, s.client_id, s.secret, s.tenant) == ("service_principal", "options", "c", "s", "env-t")
