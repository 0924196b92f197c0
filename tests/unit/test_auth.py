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


# ---- precedence, field by field: module option, then environment, then profile (then the CLI) ------------------

SUB3 = "55555555-5555-5555-5555-555555555555"
# field: (environment variable, value of the option, of the environment, of the profile)
FIELDS = {
    "subscription_id": ("AZURE_SUBSCRIPTION_ID", SUB, SUB2, SUB3),
    "client_id": ("AZURE_CLIENT_ID", "opt-client", "env-client", "prof-client"),
    "secret": ("AZURE_SECRET", "opt-secret", "env-secret", "prof-secret"),
    "tenant": ("AZURE_TENANT", "opt-tenant", "env-tenant", "prof-tenant"),
    "cloud_environment": ("AZURE_CLOUD_ENVIRONMENT", "AzureUSGovernment", "AzureChinaCloud", "AzurePublicCloud"),
}
PROFILE = "[prof]\n" + "".join("%s=%s\n" % (k, v[3]) for k, v in FIELDS.items())


@pytest.mark.parametrize("auth_source", ["auto", "credential_file"])
@pytest.mark.parametrize("named_by", ["option", "AZURE_PROFILE"])
@pytest.mark.parametrize("layers,winner", [
    (("option", "env", "profile"), 1),   # all three: the option
    (("option", "profile"), 1),          # option over profile
    (("env", "profile"), 2),             # environment over profile
    (("profile",), 3),                   # the profile alone
])
@pytest.mark.parametrize("field", sorted(FIELDS))
def test_each_field_option_then_environment_then_profile(tmp_path, field, layers, winner, named_by, auth_source):
    write_profile(tmp_path, PROFILE)
    variable, *values = FIELDS[field]
    environ = {"HOME": str(tmp_path)}
    kw = {"auth_source": auth_source}
    if named_by == "option":
        kw["profile"] = "prof"
    else:
        environ["AZURE_PROFILE"] = "prof"
    if "option" in layers:
        kw[field] = values[0]
    if "env" in layers:
        environ[variable] = values[1]
    s = _auth.resolve_settings(params(**kw), environ)
    assert getattr(s, field) == values[winner - 1]
    # Every other field still comes from the profile.
    for other, spec in FIELDS.items():
        if other != field:
            assert getattr(s, other) == spec[3], other
    assert s.source == "service_principal"
    assert s.origin == ({1: "options", 2: "env", 3: "credential_file"}[winner] if field == "secret"
                        else "credential_file")


def test_profile_option_does_not_override_explicit_subscription(tmp_path):
    """Case 5 of 'Tell the truth under real Azure': the profile's subscription went first."""
    write_profile(tmp_path, PROFILE)
    s = _auth.resolve_settings(params(profile="prof", subscription_id=SUB), {"HOME": str(tmp_path)})
    assert s.subscription_id == SUB
    assert (s.client_id, s.secret, s.tenant, s.cloud_environment) == ("prof-client", "prof-secret", "prof-tenant",
                                                                      "AzurePublicCloud")


def test_environment_service_principal_beats_named_profile(tmp_path):
    write_profile(tmp_path, PROFILE)
    env = {"HOME": str(tmp_path), "AZURE_CLIENT_ID": "c", "AZURE_SECRET": "s", "AZURE_TENANT": "t"}
    s = _auth.resolve_settings(params(profile="prof"), env)
    assert (s.origin, s.client_id, s.secret, s.tenant, s.subscription_id) == ("env", "c", "s", "t", SUB3)


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_default_profile_fills_only_what_options_and_environment_leave(tmp_path, field):
    """Without a named profile, the section 'default' is read when options and environment give no service
    principal; it then fills each field they leave empty, and never overrides one they give."""
    write_profile(tmp_path, PROFILE.replace("[prof]", "[default]"))
    variable, option, from_env, from_profile = FIELDS[field]
    if field in ("client_id", "secret", "tenant"):
        # One of the three from the environment: the service principal is still incomplete there.
        s = _auth.resolve_settings(params(), {"HOME": str(tmp_path), variable: from_env})
        assert getattr(s, field) == from_env
        s = _auth.resolve_settings(params(**{field: option}), {"HOME": str(tmp_path), variable: from_env})
        assert getattr(s, field) == option
    else:
        s = _auth.resolve_settings(params(), {"HOME": str(tmp_path), variable: from_env})
        assert getattr(s, field) == from_env
        s = _auth.resolve_settings(params(**{field: option}), {"HOME": str(tmp_path), variable: from_env})
        assert getattr(s, field) == option
    assert s.source == "service_principal"
    s = _auth.resolve_settings(params(), {"HOME": str(tmp_path)})
    assert getattr(s, field) == from_profile


def test_default_profile_not_read_when_environment_gives_service_principal(tmp_path):
    write_profile(tmp_path, PROFILE.replace("[prof]", "[default]"))
    env = {"HOME": str(tmp_path), "AZURE_CLIENT_ID": "c", "AZURE_SECRET": "s", "AZURE_TENANT": "t",
           "AZURE_SUBSCRIPTION_ID": SUB}
    s = _auth.resolve_settings(params(), env)
    assert (s.origin, s.subscription_id, s.cloud_environment) == ("env", SUB, "AzureCloud")


def test_profile_without_service_principal_gives_cli_with_profile_subscription(tmp_path):
    write_profile(tmp_path, "[prof]\nsubscription_id=%s\ntenant=pt\n" % SUB3)
    s = _auth.resolve_settings(params(profile="prof"), {"HOME": str(tmp_path)})
    assert (s.source, s.subscription_id, s.tenant, s.secret) == ("cli", SUB3, "pt", None)
    s = _auth.resolve_settings(params(profile="prof", subscription_id=SUB), {"HOME": str(tmp_path)})
    assert s.subscription_id == SUB
